"""Region files: FITS region tables (OGIP/ASC, as SAS writes them) and ds9 text, rows in and out.

This module knows the file formats, not the shapes: :class:`xmmframe.select.region.Region`
turns the rows it reads into shapes in SAS conventions, and its shapes into the
:class:`RegionRow` s that :func:`region_rows_frame` and :func:`ds9_text` write.

* :func:`read_region_table` reads a FITS region extension (``SHAPE``, two position columns,
  ``R``, ``ROTANG``, ``COMPONENT``), e.g. the ``REGION`` extension of the PPS ``FBKTSR``
  files or the ``REGnnnnn`` data-subspace tables evselect writes.  A ``!`` in front of the
  shape name marks an exclusion.  The position columns are named by ``MFORM1``
  (``'DETX,DETY'``), else ``X``/``Y``, else they are the first two numeric columns other
  than ``R``, ``ROTANG`` and ``COMPONENT``.
* :func:`region_rows_frame` lays rows out as a FITS region table (``SHAPE``, position
  columns, ``R``, ``ROTANG``, ``COMPONENT``), the inverse of :func:`region_rows`;
  :func:`ds9_text` writes them as ds9 ``physical`` text, the inverse of :func:`parse_ds9`.
* :func:`read_ds9` parses a ds9 region file (at most :data:`MAX_DS9_BYTES`, 16 MiB) with
  the ``regions`` package, one shape at a time, remembering each shape's coordinate frame; ds9 ``physical`` coordinates (which
  ``regions`` does not support) are read as ``image`` and marked ``physical``.  A file with
  no frame statement is in ``physical`` coordinates (the ds9 default).

Examples
--------
>>> from xmmframe.io.regions import read_region_table
>>> table = read_region_table("P0001730201M1S002FBKTSR0000.FTZ", "REGION")   # doctest: +SKIP
>>> table.position_columns, table.rows[0].shape, table.rows[0].include      # doctest: +SKIP
(('DETX', 'DETY'), 'CIRCLE', False)
"""

from __future__ import annotations

import gzip
import os
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl
from regions import Regions

from xmmframe.errors import FileAccessError, RegionFileError
from xmmframe.io.fits_scan import FitsTable
from xmmframe.io.fits_structure import STREAM_ERRORS, find_hdu, read_structure

_GZIP_MAGIC = b"\x1f\x8b"
_SKY_FRAMES = ("fk5", "fk4", "icrs", "galactic", "ecliptic", "j2000", "b1950")
_PIXEL_FRAMES = ("physical", "image")
_OTHER_FRAMES = ("linear", "amplifier", "detector", "tile", "wcs")
#: ds9 annotations that select nothing and are skipped.
_ANNOTATIONS = ("text", "ruler", "compass", "projection", "vector", "segment")
#: Largest ds9 region file read (a region file is text typed or saved by hand; 10000 shapes
#: take well under a megabyte).
MAX_DS9_BYTES = 16 << 20
_SHAPE_CALL = re.compile(r"^([+-]?)\s*([A-Za-z_]\w*)\s*\(")


