"""The files of an event store: event files, exposure headers, the catalogue, HATS metadata, the lock.

Everything here writes through a temporary name and a rename, so a reader never sees a
half-written file.  The layout itself (paths, columns) is :mod:`xmmframe.store.layout`.

Examples
--------
>>> import polars as pl
>>> from xmmframe.io.store_files import read_catalog
>>> read_catalog("store").select("obs_id", "instrume", "expid", "events")      # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Iterator, Sequence

import polars as pl
import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

from xmmframe.errors import OutputError, ParquetMetadataError, StoreError
from xmmframe.io.atomic import atomic_output, atomic_path
from xmmframe.io.parquet import parquet_metadata, read_parquet_meta, writer_options
from xmmframe.model.hdu import CARD, RawHdu
from xmmframe.model.meta import EventMeta

#: Seconds a process waits for another ingest to finish its commit before giving up.
LOCK_TIMEOUT = 600.0


def write_event_file(path: str, frame: pl.DataFrame, row_group_rows: int, options: dict | None = None) -> None:
    """Write one exposure's events of one sky cell, in row groups of ``row_group_rows`` (atomically).

    ``options`` are pyarrow ``ParquetWriter`` options (default: chosen from ``frame``, see
    :func:`xmmframe.io.parquet.writer_options`).
    """
    table = frame.to_arrow()
    options = writer_options(frame) if options is None else options
    with atomic_path(path) as tmp, pq.ParquetWriter(tmp, table.schema, **options) as writer:
        writer.write_table(table, row_group_size=row_group_rows)


def write_hot_file(path: str, table: pa.Table) -> None:
    """Write query columns as one uncompressed Arrow IPC record batch (atomically), for memory mapping."""
    batch = table.combine_chunks().to_batches(max_chunksize=max(table.num_rows, 1))
    with atomic_path(path) as tmp, pa.OSFile(tmp, "wb") as sink, \
            ipc.new_file(sink, table.schema, options=ipc.IpcWriteOptions(compression=None)) as writer:
        for part in batch:
            writer.write_batch(part)


def open_hot_file(path: str) -> pa.RecordBatch | None:
    """The record batch of a query-column file, memory-mapped (no copy); None when there is no such file."""
    try:
        source = pa.memory_map(path, "r")
    except FileNotFoundError:
        return None
    try:
        reader = ipc.open_file(source)
        if reader.num_record_batches == 0:
            return pa.RecordBatch.from_pylist([], schema=reader.schema)
        if reader.num_record_batches != 1:
            raise StoreError("query-column file holds more than one record batch", path)
        return reader.get_batch(0)
    except pa.ArrowException as err:
        raise StoreError(f"cannot read the query-column file: {err}", path) from None


#: Key of the primary and main-table header cards, kept apart so that selections compile
#: without decoding the other extensions.
_CARDS_KEY = "xmmframe.store.cards"


def write_exposure_header(path: str, meta: EventMeta, schema: pa.Schema) -> None:
    """Write an exposure's FITS headers and other extensions as a Parquet file with no rows."""
    cards = json.dumps(["".join(meta.hdus[0].cards), "".join(meta.cards)])
    metadata = {key.encode(): value.encode() for key, value in {**parquet_metadata(meta), _CARDS_KEY: cards}.items()}
    empty = pa.Table.from_batches([], schema=schema.with_metadata(metadata))  # (empty_table imports pandas)
    with atomic_path(path) as tmp, pq.ParquetWriter(tmp, empty.schema) as writer:
        writer.write_table(empty)


def read_exposure_header(path: str) -> EventMeta:
    """The :class:`EventMeta` of an ingested exposure."""
    return read_parquet_meta(path)


def read_exposure_cards(path: str) -> EventMeta:
    """An exposure's primary and main-table headers only (as an :class:`EventMeta` of two HDUs)."""
    try:
        kv = pq.read_metadata(path).metadata or {}
        primary, table = json.loads(kv[_CARDS_KEY.encode()])
    except (OSError, KeyError, ValueError, pa.ArrowException) as err:
        raise ParquetMetadataError(f"cannot read the exposure header: {err}", path) from None
    split = [tuple(text[i : i + CARD] for i in range(0, len(text), CARD)) for text in (primary, table)]
    return EventMeta((RawHdu(split[0]), RawHdu(split[1])), 1, source=path)


def read_exposure_schema(path: str) -> pa.Schema:
    """The column types of an exposure as it was ingested (without the store's columns)."""
    try:
        return pq.read_schema(path)
    except Exception as err:  # pyarrow raises several types for damaged files
        raise ParquetMetadataError(f"cannot read Parquet schema: {err}", path) from None


def read_catalog(path: str) -> pl.DataFrame | None:
    """The catalogue table, or None when the store has none yet."""
    if not os.path.exists(path):
        return None
    try:
        return pl.read_parquet(path)
    except Exception as err:  # polars raises several types for damaged files
        raise StoreError(f"cannot read the store catalogue: {err}", path) from None


def write_catalog(path: str, catalog: pl.DataFrame) -> None:
    """Replace the catalogue table (write, then rename: readers see the old or the new one)."""
    with atomic_path(path) as tmp:
        catalog.write_parquet(tmp, statistics=True)


def write_text(path: str, text: str) -> None:
    """Replace a small text file atomically."""
    with atomic_output(path) as stream:
        stream.write(text.encode())


def write_schema(path: str, schema: pa.Schema) -> None:
    """Write a Parquet metadata file holding only ``schema`` (HATS ``_common_metadata``)."""
    with atomic_path(path) as tmp:
        pq.write_metadata(schema, tmp)


def read_schema(path: str) -> pa.Schema | None:
    """The schema in a Parquet metadata file, or None when it does not exist."""
    if not os.path.exists(path):
        return None
    return read_exposure_schema(path)


def move_into_place(pairs: Sequence[tuple[str, str]]) -> None:
    """Rename staged files to their final names (same filesystem), making directories as needed."""
    for source, target in pairs:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.replace(source, target)


def remove_files(paths: Sequence[str]) -> None:
    """Delete files, ignoring those already gone, and the cell directories left empty."""
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)
        with contextlib.suppress(OSError):
            os.rmdir(os.path.dirname(path))


def remove_tree(path: str) -> None:
    """Delete a staging directory and everything in it."""
    shutil.rmtree(path, ignore_errors=True)


def make_directory(path: str) -> None:
    """Create a directory (and its parents); a clear error when that is impossible."""
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as err:
        raise OutputError(f"cannot create directory: {err.strerror}", path) from None


def list_files(directory: str, suffix: str = "") -> Iterator[str]:
    """Every file under ``directory`` whose name ends with ``suffix`` (none when it does not exist)."""
    for folder, _, names in os.walk(directory):
        for name in names:
            if name.endswith(suffix):
                yield os.path.join(folder, name)


@contextlib.contextmanager
def store_lock(path: str, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold the store's lock file (one committing ingest at a time, across processes)."""
    from filelock import FileLock, Timeout

    lock = FileLock(path, timeout=timeout)
    try:
        with lock:
            yield
    except Timeout:
        raise StoreError(f"another ingest has held the store lock for {timeout:.0f} s", path) from None
