"""The simulator's truth table: one row per simulated photon or particle, as Parquet with a JSON description.

The description (sources, flares, attitude, calibration, seed) is stored under the key
``xmmframe.truth`` of the Parquet key-value metadata, so the table is self-describing.

Examples
--------
>>> from xmmframe.io.truth import read_truth
>>> table, info = read_truth("xmmframe-demo/odf/truth.parquet")         # doctest: +SKIP
>>> info["sources"][0]["name"]                                          # doctest: +SKIP
'src1'
"""

from __future__ import annotations

import json
import os
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
