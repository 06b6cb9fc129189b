"""Bad pixels: the ``EPN_BADPIX`` / ``EMOSn_BADPIX`` CCF and an event list's ``BADPIXnn`` tables.

Layout: the extension name ``BADPIX`` is the real CCF's (from the CIFs in the reference
data); its columns are assumed to be those of the event lists' per-CCD ``BADPIXnn`` tables,
plus the CCD: ``CCDID`` (I), ``RAWX`` (I), ``RAWY`` (I), ``TYPE`` (I), ``YEXTENT`` (I: the
number of pixels in RAWY from ``RAWY`` on, e.g. a whole column).

Examples
--------
>>> from xmmframe.ccf.badpix import read_badpix, read_event_badpixels
>>> read_badpix("EPN_BADPIX_0145.CCF").pixels.height                       # doctest: +SKIP
>>> read_event_badpixels("mos1_exp1_clean_evts.fits").pixels.columns       # doctest: +SKIP
['CCDID', 'RAWX', 'RAWY', 'TYPE', 'YEXTENT']
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from xmmframe.ccf.ccf_file import ccf_table

if TYPE_CHECKING:
    from xmmframe.model.meta import EventMeta

COLUMNS = ("CCDID", "RAWX", "RAWY", "TYPE", "YEXTENT")


@dataclass(frozen=True)
class BadPixels:
    """Bad pixels and columns, one row per entry (``YEXTENT`` pixels up from ``RAWY``).

    Attributes
    ----------
    pixels : polars.DataFrame
        Columns ``CCDID, RAWX, RAWY, TYPE, YEXTENT``.
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
    frame, _ = ccf_table(spath, "BADPIX", COLUMNS)
    return BadPixels(frame.select([pl.col(c).cast(pl.Int32) for c in COLUMNS]), spath)


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
