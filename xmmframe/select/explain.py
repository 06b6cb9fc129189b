"""Showing how a selection expression was understood: the parsed tree, one node per line.

Examples
--------
>>> from xmmframe.select import explain
>>> print(explain("FLAG & b110 != 0 && PI in [500:2000]"))
and
  !=
    bitwise and (&)
      column FLAG
      integer 6 (b110)
    integer 0
  in (any of the ranges)
    column PI
    range [500:2000]
"""

from __future__ import annotations

from xmmframe.model.meta import EventMeta
from xmmframe.select.limits import stack_room
from xmmframe.select.macros import MacroTable
from xmmframe.select.nodes import LOGICAL, Binary, Node
from xmmframe.select.parser import parse


def explain(selection: str, meta: EventMeta | None = None) -> str:
    """The parsed tree of a selection expression, indented two spaces per level.

    Parameters
    ----------
    selection : str
        A SAS selection expression.
    meta : EventMeta, optional
        Supplies the text of ``#NAME`` macros from the table's headers; without it only the
        built-in ``XMMEA_EP/EM/SM`` macros are expanded and others are shown unexpanded.

    Examples
    --------
    >>> print(explain("#XMMEA_EM"))
    macro #XMMEA_EM = '(FLAG & 0x766ba000) == 0' [built-in]
      ==
        bitwise and (&)
          column FLAG
          integer 1986764800 (0x766ba000)
        integer 0
    """
    tree = parse(selection, MacroTable(meta), strict_macros=False)
    lines: list[str] = []
    with stack_room():
        _render(tree, 0, lines)
    return "\n".join(lines)


def _render(node: Node, depth: int, lines: list[str]) -> None:
    lines.append("  " * depth + node.label())
    for child in _operands(node):
        _render(child, depth + 1, lines)


def _operands(node: Node) -> list[Node]:
    """Children, with chains of the same logical operator flattened (a && b && c: one 'and')."""
    if not (isinstance(node, Binary) and node.op in LOGICAL):
        return list(node.children())
    result: list[Node] = []
    for child in node.children():
        same = isinstance(child, Binary) and child.op == node.op
        result.extend(_operands(child) if same else [child])
    return result
