"""Many shapes tested in one pass: "inside any of these circles, ellipses, boxes, annuli".

A source-excision selection lists every detected source, ``!((X,Y) in circle(...)) && ...``
hundreds or thousands of times, and a region file can hold as many shapes.  As one Polars
expression per shape, the cost is (shapes x events) full-column operations: a thousand circles
over 3e6 events take minutes.  Here the shapes go into a uniform grid over their bounding
boxes, and a numba kernel tests each event only against the shapes whose box covers its grid
cell: the same thousand circles take well under a second.

The inside tests are the shapes' own (:meth:`SimpleShape.inside`), written again in the kernel
with the same double-precision operations in the same order, so every event is decided exactly
as by the per-shape expressions; borders are inside.  A row whose X or Y is null gives null,
as the per-shape expressions do.  Shapes the kernel does not know (pie, polygon, rhombus,
elliptical annulus, point, line, rotated rectangle) are left to their own expressions by the
callers: :func:`any_inside` returns None for a list holding one of them.

Examples
--------
>>> import polars as pl
>>> from xmmframe.select.shapes import Circle
>>> from xmmframe.select.shapes.shape_set import any_inside
>>> shapes = [Circle(10.0 * k, 0.0, 2.0) for k in range(20)]
>>> frame = pl.DataFrame({"X": [0.0, 5.0, 41.0], "Y": [1.0, 0.0, 1.5]})
>>> frame.select(any_inside(shapes, ("X", "Y"))).to_series().to_list()
[True, False, True]
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numba
import numpy as np
import polars as pl
import pyarrow as pa

from xmmframe.select.shapes.base import SimpleShape, rotation
from xmmframe.select.shapes.circular import Annulus, Circle
from xmmframe.select.shapes.elliptical import Ellipse
from xmmframe.select.shapes.rectangular import Box, Rectangle

#: Fewest shapes of one chain or region for which the grid kernel replaces the per-shape expressions.
MIN_SHAPES = 8

_CIRCLE, _ANNULUS, _ELLIPSE, _FLAT_ELLIPSE, _BOX, _CORNERS = range(6)
#: A shape whose box spans more grid cells than this is tested for every event instead.
_MAX_CELLS_PER_SHAPE = 256
#: Most cells in a grid.
_MAX_CELLS = 1 << 22


def _row(shape: SimpleShape) -> tuple[int, list[float]] | None:
    """Kernel code and parameters ``[xc, yc, p0, p1, p2, cos, sin]`` of a shape (None: unknown)."""
    if type(shape) is Circle:
        return _CIRCLE, [shape.x, shape.y, shape.r * shape.r, 0.0, 0.0, 1.0, 0.0]
    if type(shape) is Annulus:
        return _ANNULUS, [shape.x, shape.y, shape.r1 * shape.r1, shape.r2 * shape.r2, 0.0, 1.0, 0.0]
    if type(shape) is Ellipse:
        cos, sin = rotation(shape.rot)
        aa, bb = shape.a * shape.a, shape.b * shape.b
        code = _FLAT_ELLIPSE if shape.a == 0.0 or shape.b == 0.0 else _ELLIPSE
        return code, [shape.x, shape.y, aa, bb, aa * bb, cos, sin]
    if type(shape) is Box:
        cos, sin = rotation(shape.rot)
        return _BOX, [shape.x, shape.y, shape.xhalf, shape.yhalf, 0.0, cos, sin]
    if type(shape) is Rectangle and shape.rot % 360 == 0:
        xlo, xhi = sorted((shape.x1, shape.x2))
        ylo, yhi = sorted((shape.y1, shape.y2))
        return _CORNERS, [xlo, ylo, xhi, yhi, 0.0, 1.0, 0.0]
    return None


def supported(shape: object) -> bool:
    """Whether the grid kernel tests ``shape`` (exactly as its own expression does)."""
    return isinstance(shape, SimpleShape) and _row(shape) is not None


@numba.njit(cache=True, inline="always")
def _rotated(dx: float, dy: float, cos: float, sin: float) -> tuple[float, float]:
    if sin == 0.0:
        return dx * cos, dy * cos
    if cos == 0.0:
        return dy * sin, -dx * sin
    return dx * cos + dy * sin, dy * cos - dx * sin


@numba.njit(cache=True, inline="always")
def _inside(code: int, p: np.ndarray, x: float, y: float) -> bool:
    if code == _CORNERS:
        return x >= p[0] and x <= p[2] and y >= p[1] and y <= p[3]
    dx = x - p[0]
    dy = y - p[1]
    if code == _CIRCLE:
        return dx * dx + dy * dy <= p[2]
    if code == _ANNULUS:
        d2 = dx * dx + dy * dy
        return d2 >= p[2] and d2 <= p[3]
    u, v = _rotated(dx, dy, p[5], p[6])
    if code == _ELLIPSE:
        return u * u * p[3] + v * v * p[2] <= p[4]
    if code == _FLAT_ELLIPSE:
        return u * u <= p[2] and v * v <= p[3]
    return abs(u) <= p[2] and abs(v) <= p[3]  # box


@numba.njit(cache=True)
def _any_inside(xs: np.ndarray, ys: np.ndarray, codes: np.ndarray, params: np.ndarray, always: np.ndarray,
                x0: float, y0: float, cell: float, nx: int, ny: int, starts: np.ndarray,
                members: np.ndarray) -> np.ndarray:
    out = np.zeros(xs.size, dtype=np.bool_)
    for i in range(xs.size):
        x, y = xs[i], ys[i]
        hit = False
        for j in always:
            if _inside(codes[j], params[j], x, y):
                hit = True
                break
        if not hit:
            fx = (x - x0) / cell
            fy = (y - y0) / cell
            if fx >= 0.0 and fx < nx and fy >= 0.0 and fy < ny:  # false for NaN
                c = int(fy) * nx + int(fx)
                for k in range(starts[c], starts[c + 1]):
                    j = members[k]
                    if _inside(codes[j], params[j], x, y):
                        hit = True
                        break
        out[i] = hit
    return out


class ShapeGrid:
    """Shapes sorted into a uniform grid of cells over their bounding boxes.

    Parameters
    ----------
    shapes : sequence of SimpleShape
        Shapes the kernel supports (see :func:`supported`).

    Examples
    --------
    >>> import numpy as np
    >>> grid = ShapeGrid([Circle(0.0, 0.0, 1.0), Circle(5.0, 0.0, 1.0)])
    >>> grid.inside(np.array([0.5, 3.0]), np.array([0.0, 0.0])).tolist()
    [True, False]
    """

    def __init__(self, shapes: Sequence[SimpleShape]) -> None:
        rows = [_row(s) for s in shapes]
        if any(r is None for r in rows):
            raise ValueError("a shape the grid kernel does not support")
        self.codes = np.array([r[0] for r in rows], dtype=np.int64)
        self.params = np.array([r[1] for r in rows], dtype=np.float64).reshape(len(rows), 7)
        bounds = [s.bounds() for s in shapes]
        finite = [b is not None and all(math.isfinite(v) for v in b) for b in bounds]
        boxed = [k for k, ok in enumerate(finite) if ok]
        always = [k for k, ok in enumerate(finite) if not ok]
        self.x0 = self.y0 = 0.0
        self.cell, self.nx, self.ny = 1.0, 1, 1
        cells: list[list[int]] = [[]]
        if boxed:
            box = np.array([bounds[k] for k in boxed], dtype=np.float64)
            x0, x1 = float(box[:, 0].min()), float(box[:, 1].max())
            y0, y1 = float(box[:, 2].min()), float(box[:, 3].max())
            width, height = max(x1 - x0, 1e-9), max(y1 - y0, 1e-9)
            # cells the size of a typical shape: each shape covers a few cells, each cell few shapes
            extent = float(np.median(np.maximum(box[:, 1] - box[:, 0], box[:, 3] - box[:, 2])))
            cell = max(extent, math.sqrt(width * height / _MAX_CELLS), width / 4096, height / 4096, 1e-9)
            # one cell of margin on every side: no rounding can put an inside point outside the grid
            self.x0, self.y0, self.cell = x0 - cell, y0 - cell, cell
            self.nx = int(math.ceil(width / cell)) + 3
            self.ny = int(math.ceil(height / cell)) + 3
            cells = [[] for _ in range(self.nx * self.ny)]
            for k, (xmin, xmax, ymin, ymax) in zip(boxed, box.tolist(), strict=True):
                ix0, ix1 = self._index(xmin - cell, self.x0, self.nx), self._index(xmax + cell, self.x0, self.nx)
                iy0, iy1 = self._index(ymin - cell, self.y0, self.ny), self._index(ymax + cell, self.y0, self.ny)
                if (ix1 - ix0 + 1) * (iy1 - iy0 + 1) > _MAX_CELLS_PER_SHAPE:
                    always.append(k)
                    continue
                for iy in range(iy0, iy1 + 1):
                    for ix in range(ix0, ix1 + 1):
                        cells[iy * self.nx + ix].append(k)
        counts = np.array([len(c) for c in cells], dtype=np.int64)
        self.starts = np.zeros(counts.size + 1, dtype=np.int64)
        np.cumsum(counts, out=self.starts[1:])
        self.members = np.array([k for c in cells for k in c], dtype=np.int64)
        self.always = np.array(sorted(always), dtype=np.int64)

    def _index(self, value: float, origin: float, size: int) -> int:
        """Grid index of a coordinate, clipped to the grid."""
        return min(max(int(math.floor((value - origin) / self.cell)), 0), size - 1)

    def inside(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Boolean array: each point inside (or on the border of) at least one shape."""
        return _any_inside(np.ascontiguousarray(x, dtype=np.float64), np.ascontiguousarray(y, dtype=np.float64),
                           self.codes, self.params, self.always, self.x0, self.y0, self.cell, self.nx, self.ny,
                           self.starts, self.members)

    def __call__(self, points: pl.Series) -> pl.Series:
        """The test on a struct Series of (x, y) floats; null where either is null."""
        x, y = points.struct.field("x"), points.struct.field("y")
        null = (x.is_null() | y.is_null()).to_numpy()
        inside = self.inside(x.fill_null(0.0).to_numpy(), y.fill_null(0.0).to_numpy())
        return pl.from_arrow(pa.array(inside, mask=null if null.any() else None))


def any_inside(shapes: Sequence[SimpleShape], columns: tuple[str, str]) -> pl.Expr | None:
    """Polars expression true for rows inside at least one of ``shapes`` (None: a shape is unsupported).

    ``columns`` are the real names of the two position columns the shapes apply to.

    Examples
    --------
    >>> from xmmframe.select.shapes import Circle
    >>> expr = any_inside([Circle(0.0, 0.0, 1.0)] * 8, ("X", "Y"))
    """
    if not shapes or not all(supported(s) for s in shapes):
        return None
    grid = ShapeGrid(shapes)
    points = pl.struct(pl.col(columns[0]).cast(pl.Float64).alias("x"), pl.col(columns[1]).cast(pl.Float64).alias("y"))
    return points.map_batches(grid, return_dtype=pl.Boolean, is_elementwise=True)


__all__ = ["MIN_SHAPES", "ShapeGrid", "any_inside", "supported"]
