"""Bad pixels: the ``EPN_BADPIX`` / ``EMOSn_BADPIX`` CCF and an event list's ``BADPIXnn`` tables.

Layout: the extension name ``BADPIX`` is the real CCF's (from the CIFs in the reference
data); its columns are not public and are assumed to be those of the event lists' per-CCD
``BADPIXnn`` tables, plus the CCD: ``CCDID`` (I), ``RAWX`` (I), ``RAWY`` (I), ``TYPE`` (I: 1
hot, 2 flickering, 3 dead), ``YEXTENT`` (I: the number of pixels in RAWY from ``RAWY`` on, e.g.
a whole column) and, optionally, ``BADFLAG`` (I: where the entry comes from, 1 the on-board
list uplinked to the spacecraft, 2 the CCF itself; 2 when the column is absent).

Examples
--------
>>> from xmmframe.ccf.badpix import read_badpix, read_event_badpixels
>>> read_badpix("EPN_BADPIX_0145.CCF").pixels.height                       # doctest: +SKIP
>>> read_event_badpixels("mos1_exp1_clean_evts.fits").pixels.columns       # doctest: +SKIP
['CCDID', 'RAWX', 'RAWY', 'TYPE', 'YEXTENT']
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from xmmframe.ccf.ccf_file import ccf_table, write_ccf
from xmmframe.ccf.cif import ccf_filename

if TYPE_CHECKING:
    from xmmframe.model.meta import EventMeta

COLUMNS = ("CCDID", "RAWX", "RAWY", "TYPE", "YEXTENT")
#: BADFLAG of an entry of the on-board (uplinked) list and of the CCF's own entries.
UPLINKED, FROM_CCF = 1, 2


@dataclass(frozen=True)
class BadPixels:
    """Bad pixels and columns, one row per entry (``YEXTENT`` pixels up from ``RAWY``).

    Attributes
    ----------
    pixels : polars.DataFrame
        Columns ``CCDID, RAWX, RAWY, TYPE, YEXTENT`` (and ``BADFLAG`` when read from a CCF).
    path : str
        Where they were read.
    """

    pixels: pl.DataFrame
    path: str = ""

    def expanded(self) -> pl.DataFrame:
        """One row per bad pixel (``CCDID, RAWX, RAWY``), columns expanded over ``YEXTENT``."""
        extent = self.pixels["YEXTENT"].to_numpy().clip(1).astype(np.int64)
        rows = np.repeat(np.arange(self.pixels.height), extent)
        offset = np.arange(rows.size) - np.repeat(np.cumsum(extent) - extent, extent)
        return pl.DataFrame({
            "CCDID": self.pixels["CCDID"].to_numpy()[rows],
            "RAWX": self.pixels["RAWX"].to_numpy()[rows],
            "RAWY": self.pixels["RAWY"].to_numpy()[rows] + offset,
        })


def read_badpix(path: str | os.PathLike[str]) -> BadPixels:
    """Read a ``BADPIX`` CCF.

    Raises
    ------
    xmmframe.errors.CalibrationError
        Naming the file and the missing extension or column.
    """
    spath = os.fspath(path)
    frame, _ = ccf_table(spath, "BADPIX", COLUMNS, optional=("BADFLAG",))
    if "BADFLAG" not in frame.columns:
        frame = frame.with_columns(pl.lit(FROM_CCF).alias("BADFLAG"))
    return BadPixels(frame.select([pl.col(c).cast(pl.Int32) for c in (*COLUMNS, "BADFLAG")]), spath)


def write_badpix(
    pixels: pl.DataFrame,
    directory: str | os.PathLike[str],
    scope: str,
    issue: int = 1,
    valdate: str = "2000-01-01T00:00:00",
    history: Sequence[str] = (),
    subdate: str | None = None,
) -> str:
    """Write ``<scope>_BADPIX_<issue>.CCF`` from a frame with the columns of the layout above.

    Returns
    -------
    str
        The path written.

    Examples
    --------
    >>> import polars as pl
    >>> bad = pl.DataFrame({"CCDID": [4], "RAWX": [30], "RAWY": [1], "TYPE": [3], "YEXTENT": [200]})
    >>> write_badpix(bad, "ccf", "EPN")                                       # doctest: +SKIP
    'ccf/EPN_BADPIX_0001.CCF'
    """
    columns = [c for c in (*COLUMNS, "BADFLAG") if c in pixels.columns]
    missing = set(COLUMNS) - set(columns)
    if missing:
        raise ValueError(f"bad-pixel frame lacks column(s) {', '.join(sorted(missing))}")
    path = os.path.join(os.fspath(directory), ccf_filename(scope, "BADPIX", issue))
    write_ccf(path, scope, "BADPIX", issue, valdate,
              [("BADPIX", pixels.select([pl.col(c).cast(pl.Int16) for c in columns]), {})],
              "Bad pixels and columns (xmmframe layout)", history, subdate)
    return path


def read_event_badpixels(path: str | os.PathLike[str]) -> BadPixels:
    """The bad pixels an event list file carries in its ``BADPIXnn`` extensions (``nn`` = CCD).

    Examples
    --------
    >>> bad = read_event_badpixels("P0001730201M1S002MIEVLI.FTZ")      # doctest: +SKIP
    """
    from xmmframe.io.events import open_events

    return event_badpixels(open_events(path).meta)


def event_badpixels(meta: EventMeta) -> BadPixels:
    """The bad pixels of an event list's ``BADPIXnn`` extensions (CCD from ``CCDID`` or ``nn``).

    Examples
    --------
    >>> bad = event_badpixels(xmmframe.open_events("M1_clean.fits").meta)   # doctest: +SKIP
    """
    frames = []
    for name, table in meta.extensions.items():
        if not (name.startswith("BADPIX") and name[6:].isdigit()) or table.height == 0:
            continue
        ccd = int(meta.extension(name).header.get("CCDID", name[6:]))
        columns = {c.upper(): c for c in table.columns}
        extent = table[columns["YEXTENT"]] if "YEXTENT" in columns else pl.Series([1] * table.height)
        kind = table[columns["TYPE"]] if "TYPE" in columns else pl.Series([0] * table.height)
        frames.append(pl.DataFrame({"CCDID": [ccd] * table.height, "RAWX": table[columns["RAWX"]],
                                    "RAWY": table[columns["RAWY"]], "TYPE": kind, "YEXTENT": extent})
                      .select([pl.col(c).cast(pl.Int32) for c in COLUMNS]))
    empty = pl.DataFrame(schema={c: pl.Int32 for c in COLUMNS})
    return BadPixels(pl.concat(frames) if frames else empty, meta.source or "")
