"""The simulator's truth table: one row per simulated photon or particle, as Parquet with a JSON description.

The description (sources, flares, attitude, calibration, seed) is stored under the key
``xmmframe.truth`` of the Parquet key-value metadata, so the table is self-describing.
:func:`truth_writer` writes the table in parts (one row group each) as a simulation produces them.

Examples
--------
>>> from xmmframe.io.truth import read_truth
>>> table, info = read_truth("xmmframe-demo/odf/truth.parquet")         # doctest: +SKIP
>>> info["sources"][0]["name"]                                          # doctest: +SKIP
'src1'
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from typing import Any

import polars as pl
import pyarrow.parquet as pq

from xmmframe.errors import FileAccessError, ParquetMetadataError
from xmmframe.io.atomic import atomic_path

_KEY = "xmmframe.truth"


def write_truth(path: str | os.PathLike[str], table: pl.DataFrame, info: dict[str, Any]) -> None:
    """Write the truth table and its description atomically (zstd Parquet)."""
    with atomic_path(path) as tmp:
        table.lazy().sink_parquet(tmp, compression="zstd", metadata={_KEY: json.dumps(info)})


class TruthWriter:
    """A truth table being written part by part to a temporary Parquet file (see :func:`truth_writer`).

    Attributes
    ----------
    rows : int
        Rows written so far.
    """

    def __init__(self, path: str) -> None:
        self._path = path
        self._writer: pq.ParquetWriter | None = None
        self._info: dict[str, Any] | None = None
        self.rows = 0

    def write(self, part: pl.DataFrame) -> None:
        """Append rows (every part must have the columns of the first; they are cast to its types)."""
        table = part.to_arrow()
        if self._writer is None:
            self._writer = pq.ParquetWriter(self._path, table.schema, compression="zstd")
        elif table.schema != self._writer.schema:
            table = table.cast(self._writer.schema)
        self._writer.write_table(table)
        self.rows += part.height

    def describe(self, info: dict[str, Any]) -> None:
        """Set the description stored with the table."""
        self._info = info

    def close(self) -> None:
        """Finish the file (an empty table when no part was written)."""
        if self._info is None:
            raise ValueError("the truth table has no description: call describe() before closing")
        if self._writer is None:
            pl.DataFrame().lazy().sink_parquet(
                self._path, compression="zstd", metadata={_KEY: json.dumps(self._info)}
            )
            return
        self._writer.add_key_value_metadata({_KEY: json.dumps(self._info)})
        self._writer.close()

    def abort(self) -> None:
        """Close the file without finishing it (it is discarded)."""
        if self._writer is not None:
            self._writer.close()


@contextlib.contextmanager
def truth_writer(path: str | os.PathLike[str]) -> Iterator[TruthWriter]:
    """Write a truth table in parts; it replaces ``path`` atomically when the block succeeds.

    Examples
    --------
    >>> with truth_writer("truth.parquet") as out:                              # doctest: +SKIP
    ...     out.write(pl.DataFrame({"TIME": [1.0, 2.0]}))
    ...     out.describe({"seed": 1})
    """
    with atomic_path(path) as tmp:
        writer = TruthWriter(tmp)
        try:
            yield writer
        except BaseException:
            writer.abort()
            raise
        writer.close()


def read_truth(path: str | os.PathLike[str]) -> tuple[pl.DataFrame, dict[str, Any]]:
    """Read a truth table and its description."""
    spath = os.fspath(path)
    if not os.path.exists(spath):
        raise FileAccessError("no such truth table", spath)
    raw = (pq.read_metadata(spath).metadata or {}).get(_KEY.encode())
    if raw is None:
        raise ParquetMetadataError("Parquet file has no xmmframe truth description", spath)
    return pl.read_parquet(spath), json.loads(raw)


def scan_truth(path: str | os.PathLike[str]) -> pl.LazyFrame:
    """The truth table as a LazyFrame."""
    return pl.scan_parquet(os.fspath(path))