def is_fits(path: str | os.PathLike[str]) -> bool:
    """Whether a file is FITS (plain or gzip-compressed), judged from its first bytes."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(6)
    except FileNotFoundError:
        raise FileAccessError("no such region file", path) from None
    except IsADirectoryError:
        raise FileAccessError("is a directory, not a region file", path) from None
    if head[:2] == _GZIP_MAGIC:
        try:
            with gzip.open(path, "rb") as stream:
                head = stream.read(6)
        except STREAM_ERRORS as err:
            raise RegionFileError(f"cannot decompress: {err}", path) from None
    return head == b"SIMPLE"


# ---------------------------------------------------------------------------- FITS region tables


@dataclass(frozen=True)
class RegionRow:
    """One row of a FITS region table.

    Attributes
    ----------
    shape : str
        Upper-case shape name without the exclusion mark (``CIRCLE``, ``ROTBOX``, ...).
    include : bool
        False for an exclusion (``!CIRCLE``).
    x, y, r, rotang : tuple of float
        The row's values (vector columns give several, scalar columns one; absent: empty).
    component : int or None
        The ``COMPONENT`` value (None when the table has no such column).
    """

    shape: str
    include: bool
    x: tuple[float, ...]
    y: tuple[float, ...]
    r: tuple[float, ...] = ()
    rotang: tuple[float, ...] = ()
    component: int | None = None


@dataclass(frozen=True)
class RegionTable:
    """A FITS region extension: where it came from, its position columns and its rows."""

    path: str
    extname: str
    position_columns: tuple[str, str]
    rows: tuple[RegionRow, ...]


def read_region_table(path: str | os.PathLike[str], block: int | str | None = None) -> RegionTable:
    """Read a FITS region table.

    Parameters
    ----------
    path : str or path-like
        FITS file (plain or gzip).
    block : int or str, optional
        Extension number or EXTNAME; by default the first table with ``HDUCLAS1 = 'REGION'``,
        else the first binary table.

    Raises
    ------
    xmmframe.errors.RegionFileError
        When the table has no ``SHAPE`` column or no position columns.
    """
    spath = os.fspath(path)
    hdus = read_structure(spath)
    if block is None:
        regions = [
            h for h in hdus if h.kind == "BINTABLE" and str(h.header.get("HDUCLAS1", "")).strip() == "REGION"
        ]
        info = regions[0] if regions else find_hdu(hdus, None, spath)
    else:
        info = find_hdu(hdus, block, spath)
    frame = FitsTable(info, path=spath).read()
    where = f"extension {info.name or info.index}"
    if "SHAPE" not in {c.upper() for c in frame.columns}:
        raise RegionFileError(f"{where} is not a region table (no SHAPE column)", spath)
    xname, yname = _position_columns(info.header.get("MFORM1"), frame.columns)
    if xname is None or yname is None:
        raise RegionFileError(f"{where}: cannot tell the position columns (no MFORM1, X/Y)", spath)
    return RegionTable(spath, info.name, (xname, yname), region_rows(frame, xname, yname))


def region_table_from_frame(frame: pl.DataFrame, source: str = "") -> RegionTable:
    """A region table held in memory (e.g. the region of a product), positions in X/Y or DETX/DETY."""
    if "SHAPE" not in {c.upper() for c in frame.columns}:
        raise RegionFileError("not a region table (no SHAPE column)", source or None)
    xname, yname = _position_columns(None, frame.columns)
    if xname is None or yname is None:
        raise RegionFileError("cannot tell the position columns of the region table", source or None)
    return RegionTable(source, "", (xname, yname), region_rows(frame, xname, yname))


def region_rows(frame: pl.DataFrame, xname: str, yname: str) -> tuple[RegionRow, ...]:
    """The rows of a region table frame (SHAPE, position columns, R, ROTANG, COMPONENT)."""
    columns = {c.upper(): c for c in frame.columns}

    def values(name: str | None) -> list[tuple[float, ...]]:
        if name is None:
            return [()] * frame.height
        return [
            tuple(float(v) for v in (cell if isinstance(cell, list) else [cell]))
            for cell in frame[name].to_list()
        ]

    shapes = [str(s or "").strip().upper() for s in frame[columns["SHAPE"]].to_list()]
    xs, ys = values(xname), values(yname)
    rs, rots = values(columns.get("R")), values(columns.get("ROTANG"))
    components = frame[columns["COMPONENT"]].to_list() if "COMPONENT" in columns else [None] * frame.height
    return tuple(
        RegionRow(
            shape.lstrip("!").strip(), not shape.startswith("!"), x, y, r, rot, None if c is None else int(c)
        )
        for shape, x, y, r, rot, c in zip(shapes, xs, ys, rs, rots, components)
    )


def region_rows_frame(
    rows: Sequence[RegionRow],
    columns: tuple[str, str] = ("X", "Y"),
    dtype: pl.DataType | type[pl.DataType] = pl.Float64,
) -> pl.DataFrame:
    """The rows as a FITS region table frame: ``SHAPE``, the two position columns, ``R``, ``ROTANG``
    (and ``COMPONENT`` when every row has one).

    A position column is scalar when every row has one value, else a fixed-width vector
    padded with the row's first value (the closing vertex of a polygon); ``R`` is a vector of
    at least two values padded with 0, ``ROTANG`` a scalar unless a row has two angles.
    Exclusions are written ``!SHAPE``.  ``COMPONENT`` is ``UInt8`` when it fits, else ``Int32``.

    Examples
    --------
    >>> rows = [RegionRow("CIRCLE", True, (10.0,), (20.0,), (5.0,)), RegionRow("CIRCLE", False, (11.0,), (20.0,), (1.0,))]
    >>> frame = region_rows_frame(rows)
    >>> frame["SHAPE"].to_list(), frame["R"].to_list()
    (['CIRCLE', '!CIRCLE'], [[5.0, 0.0], [1.0, 0.0]])
    >>> region_rows(frame, "X", "Y") == tuple(RegionRow(r.shape, r.include, r.x, r.y, (r.r[0], 0.0), (0.0,)) for r in rows)
    True
    """

    def column(values: list[tuple[float, ...]], width: int, pad: float | None) -> pl.Series:
        if width == 1:
            return pl.Series([v[0] if v else 0.0 for v in values], dtype=dtype)
        padded = [list(v) + [v[0] if pad is None and v else (pad or 0.0)] * (width - len(v)) for v in values]
        return pl.Series(padded, dtype=pl.Array(dtype, width))

    xs, ys = [r.x for r in rows], [r.y for r in rows]
    rs, angles = [r.r for r in rows], [r.rotang for r in rows]
    width = max([1, *(len(v) for v in xs + ys)])
    data: dict[str, pl.Series] = {
        "SHAPE": pl.Series([r.shape.upper() if r.include else "!" + r.shape.upper() for r in rows], dtype=pl.String),
        columns[0]: column(xs, width, None),
        columns[1]: column(ys, width, None),
        "R": column(rs, max([2, *(len(v) for v in rs)]), 0.0),
        "ROTANG": column(angles, max([1, *(len(v) for v in angles)]), 0.0),
    }
    components = [r.component for r in rows]
    if rows and all(c is not None for c in components):
        small = all(0 <= c <= 255 for c in components)  # type: ignore[operator]
        data["COMPONENT"] = pl.Series(components, dtype=pl.UInt8 if small else pl.Int32)
    return pl.DataFrame(data)


def _position_columns(mform: Any, names: list[str]) -> tuple[str | None, str | None]:
    upper = {n.upper(): n for n in names}
    if isinstance(mform, str) and "," in mform:
        first, second = (p.strip().upper() for p in mform.split(",")[:2])
        if first in upper and second in upper:
            return upper[first], upper[second]
    if "X" in upper and "Y" in upper:
        return upper["X"], upper["Y"]
    others = [n for n in names if n.upper() not in ("SHAPE", "R", "ROTANG", "COMPONENT")]
    return (others[0], others[1]) if len(others) >= 2 else (None, None)


# ---------------------------------------------------------------------------- ds9 text files


@dataclass(frozen=True)
class Ds9Shape:
    """One shape of a ds9 region file.

    Attributes
    ----------
    region : regions.Region
        The shape as the ``regions`` package reads it: a pixel region (0-based pixels, i.e.
        ds9 coordinates minus 1) for ``physical`` and ``image`` frames, a sky region otherwise.
    frame : str
        ``physical``, ``image`` or the sky frame (``fk5``, ``icrs``, ``galactic``, ...).
    include : bool
        False for an exclusion (``-circle(...)``).
    line : int
        1-based line number in the file.
    """

    region: Any
    frame: str
    include: bool
    line: int


def read_ds9(path: str | os.PathLike[str]) -> list[Ds9Shape]:
    """Read the shapes of a ds9 region file (text annotations are skipped).

    Raises
    ------
    xmmframe.errors.RegionFileError
        On a shape or coordinate frame that cannot be read, naming the line.
    """
    spath = os.fspath(path)
    try:
        if os.path.getsize(spath) > MAX_DS9_BYTES:
            raise RegionFileError(
                f"{os.path.getsize(spath)} bytes is more than the {MAX_DS9_BYTES} a ds9 region file may have", spath
            )
        with open(spath, encoding="utf-8", errors="replace") as handle:
            text = handle.read()
    except FileNotFoundError:
        raise FileAccessError("no such region file", spath) from None
    except IsADirectoryError:
        raise FileAccessError("is a directory, not a region file", spath) from None
    return parse_ds9(text, spath)


def parse_ds9(text: str, source: str | None = None) -> list[Ds9Shape]:
    """The shapes of ds9 region text (a file's content, or a string such as ``circle(1,2,3)``).

    Statements are separated by new lines or ``;``; without a frame statement the
    coordinates are ``physical``.  ``source`` names the text in error messages.

    Raises
    ------
    xmmframe.errors.RegionFileError
        On a shape or coordinate frame that cannot be read, naming the line; on text longer
        than :data:`MAX_DS9_BYTES`.

    Examples
    --------
    >>> shapes = parse_ds9("physical; circle(100,200,30) ; -circle(100,200,5)")
    >>> [(type(s.region).__name__, s.frame, s.include) for s in shapes]
    [('CirclePixelRegion', 'physical', True), ('CirclePixelRegion', 'physical', False)]
    """
    spath = source
    if len(text) > MAX_DS9_BYTES:
        raise RegionFileError(f"{len(text)} characters is more than the {MAX_DS9_BYTES} ds9 region text may have",
                              spath)
    shapes: list[Ds9Shape] = []
    frame = "physical"
    for number, line in enumerate(text.splitlines(), start=1):
        for statement in _statements(line):
            word = statement.split("(")[0].strip().lower()
            if word.startswith("global"):
                continue
            if word in _SKY_FRAMES + _PIXEL_FRAMES or word.startswith(_OTHER_FRAMES):
                frame = word
                continue
            match = _SHAPE_CALL.match(statement)
            if match is None:
                raise RegionFileError(f"line {number}: cannot read {statement!r}", spath)
            if match.group(2).lower() in _ANNOTATIONS:
                continue
            if frame not in _SKY_FRAMES + _PIXEL_FRAMES:
                raise RegionFileError(
                    f"line {number}: ds9 {frame!r} coordinates are not supported (use physical or a sky frame)",
                    spath,
                )
            parser_frame = "image" if frame == "physical" else frame
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    parsed = Regions.parse(f"{parser_frame}; {statement}", format="ds9")
                except Exception as err:  # noqa: BLE001 - regions raises many kinds
                    raise RegionFileError(f"line {number}: cannot read {statement!r}: {err}", spath) from None
            if not parsed:
                reason = "; ".join(str(w.message) for w in caught) or "unsupported shape"
                raise RegionFileError(f"line {number}: cannot read {statement!r}: {reason}", spath)
            for region in parsed:
                shapes.append(Ds9Shape(region, frame, bool(region.meta.get("include", True)), number))
    return shapes


def ds9_text(rows: Sequence[RegionRow]) -> str:
    """ds9 region text (``physical`` coordinates) of region rows; ``-shape`` for exclusions.

    Rows with a ``COMPONENT`` cannot be said in ds9 (it has no intersections) and are refused,
    as are shapes ds9 files cannot hold here (``PIE``, ``DIAMOND``) and an elliptical annulus
    whose two ellipses are rotated differently.  Numbers are written in shortest round-trip form.

    Raises
    ------
    xmmframe.errors.RegionFileError
        For a row ds9 text cannot express.

    Examples
    --------
    >>> print(ds9_text([RegionRow("CIRCLE", True, (10.0,), (20.5,), (5.0,)), RegionRow("BOX", False, (10.0,), (20.0,), (4.0, 2.0), (30.0,))]))
    physical
    circle(10,20.5,5)
    -box(10,20,4,2,30)
    """
    lines = ["physical"]
    for number, row in enumerate(rows, start=1):
        lines.append(("" if row.include else "-") + _ds9_shape(row, number))
    return "\n".join(lines)


def _ds9_shape(row: RegionRow, number: int) -> str:
    """One row as a ds9 shape call."""
    if row.component is not None:
        raise RegionFileError(f"row {number}: a region of components (intersections) has no ds9 form")
    name, x, y, r = row.shape.upper(), row.x, row.y, row.r
    angle = row.rotang[0] if row.rotang else 0.0
    if name == "ELLIPTANNULUS" and len(set(row.rotang)) > 1:
        raise RegionFileError(f"row {number}: ds9 has one rotation for both ellipses of an elliptical annulus")
    calls = {
        "CIRCLE": ("circle", [x[0], y[0], *r[:1]]),
        "ANNULUS": ("annulus", [x[0], y[0], *r[:2]]),
        "ELLIPSE": ("ellipse", [x[0], y[0], *r[:2], angle]),
        "ROTELLIPSE": ("ellipse", [x[0], y[0], *r[:2], angle]),
        "ELLIPTANNULUS": ("ellipse", [x[0], y[0], *r[:4], angle]),
        "BOX": ("box", [x[0], y[0], *r[:2], angle]),
        "ROTBOX": ("box", [x[0], y[0], *r[:2], angle]),
        "RECTANGLE": ("box", [(x[0] + x[-1]) / 2, (y[0] + y[-1]) / 2, abs(x[-1] - x[0]), abs(y[-1] - y[0]), angle]),
        "POLYGON": ("polygon", [v for vertex in zip(x, y) for v in vertex]),
        "POINT": ("point", [x[0], y[0]]),
        "LINE": ("line", [x[0], y[0], x[-1], y[-1]]),
    }
    if name not in calls:
        raise RegionFileError(f"row {number}: shape {name} has no ds9 form")
    word, values = calls[name]
    return f"{word}({','.join(_ds9_number(v) for v in values)})"


def _ds9_number(value: float) -> str:
    """A number in shortest round-trip form, without a trailing ``.0``."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def _statements(line: str) -> list[str]:
    """The ``;``-separated statements of a line, without the ``#`` comment part."""
    depth = 0
    current: list[str] = []
    result: list[str] = []
    for ch in line:
        if ch == "#" and depth == 0:
            break
        if ch in "({":
            depth += 1
        elif ch in ")}":
            depth -= 1
        if ch == ";" and depth == 0:
            result.append("".join(current).strip())
            current = []
            continue
        current.append(ch)
    result.append("".join(current).strip())
    return [s for s in result if s]
