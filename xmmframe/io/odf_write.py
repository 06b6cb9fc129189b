"""Writing ODF constituents: FITS files of a primary header and binary tables (the simulator's output).

Each keyword is given as ``value`` or ``(value, comment)``; tables are Polars frames whose
dtypes give the FITS formats (``Int16 -> I``, ``Int32 -> J``, ``UInt8 -> B``, ``UInt16 -> I`` with
``TZERO = 32768``, ``Float64 -> D``, ``Float32 -> E``, ``String -> nA``).  Files are written
atomically (temporary file + rename).  :func:`constituent_writer` writes a constituent whose one
table arrives in batches (event files longer than memory).

Examples
--------
>>> import polars as pl
>>> from xmmframe.io.odf_write import write_constituent
>>> frame = pl.DataFrame({"FRAME": pl.Series([1, 2], dtype=pl.Int32)})
>>> write_constituent("0001_0000000001_M1S00100AUX.FIT", {"TELESCOP": "XMM"},
...                   [("AUX", {"CCDID": (1, "CCD")}, frame)])             # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping, Sequence

import polars as pl

from xmmframe.io.cards import sas_cards
from xmmframe.io.fits_batches import TableBatchWriter, table_writer
from xmmframe.io.fits_write import TableHdu, primary_template, table_template, write_hdus
from xmmframe.model.hdu import RawHdu

Keywords = Mapping[str, object]


def primary_hdu(keywords: Keywords) -> RawHdu:
    """A data-less primary HDU with the given keywords."""
    base = primary_template()
    return RawHdu(tuple(base.cards) + tuple(sas_cards(keywords)))


def table_hdu(extname: str, keywords: Keywords, frame: pl.DataFrame, columns: Sequence[str] = ()) -> TableHdu:
    """A binary table HDU: EXTNAME, the column definitions (or ``columns`` card images) and keywords."""
    cards = list(table_template(extname)) + list(columns) + sas_cards(keywords)
    return TableHdu(tuple(cards), frame)


def write_constituent(
    path: str | os.PathLike[str],
    primary: Keywords,
    tables: Sequence[tuple[str, Keywords, pl.DataFrame]],
) -> None:
    """Write one FITS file: a primary header and binary tables ``(extname, keywords, frame)``."""
    write_hdus(path, [primary_hdu(primary)] + [table_hdu(name, keys, frame) for name, keys, frame in tables])


@contextlib.contextmanager
def constituent_writer(
    path: str | os.PathLike[str],
    primary: Keywords,
    extname: str,
    keywords: Keywords,
    schema: Mapping[str, pl.DataType],
) -> Iterator[TableBatchWriter]:
    """Write one FITS file of a primary header and one binary table given in batches.

    The file is the one :func:`write_constituent` writes for the concatenated batches.

    Examples
    --------
    >>> schema = {"FRAME": pl.Int32, "RAWX": pl.Int16}
    >>> with constituent_writer("PNS00301IME.FIT", {"TELESCOP": "XMM"}, "EVENTS", {}, schema) as out:  # doctest: +SKIP
    ...     out.write(pl.DataFrame({"FRAME": [1, 2], "RAWX": [5, 6]}, schema=schema))
    """
    cards = table_hdu(extname, keywords, pl.DataFrame(schema=schema)).cards
    with table_writer(path, [primary_hdu(primary)], cards, schema) as writer:
        yield writer
