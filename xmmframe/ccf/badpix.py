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

import numpy as np
import polars as pl

from xmmframe.ccf.ccf_file import ccf_table

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
    """The bad pixels an event list carries in its ``BADPIXnn`` extensions (``nn`` = CCD).

    Examples
    --------
    >>> bad = read_event_badpixels("P0001730201M1S002MIEVLI.FTZ")      # doctest: +SKIP
    """
    from xmmframe.io.fits_scan import FitsTable
    from xmmframe.io.fits_structure import read_structure

    spath = os.fspath(path)
    frames = []
    for hdu in read_structure(spath):
        if hdu.name.startswith("BADPIX") and hdu.name[6:].isdigit() and hdu.kind == "BINTABLE":
            table = FitsTable(hdu, path=spath).read()
            if table.height == 0:
                continue
            ccd = int(hdu.header.get("CCDID", hdu.name[6:]))
            extent = table["YEXTENT"] if "YEXTENT" in table.columns else pl.Series([1] * table.height)
            kind = table["TYPE"] if "TYPE" in table.columns else pl.Series([0] * table.height)
            frames.append(pl.DataFrame({"CCDID": [ccd] * table.height, "RAWX": table["RAWX"], "RAWY": table["RAWY"],
                                        "TYPE": kind, "YEXTENT": extent}).select([pl.col(c).cast(pl.Int32) for c in COLUMNS]))
    empty = pl.DataFrame(schema={c: pl.Int32 for c in COLUMNS})
    return BadPixels(pl.concat(frames) if frames else empty, spath)
