"""Regions: include and exclude shapes, read from FITS region tables or ds9 files.

A :class:`Region` selects the rows inside **any** include shape and inside **no** exclude
shape: (union of includes) minus (union of excludes), as ds9 and funtools define it; with
only exclusions it is the whole plane minus the exclusions.

Files (what ``region(file)`` in a selection reads):

* **FITS region tables** (SAS/OGIP): each row is a shape, ``!SHAPE`` an exclusion.  When the
  table has a ``COMPONENT`` column, the shapes of one component intersect (evselect writes
  ``circle && !circle`` as two rows of one component) and components add up; a component of
  exclusions only is the plane minus them.  ``R`` holds radii and ellipse semi-axes, but box
  and diamond sizes are FULL widths (ASC/OGIP convention, as astropy-regions reads them; SAS
  documents no convention, GAP) and are halved into SAS box half widths.  The numbers apply
  to the columns named in the call, ``region(file:REGION,X,Y)``, *whatever the table's own
  position columns are*: this is what SAS does (``M1_sourceless.fits`` in the reference data
  was made by applying the DETX/DETY circles of an FBKTSR ``REGION`` table to X/Y, which
  removes nothing), and a :class:`~xmmframe.errors.SelectionWarning` says so.  Without
  columns in the call, the table's own position columns are used.
* **ds9 files**, parsed with astropy ``regions``: ``physical`` coordinates (the ds9 default)
  are the X/Y column values; sky coordinates (``fk5``, ``icrs``, ``galactic``...) are
  converted to X/Y through the event list's sky WCS when the selection is compiled.  ds9
  box and ellipse sizes are full widths; they become SAS half widths.  ``image`` coordinates
  belong to a particular binned image and are refused.

Examples
--------
>>> from xmmframe.select import Circle, Region
>>> background = Region(include=(Circle(23290.1, 27609.7, 200),), exclude=(Circle(23300, 27600, 20),))
>>> background.to_sas()
'((X,Y) in circle(23290.1,27609.7,200)) && !((X,Y) in circle(23300,27600,20))'
>>> Region.read("sources.reg")                                      # doctest: +SKIP
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from xmmframe.errors import RegionFileError, SelectionWarning, UnsupportedSelectionError
from xmmframe.io.regions import (
    RegionRow,
    RegionTable,
    ds9_text,
    is_fits,
    parse_ds9,
    read_ds9,
    read_region_table,
    region_rows_frame,
    region_table_from_frame,
)
from xmmframe.model.meta import EventMeta
from xmmframe.select.columns import ColumnTable
from xmmframe.select.shapes.base import (
    Bounds,
    Complement,
    Intersection,
    Shape,
    SimpleShape,
    Union,
    counted_area,
    points_inside,
    union_bounds,
)
from xmmframe.select.shapes.circular import Annulus, Circle, Pie, Point
from xmmframe.select.shapes.elliptical import Ellipse, EllipticAnnulus
from xmmframe.select.shapes.polygonal import Line, Polygon
from xmmframe.select.shapes.rectangular import Box, Rectangle, Rhombus
from xmmframe.select.shapes.shape_set import MIN_SHAPES, any_inside, supported


@dataclass(frozen=True)
class Region:
    """Include and exclude shapes: rows inside any include and inside no exclude shape.

    Parameters
    ----------
    include : tuple of Shape
        Shapes whose union is selected (empty: the whole plane).
    exclude : tuple of Shape
        Shapes whose union is removed.
    source : str
        Where the region came from (a file name), for messages.

    Examples
    --------
    >>> from xmmframe.select import Box, Region
    >>> fov = Region(include=(Box(-2196, -1110, 16060, 15620, columns=("DETX", "DETY")),))
    >>> events.filter(fov).count()                                   # doctest: +SKIP
    """

    include: tuple[Shape, ...] = ()
    exclude: tuple[Shape, ...] = ()
    source: str = ""

    def to_expr(self, meta: EventMeta | None = None) -> pl.Expr:
        """Polars expression true for rows in the region (shape borders count as inside).

        ``meta`` matches column names case-insensitively and provides the sky WCS that
        sky-coordinate shapes need.
        """
        inside = _any_shape(self.include, meta) if self.include else pl.lit(True)
        if self.exclude:
            inside = inside & ~_any_shape(self.exclude, meta)
        return inside

    def to_sas(self) -> str:
        """The region as a SAS selection expression."""
        parts = []
        if self.include:
            parts.append("(" + " || ".join(s.to_sas() for s in self.include) + ")")
        parts += [f"!({s.to_sas()})" for s in self.exclude]
        return " && ".join(parts) if parts else "true"

    def to_physical(self, meta: EventMeta) -> Region:
        """The same region with sky-coordinate shapes converted to X/Y through ``meta.sky_wcs``."""
        return replace(
            self,
            include=tuple(_physical(s, meta) for s in self.include),
            exclude=tuple(_physical(s, meta) for s in self.exclude),
        )

    @classmethod
    def read(
        cls,
        path: str | os.PathLike[str],
        block: int | str | None = None,
        columns: tuple[str, str] | None = None,
    ) -> Region:
        """Read a FITS region table or a ds9 region file.

        Parameters
        ----------
        path : str or path-like
            The file; FITS is recognised from its content, anything else is read as ds9.
        block : int or str, optional
            FITS extension (number or EXTNAME); default the first ``HDUCLAS1 = 'REGION'`` table.
        columns : (str, str), optional
            The column pair the shapes apply to (default: a FITS table's own position
            columns; ``X``/``Y`` for ds9 files).

        Examples
        --------
        >>> Region.read("P0001730201M1S002FBKTSR0000.FTZ", "REGION", ("X", "Y"))   # doctest: +SKIP
        """
        spath = os.fspath(path)
        if is_fits(spath):
            return _from_table(read_region_table(spath, block), columns)
        if block is not None:
            raise RegionFileError(f"a ds9 region file has no extensions (asked for {block!r})", spath)
        include: list[Shape] = []
        exclude: list[Shape] = []
        for item in read_ds9(spath):
            shape = _from_ds9(item, columns or ("X", "Y"), spath)
            (include if item.include else exclude).append(shape)
        if not include and not exclude:
            raise RegionFileError("the ds9 region file has no shapes (an empty region would select every event)", spath)
        return cls(tuple(include), tuple(exclude), spath)

    @classmethod
    def from_ds9(cls, text: str, columns: tuple[str, str] = ("X", "Y"), source: str = "") -> Region:
        """A region from ds9 region text (``physical`` by default; ``fk5;`` etc. for sky coordinates).

        Parameters
        ----------
        text : str
            ds9 statements separated by ``;`` or new lines, e.g. ``'circle(24635.6,24158.8,200)'``
            or ``'fk5; circle(263.65,-32.58,10")'``; ``-shape(...)`` excludes.
        columns : (str, str)
            The column pair the shapes apply to.
        source : str
            Where the text came from, for messages.

        Raises
        ------
        xmmframe.errors.RegionFileError
            When the text cannot be read or holds no shape.

        Examples
        --------
        >>> Region.from_ds9("annulus(24635.6,24158.8,300,600); -circle(24000,24000,50)").to_sas()
        '((X,Y) in annulus(24635.6,24158.8,300,600)) && !((X,Y) in circle(24000,24000,50))'
        """
        include: list[Shape] = []
        exclude: list[Shape] = []
        for item in parse_ds9(text, source or None):
            shape = _from_ds9(item, columns, source)
            (include if item.include else exclude).append(shape)
        if not include and not exclude:
            raise RegionFileError(f"the ds9 region {text[:80]!r} has no shapes", source or None)
        return cls(tuple(include), tuple(exclude), source)

    @classmethod
    def from_frame(cls, frame: pl.DataFrame, columns: tuple[str, str] | None = None) -> Region:
        """A region from a FITS-region-like table in memory (SHAPE, X/Y or DETX/DETY, R, ROTANG,
        COMPONENT), such as the region a product records.

        Examples
        --------
        >>> region = Region.from_frame(Region((Circle(10.0, 20.0, 5.0),)).to_frame())
        >>> region.include[0].r
        5.0
        """
        return _from_table(region_table_from_frame(frame), columns)

    # ------------------------------------------------------------------ geometry

    @property
    def column_pair(self) -> tuple[str, str]:
        """The columns the shapes apply to (``X``/``Y`` for a region without shapes).

        Raises
        ------
        ValueError
            When the shapes apply to different column pairs.
        """
        shapes = self.include + self.exclude
        if not shapes:
            return ("X", "Y")
        return Union(shapes).column_pair

    def bounds(self) -> Bounds | None:
        """The box holding every include shape (None when unbounded: no include, or a pie or complement).

        Examples
        --------
        >>> from xmmframe.select import Box, Circle
        >>> Region((Circle(0.0, 0.0, 1.0), Box(5.0, 0.0, 1.0, 2.0))).bounds()
        (-1.0, 6.0, -2.0, 2.0)
        """
        return union_bounds([s.bounds() for s in self.include])

    def area(self) -> float:
        """The region's area in its columns' units squared (``inf`` when unbounded).

        A single include shape gives its exact area; anything else is counted on a grid
        over :meth:`bounds` (:func:`~xmmframe.select.shapes.base.counted_area`).

        Examples
        --------
        >>> from xmmframe.select import Circle
        >>> round(Region((Circle(0, 0, 10),)).area(), 3)
        314.159
        """
        if len(self.include) == 1 and not self.exclude:
            return self.include[0].area()
        return counted_area(self)

    def contains(self, x: npt.ArrayLike, y: npt.ArrayLike) -> np.ndarray:
        """Whether points (in :attr:`column_pair`) are in the region: the test of :meth:`to_expr`.

        Examples
        --------
        >>> from xmmframe.select import Circle
        >>> Region((Circle(0, 0, 2),), (Circle(0, 0, 1),)).contains([0.0, 1.5, 3.0], [0.0, 0.0, 0.0]).tolist()
        [False, True, False]
        """
        return points_inside(self.to_expr(), self.column_pair, x, y)

    # ------------------------------------------------------------------ FITS rows and ds9 text

    def to_rows(self) -> tuple[RegionRow, ...]:
        """The region as FITS region-table rows.

        Include shapes that are simple give one row each, excludes one ``!`` row each; each
        include is its own ``COMPONENT`` when there is no exclude.  Intersections (what a
        FITS table with ``COMPONENT`` reads into) give one component of rows each, and then
        the excludes are repeated in every component.

        Raises
        ------
        xmmframe.errors.RegionFileError
            For a shape a region table cannot hold (a union inside an intersection, a sky shape).
        """
        if all(isinstance(s, SimpleShape) for s in self.include):
            if self.exclude or not self.include:  # no COMPONENT: the includes' union minus the excludes'
                return tuple(_table_row(s, True, None) for s in self.include) + tuple(
                    _table_row(s, False, None) for s in _flat(self.exclude))
            return tuple(_table_row(s, True, k) for k, s in enumerate(self.include, start=1))
        excludes = _flat(self.exclude)
        rows: list[RegionRow] = []
        for component, part in enumerate(self.include, start=1):
            for member in part.shapes if isinstance(part, Intersection) else (part,):
                if isinstance(member, Complement):
                    rows.extend(_table_row(s, False, component) for s in _flat((member.shape,)))
                else:
                    rows.append(_table_row(member, True, component))
            rows.extend(_table_row(s, False, component) for s in excludes)
        return tuple(rows)

    def to_frame(self, dtype: pl.DataType | type[pl.DataType] = pl.Float64) -> pl.DataFrame:
        """The region as a FITS region table (:func:`~xmmframe.io.regions.region_rows_frame`).

        ``dtype`` is the type of the position, ``R`` and ``ROTANG`` columns (products record
        ``Float32``).  :meth:`from_frame` reads it back.

        Examples
        --------
        >>> from xmmframe.select import Annulus
        >>> Region((Annulus(100.0, 200.0, 10.0, 30.0),)).to_frame().row(0)
        ('ANNULUS', 100.0, 200.0, [10.0, 30.0], 0.0, 1)
        """
        return region_rows_frame(self.to_rows(), self.column_pair, dtype)

    def to_ds9(self) -> str:
        """The region as ds9 region text in ``physical`` coordinates; :meth:`from_ds9` reads it back.

        Raises
        ------
        xmmframe.errors.RegionFileError
            When the region has intersections, or shapes ds9 text cannot hold here (pie, rhombus).

        Examples
        --------
        >>> from xmmframe.select import Circle
        >>> print(Region((Circle(24635.6, 24158.8, 200),), (Circle(24600, 24100, 20),)).to_ds9())
        physical
        circle(24635.6,24158.8,200)
        -circle(24600,24100,20)
        """
        if not all(isinstance(s, SimpleShape) for s in self.include + self.exclude):
            raise RegionFileError("a region with intersections or complements has no ds9 form", self.source or None)
        rows = [_table_row(s, True, None) for s in self.include] + [_table_row(s, False, None) for s in self.exclude]
        return ds9_text(rows)

    def __str__(self) -> str:
        return self.to_sas()


# ---------------------------------------------------------------------------- FITS tables


def _flat(shapes: tuple[Shape, ...]) -> list[SimpleShape]:
    """The simple shapes of a union (nested unions opened)."""
    out: list[SimpleShape] = []
    for shape in shapes:
        if isinstance(shape, Union):
            out.extend(_flat(shape.shapes))
        elif isinstance(shape, SimpleShape):
            out.append(shape)
        else:
            raise RegionFileError(f"{shape} cannot be written as a row of a region table")
    return out


def _table_row(shape: Shape, include: bool, component: int | None) -> RegionRow:
    """One shape as a FITS region-table row (box and rhombus sizes as FULL widths, see :func:`_table_shape`)."""
    if not isinstance(shape, SimpleShape):
        raise RegionFileError(f"{shape} cannot be written as a row of a region table")
    args = [float(v) for v in shape.arguments]
    if isinstance(shape, Polygon):
        x, y = tuple(v[0] for v in shape.vertices), tuple(v[1] for v in shape.vertices)
        return RegionRow("POLYGON", include, x, y, (), (), component)
    if isinstance(shape, (Rectangle, Line)):
        rot = (args[4],) if isinstance(shape, Rectangle) else ()
        return RegionRow(shape.name.upper(), include, (args[0], args[2]), (args[1], args[3]), (), rot, component)
    x, y = (args[0],), (args[1],)
    if isinstance(shape, (Box, Rhombus)):
        name = "BOX" if isinstance(shape, Box) else "DIAMOND"
        return RegionRow(name, include, x, y, (2 * args[2], 2 * args[3]), (args[4],), component)
    if isinstance(shape, Pie):
        return RegionRow("PIE", include, x, y, (), (args[2], args[3]), component)
    if isinstance(shape, Ellipse):
        return RegionRow("ELLIPSE", include, x, y, tuple(args[2:4]), (args[4],), component)
    if isinstance(shape, EllipticAnnulus):
        return RegionRow("ELLIPTANNULUS", include, x, y, tuple(args[2:6]), tuple(args[6:8]), component)
    if isinstance(shape, Point):
        return RegionRow("POINT", include, x, y, (), (), component)
    return RegionRow(shape.name.upper(), include, x, y, tuple(args[2:]), (), component)  # circle, annulus


def _from_table(table: RegionTable, columns: tuple[str, str] | None) -> Region:
    """Shapes of a :class:`~xmmframe.io.regions.RegionTable`, combined by COMPONENT."""
    own = table.position_columns
    if columns is not None and tuple(c.upper() for c in columns) != tuple(c.upper() for c in own):
        warnings.warn(
            f"{os.path.basename(table.path)}[{table.extname}] gives positions in {own[0]},{own[1]} but is "
            f"applied to {columns[0]},{columns[1]} (as SAS does: the numbers are used as they are)",
            SelectionWarning,
            stacklevel=4,
        )
    pair = columns or own
    rows = [(row, _table_shape(row, pair, table.path)) for row in table.rows]
    if all(row.component is None for row, _ in rows):
        return Region(
            tuple(s for row, s in rows if row.include),
            tuple(s for row, s in rows if not row.include),
            table.path,
        )
    parts: list[Shape] = []
    for component in dict.fromkeys(row.component for row, _ in rows):
        members = [(row, s) for row, s in rows if row.component == component]
        inside = [s for row, s in members if row.include]
        outside = [s for row, s in members if not row.include]
        terms: list[Shape] = list(inside)
        if outside:
            terms.append(Complement(outside[0] if len(outside) == 1 else Union(tuple(outside))))
        parts.append(terms[0] if len(terms) == 1 else Intersection(tuple(terms)))
    return Region(tuple(parts), (), table.path)


def _table_shape(row: Any, pair: tuple[str, str], path: str) -> Shape:
    name = row.shape
    x, y, r, rot = row.x, row.y, row.r, row.rotang

    def need(values: Sequence[float], count: int, what: str) -> Sequence[float]:
        if len(values) < count:
            raise RegionFileError(
                f"{name} row needs {count} {what} value(s), the table has {len(values)}", path
            )
        return values

    def angle(index: int = 0) -> float:
        return rot[index] if len(rot) > index else 0.0

    need(x, 1, "X")
    need(y, 1, "Y")
    if name == "CIRCLE":
        return Circle(x[0], y[0], need(r, 1, "R")[0], columns=pair)
    if name == "ANNULUS":
        need(r, 2, "R")
        return Annulus(x[0], y[0], r[0], r[1], columns=pair)
    if name in ("ELLIPSE", "ROTELLIPSE"):
        need(r, 2, "R")
        return Ellipse(x[0], y[0], r[0], r[1], angle(), columns=pair)
    if name == "ELLIPTANNULUS":
        need(r, 4, "R")
        return EllipticAnnulus(
            x[0], y[0], r[0], r[1], r[2], r[3], angle(0), angle(1) if len(rot) > 1 else angle(0), columns=pair
        )
    if name in ("BOX", "ROTBOX"):
        need(r, 2, "R")
        return Box(x[0], y[0], r[0] / 2, r[1] / 2, angle(), columns=pair)
    if name in ("DIAMOND", "ROTDIAMOND"):
        need(r, 2, "R")
        return Rhombus(x[0], y[0], r[0] / 2, r[1] / 2, angle(), columns=pair)
    if name in ("RECTANGLE", "ROTRECTANGLE"):
        need(x, 2, "X")
        need(y, 2, "Y")
        return Rectangle(x[0], y[0], x[1], y[1], angle(), columns=pair)
    if name in ("PIE", "SECTOR"):
        need(rot, 2, "ROTANG")
        wedge = Pie(x[0], y[0], rot[0], rot[1], columns=pair)
        if name == "PIE" and len(r) >= 2 and r[1] > 0:
            return Intersection((wedge, Annulus(x[0], y[0], r[0], r[1], columns=pair)))
        return wedge
    if name == "POINT":
        return Point(x[0], y[0], columns=pair)
    if name == "LINE":
        need(x, 2, "X")
        need(y, 2, "Y")
        return Line(x[0], y[0], x[1], y[1], columns=pair)
    if name == "POLYGON":
        vertices = list(zip(x, y))
        for end in range(3, len(vertices)):  # stop at the vertex that closes the polygon
            if vertices[end] == vertices[0]:
                vertices = vertices[:end]
                break
        return Polygon(tuple(vertices), columns=pair)
    raise RegionFileError(f"unknown region shape {row.shape!r}", path)


# ---------------------------------------------------------------------------- ds9 files


@dataclass(frozen=True)
class SkyShape(Shape):
    """A ds9 shape in sky coordinates; converted to X/Y when compiled against an event list.

    Parameters
    ----------
    region : regions.SkyRegion
        The shape as astropy ``regions`` reads it.
    columns : (str, str)
        The sky-pixel columns (``X``, ``Y``).
    """

    region: Any
    columns: tuple[str, str] = ("X", "Y")

    def to_physical(self, meta: EventMeta | None) -> Shape:
        """The shape in physical X/Y pixels (1-based, as the X/Y columns count)."""
        wcs = meta.sky_wcs if meta is not None else None
        if wcs is None:
            raise UnsupportedSelectionError(
                f"a sky-coordinate region ({type(self.region).__name__}) needs the event list's sky WCS "
                "(TCRVL/TCDLT/TCRPX of X and Y), which is not available"
            )
        return _from_pixel_region(self.region.to_pixel(wcs), self.columns, "")

    @property
    def column_pair(self) -> tuple[str, str]:
        return self.columns

    def bounds(self) -> Bounds | None:
        """Not known before the shape is converted (raises, naming the missing sky WCS)."""
        return self.to_physical(None).bounds()

    def to_expr(self, meta: EventMeta | None = None) -> pl.Expr:
        return self.to_physical(meta).to_expr(meta)

    def to_sas(self) -> str:
        raise UnsupportedSelectionError(
            "a sky-coordinate region has no SAS form before it is converted: use region.to_physical(meta)"
        )

    def __str__(self) -> str:
        return f"sky {type(self.region).__name__} on ({self.columns[0]},{self.columns[1]})"


def _any_shape(shapes: Sequence[Shape], meta: EventMeta | None) -> pl.Expr:
    """Inside any of ``shapes``; many simple shapes on one column pair are tested in one grid pass."""
    table = ColumnTable.from_meta(meta) if meta is not None else None
    groups: dict[tuple[str, str], list[SimpleShape]] = {}
    parts = []
    for shape in shapes:
        if supported(shape):
            columns = shape.columns
            if table is not None:
                columns = tuple(table.resolve(name, f" in {shape.name}()")[0] for name in columns)
            groups.setdefault(columns, []).append(shape)
        else:
            parts.append(shape.to_expr(meta))
    for columns, members in groups.items():
        if len(members) >= MIN_SHAPES:
            parts.append(any_inside(members, columns))
        else:
            parts.extend(member.to_expr(meta) for member in members)
    return pl.any_horizontal(parts)


def _physical(shape: Shape, meta: EventMeta) -> Shape:
    return shape.to_physical(meta) if isinstance(shape, SkyShape) else shape


def _from_ds9(item: Any, columns: tuple[str, str], path: str) -> Shape:
    if item.frame == "image":
        raise RegionFileError(
            f"line {item.line}: ds9 'image' coordinates depend on how an image was binned; "
            "save the region in physical or sky (fk5) coordinates",
            path,
        )
    if item.frame != "physical":
        return SkyShape(item.region, columns)
    return _from_pixel_region(item.region, columns, path, item.line)


def _from_pixel_region(
    region: Any, columns: tuple[str, str], path: str, line: int = 0
) -> SimpleShape | Shape:
    """A ``regions`` pixel region (0-based pixels) as a SAS shape on physical (1-based) columns."""
    kind = type(region).__name__.replace("PixelRegion", "")

    def centre() -> tuple[float, float]:
        return float(region.center.x) + 1.0, float(region.center.y) + 1.0

    def degrees() -> float:
        return float(region.angle.to_value("deg"))

    if kind == "Circle":
        return Circle(*centre(), float(region.radius), columns=columns)
    if kind == "CircleAnnulus":
        return Annulus(*centre(), float(region.inner_radius), float(region.outer_radius), columns=columns)
    if kind == "Ellipse":
        return Ellipse(
            *centre(), float(region.width) / 2, float(region.height) / 2, degrees(), columns=columns
        )
    if kind == "EllipseAnnulus":
        return EllipticAnnulus(
            *centre(),
            float(region.inner_width) / 2,
            float(region.inner_height) / 2,
            float(region.outer_width) / 2,
            float(region.outer_height) / 2,
            degrees(),
            columns=columns,
        )
    if kind == "Rectangle":
        return Box(*centre(), float(region.width) / 2, float(region.height) / 2, degrees(), columns=columns)
    if kind == "RectangleAnnulus":
        outer = Box(
            *centre(),
            float(region.outer_width) / 2,
            float(region.outer_height) / 2,
            degrees(),
            columns=columns,
        )
        inner = Box(
            *centre(),
            float(region.inner_width) / 2,
            float(region.inner_height) / 2,
            degrees(),
            columns=columns,
        )
        return Intersection((outer, Complement(inner)))
    if kind == "Polygon":
        xs = [float(v) + 1.0 for v in region.vertices.x]
        ys = [float(v) + 1.0 for v in region.vertices.y]
        return Polygon(tuple(zip(xs, ys)), columns=columns)
    if kind == "Point":
        return Point(*centre(), columns=columns)
    if kind == "Line":
        return Line(
            float(region.start.x) + 1.0,
            float(region.start.y) + 1.0,
            float(region.end.x) + 1.0,
            float(region.end.y) + 1.0,
            columns=columns,
        )
    where = f"line {line}: " if line else ""
    raise RegionFileError(f"{where}ds9 shape {kind or type(region).__name__} is not supported", path or None)
