"""Ellipses: ellipse and elliptical annulus.  SAS gives HALF axes (semi-axes), not full widths.

Examples
--------
>>> from xmmframe.select import Ellipse, EllipticAnnulus
>>> Ellipse(100, 200, 30, 10, 45).to_sas()
'(X,Y) in ellipse(100,200,30,10,45)'
>>> EllipticAnnulus(0, 0, 10, 5, 20, 10, 30).to_sas()
'(X,Y) in elliptannulus(0,0,10,5,20,10,30,30)'
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import polars as pl

from xmmframe.select.shapes.base import Bounds, SimpleShape, counted_area, ellipse_bounds, rotated


def _ellipse_level(x: pl.Expr, y: pl.Expr, xc: float, yc: float, a: float, b: float, rot: float) -> pl.Expr:
    """``(u/a)^2 + (v/b)^2`` scaled by ``a^2 b^2``: <= ``a^2 b^2`` inside, with u, v along the axes."""
    u, v = rotated(x - xc, y - yc, rot)
    return u * u * (b * b) + v * v * (a * a)


def _within_ellipse(x: pl.Expr, y: pl.Expr, xc: float, yc: float, a: float, b: float, rot: float) -> pl.Expr:
    """Inside or on the border of an ellipse; one zero semi-axis leaves the segment along the
    other axis, two leave the centre (the scaled level alone would accept a whole line or plane)."""
    if a == 0.0 or b == 0.0:
        u, v = rotated(x - xc, y - yc, rot)
        return (u * u <= a * a) & (v * v <= b * b)
    return _ellipse_level(x, y, xc, yc, a, b, rot) <= (a * a) * (b * b)


@dataclass(frozen=True)
class Ellipse(SimpleShape):
    """``ellipse(xc, yc, a, b[, rot])``: semi-axis ``a`` along the x axis rotated by ``rot`` degrees.

    Inside or on the border: ``(u/a)^2 + (v/b)^2 <= 1`` where ``(u, v)`` are the offsets from
    the centre along the rotated axes.  ds9 and astropy-regions give ellipse *full* widths
    (``width = 2a``); region-file readers convert.

    Examples
    --------
    >>> from xmmframe.select import Ellipse
    >>> Ellipse(26000, 26000, 300, 100, 30).a
    300
    """

    sas_names = ("ellipse",)
    required = 4

    x: float
    y: float
    a: float
    b: float
    rot: float = 0.0

    def reach(self) -> float:
        return max(abs(self.a), abs(self.b))

    def bounds(self) -> Bounds:
        return ellipse_bounds(self.x, self.y, self.a, self.b, self.rot)

    def area(self) -> float:
        """``pi a b``."""
        return math.pi * abs(self.a) * abs(self.b)

    def inside(self, x: pl.Expr, y: pl.Expr) -> pl.Expr:
        return _within_ellipse(x, y, self.x, self.y, self.a, self.b, self.rot)


@dataclass(frozen=True)
class EllipticAnnulus(SimpleShape):
    """``elliptannulus(xc, yc, a1, b1, a2, b2[, rot1[, rot2]])`` (alias ``elliptring``).

    The region between an inner ellipse (semi-axes ``a1``, ``b1``, rotation ``rot1``) and an
    outer one (``a2``, ``b2``, ``rot2``, default ``rot1``); both borders are inside.  The SAS
    documentation does not spell out the argument order (GAP); this order is the one of the
    FITS region standard's ELLIPTANNULUS (R = inner then outer semi-axes, ROTANG = inner,
    outer) and of ds9's ``ellipse x y r1 r2 r3 r4 angle``.

    Examples
    --------
    >>> from xmmframe.select import EllipticAnnulus
    >>> EllipticAnnulus(0, 0, 10, 5, 20, 10, 30).rot2
    30
    """

    sas_names = ("elliptannulus", "elliptring")
    required = 6

    x: float
    y: float
    a1: float
    b1: float
    a2: float
    b2: float
    rot1: float = 0.0
    rot2: float | None = None

    def __post_init__(self) -> None:
        if self.rot2 is None:
            object.__setattr__(self, "rot2", self.rot1)

    def reach(self) -> float:
        return max(abs(self.a1), abs(self.b1), abs(self.a2), abs(self.b2))

    def bounds(self) -> Bounds:
        """The outer ellipse's bounds."""
        return ellipse_bounds(self.x, self.y, self.a2, self.b2, float(self.rot2 or 0.0))

    def area(self) -> float:
        """``pi (a2 b2 - a1 b1)`` when the inner ellipse lies within the outer one (same
        rotation, smaller semi-axes); otherwise counted on a grid (:func:`counted_area`)."""
        a1, b1, a2, b2 = abs(self.a1), abs(self.b1), abs(self.a2), abs(self.b2)
        aligned = (float(self.rot2 or 0.0) - self.rot1) % 180.0 == 0.0
        if aligned and a1 <= a2 and b1 <= b2:
            return math.pi * (a2 * b2 - a1 * b1)
        return counted_area(self)

    def inside(self, x: pl.Expr, y: pl.Expr) -> pl.Expr:
        inner = _ellipse_level(x, y, self.x, self.y, self.a1, self.b1, self.rot1)
        outer = _within_ellipse(x, y, self.x, self.y, self.a2, self.b2, float(self.rot2 or 0.0))
        return (inner >= (self.a1 * self.a1) * (self.b1 * self.b1)) & outer
