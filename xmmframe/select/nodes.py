"""The parsed form of a selection expression: a small tree of immutable nodes.

Every node carries ``pos``, the 0-based offset of its first token in the text it was parsed
from (the selection, or the text of the macro it came from), so that compile-time errors can
say where the problem is.  :func:`xmmframe.select.explain` prints the tree.

Examples
--------
>>> from xmmframe.select.parser import parse
>>> tree = parse("PI in [500:2000] && PATTERN<=4")
>>> type(tree).__name__, tree.op
('Binary', '&&')
"""

from __future__ import annotations

from dataclasses import dataclass, field

from xmmframe.select.filespec import FileSpec


@dataclass(frozen=True)
class Node:
    """Base class of the tree nodes."""

    pos: int = field(default=0, kw_only=True)

    def label(self) -> str:
        """One line describing this node (without its children), as :func:`explain` shows it."""
        return type(self).__name__.lower()

    def children(self) -> tuple[Node, ...]:
        """The sub-nodes, in order."""
        return ()


@dataclass(frozen=True)
class Number(Node):
    """An integer or floating-point literal (``12``, ``0x766ba000``, ``b110``, ``7.3e7``)."""

    value: int | float
    text: str = ""

    def label(self) -> str:
        kind = "integer" if isinstance(self.value, int) else "float"
        shown = self.text if self.text and self.text != str(self.value) else ""
        return f"{kind} {self.value}" + (f" ({shown})" if shown else "")


@dataclass(frozen=True)
class String(Node):
    """A quoted string literal (for string columns)."""

    value: str

    def label(self) -> str:
        return f"string {self.value!r}"


@dataclass(frozen=True)
class Boolean(Node):
    """``true`` / ``false`` (also ``.true.`` / ``.false.``)."""

    value: bool

    def label(self) -> str:
        return "true" if self.value else "false"


@dataclass(frozen=True)
class Column(Node):
    """A column reference, as written (matched case-insensitively when compiled)."""

    name: str

    def label(self) -> str:
        return f"column {self.name}"


@dataclass(frozen=True)
class RowNumber(Node):
    """``#ROW``: the 1-based row number in the table."""

    def label(self) -> str:
        return "#ROW (row number, from 1)"


@dataclass(frozen=True)
class Macro(Node):
    """``#NAME``: a header keyword whose text is parsed as a parenthesised sub-expression.

    ``body`` is None when the macro could not be resolved (only :func:`explain` keeps such
    nodes; compiling raises :class:`~xmmframe.errors.UnknownMacroError`).
    """

    name: str
    text: str | None = None
    body: Node | None = None
    origin: str = ""

    def label(self) -> str:
        if self.text is None:
            return f"macro #{self.name} (not defined here)"
        return f"macro #{self.name} = {self.text!r}" + (f" [{self.origin}]" if self.origin else "")

    def children(self) -> tuple[Node, ...]:
        return (self.body,) if self.body is not None else ()


@dataclass(frozen=True)
class Unary(Node):
    """A unary operator: ``-``, ``+`` or logical ``!``."""

    op: str
    operand: Node

    def label(self) -> str:
        return {"!": "not", "-": "negate", "+": "plus"}[self.op]

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)


#: Binary operators by family (C spelling).
LOGICAL = ("&&", "||")
COMPARISON = ("==", "!=", "<", "<=", ">", ">=")
BITWISE = ("&", "|")
ARITHMETIC = ("+", "-", "*", "/")


@dataclass(frozen=True)
class Binary(Node):
    """A binary operator (C spelling, whatever was written): logical, comparison, bitwise, arithmetic."""

    op: str
    left: Node
    right: Node

    def label(self) -> str:
        names = {"&&": "and", "||": "or", "&": "bitwise and (&)", "|": "bitwise or (|)"}
        return names.get(self.op, self.op)

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)


@dataclass(frozen=True)
class Range(Node):
    """One item of a range list: ``[a:b]``, ``(a:b)``, ``(a:b]``, ``a:``, ``:b`` or a single value.

    ``low``/``high`` are None for an open end; ``single`` marks a single value (``99`` or
    ``[99]``), which means equality.
    """

    low: Node | None
    high: Node | None
    low_closed: bool = True
    high_closed: bool = True
    single: bool = False

    def label(self) -> str:
        def bound(node: Node | None, name: str) -> str:
            if node is None:
                return ""
            return str(node.value) if isinstance(node, Number) else name

        if self.single:
            return f"value {bound(self.low, '(expression)')}"
        opening = "[" if self.low_closed else "("
        closing = "]" if self.high_closed else ")"
        return f"range {opening}{bound(self.low, 'low')}:{bound(self.high, 'high')}{closing}"

    def children(self) -> tuple[Node, ...]:
        """The bounds that are expressions (numbers are shown in the label)."""
        bounds = (self.low,) if self.single else (self.low, self.high)
        return tuple(n for n in bounds if n is not None and not isinstance(n, Number))


@dataclass(frozen=True)
class InRanges(Node):
    """``operand in item, item, ...``: true when the operand lies in any item."""

    operand: Node
    ranges: tuple[Range, ...]

    def label(self) -> str:
        return "in (any of the ranges)"

    def children(self) -> tuple[Node, ...]:
        return (self.operand, *self.ranges)


@dataclass(frozen=True)
class ShapeTest(Node):
    """``(XCOL,YCOL) in shape(args)`` or ``shape(args[, XCOL, YCOL])``.

    ``name`` is the canonical shape name; ``columns`` the column pair (None: the default
    pair of the shape class, X and Y).
    """

    name: str
    args: tuple[Node, ...]
    columns: tuple[str, str] | None = None
    written: str = ""

    def label(self) -> str:
        on = f" on ({self.columns[0]},{self.columns[1]})" if self.columns else " on (X,Y) (default)"
        alias = f" (written {self.written})" if self.written and self.written.lower() != self.name else ""
        return f"shape {self.name}{alias}{on}"

    def children(self) -> tuple[Node, ...]:
        return self.args


@dataclass(frozen=True)
class GtiTest(Node):
    """``gti(file, COL)`` / ``COL in gti(file)``: ``START <= COL < STOP`` for some interval."""

    file: FileSpec
    column: str = "TIME"

    def label(self) -> str:
        return f"gti file={str(self.file)!r} column={self.column}"


@dataclass(frozen=True)
class RegionTest(Node):
    """``region(file[, XCOL, YCOL])``: the shapes of a FITS region table or ds9 region file."""

    file: FileSpec
    columns: tuple[str, str] | None = None

    def label(self) -> str:
        on = f" on ({self.columns[0]},{self.columns[1]})" if self.columns else ""
        return f"region file={str(self.file)!r}{on}"


@dataclass(frozen=True)
class MaskTest(Node):
    """``mask(file, xoff, yoff, XCOL, YCOL)``: parsed, not compiled (unsupported)."""

    file: FileSpec
    args: tuple[Node, ...] = ()

    def label(self) -> str:
        return f"mask file={str(self.file)!r}"

    def children(self) -> tuple[Node, ...]:
        return self.args
