"""Query-column files: the columns most selections read, beside each event file, memory-mapped.

Every event file of the store (Parquet, the source of truth) has a query-column file holding
``HOT_COLUMNS`` of the same rows in the same order, as one uncompressed Arrow IPC record batch
(:func:`xmmframe.store.layout.hot_file` gives its name).  Each integer column is stored in the
narrowest type that holds its values in that file exactly (``PI`` of 0..20479 as UInt16,
``PATTERN`` as UInt8, ``X``/``Y`` as UInt16 or Int32, ``FLAG`` as its values need), nulls as an
Arrow validity bitmap, ``TIME`` as Float64.  Reading one is a memory map: no decoding, and
the bytes per event of a ``PI``/``PATTERN``/``FLAG``/``X``/``Y`` selection fall from 18
(their FITS types, which Parquet must decode first) to 9-11.

Why: the Parquet files of the store decode at about 170 million events per second for the
five columns of a selection (LZ4 and dictionary decoding), which caps a full-store selection +
spectrum below the 300 M/s target; mapped columns are read at memory speed by the fused
selection and histogram kernel of :mod:`xmmframe.store.kernel`.

The file also records, in its schema metadata, its row count, the name of its event file, and
the minimum and maximum of every column in blocks of ``BLOCK_ROWS`` rows: rows are sorted by
sky index, so a block covers a small patch of sky and a selection's bounds on X/Y (a circle),
PI or TIME let the kernel skip most blocks.

Ingest writes it in the staging directory with its event file and moves both before the
catalogue commit, so a file the catalogue lists always has its query-column file (stores
written before query-column files existed are read from the Parquet instead).

Examples
--------
>>> import polars as pl
>>> frame = pl.DataFrame({"PI": pl.Series([200, 12000], dtype=pl.Int16), "PATTERN": [0, 4]})
>>> table = hot_table(frame, "k-t.parquet")
>>> [str(t) for t in table.schema.types]
['uint16', 'uint8']
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import polars as pl
import pyarrow as pa

from xmmframe.io import store_files
from xmmframe.store import layout

#: Columns stored in query-column files (those present in an event list).
HOT_COLUMNS = ("PI", "PATTERN", "FLAG", "X", "Y", "TIME", layout.INDEX_COLUMN)
#: Rows per block of the per-block bounds (a multiple of 8: blocks start on a byte of the validity bitmaps).
BLOCK_ROWS = 1 << 14
_META_KEY = b"xmmframe.hot"
#: Integer types tried, narrowest first.
_NARROW = (pl.UInt8, pl.Int8, pl.UInt16, pl.Int16, pl.UInt32, pl.Int32, pl.Int64)
_RANGES = {pl.UInt8: (0, 255), pl.Int8: (-128, 127), pl.UInt16: (0, 65535), pl.Int16: (-32768, 32767),
           pl.UInt32: (0, 2**32 - 1), pl.Int32: (-(2**31), 2**31 - 1), pl.Int64: (-(2**63), 2**63 - 1)}


def narrow_integer(series: pl.Series) -> pl.Series:
    """An integer column in the narrowest type that holds each of its values exactly."""
    low, high = series.min(), series.max()
    if low is None:
        return series.cast(pl.UInt8)
    for dtype in _NARROW:
        a, b = _RANGES[dtype]
        if a <= low and high <= b:  # type: ignore[operator]
            return series.cast(dtype)
    return series  # UInt64 beyond Int64


def _block_bounds(values: np.ndarray, valid: np.ndarray | None) -> tuple[list, list]:
    """Minimum and maximum of each block of ``BLOCK_ROWS`` (None for a block without a number)."""
    mins: list = []
    maxs: list = []
    for start in range(0, len(values), BLOCK_ROWS):
        part = values[start:start + BLOCK_ROWS]
        if valid is not None:
            part = part[valid[start:start + BLOCK_ROWS]]
        if part.dtype.kind == "f":
            part = part[~np.isnan(part)]
        if part.size == 0:
            mins.append(None)
            maxs.append(None)
        else:
            mins.append(part.min().item())
            maxs.append(part.max().item())
    return mins, maxs


def hot_table(frame: pl.DataFrame, event_name: str) -> pa.Table:
    """The query-column table of the rows of one event file (``frame``, in the file's order)."""
    columns = []
    bounds = {}
    for name in HOT_COLUMNS:
        if name not in frame.columns:
            continue
        series = frame[name]
        if series.dtype.is_integer():
            series = narrow_integer(series)
        elif not series.dtype.is_float():
            continue
        columns.append(series)
        valid = series.is_not_null().to_numpy() if series.null_count() else None
        values = series.to_physical().fill_null(0).to_numpy() if valid is not None else series.to_numpy()
        bounds[name] = _block_bounds(values, valid)
    table = pl.DataFrame(columns).to_arrow() if columns else pa.table({})
    meta = {"rows": frame.height, "event_file": event_name, "block_rows": BLOCK_ROWS, "bounds": bounds}
    return table.replace_schema_metadata({_META_KEY: json.dumps(meta).encode()})


def write_hot_file(path: str, frame: pl.DataFrame, event_name: str) -> None:
    """Write the query-column file of one event file's rows (atomically)."""
    store_files.write_hot_file(path, hot_table(frame, event_name))


@dataclass(frozen=True)
class HotColumns:
    """The mapped query columns of one event file.

    Attributes
    ----------
    rows : int
        Rows of the event file.
    values : dict
        Column name -> numpy array of its stored values (a view of the mapped file).
    validity : dict
        Column name -> Arrow validity bitmap as uint8 (one bit per row, 1 = not null), for
        columns with nulls.
    bounds : dict
        Column name -> (minima, maxima) per block of ``block_rows`` rows (None: no number).
    block_rows : int
    complete : dict
        Column name -> per block, True when the block has no null (columns in ``validity``).
    """

    rows: int
    values: dict[str, np.ndarray]
    validity: dict[str, np.ndarray]
    bounds: dict[str, tuple[list, list]]
    block_rows: int
    complete: dict[str, np.ndarray]


def complete_blocks(bitmap: np.ndarray, rows: int, block_rows: int) -> np.ndarray:
    """Per block of ``block_rows`` (a multiple of 8), whether every row of it is valid in an Arrow bitmap.

    Examples
    --------
    >>> complete_blocks(np.packbits([1] * 16 + [1, 0] + [1] * 6, bitorder="little"), 24, 8).tolist()
    [True, True, False]
    """
    count = (rows + block_rows - 1) // block_rows
    full = np.zeros(count, dtype=bool)
    whole_bytes = rows // 8
    per_block = block_rows // 8
    for k in range(count):
        first, last = k * per_block, min((k + 1) * per_block, whole_bytes)
        tail = rows % 8 if (k + 1) * block_rows >= rows else 0
        full[k] = bool(np.all(bitmap[first:last] == 0xFF)) and (
            tail == 0 or (int(bitmap[whole_bytes]) & ((1 << tail) - 1)) == (1 << tail) - 1)
    return full


def read_hot(path: str, rows: int, event_name: str) -> HotColumns | None:
    """The query columns of an event file, or None when its file is missing or does not match it.

    ``rows`` and ``event_name`` are the event file's row count (from the catalogue) and name:
    a query-column file for other rows is never used.
    """
    batch = store_files.open_hot_file(path)
    if batch is None:
        return None
    try:
        meta = json.loads((batch.schema.metadata or {})[_META_KEY])
    except (KeyError, ValueError):
        return None
    if meta.get("rows") != rows or meta.get("event_file") != event_name or batch.num_rows != rows:
        return None
    values, validity = {}, {}
    for name, column in zip(batch.schema.names, batch.columns):
        if column.offset != 0 or not (pa.types.is_integer(column.type) or pa.types.is_floating(column.type)):
            continue
        buffers = column.buffers()
        dtype = np.dtype(column.type.to_pandas_dtype())
        values[name] = np.frombuffer(buffers[1], dtype=dtype, count=rows) if rows else np.zeros(0, dtype)
        if column.null_count and buffers[0] is not None:
            validity[name] = np.frombuffer(buffers[0], dtype=np.uint8, count=(rows + 7) // 8)
    bounds = {name: (b[0], b[1]) for name, b in meta.get("bounds", {}).items()}
    block_rows = int(meta.get("block_rows", BLOCK_ROWS))
    complete = {name: complete_blocks(bitmap, rows, block_rows) for name, bitmap in validity.items()}
    return HotColumns(rows, values, validity, bounds, block_rows, complete)
