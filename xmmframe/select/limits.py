"""Size limits of the selection language, and the stack room its recursive walkers need.

A selection is user input (typed by hand, read from a parameter file, or sent to the service),
so its size is bounded before anything recursive looks at it:

* :data:`MAX_LENGTH` characters of text (a longer expression is refused before it is split
  into tokens);
* :data:`MAX_TESTS` tests (comparisons, ranges, ``gti()``, ``region()``, shapes other than
  circles, annuli, ellipses, boxes and rectangles): each is one pass over the events, so
  this bounds the work per event.  Long chains of those five shapes are not counted: they
  are tested in one pass (:mod:`~xmmframe.select.shapes.shape_set`), so source excisions
  of many thousands of sources run in a time that does not grow with their number;
* :data:`MAX_DEPTH` levels of nesting while parsing (parentheses, function and range
  arguments, macro expansions) and of depth of the parsed tree (prefix operators and
  chains of ``+ - * / & |`` each add a level; chains of ``&&`` and ``||`` are built balanced,
  so ten thousand alternatives add only 14 levels).

The parser and the compiler descend once per level, a few Python frames each, so
:func:`stack_room` makes sure the interpreter's recursion limit leaves room for
:data:`MAX_DEPTH` levels above the caller's own stack (Python 3.11 runs pure-Python calls
without growing the C stack, so raising the limit for these frames is safe).

Examples
--------
>>> from xmmframe.select.parser import parse
>>> from xmmframe.select.limits import tree_depth
>>> tree_depth(parse("(PI + 1) * 2 > 5"))
4
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from xmmframe.select.nodes import COMPARISON, Binary, GtiTest, InRanges, MaskTest, Node, RegionTest, ShapeTest

#: Longest selection expression, in characters (a region exclusion of 10000 sources fits).
MAX_LENGTH = 1_000_000
#: Most tests in one selection (see the module docstring for what counts).
MAX_TESTS = 10_000
#: Shapes tested in one grid pass, not counted as tests.
GRID_SHAPES = frozenset({"circle", "annulus", "ring", "ellipse", "box", "rectangle"})
#: Deepest nesting of a selection (parentheses, arguments, macros) and of its parsed tree.
MAX_DEPTH = 256
#: Python frames one level of nesting may take in the parser, the compiler or explain.
_FRAMES_PER_LEVEL = 12

_lock = threading.Lock()


def tree_depth(node: Node) -> int:
    """The depth of a parsed tree (a leaf is 1), walked without recursion.

    Examples
    --------
    >>> from xmmframe.select.parser import parse
    >>> tree_depth(parse("PI > 5"))
    2
    """
    best, stack = 0, [(node, 1)]
    while stack:
        current, depth = stack.pop()
        best = max(best, depth)
        stack.extend((child, depth + 1) for child in current.children())
    return best


def too_many_tests(node: Node, limit: int = MAX_TESTS) -> tuple[int, Node] | None:
    """The number of tests and the first test over ``limit`` (left to right), or None within it.

    Examples
    --------
    >>> from xmmframe.select.parser import parse
    >>> too_many_tests(parse("PI > 1 || PI > 2 || PI > 3"), limit=2)[0]
    3
    """
    count, first, stack = 0, None, [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Binary) and current.op in COMPARISON:
            count += 1
        elif isinstance(current, InRanges):
            count += len(current.ranges)
        elif isinstance(current, (GtiTest, RegionTest, MaskTest)):
            count += 1
        elif isinstance(current, ShapeTest) and current.name.lower() not in GRID_SHAPES:
            count += 1
        if count > limit and first is None:
            first = current
        stack.extend(reversed(current.children()))
    return (count, first) if first is not None else None


def too_deep(node: Node, limit: int = MAX_DEPTH) -> Node | None:
    """The first node found deeper than ``limit`` levels (the root is level 1), or None."""
    stack = [(node, 1)]
    while stack:
        current, depth = stack.pop()
        if depth > limit:
            return current
        stack.extend((child, depth + 1) for child in current.children())
    return None


@contextmanager
def stack_room() -> Iterator[None]:
    """Run a block with recursion room for :data:`MAX_DEPTH` levels above the current stack.

    The limit is raised only when it is too low, and put back afterwards unless another
    thread changed it in the meantime.
    """
    needed = _stack_height() + MAX_DEPTH * _FRAMES_PER_LEVEL + 200
    with _lock:
        before = sys.getrecursionlimit()
        raised = needed > before
        if raised:
            sys.setrecursionlimit(needed)
    try:
        yield
    finally:
        if raised:
            with _lock:
                if sys.getrecursionlimit() == needed:
                    sys.setrecursionlimit(before)


def _stack_height() -> int:
    frame, height = sys._getframe(), 0
    while frame is not None:
        frame, height = frame.f_back, height + 1
    return height
