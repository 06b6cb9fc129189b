"""Shapes measured from a centre: circle, annulus, pie (sector) and point.

Examples
--------
>>> from xmmframe.select import Circle, Annulus, Pie
>>> Circle(24635.6, 24158.8, 200).to_sas()
'(X,Y) in circle(24635.6,24158.8,200)'
>>> Annulus(531, 1675, 300, 3000, columns=("DETX", "DETY")).to_sas()
'(DETX,DETY) in annulus(531,1675,300,3000)'
>>> Pie(0, 0, 315, 45).to_sas()
'(X,Y) in pie(0,0,315,45)'
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import polars as pl

from xmmframe.select.shapes.base import SimpleShape


@dataclass(frozen=True)
class Circle(SimpleShape):
    """``circle(xc, yc, r)``: ``(x-xc)^2 + (y-yc)^2 <= r^2``.

    Examples
    --------
    >>> from xmmframe.select import Circle
    >>> events.filter(Circle(24635.6, 24158.8, 200)).count()    # doctest: +SKIP
    2456
    """

    sas_names = ("circle",)
    required = 3

    x: float
    y: float
    r: float

    def reach(self) -> float:
        return abs(self.r)

    def area(self) -> float:
        """``pi r^2``."""
        return math.pi * self.r ** 2

    def inside(self, x: pl.Expr, y: pl.Expr) -> pl.Expr:
        return (x - self.x) ** 2 + (y - self.y) ** 2 <= self.r * self.r


@dataclass(frozen=True)
class Annulus(SimpleShape):
    """``annulus(xc, yc, r1, r2)`` (alias ``ring``): ``r1 <= distance <= r2``, both borders inside.

    Examples
    --------
    >>> from xmmframe.select import Annulus
    >>> Annulus(26000, 26000, 300, 3000).r2
    3000
    """

    sas_names = ("annulus", "ring")
    required = 4

    x: float
    y: float
    r1: float
    r2: float

    def reach(self) -> float:
        return max(abs(self.r1), abs(self.r2))

    def area(self) -> float:
        """``pi (r2^2 - r1^2)`` (0 when the inner radius is the larger: nothing is inside)."""
        return math.pi * (self.r2 ** 2 - self.r1 ** 2) if abs(self.r2) >= abs(self.r1) else 0.0

    def inside(self, x: pl.Expr, y: pl.Expr) -> pl.Expr:
        d2 = (x - self.x) ** 2 + (y - self.y) ** 2
        return (d2 >= self.r1 * self.r1) & (d2 <= self.r2 * self.r2)


@dataclass(frozen=True)
class Pie(SimpleShape):
    """``pie(xc, yc, a1, a2)`` (alias ``sector``): the wedge from angle ``a1`` to ``a2``.

    Angles are in degrees, counter-clockwise from the +x axis; the wedge runs
    counter-clockwise from ``a1`` to ``a2`` (``pie(0,0,315,45)`` is the 90-degree wedge
    around +x).  Both bounding rays and the centre are inside; ``a2 - a1`` a non-zero
    multiple of 360 is the whole plane.  The wedge has no radius limit.

    Examples
    --------
    >>> from xmmframe.select import Pie
    >>> Pie(25920, 25920, 0, 90).a2
    90
    """

    sas_names = ("pie", "sector")
    required = 4

    x: float
    y: float
    a1: float
    a2: float

    def area(self) -> float:
        """``inf`` (a wedge has no radius limit), 0 for a single ray (``a1 == a2``)."""
        return 0.0 if self.a1 == self.a2 else math.inf

    def inside(self, x: pl.Expr, y: pl.Expr) -> pl.Expr:
        span = (self.a2 - self.a1) % 360.0
        if span == 0.0 and self.a2 != self.a1:
            return pl.lit(True)
        dx, dy = x - self.x, y - self.y
        angle = pl.arctan2(dy, dx).degrees()
        relative = (angle - self.a1) % 360.0
        return (relative <= span) | ((dx == 0.0) & (dy == 0.0))


@dataclass(frozen=True)
class Point(SimpleShape):
    """``point(x, y)``: rows whose coordinates equal the point exactly.

    Examples
    --------
    >>> from xmmframe.select import Point
    >>> Point(354, 383, columns=("RAWX", "RAWY")).to_sas()
    '(RAWX,RAWY) in point(354,383)'
    """

    sas_names = ("point",)
    required = 2

    x: float
    y: float

    def reach(self) -> float:
        return 0.0

    def area(self) -> float:
        """0."""
        return 0.0

    def inside(self, x: pl.Expr, y: pl.Expr) -> pl.Expr:
        return (x == self.x) & (y == self.y)
