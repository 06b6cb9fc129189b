"""What a selection means for a product: the Polars filter, its text, its time and region parts.

A selection given to evselect or to a product method may be a SAS expression, a Polars
expression, a :class:`~xmmframe.model.gti.GTI` or a region shape.  Besides the filter itself a
product needs to know

* the text to record (``SLCTEXPR``, with ``#NAME`` macros replaced by their text as SAS does),
* the time selection (``gti(file,TIME)`` terms, a GTI object), which changes the good times and
  therefore ONTIME, LIVETIME and EXPOSURE,
* the data-subspace entries of the other filters (column ranges, FLAG bit masks, regions).

Only terms joined by ``&&`` at the top level (macros included) are turned into data-subspace
entries and time selections, as SAS does; anything else is recorded in ``SLCTEXPR`` only.

Examples
--------
>>> chosen = resolve_selection(events, "#XMMEA_EM && gti(M1_gti.fits,TIME) && PI in [500:10000]")  # doctest: +SKIP
>>> [e.name for e in chosen.entries], len(chosen.time_gti)                                       # doctest: +SKIP
(['FLAG', 'PI'], 10)
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

import polars as pl

from xmmframe.model.events import EventList
from xmmframe.model.gti import GTI
from xmmframe.model.meta import EventMeta
from xmmframe.select.compiler import celestial_shape, compile_selection
from xmmframe.select.dss import DssEntry, bit_pattern, range_text
from xmmframe.select.macros import MacroTable
from xmmframe.select.nodes import Binary, Column, GtiTest, InRanges, Macro, Number, ShapeTest, Unary
from xmmframe.select.parser import parse
from xmmframe.select.region import Region
from xmmframe.select.shapes.base import SimpleShape
from xmmframe.select.shapes.catalog import build_shape

#: Shapes recorded in a product's region table (centre and radii, unambiguous in the ASC layout);
#: other shapes are recorded in SLCTEXPR only.
REGION_TABLE_SHAPES = ("circle", "annulus", "ellipse")
_MACRO = re.compile(r"#([A-Za-z_][A-Za-z0-9_]*)")
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


@dataclass(frozen=True)
class ResolvedSelection:
    """A selection ready for products.

    Attributes
    ----------
    expr : polars.Expr or None
        The filter (None: keep every event).
    text : str or None
        The expression as recorded in ``SLCTEXPR``.
    time_gti : GTI or None
        The time selection (intersection of every top-level ``gti()`` term and GTI object).
    entries : tuple of DssEntry
        Data-subspace entries of the other top-level terms.
    regions : tuple of SimpleShape
        Region terms (one ``POS(X,Y)`` entry refers to them).
    """

    expr: pl.Expr | None = None
    text: str | None = None
    time_gti: GTI | None = None
    entries: tuple[DssEntry, ...] = ()
    regions: tuple[SimpleShape, ...] = ()

    @property
    def region(self) -> Region | None:
        """The region products record: one include (one table component) per region term on the
        first term's column pair, the pair its ``POS(...)`` entry names (None without region terms).

        Examples
        --------
        >>> from xmmframe.select import Circle
        >>> ResolvedSelection(regions=(Circle(1.0, 2.0, 3.0),)).region.to_frame()["R"].to_list()
        [[3.0, 0.0]]
        """
        if not self.regions:
            return None
        pair = tuple(c.upper() for c in self.regions[0].columns)
        return Region(tuple(s for s in self.regions if tuple(c.upper() for c in s.columns) == pair))

    def apply(self, lazy: pl.LazyFrame) -> pl.LazyFrame:
        """The frame filtered by this selection."""
        return lazy if self.expr is None else lazy.filter(self.expr)


def expand_macros(text: str, meta: EventMeta) -> str:
    """The expression with ``#NAME`` replaced by the text of known macros (as SAS writes SLCTEXPR).

    Examples
    --------
    >>> expand_macros("#XMMEA_EM && PI>10000", events.meta)      # doctest: +SKIP
    '(FLAG & 0x766ba000) == 0 && PI>10000'
    """

    table = MacroTable(meta)

    def replace(match: re.Match[str]) -> str:
        value, _ = table.lookup(match.group(1))
        return value if value is not None and not value.lstrip().startswith("#") else match.group(0)

    return _MACRO.sub(replace, text)


def resolve_selection(
    events: EventList,
    selection: Any = None,
    gti: GTI | None = None,
    base_dir: str | os.PathLike[str] | None = None,
) -> ResolvedSelection:
    """Turn a selection into its filter, text, time selection and data-subspace entries.

    Parameters
    ----------
    events : EventList
        The events the selection applies to (its metadata resolves columns and macros).
    selection : str, polars.Expr, GTI, shape or None
        The selection.
    gti : GTI, optional
        An extra time selection, applied too.
    base_dir : str or path-like, optional
        Directory for relative file names in ``gti()``/``region()`` (default: current directory).
    """
    meta = events.meta
    exprs: list[pl.Expr] = []
    time_gtis: list[GTI] = []
    entries: list[DssEntry] = []
    regions: list[SimpleShape] = []
    text = None
    if isinstance(selection, str) and selection.strip() and selection.strip().lower() != "true":
        exprs.append(compile_selection(selection, meta, base_dir=base_dir))
        text = expand_macros(selection, meta)
        for term in _conjuncts(parse(selection, MacroTable(meta))):
            _describe(term, meta, base_dir, time_gtis, entries, regions)
    elif isinstance(selection, GTI):
        exprs.append(selection.expr("TIME"))
        time_gtis.append(selection)
    elif isinstance(selection, pl.Expr):
        exprs.append(selection)
    elif selection is not None and not isinstance(selection, str):
        exprs.append(events._expr(selection))
        to_sas = getattr(selection, "to_sas", None)
        text = to_sas() if callable(to_sas) else None
        if isinstance(selection, SimpleShape) and selection.name in REGION_TABLE_SHAPES:
            regions.append(selection)
    if gti is not None:
        exprs.append(gti.expr("TIME"))
        time_gtis.append(gti)
    expr = None
    for e in exprs:
        expr = e if expr is None else expr & e
    time_gti = None
    for g in time_gtis:
        time_gti = g if time_gti is None else time_gti & g
    if regions:
        columns = regions[0].columns
        entries.append(DssEntry(f"POS({columns[0]},{columns[1]})", "TABLE"))
    return ResolvedSelection(expr, text, time_gti, tuple(entries), tuple(regions))


def _conjuncts(node: Any) -> list[Any]:

    if isinstance(node, Macro) and node.body is not None:
        return _conjuncts(node.body)
    if isinstance(node, Binary) and node.op == "&&":
        return _conjuncts(node.left) + _conjuncts(node.right)
    return [node]


def _number(node: Any) -> float | int | None:

    if isinstance(node, Number):
        return node.value
    if isinstance(node, Unary) and node.op in "+-":
        value = _number(node.operand)
        return None if value is None else (-value if node.op == "-" else value)
    return None


def _column(node: Any, meta: EventMeta) -> str | None:

    if not isinstance(node, Column):
        return None
    return _real_name(node.name, meta)


def _real_name(name: str, meta: EventMeta) -> str:
    """The table's spelling of a column name (names match case-insensitively)."""
    for real in meta.columns:
        if real.upper() == name.upper():
            return real
    return name


