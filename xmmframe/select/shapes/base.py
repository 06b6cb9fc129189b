"""What every region shape shares: columns, ``to_expr``, SAS text, geometry and boolean combination.

A shape is an immutable description (centre, sizes, rotation) plus the pair of columns it
applies to, ``("X", "Y")`` unless told otherwise.  ``shape.to_expr(meta)`` is a Polars boolean
expression, true for rows inside the shape **or on its border** (SAS selectlib convention).
Coordinates are compared in double precision.  Rotations are in degrees, counter-clockwise
from the +x axis of the column pair.

Every shape also answers the geometric questions products ask: ``bounds()`` (a box holding
every inside point, None when unbounded), ``area()`` (in the columns' units squared: exact
for the simple shapes, a fine-grid count for combinations) and ``contains(x, y)`` (the same
test as ``to_expr``, on numpy arrays).

Shapes combine like sets: ``a & b`` (both), ``a | b`` (either), ``~a`` (outside ``a``).

Examples
--------
>>> from xmmframe.select import Circle
>>> ring = Circle(26000, 26000, 600) & ~Circle(26000, 26000, 200)
>>> ring.to_sas()
'((X,Y) in circle(26000,26000,600) && !((X,Y) in circle(26000,26000,200)))'
>>> ring.bounds(), ring.contains([26000, 26400], [26000, 26000]).tolist()
((25400, 26600, 25400, 26600), [False, True])
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import ClassVar

import numpy as np
import numpy.typing as npt
import polars as pl

from xmmframe.model.meta import EventMeta
from xmmframe.select.columns import ColumnTable, integer_literal

#: ``(xmin, xmax, ymin, ymax)``.
Bounds = tuple[float, float, float, float]
#: Grid cells per axis over the bounding box when an area is counted rather than computed.
AREA_GRID = 1024


def format_number(value: float) -> str:
    """A number as SAS text: integers without a decimal point, others in shortest round-trip form."""
    number = float(value)
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return repr(number)


def rotation(degrees: float) -> tuple[float, float]:
    """``(cos, sin)`` of an angle in degrees, exact for multiples of 90 degrees."""
    quarter = degrees / 90.0
    if quarter.is_integer():
        return ((1.0, 0.0), (0.0, 1.0), (-1.0, 0.0), (0.0, -1.0))[int(quarter) % 4]
    radians = math.radians(degrees)
    return math.cos(radians), math.sin(radians)


def rotated(dx: pl.Expr, dy: pl.Expr, degrees: float) -> tuple[pl.Expr, pl.Expr]:
    """Offsets from a centre expressed along the axes of a shape rotated by ``degrees``."""
    cos, sin = rotation(degrees)
    if sin == 0.0:
        return dx * cos, dy * cos
    if cos == 0.0:
        return dy * sin, -dx * sin
    return dx * cos + dy * sin, dy * cos - dx * sin


def rotated_box_bounds(x: float, y: float, hx: float, hy: float, rot: float) -> Bounds:
    """Bounds of a box of half widths ``hx``, ``hy`` about ``(x, y)`` rotated by ``rot`` degrees."""
    c, s = math.cos(math.radians(rot)), math.sin(math.radians(rot))
    dx, dy = abs(hx * c) + abs(hy * s), abs(hx * s) + abs(hy * c)
    return x - dx, x + dx, y - dy, y + dy


def ellipse_bounds(x: float, y: float, a: float, b: float, rot: float) -> Bounds:
    """Bounds of an ellipse of semi-axes ``a``, ``b`` about ``(x, y)`` rotated by ``rot`` degrees."""
    c, s = math.cos(math.radians(rot)), math.sin(math.radians(rot))
    dx, dy = math.hypot(a * c, b * s), math.hypot(a * s, b * c)
    return x - dx, x + dx, y - dy, y + dy


def union_bounds(parts: list[Bounds | None]) -> Bounds | None:
    """The box holding every one of ``parts`` (None when one is unbounded or there are none)."""
    if not parts or any(p is None for p in parts):
        return None
    return (min(p[0] for p in parts), max(p[1] for p in parts),  # type: ignore[index]
            min(p[2] for p in parts), max(p[3] for p in parts))  # type: ignore[index]


def points_inside(expr: pl.Expr, columns: tuple[str, str], x: npt.ArrayLike, y: npt.ArrayLike) -> np.ndarray:
    """A membership expression evaluated on numpy coordinates (any shape; the result has it too)."""
    xs, ys = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    if columns[0] == columns[1]:
        raise ValueError(f"a shape on the column pair ({columns[0]},{columns[1]}) has no 2-d points")
    frame = pl.DataFrame({columns[0]: xs.ravel(), columns[1]: ys.ravel()})
    return frame.select(expr).to_series().fill_null(False).to_numpy().astype(bool).reshape(xs.shape)


def counted_area(shape: Shape, cells: int = AREA_GRID) -> float:
    """Area of a bounded shape from a count of grid-cell centres inside it (``cells`` per axis).

    The error is of the order of the perimeter times the cell size; it is used for
    combinations of shapes, whose area has no closed form here.
    """
    bounds = shape.bounds()
    if bounds is None:
        return math.inf
    xmin, xmax, ymin, ymax = bounds
    if not (xmax > xmin and ymax > ymin):
        return 0.0
    wx, wy = (xmax - xmin) / cells, (ymax - ymin) / cells
    xs = xmin + wx * (np.arange(cells) + 0.5)
    ys = ymin + wy * (np.arange(cells) + 0.5)
    gx, gy = np.meshgrid(xs, ys)
    return float(np.count_nonzero(shape.contains(gx, gy))) * wx * wy


class Shape:
    """Base class of region shapes: anything with ``to_expr(meta)`` and ``to_sas()``.

    The geometry (:meth:`bounds`, :meth:`area`, :meth:`contains`) is defined here for every
    shape from its expression; simple shapes replace :meth:`area` by the exact formula.
    """

    @property
    def column_pair(self) -> tuple[str, str]:  # pragma: no cover - abstract
        """The pair of columns the shape applies to."""
        raise NotImplementedError

    def bounds(self) -> Bounds | None:  # pragma: no cover - abstract
        """``(xmin, xmax, ymin, ymax)`` enclosing every inside point, None for unbounded shapes."""
        raise NotImplementedError

    def area(self) -> float:
        """Area of the shape in the columns' units squared (``inf`` when unbounded).

        Combinations are measured by :func:`counted_area` on a :data:`AREA_GRID`-square grid.
        """
        return counted_area(self)

    def contains(self, x: npt.ArrayLike, y: npt.ArrayLike) -> np.ndarray:
        """Whether points are inside the shape or on its border (boolean array shaped like ``x``).

        The test is the shape's own expression (:meth:`to_expr`), so it decides every point as
        a selection does.

        Examples
        --------
        >>> from xmmframe.select import Box
        >>> Box(0, 0, 2, 1).contains([0.0, 2.0, 2.5], [0.0, 1.0, 0.0]).tolist()
        [True, True, False]
        """
        return points_inside(self.to_expr(), self.column_pair, x, y)

    def to_expr(self, meta: EventMeta | None = None) -> pl.Expr:  # pragma: no cover - abstract
        """Polars expression true for rows inside the shape (border included)."""
        raise NotImplementedError

    def to_sas(self) -> str:  # pragma: no cover - abstract
        """The shape as a SAS selection expression."""
        raise NotImplementedError

    def __and__(self, other: Shape) -> Shape:
        return Intersection((self, other))

    def __or__(self, other: Shape) -> Shape:
        return Union((self, other))

    def __invert__(self) -> Shape:
        return Complement(self)


@dataclass(frozen=True)
class SimpleShape(Shape):
    """A single geometric shape on a pair of columns.

    Subclasses are dataclasses whose fields are the SAS arguments in SAS order, followed by
    ``columns``; they implement :meth:`inside` on double-precision coordinate expressions.
    """

    #: SAS function names; the first is the canonical one (``annulus``, ``ring``).
    sas_names: ClassVar[tuple[str, ...]] = ()
    #: How many leading fields are required in a SAS call (the rest have defaults).
    required: ClassVar[int] = 0

    columns: tuple[str, str] = field(default=("X", "Y"), kw_only=True)

    @property
    def name(self) -> str:
        """The canonical SAS name."""
        return self.sas_names[0]

    @property
    def column_pair(self) -> tuple[str, str]:
        return self.columns

    @property
    def arguments(self) -> tuple[float, ...]:
        """The SAS arguments, in order."""
        return tuple(getattr(self, f.name) for f in fields(self) if f.name != "columns")

    def inside(self, x: pl.Expr, y: pl.Expr) -> pl.Expr:  # pragma: no cover - abstract
        """Membership on Float64 coordinate expressions."""
        raise NotImplementedError

    def reach(self) -> float | None:
        """Largest distance of an inside point from the centre ``(x, y)``; None when not measured so."""
        return None

    def bounds(self) -> Bounds | None:
        """``(xmin, xmax, ymin, ymax)`` enclosing every inside point, None for unbounded shapes.

        By default the square of half-side :meth:`reach` about the centre.
        """
        r = self.reach()
        if r is None:
            return None
        x, y = self.x, self.y  # type: ignore[attr-defined]  # shapes with a reach have a centre
        return x - r, x + r, y - r, y + r

    def to_expr(self, meta: EventMeta | None = None, *, columns: ColumnTable | None = None) -> pl.Expr:
        """Polars expression true for rows inside the shape or on its border.

        Parameters
        ----------
        meta : EventMeta, optional
            When given, the column names are matched case-insensitively against the table
            (an unknown column raises :class:`~xmmframe.errors.UnknownColumnError`).
        columns : ColumnTable, optional
            The table's columns, when known without ``meta`` (the selection compiler's).

        Notes
        -----
        On integer columns (X/Y, DETX/DETY, RAWX/RAWY) a bounded shape is preceded by a test
        of its bounding box, widened by one unit and compared in the columns' stored dtype.
        It selects the same rows, but Polars evaluates these cheap comparisons first (inside
        the scan), so the double-precision shape test runs only on the rows near the shape.
        A row with a null X or Y gives null, inside the box or not, so that a negated shape
        does not select it.
        """
        xname, yname = self.columns
        table = columns
        if meta is not None:
            table = ColumnTable.from_meta(meta)
        if table is not None:
            xname = table.resolve(xname, f" in {self.name}()")[0]
            yname = table.resolve(yname, f" in {self.name}()")[0]
        exact = self.inside(pl.col(xname).cast(pl.Float64), pl.col(yname).cast(pl.Float64))
        box = self._bounding_box(xname, yname, table) if table is not None else None
        if box is None:
            return exact
        # a null X or Y leaves the test null (not false), also outside the box: !shape stays null
        return (box | pl.col(xname).is_null() | pl.col(yname).is_null()) & exact

    def _bounding_box(self, xname: str, yname: str, table: ColumnTable) -> pl.Expr | None:
        """Integer-column test of the widened bounding box (None when it does not apply)."""
        limits = self.bounds()
        if limits is None or not all(math.isfinite(v) for v in limits):
            return None
        xmin, xmax, ymin, ymax = limits
        tests = []
        for name, low, high in ((xname, xmin, xmax), (yname, ymin, ymax)):
            dtype = table.stored_integer(name)
            if dtype is None:
                return None
            lower = integer_literal(dtype, math.floor(low) - 1)
            upper = integer_literal(dtype, math.ceil(high) + 1)
            if lower is not None:
                tests.append(pl.col(name) >= lower)
            if upper is not None:
                tests.append(pl.col(name) <= upper)
        if not tests:
            return None
        result = tests[0]
        for test in tests[1:]:
            result = result & test
        return result

    def to_sas(self) -> str:
        args = ",".join(format_number(v) for v in self.arguments)
        return f"({self.columns[0]},{self.columns[1]}) in {self.name}({args})"

    def __str__(self) -> str:
        return self.to_sas()


def shared_columns(shapes: tuple[Shape, ...]) -> tuple[str, str]:
    """The column pair every one of ``shapes`` applies to.

    Raises
    ------
    ValueError
        When the shapes apply to different pairs (they have no common 2-d points).
    """
    pairs = {tuple(c.upper() for c in s.column_pair) for s in shapes}
    if len(pairs) != 1:
        raise ValueError(f"shapes on different column pairs have no common points: {sorted(pairs)}")
    return shapes[0].column_pair


@dataclass(frozen=True)
class Intersection(Shape):
    """Rows inside every one of ``shapes``."""

    shapes: tuple[Shape, ...]

    @property
    def column_pair(self) -> tuple[str, str]:
        return shared_columns(self.shapes)

    def bounds(self) -> Bounds | None:
        """The overlap of the bounded members' boxes (None when no member is bounded)."""
        parts = [p for p in (s.bounds() for s in self.shapes) if p is not None]
        if not parts:
            return None
        return (max(p[0] for p in parts), min(p[1] for p in parts), max(p[2] for p in parts),
                min(p[3] for p in parts))

    def to_expr(self, meta: EventMeta | None = None) -> pl.Expr:
        return pl.all_horizontal([s.to_expr(meta) for s in self.shapes])

    def to_sas(self) -> str:
        return "(" + " && ".join(s.to_sas() for s in self.shapes) + ")"


@dataclass(frozen=True)
class Union(Shape):
    """Rows inside at least one of ``shapes``."""

    shapes: tuple[Shape, ...]

    @property
    def column_pair(self) -> tuple[str, str]:
        return shared_columns(self.shapes)

    def bounds(self) -> Bounds | None:
        return union_bounds([s.bounds() for s in self.shapes])

    def to_expr(self, meta: EventMeta | None = None) -> pl.Expr:
        return pl.any_horizontal([s.to_expr(meta) for s in self.shapes])

    def to_sas(self) -> str:
        return "(" + " || ".join(s.to_sas() for s in self.shapes) + ")"


@dataclass(frozen=True)
class Complement(Shape):
    """Rows outside ``shape`` (its border belongs to ``shape``, so it is excluded here)."""

    shape: Shape

    @property
    def column_pair(self) -> tuple[str, str]:
        return self.shape.column_pair

    def bounds(self) -> None:
        """None: the outside of a shape is unbounded."""
        return None

    def area(self) -> float:
        return math.inf

    def to_expr(self, meta: EventMeta | None = None) -> pl.Expr:
        return ~self.shape.to_expr(meta)

    def to_sas(self) -> str:
        return f"!({self.shape.to_sas()})"
