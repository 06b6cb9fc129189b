"""The layout of calibrated event lists: PPS columns, header keywords and extensions.

Columns, types and legal ranges follow the real PPS MOS list ``P0001730201M1S002MIEVLI.FTZ``
(SAS 18): ``TIME D, RAWX I, RAWY I, DETX I, DETY I, X J, Y J, PHA I, PI I, FLAG J, PATTERN B,
CCDNR B`` with ``TLMIN/TLMAX`` (RAWX -4..605, RAWY 1..602 -- the RAW limits are
:attr:`xmmframe.model.geometry.Camera.raw_limits`, PHA 0..32767, PI 0..15000, PATTERN 0..31,
CCDNR 1..17), the sky columns' ``TNULL = -99999999`` and ``TCTYP/TCRPX/TCRVL/TCDLT``,
the DET columns' ``DETX_ANG``/``DETY_ANG`` axes.  pn lists add ``PAT_ID I`` and ``PAT_SEQ B``
before ``CCDNR`` (14 imaging columns, SAS user guide) with RAWX 1..64, RAWY 1..200 (again from
:attr:`~xmmframe.model.geometry.Camera.raw_limits`), PI 0..20479
(so that pn spectra span 4096 channels of 5 eV), PATTERN 0..15 and CCDNR 1..12.  ``TLMIN6/TLMAX6``
are written as numbers (the PPS file has the strings ``'1'``/``'51840'``).

Examples
--------
>>> from xmmframe.proc.event_format import columns_for
>>> [c.name for c in columns_for("EPN")][-4:]
['PATTERN', 'PAT_ID', 'PAT_SEQ', 'CCDNR']
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from xmmframe.model.geometry import camera
from xmmframe.proc.coordinates import SKY_LMAX, SKY_LMIN, SkyGrid

_TFORM = {pl.Float64: "D", pl.Float32: "E", pl.Int16: "I", pl.Int32: "J", pl.UInt8: "B"}


@dataclass(frozen=True)
class ColumnSpec:
    """One event-list column: name, Polars dtype, TTYPE comment, unit, legal range, extra column keywords."""

    name: str
    dtype: type[pl.DataType]
    comment: str
    unit: str | None = None
    tlmin: int | None = None
    tlmax: int | None = None
    tnull: int | None = None
    extra: dict[str, tuple[object, str]] = field(default_factory=dict)

    @property
    def tform(self) -> str:
        """TFORM letter."""
        return _TFORM[self.dtype]


def columns_for(
    instrument: str,
    grid: SkyGrid | None = None,
    det_limits: tuple[int, int, int, int] = (-20000, 20000, -20000, 20000),
) -> list[ColumnSpec]:
    """The EVENTS columns of a pn (``EPN``) or MOS (``EMOS1``/``EMOS2``) calibrated list."""
    pn = instrument == "EPN"
    (rawx_min, rawx_max), (rawy_min, rawy_max) = camera(instrument).raw_limits
    ra = grid.ra if grid else 0.0
    dec = grid.dec if grid else 0.0
    deg = 0.05 / 3600.0

    def det_axis(axis: str) -> dict[str, tuple[object, str]]:
        return {
            "TCRPX": (0, f"Center for DET{axis}"),
            "TCTYP": (f"DET{axis}_ANG", ""),
            "TCRVL": (0.0, ""),
            "TCDLT": (deg, f"[degrees] Pixel size for DET{axis}"),
            "TCUNI": ("deg", f"Physical unit for DET{axis}"),
        }

    def sky_axis(ctype: str, crval: float, cdelt: float, axis: str) -> dict[str, tuple[object, str]]:
        return {
            "TCRPX": (25921, "axis reference pixel of projected image"),
            "TCTYP": (ctype, f"Coord. type: {'RA' if axis == 'X' else 'DEC'} tangent plane projection"),
            "TCRVL": (crval, f"[deg] coord. at {axis} axis ref. pixel"),
            "TCDLT": (cdelt, f"[deg/pix] {axis} increment at ref. pixel"),
            "TCUNI": ("deg", f"Physical units of {axis} axis"),
        }

    specs = [
        ColumnSpec("TIME", pl.Float64, "time of the center of the frame", "s"),
        ColumnSpec("RAWX", pl.Int16, "X in node coordinates", "PIXELS", rawx_min, rawx_max),
        ColumnSpec("RAWY", pl.Int16, "Y in node coordinates", "PIXELS", rawy_min, rawy_max),
        ColumnSpec(
            "DETX",
            pl.Int16,
            "X in camera coordinates" if pn else "X in linearised camera coordinat",
            "pixel",
            det_limits[0],
            det_limits[1],
            extra=det_axis("X"),
        ),
        ColumnSpec(
            "DETY",
            pl.Int16,
            "Y in camera coordinates" if pn else "Y in linearised camera coordinat",
            "pixel",
            det_limits[2],
            det_limits[3],
            extra=det_axis("Y"),
        ),
        ColumnSpec(
            "X",
            pl.Int32,
            "X in projected sky coordinates",
            "pixel",
            SKY_LMIN,
            SKY_LMAX,
            -99999999,
            sky_axis("RA---TAN", ra, -deg, "X"),
        ),
        ColumnSpec(
            "Y",
            pl.Int32,
            "Y in projected sky coordinates",
            "pixel",
            SKY_LMIN,
            SKY_LMAX,
            -99999999,
            sky_axis("DEC--TAN", dec, deg, "Y"),
        ),
        ColumnSpec("PHA", pl.Int16, "total charge of the event (uncor", "CHAN", 0, 32767),
        ColumnSpec("PI", pl.Int16, "measured energy in eV (gain corr", "CHAN", 0, 20479 if pn else 15000),
        ColumnSpec("FLAG", pl.Int32, "quality flag"),
        ColumnSpec("PATTERN", pl.UInt8, "pattern or grade defining the ev", None, 0, 15 if pn else 31),
    ]
    if pn:
        specs += [
            ColumnSpec("PAT_ID", pl.Int16, "pattern type (x10) and orientation"),
            ColumnSpec("PAT_SEQ", pl.UInt8, "distance to next event in frame/col", "PIXELS", 0, 198),
        ]
    specs.append(
        ColumnSpec(
            "CCDNR",
            pl.UInt8,
            "CCD identifier" if pn else "1st digit=node (0/1), 2nd digit=CCD (1/7)",
            None,
            1,
            12 if pn else 17,
        )
    )
    return specs


def column_keywords(
    specs: list[ColumnSpec],
) -> tuple[dict[str, tuple[str | None, str]], dict[str, list[tuple[str, object, str]]]]:
    """``(columns, ranges)`` of :func:`xmmframe.io.table_header.table_cards`: per column its unit and
    TTYPE comment, and its TNULL/TLMIN/TLMAX/TC* keywords (as ``(prefix, value, comment)``).

    Examples
    --------
    >>> columns, ranges = column_keywords([ColumnSpec("PI", pl.Int16, "pulse invariant", "CHAN", 0, 20479)])
    >>> columns["PI"], ranges["PI"][1]
    (('CHAN', 'pulse invariant'), ('TLMAX', 20479, 'Legal maximum for PI'))
    """
    columns: dict[str, tuple[str | None, str]] = {}
    ranges: dict[str, list[tuple[str, object, str]]] = {}
    for spec in specs:
        columns[spec.name] = (spec.unit, spec.comment)
        extra: list[tuple[str, object, str]] = []
        if spec.tnull is not None:
            extra.append(("TNULL", spec.tnull, "Null value of the column"))
        if spec.tlmin is not None:
            extra.append(("TLMIN", spec.tlmin, f"Legal minimum for {spec.name}"))
            extra.append(("TLMAX", spec.tlmax, f"Legal maximum for {spec.name}"))
        extra.extend((key, value, comment) for key, (value, comment) in spec.extra.items())
        ranges[spec.name] = extra
    return columns, ranges


def empty_events(specs: list[ColumnSpec]) -> pl.DataFrame:
    """An empty frame with the columns and dtypes of ``specs``."""
    return pl.DataFrame(schema={s.name: s.dtype for s in specs})