def _describe(
    node: Any,
    meta: EventMeta,
    base_dir: str | os.PathLike[str] | None,
    time_gtis: list[GTI],
    entries: list[DssEntry],
    regions: list[SimpleShape],
) -> None:
    """Add what one top-level term means to the lists (time selection, DSS entry or region)."""

    if isinstance(node, GtiTest) and node.column.upper() == "TIME":
        block = node.file.block
        time_gtis.append(GTI.read(node.file.resolve(base_dir), block if block is not None else None))
        return
    if isinstance(node, ShapeTest):
        values = [_number(a) for a in node.args]
        if node.name.lower() not in REGION_TABLE_SHAPES or any(v is None for v in values):
            return
        columns = tuple(_real_name(c, meta) for c in node.columns or ("X", "Y"))
        numbers = [float(v) for v in values]  # type: ignore[arg-type]
        if tuple(c.upper() for c in columns) == ("RA", "DEC") and not {"RA", "DEC"} <= set(meta.columns):
            # a sky shape in degrees is recorded as the same shape in sky pixels, as products
            # (backscale, arfgen) read the region
            regions.append(celestial_shape(node.name, numbers, meta))
        else:
            regions.append(build_shape(node.name, numbers, columns))
        return
    if isinstance(node, InRanges):
        column = _column(node.operand, meta)
        items = []
        for r in node.ranges:
            low, high = (_number(r.low) if r.low else None), (_number(r.high) if r.high else None)
            if (r.low is not None and low is None) or (r.high is not None and high is None):
                return
            items.append(range_text(low, high if not r.single else low, r.low_closed, r.high_closed))
        if column is not None:
            entries.append(_entry(column, ",".join(items), meta))
        return
    if not isinstance(node, Binary):
        return
    if node.op == "==" and _number(node.right) == 0 and isinstance(node.left, Binary) and node.left.op == "&":
        column = _column(node.left.left, meta) or _column(node.left.right, meta)
        mask = _number(node.left.right) if _column(node.left.left, meta) else _number(node.left.left)
        if column is not None and isinstance(mask, int):
            entries.append(DssEntry(column, bit_pattern(mask), form="X"))
        return
    op, column, value = node.op, _column(node.left, meta), _number(node.right)
    if column is None:
        op, column, value = _FLIP.get(node.op, node.op), _column(node.right, meta), _number(node.left)
    if column is None or value is None or op == "!=" or op not in _FLIP:
        return
    text = {
        "==": range_text(value, value),
        "<": range_text(None, value, high_closed=False),
        "<=": range_text(None, value),
        ">": range_text(value, None, low_closed=False),
        ">=": range_text(value, None),
    }[op]
    entries.append(_entry(column, text, meta))


def _entry(column: str, value: str, meta: EventMeta) -> DssEntry:
    info = meta.columns.get(column)
    return DssEntry(column, value, unit=info.unit if info is not None else None)


__all__ = ["REGION_TABLE_SHAPES", "ResolvedSelection", "expand_macros", "resolve_selection"]
