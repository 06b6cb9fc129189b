"""Opening event lists (FITS or Parquet) as :class:`~xmmframe.model.events.EventList` and writing them as FITS.

Examples
--------
>>> import xmmframe
>>> events = xmmframe.open_events("P0001730201M1S002MIEVLI.FTZ")     # doctest: +SKIP
>>> events.write_parquet("M1.parquet")                                # doctest: +SKIP
>>> xmmframe.open_events("M1.parquet").write_fits("M1.fits")          # doctest: +SKIP
"""

from __future__ import annotations

import os

from xmmframe.errors import FileAccessError
from xmmframe.io.fits_scan import FitsTable
from xmmframe.io.fits_structure import HduInfo, find_hdu, open_binary, read_structure
from xmmframe.io.fits_write import TableHdu, write_hdus
from xmmframe.model.events import EventList
from xmmframe.model.hdu import RawHdu
from xmmframe.model.meta import EventMeta
from xmmframe.model.registry import register

_PARQUET_MAGIC = b"PAR1"

#: Every file :func:`open_events` has opened in this process, oldest first: rows are read only
#: later, when a product asks for them, so an error found in the data (a damaged Parquet page)
#: surfaces far from the call that opened the file; the command line names these files then.
_OPENED: list[str] = []


def opened_files() -> tuple[str, ...]:
    """The event files :func:`open_events` has opened in this process, oldest first.

    Returns
    -------
    tuple of str

    Examples
    --------
    >>> isinstance(opened_files(), tuple)
    True
    """
    return tuple(_OPENED)


def is_parquet(path: str | os.PathLike[str]) -> bool:
    """Whether a file is Parquet (by its magic bytes)."""
    try:
        with open(path, "rb") as handle:
            return handle.read(4) == _PARQUET_MAGIC
    except FileNotFoundError:
        raise FileAccessError("no such file", path) from None
    except IsADirectoryError:
        raise FileAccessError("is a directory", path) from None


def read_raw_hdus(path: str | os.PathLike[str], hdus: list[HduInfo], skip: int | None = None) -> tuple[RawHdu, ...]:
    """Every HDU with its data in memory (one sequential pass), except ``skip`` which gets cards only."""
    result: list[RawHdu] = []
    with open_binary(path) as stream:
        for info in hdus:
            if info.index == skip or info.data_size == 0:
                result.append(RawHdu(info.cards))
                continue
            stream.seek(info.data_offset)
            result.append(RawHdu(info.cards, stream.read(info.data_size)))
    return tuple(result)


def open_events(path: str | os.PathLike[str], hdu: int | str | None = None) -> EventList:
    """Open an event list (or any FITS binary table) lazily, with all of its metadata.

    Parameters
    ----------
    path : str or path-like
        FITS (plain or gzip) or a Parquet file written by xmmframe.
    hdu : int or str, optional
        The main table for FITS input; by default ``EVENTS``, else the first binary table.

    Returns
    -------
    EventList
        Rows are read only when needed; the other HDUs (GTIs, OFFSETS, EXPOSUnn,
        BADPIXnn, CALINDEX, ...) are kept in memory in ``meta``.

    Examples
    --------
    >>> events = open_events("M1_clean.fits")          # doctest: +SKIP
    >>> events.meta.gtis[1].duration                   # doctest: +SKIP
    """
    spath = os.fspath(path)
    if is_parquet(spath):
        from xmmframe.io.parquet import open_events_parquet

        events = open_events_parquet(spath)
    else:
        hdus = read_structure(spath)
        info = find_hdu(hdus, hdu, spath)
        table = FitsTable(info, path=spath)
        meta = EventMeta(read_raw_hdus(spath, hdus, skip=info.index), info.index, source=spath)
        events = EventList(table.scan(), meta)
    _OPENED.append(spath)
    return events


@register("EventList.write_fits")
def write_events_fits(events: EventList, path: str | os.PathLike[str]) -> None:
    """Write an EventList as FITS: its other HDUs verbatim and the table from its frame."""
    meta = events.meta
    frame = events.collect()
    hdus: list[RawHdu | TableHdu] = list(meta.hdus)
    hdus[meta.table_index] = TableHdu(meta.cards, frame)
    write_hdus(path, hdus, protect=[meta.source] if meta.source else ())
