"""Boxes: box (centre and HALF widths), rectangle (corners) and rhombus (diamond).

Examples
--------
>>> from xmmframe.select import Box, Rectangle
>>> Box(-2196, -1110, 16060, 15620, 0, columns=("DETX", "DETY")).to_sas()
'(DETX,DETY) in box(-2196,-1110,16060,15620,0)'
>>> Rectangle(0, 0, 10, 4).to_sas()
'(X,Y) in rectangle(0,0,10,4,0)'
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import polars as pl

from xmmframe.select.shapes.base import Bounds, SimpleShape, rotated, rotated_box_bounds


@dataclass(frozen=True)
class Box(SimpleShape):
    """``box(xc, yc, xhalf, yhalf[, rot])``: ``|u| <= xhalf`` and ``|v| <= yhalf``.

    SAS box sizes are HALF widths (ds9, funtools and astropy-regions use full widths).
    ``(u, v)`` are the offsets from the centre along the axes rotated by ``rot`` degrees
    counter-clockwise.

    Examples
    --------
    >>> from xmmframe.select import Box
    >>> Box(26000, 26000, 100, 50, 30).xhalf
    100
    """

    sas_names = ("box",)
    required = 4

    x: float
    y: float
    xhalf: float
    yhalf: float
    rot: float = 0.0

    def reach(self) -> float:
        return math.hypot(self.xhalf, self.yhalf)

    def bounds(self) -> Bounds:
        return rotated_box_bounds(self.x, self.y, self.xhalf, self.yhalf, self.rot)

    def area(self) -> float:
        """``4 xhalf yhalf``."""
        return 4.0 * abs(self.xhalf) * abs(self.yhalf)

    def inside(self, x: pl.Expr, y: pl.Expr) -> pl.Expr:
        u, v = rotated(x - self.x, y - self.y, self.rot)
        return (u.abs() <= self.xhalf) & (v.abs() <= self.yhalf)


@dataclass(frozen=True)
class Rectangle(SimpleShape):
    """``rectangle(x1, y1, x2, y2[, rot])``: the box with corners ``(x1, y1)`` and ``(x2, y2)``.

    A rotation turns the rectangle about its centre (a GAP in the SAS documentation; this is
    the ds9/funtools convention).

    Examples
    --------
    >>> from xmmframe.select import Rectangle
    >>> Rectangle(10, 20, 30, 60).as_box().to_sas()
    '(X,Y) in box(20,40,10,20,0)'
    """

    sas_names = ("rectangle",)
    required = 4

    x1: float
    y1: float
    x2: float
    y2: float
    rot: float = 0.0

    def as_box(self) -> Box:
        """The same region as a :class:`Box`."""
        return Box(
            (self.x1 + self.x2) / 2,
            (self.y1 + self.y2) / 2,
            abs(self.x2 - self.x1) / 2,
            abs(self.y2 - self.y1) / 2,
            self.rot,
            columns=self.columns,
        )

    def bounds(self) -> Bounds:
        return self.as_box().bounds()

    def area(self) -> float:
        """``|x2 - x1| |y2 - y1|``."""
        return abs(self.x2 - self.x1) * abs(self.y2 - self.y1)

    def inside(self, x: pl.Expr, y: pl.Expr) -> pl.Expr:
        if self.rot % 360 == 0:  # exact corner comparisons
            xlo, xhi = sorted((self.x1, self.x2))
            ylo, yhi = sorted((self.y1, self.y2))
            return (x >= xlo) & (x <= xhi) & (y >= ylo) & (y <= yhi)
        return self.as_box().inside(x, y)


@dataclass(frozen=True)
class Rhombus(SimpleShape):
    """``rhombus(xc, yc, xhalf, yhalf[, rot])`` (alias ``diamond``): ``|u|/xhalf + |v|/yhalf <= 1``.

    Examples
    --------
    >>> from xmmframe.select.shapes import Rhombus
    >>> Rhombus(0, 0, 10, 5).to_sas()
    '(X,Y) in rhombus(0,0,10,5,0)'
    """

    sas_names = ("rhombus", "diamond")
    required = 4

    x: float
    y: float
    xhalf: float
    yhalf: float
    rot: float = 0.0

    def reach(self) -> float:
        return math.hypot(self.xhalf, self.yhalf)

    def bounds(self) -> Bounds:
        """The box through the four corners ``(+-xhalf, 0)``, ``(0, +-yhalf)`` once rotated."""
        c, s = math.cos(math.radians(self.rot)), math.sin(math.radians(self.rot))
        dx, dy = max(abs(self.xhalf * c), abs(self.yhalf * s)), max(abs(self.xhalf * s), abs(self.yhalf * c))
        return self.x - dx, self.x + dx, self.y - dy, self.y + dy

    def area(self) -> float:
        """``2 xhalf yhalf``."""
        return 2.0 * abs(self.xhalf) * abs(self.yhalf)

    def inside(self, x: pl.Expr, y: pl.Expr) -> pl.Expr:
        u, v = rotated(x - self.x, y - self.y, self.rot)
        return u.abs() * self.yhalf + v.abs() * self.xhalf <= self.xhalf * self.yhalf
