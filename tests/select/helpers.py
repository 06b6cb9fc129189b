"""Small builders shared by the selection tests: event metadata from cards, FITS files on disk."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from astropy.io import fits

from xmmframe.model.hdu import RawHdu
from xmmframe.model.meta import EventMeta

_WIDTHS = {"I": 2, "J": 4, "K": 8, "B": 1, "E": 4, "D": 8, "A": 1}


def event_meta(keywords: dict[str, object], columns: dict[str, str]) -> EventMeta:
    """EventMeta of an (empty) EVENTS table with these columns (name -> TFORM) and header keywords."""
    primary = [
        "SIMPLE  =                    T",
        "BITPIX  =                    8",
        "NAXIS   =                    0",
    ]
    width = sum(_WIDTHS[tform[-1]] * int(tform[:-1] or 1) for tform in columns.values())
    table = [
        "XTENSION= 'BINTABLE'",
        "BITPIX  =                    8",
        "NAXIS   =                    2",
        f"NAXIS1  = {width:>20}",
        "NAXIS2  =                    0",
        "PCOUNT  =                    0",
        "GCOUNT  =                    1",
        f"TFIELDS = {len(columns):>20}",
        "EXTNAME = 'EVENTS'",
    ]
    for n, (name, tform) in enumerate(columns.items(), start=1):
        table += [f"TTYPE{n:<3}= '{name}'", f"TFORM{n:<3}= '{tform}'"]
    for key, value in keywords.items():
        text = f"'{value}'" if isinstance(value, str) else ("T" if value is True else str(value))
        table.append(f"{key:<8}= {text}")
    return EventMeta((RawHdu(tuple(c.ljust(80) for c in primary)), RawHdu(tuple(c.ljust(80) for c in table))))


def write_gti(path: Path, intervals: list[tuple[float, float]], names: tuple[str, ...] = ("STDGTI",)) -> Path:
    """A GTI file with one START/STOP extension per name (the same intervals, shifted by 1000 s each)."""
    hdus: list[fits.hdu.base.ExtensionHDU] = [fits.PrimaryHDU()]
    for n, name in enumerate(names):
        start = np.array([a for a, _ in intervals], dtype=np.float64) + 1000.0 * n
        stop = np.array([b for _, b in intervals], dtype=np.float64) + 1000.0 * n
        hdus.append(
            fits.BinTableHDU.from_columns(
                [fits.Column("START", "D", array=start), fits.Column("STOP", "D", array=stop)], name=name
            )
        )
    fits.HDUList(hdus).writeto(path, overwrite=True)
    return path


def write_events(path: Path, columns: dict[str, np.ndarray], header: dict[str, object] | None = None) -> Path:
    """A FITS event file with an EVENTS table of these columns (X/Y as 'J', others by dtype)."""
    codes = {
        np.dtype("int16"): "I",
        np.dtype("int32"): "J",
        np.dtype("int64"): "K",
        np.dtype("float64"): "D",
        np.dtype("float32"): "E",
        np.dtype("uint8"): "B",
    }
    table = fits.BinTableHDU.from_columns(
        [fits.Column(name, codes[values.dtype], array=values) for name, values in columns.items()],
        name="EVENTS",
    )
    for key, value in (header or {}).items():
        table.header[key] = value
    fits.HDUList([fits.PrimaryHDU(), table]).writeto(path, overwrite=True)
    return path
