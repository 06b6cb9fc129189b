"""Writing a FITS binary table from batches of rows, so a table larger than memory can be written.

The table is the last HDU of the file; the HDUs before it are written first.  Its header is
planned from the schema (:func:`xmmframe.io.fits_write.plan_table`, so the cards are the ones a
one-shot write of the same rows gives), written with ``NAXIS2 = 0``, and rewritten in place
with the row count when the writer closes (the header does not change size).  Only columns
whose storage does not depend on the rows can be written this way: numbers, booleans and
fixed-size arrays; string and variable-length columns raise :class:`~xmmframe.errors.ColumnError`.
A column without ``TNULL`` in the template cannot take nulls.  The file is written atomically
(:mod:`xmmframe.io.atomic`): an error inside the ``with`` block leaves no file behind.

Examples
--------
>>> import polars as pl
>>> from xmmframe.io.fits_write import primary_template, table_template
>>> schema = {"FRAME": pl.Int32, "PI": pl.Int16}
>>> with table_writer("big.fits", [primary_template()], table_template("EVENTS"), schema) as out:  # doctest: +SKIP
...     for first in range(0, 10**8, 10**6):
...         out.write(pl.DataFrame({"FRAME": range(first, first + 10**6), "PI": 1}, schema=schema))
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping, Sequence
from typing import BinaryIO

import polars as pl

from xmmframe.errors import ColumnError
from xmmframe.io.atomic import atomic_output
from xmmframe.io.fits_columns import HeapWriter
from xmmframe.io.fits_structure import padded
from xmmframe.io.fits_write import (
    ImageHdu,
    TableHdu,
    header_bytes,
    plan_table,
    set_card_value,
    update_checksum,
    write_hdus_to,
    write_rows,
)
from xmmframe.model.hdu import RawHdu


class TableBatchWriter:
    """Rows of one binary table appended batch by batch to an open stream (see the module docstring).

    Parameters
    ----------
    stream : binary file
        Positioned where the table's header starts; readable too when the cards carry ``CHECKSUM``.
    cards : sequence of str
        Header card images (a template: the column cards are planned from ``schema``).
    schema : mapping of column name to polars dtype
        The columns of every batch, in order.

    Attributes
    ----------
    rows : int
        Rows written so far.
    """

    def __init__(self, stream: BinaryIO, cards: Sequence[str], schema: Mapping[str, pl.DataType]) -> None:
        self._schema = pl.Schema(schema)
        for name, dtype in self._schema.items():
            if dtype == pl.String or isinstance(dtype, pl.List) or dtype == pl.Object:
                raise ColumnError(f"column {name}: {dtype} columns cannot be written in batches")
        self._cards, self._formats = plan_table(cards, pl.DataFrame(schema=self._schema))
        self._stream = stream
        self._start = stream.tell()
        stream.write(header_bytes(self._cards))
        self._data_start = stream.tell()
        self._heap = HeapWriter()
        self.rows = 0

    def write(self, frame: pl.DataFrame) -> None:
        """Append the rows of ``frame`` (its columns and dtypes must be the schema's)."""
        if frame.schema != self._schema:
            raise ColumnError(
                f"batch columns {dict(frame.schema)} differ from the table's {dict(self._schema)}"
            )
        write_rows(self._stream, frame, self._formats, self._heap)
        self.rows += frame.height

    def finish(self) -> None:
        """Pad the data to a whole FITS block and rewrite the header with the row count."""
        stream = self._stream
        size = stream.tell() - self._data_start
        stream.write(b"\x00" * (padded(size) - size))
        end = stream.tell()
        cards = [set_card_value(c, self.rows) if c.startswith("NAXIS2  =") else c for c in self._cards]
        stream.seek(self._start)
        stream.write(header_bytes(cards))
        stream.seek(end)
        if any(c.startswith(("CHECKSUM=", "DATASUM =")) for c in cards):
            update_checksum(stream, self._start, self._data_start, cards)


@contextlib.contextmanager
def table_writer(
    path: str | os.PathLike[str],
    before: Sequence[RawHdu | TableHdu | ImageHdu],
    cards: Sequence[str],
    schema: Mapping[str, pl.DataType],
    *,
    protect: Sequence[str] = (),
) -> Iterator[TableBatchWriter]:
    """Write a FITS file whose HDUs ``before`` are followed by a binary table written in batches.

    Parameters
    ----------
    path : str or path-like
        Output file (replaced atomically when the block ends without error).
    before : sequence of RawHdu, TableHdu or ImageHdu
        The HDUs before the table, the first being the primary HDU.
    cards : sequence of str
        Header card images of the table (e.g. :func:`~xmmframe.io.fits_write.table_template`).
    schema : mapping of column name to polars dtype
        Columns of the table.
    protect : sequence of str
        Input files that must not be overwritten.

    Yields
    ------
    TableBatchWriter
        Call its ``write(frame)`` for each batch of rows.

    Examples
    --------
    >>> import polars as pl
    >>> from xmmframe.io.fits_write import primary_template, table_template
    >>> with table_writer("t.fits", [primary_template()], table_template("T"), {"PI": pl.Int16}) as out:  # doctest: +SKIP
    ...     out.write(pl.DataFrame({"PI": pl.Series([1, 2], dtype=pl.Int16)}))
    """
    with atomic_output(path, protect=protect) as stream:
        write_hdus_to(stream, before)
        writer = TableBatchWriter(stream, cards, schema)
        yield writer
        writer.finish()
