"""Shapes made of straight segments: polygon and line.

Examples
--------
>>> from xmmframe.select import Polygon, Line
>>> Polygon([(0, 0), (10, 0), (0, 10)]).to_sas()
'(X,Y) in polygon(0,0,10,0,0,10)'
>>> Line(0, 0, 10, 10).to_sas()
'(X,Y) in line(0,0,10,10)'
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from xmmframe.select.shapes.base import Bounds, SimpleShape, format_number


@dataclass(frozen=True)
class Polygon(SimpleShape):
    """``polygon(x1, y1, x2, y2, x3, y3, ...)`` (alias ``polygon2``): inside or on an edge.

    Membership is the even-odd (crossing number) rule, built as one Polars expression with a
    term per edge; points on an edge or vertex count as inside (SAS ``polygon2`` behaviour,
    which this implementation gives for both spellings).  A closing vertex equal to the
    first may be given or left out.

    Parameters
    ----------
    vertices : sequence of (x, y)
        At least three vertices.

    Examples
    --------
    >>> from xmmframe.select import Polygon
    >>> Polygon([(0, 0), (4, 0), (4, 3)], columns=("DETX", "DETY")).vertices[2]
    (4.0, 3.0)
    """

    sas_names = ("polygon", "polygon2")
    required = 6

    vertices: tuple[tuple[float, float], ...]

    def __post_init__(self) -> None:
        points = tuple((float(x), float(y)) for x, y in self.vertices)
        if len(points) > 3 and points[0] == points[-1]:
            points = points[:-1]
        if len(points) < 3:
            raise ValueError(f"a polygon needs at least 3 vertices, got {len(points)}")
        object.__setattr__(self, "vertices", points)

    @classmethod
    def from_flat(cls, values: Sequence[float], columns: tuple[str, str] = ("X", "Y")) -> Polygon:
        """From SAS-style ``x1, y1, x2, y2, ...``."""
        return cls(tuple(zip(values[0::2], values[1::2])), columns=columns)

    @property
    def arguments(self) -> tuple[float, ...]:
        return tuple(v for vertex in self.vertices for v in vertex)

    def bounds(self) -> Bounds:
        xs, ys = [v[0] for v in self.vertices], [v[1] for v in self.vertices]
        return min(xs), max(xs), min(ys), max(ys)

    def area(self) -> float:
        """The shoelace formula: the area of a simple (not self-crossing) polygon.

        A self-crossing polygon's even-odd inside is smaller than this: measure it with
        :func:`~xmmframe.select.shapes.base.counted_area`.
        """
        n = len(self.vertices)
        twice = sum(self.vertices[i][0] * self.vertices[(i + 1) % n][1]
                    - self.vertices[(i + 1) % n][0] * self.vertices[i][1] for i in range(n))
        return abs(twice) / 2.0

    def inside(self, x: pl.Expr, y: pl.Expr) -> pl.Expr:
        crossings: pl.Expr | None = None
        on_edge: list[pl.Expr] = []
        n = len(self.vertices)
        for i in range(n):
            (xi, yi), (xj, yj) = self.vertices[i], self.vertices[(i + 1) % n]
            if yi != yj:  # horizontal edges never cross a horizontal ray
                crosses = ((y < yi) != (y < yj)) & (x < (y - yi) * ((xj - xi) / (yj - yi)) + xi)
                crossings = crosses if crossings is None else crossings ^ crosses
            cross = (x - xi) * (yj - yi) - (y - yi) * (xj - xi)
            on_edge.append(
                (cross == 0.0)
                & (x >= min(xi, xj))
                & (x <= max(xi, xj))
                & (y >= min(yi, yj))
                & (y <= max(yi, yj))
            )
        edges = pl.any_horizontal(on_edge)
        return edges if crossings is None else crossings | edges

    def to_sas(self) -> str:
        args = ",".join(format_number(v) for v in self.arguments)
        return f"({self.columns[0]},{self.columns[1]}) in {self.name}({args})"


@dataclass(frozen=True)
class Line(SimpleShape):
    """``line(x1, y1, x2, y2)``: rows within 0.5 (coordinate units) of the segment.

    Examples
    --------
    >>> from xmmframe.select import Line
    >>> Line(0, 0, 10, 0).tolerance
    0.5
    """

    sas_names = ("line",)
    required = 4
    tolerance = 0.5

    x1: float
    y1: float
    x2: float
    y2: float

    def bounds(self) -> Bounds:
        """The segment's box widened by the tolerance."""
        t = self.tolerance
        return min(self.x1, self.x2) - t, max(self.x1, self.x2) + t, min(self.y1, self.y2) - t, max(self.y1, self.y2) + t

    def area(self) -> float:
        """A stadium: ``2 t L + pi t^2`` for a segment of length ``L`` and tolerance ``t``."""
        t = self.tolerance
        return 2.0 * t * math.hypot(self.x2 - self.x1, self.y2 - self.y1) + math.pi * t * t

    def inside(self, x: pl.Expr, y: pl.Expr) -> pl.Expr:
        dx, dy = self.x2 - self.x1, self.y2 - self.y1
        length2 = dx * dx + dy * dy
        if length2 == 0.0:
            t: pl.Expr | float = 0.0
        else:
            t = (((x - self.x1) * dx + (y - self.y1) * dy) / length2).clip(0.0, 1.0)
        ex = x - (t * dx + self.x1) if isinstance(t, pl.Expr) else x - self.x1
        ey = y - (t * dy + self.y1) if isinstance(t, pl.Expr) else y - self.y1
        return ex * ex + ey * ey <= self.tolerance * self.tolerance
