"""Scanning FITS binary tables as Polars LazyFrames (a Polars IO plugin).

Rows are read in large contiguous blocks (whole rows, never a column at a time) and each
projected column is converted from big-endian to native in one vectorised pass per block.
Only the columns a query needs are converted, the predicate is applied block by block and
reading stops once ``n_rows`` rows have been produced, so memory stays bounded by a few
blocks whatever the file size. Blocks are read in order into a few reused buffers and decoded
and filtered by ``DECODE_THREADS`` threads at once; the batches come out in file order.

Examples
--------
>>> import polars as pl
>>> import xmmframe
>>> lf = xmmframe.scan_fits("P0001730201M1S002MIEVLI.FTZ")            # doctest: +SKIP
>>> lf.filter(pl.col("PI") > 10000).select(pl.len()).collect()        # doctest: +SKIP
"""

from __future__ import annotations

import os
import queue
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from functools import cached_property
from typing import TypeVar

import numpy as np
import polars as pl
from polars.io.plugins import register_io_source

from xmmframe.errors import ColumnError, HduNotFoundError, HeaderError, TruncatedFileError
from xmmframe.io.fits_columns import ColumnFormat, HeapReader, header_number, parse_columns
from xmmframe.io.fits_structure import STREAM_ERRORS, HduInfo, find_hdu, open_binary, read_structure
from xmmframe.model.hdu import RawHdu
from xmmframe.model.registry import register

#: Bytes of whole rows read per block; large enough to amortise I/O, small enough for the CPU cache.
BLOCK_BYTES = 8 << 20
#: Threads that decode and filter blocks concurrently (numpy's conversions and Polars' filter
#: release the GIL); blocks are still read in order and results yielded in order.
DECODE_THREADS = min(4, os.cpu_count() or 1)

_T = TypeVar("_T")


class FitsTable:
    """A binary-table HDU, on disk or in memory, readable block by block.

    Parameters
    ----------
    info : HduInfo
        The HDU's header and position.
    path : str, optional
        File holding the HDU (for on-disk tables).
    data : bytes, optional
        The HDU's whole data part (for in-memory tables).

    Examples
    --------
    >>> table = FitsTable.open("events.fits", "EVENTS")     # doctest: +SKIP
    >>> table.read(["PI"]).height                           # doctest: +SKIP
    """

    def __init__(self, info: HduInfo, path: str | None = None, data: bytes | None = None) -> None:
        if info.kind != "BINTABLE":
            where = f"HDU {info.index} ({info.name or info.kind})"
            raise HduNotFoundError(f"{where} is not a binary table", path)
        self.info = info
        self.path = path
        self.data = data
        self.columns: list[ColumnFormat] = parse_columns(info.header, path or "")
        names = [c.name for c in self.columns]
        duplicates = {n for n in names if names.count(n) > 1}
        if duplicates:
            raise ColumnError(f"HDU {info.index}: duplicate column names {sorted(duplicates)}", path)

    @classmethod
    def open(cls, path: str | os.PathLike[str], hdu: int | str | None = None) -> "FitsTable":
        """Open one binary table of a FITS file (``None``: EVENTS, else the first table)."""
        spath = os.fspath(path)
        return cls(find_hdu(read_structure(spath), hdu, spath), path=spath)

    @classmethod
    def from_raw(cls, raw: RawHdu) -> "FitsTable":
        """A table held in memory (an extension carried by an :class:`~xmmframe.model.meta.EventMeta`)."""
        return cls(HduInfo(-1, raw.cards, 0, len(raw.data)), data=raw.data)

    @property
    def nrows(self) -> int:
        """Number of rows."""
        return int(self.info.header["NAXIS2"])

    @property
    def row_bytes(self) -> int:
        """Bytes per row (NAXIS1)."""
        return int(self.info.header["NAXIS1"])

    @property
    def schema(self) -> dict[str, pl.DataType]:
        """Column names and Polars dtypes, in file order."""
        return {c.name: c.dtype for c in self.columns}

    def column(self, name: str) -> ColumnFormat:
        """Format of one column (exact name, or case-insensitive match)."""
        for c in self.columns:
            if c.name == name:
                return c
        for c in self.columns:
            if c.name.upper() == name.upper():
                return c
        raise ColumnError(f"no column {name!r}; columns are {', '.join(c.name for c in self.columns)}", self.path)

    def require_unit(self, name: str, unit: str) -> None:
        """Refuse a column whose ``TUNITn`` is given but is not ``unit`` (in any usual spelling).

        A column without ``TUNITn`` is accepted: many real files leave it out, while a wrong
        unit (``eV`` for ``keV``, ``m**2`` for ``cm**2``) would scale every value silently.

        Raises
        ------
        xmmframe.errors.ColumnError
            Naming the file, the table, the column and both units.
        """
        column = self.column(name)
        found = self.info.header.get(f"TUNIT{column.number}")
        if found is None or not str(found).strip():
            return
        if _unit_key(str(found)) != _unit_key(unit):
            raise ColumnError(
                f"table {self.info.name}: column {column.name} is in {str(found).strip()!r}, expected {unit!r}",
                self.path,
            )

    @cached_property
    def heap(self) -> HeapReader | None:
        """The heap of variable-length arrays, read once when first needed."""
        if not any(c.is_variable for c in self.columns):
            return None
        theap = int(header_number(self.info.header, "THEAP", self.nrows * self.row_bytes, self.path or ""))
        size = int(self.info.header.get("PCOUNT", 0))
        main = self.nrows * self.row_bytes
        start, stop = theap, main + size
        where = f"{self.path or '<memory>'}[{self.info.name or self.info.index}]"
        if start < 0 or start > stop:
            raise HeaderError(f"HDU {self.info.index}: THEAP = {theap} lies outside the data (PCOUNT = {size})", self.path)
        if self.data is not None:
            return HeapReader(np.frombuffer(self.data, dtype=np.uint8)[start:stop], where)
        with open_binary(self.path) as stream:  # type: ignore[arg-type]
            try:
                stream.seek(self.info.data_offset + start)
                return HeapReader(stream.read(stop - start), where)
            except STREAM_ERRORS as err:
                raise TruncatedFileError(
                    f"HDU {self.info.index} ({self.info.name}): cannot read the heap: {err}", self.path
                ) from None

    def iter_blocks(self, block_rows: int | None = None) -> Iterator[np.ndarray]:
        """Yield consecutive blocks of whole rows as ``uint8`` arrays of shape (n, NAXIS1)."""
        for rows, _ in self._blocks(block_rows):
            yield rows

    def _block_rows(self, block_rows: int | None) -> int:
        """Rows per block: ``block_rows`` if given, else as many as fit in ``BLOCK_BYTES``."""
        return block_rows or max(1, BLOCK_BYTES // max(1, self.row_bytes))

    def _blocks(
        self, block_rows: int | None = None, buffers: queue.Queue[np.ndarray] | None = None
    ) -> Iterator[tuple[np.ndarray, np.ndarray | None]]:
        """Yield ``(rows, buffer)`` for consecutive blocks of whole rows.

        With ``buffers``, each block of an on-disk table is read into a buffer taken from that
        queue (waiting for one if it is empty) and ``buffer`` is that array, which the caller
        puts back once done with ``rows``; otherwise every block gets a new array and
        ``buffer`` is None.
        """
        width = self.row_bytes
        nrows = self.nrows
        if width == 0 or nrows == 0:
            return
        block_rows = self._block_rows(block_rows)
        if self.data is not None:
            rows = np.frombuffer(self.data, dtype=np.uint8, count=nrows * width).reshape(nrows, width)
            for start in range(0, nrows, block_rows):
                yield rows[start : start + block_rows], None
            return
        with open_binary(self.path) as stream:  # type: ignore[arg-type]
            stream.seek(self.info.data_offset)
            for start in range(0, nrows, block_rows):
                n = min(block_rows, nrows - start)
                buffer = buffers.get() if buffers is not None else np.empty(n * width, dtype=np.uint8)
                try:
                    got = stream.readinto(memoryview(buffer[: n * width]))
                except STREAM_ERRORS as err:  # a damaged or shortened gzip stream
                    raise TruncatedFileError(
                        f"HDU {self.info.index} ({self.info.name}): cannot read the data after row {start}: {err}",
                        self.path,
                    ) from None
                if got != n * width:
                    raise TruncatedFileError(
                        f"HDU {self.info.index} ({self.info.name}): data ends at row {start + got // width} "
                        f"of {nrows}",
                        self.path,
                    )
                yield buffer[: n * width].reshape(n, width), (buffer if buffers is not None else None)

    def decode(self, rows: np.ndarray, names: list[str] | None = None) -> pl.DataFrame:
        """Convert a block of rows into a DataFrame of the requested columns."""
        columns = self.columns if names is None else [self.column(n) for n in names]
        heap = self.heap if any(c.is_variable for c in columns) else None
        return pl.DataFrame([c.decode(rows, heap) for c in columns], height=rows.shape[0])

    def batches(
        self,
        names: list[str] | None = None,
        predicate: pl.Expr | None = None,
        n_rows: int | None = None,
        block_rows: int | None = None,
    ) -> Iterator[pl.DataFrame]:
        """Yield DataFrames block by block: projected and filtered, from the first ``n_rows`` rows.

        ``n_rows`` counts table rows before the predicate, as Polars means it when it pushes
        a slice and a filter into the scan together (``lf.head(n).filter(...)``); a filter
        followed by a slice is not pushed down as ``n_rows``.
        """
        if n_rows is not None and n_rows <= 0:
            return
        columns = self.columns if names is None else [self.column(n) for n in names]
        if any(c.is_variable for c in columns):
            _ = self.heap  # read once here, not by several decoding threads at a time
        block_rows = self._block_rows(block_rows)
        threads = DECODE_THREADS if self.nrows > block_rows else 1
        # A few read buffers, reused: decoding copies every value out of a block, so a buffer
        # is free again as soon as its block is decoded.
        buffers: queue.Queue[np.ndarray] | None = None
        if self.data is None:
            buffers = queue.LifoQueue()
            for _ in range(threads + 1):  # one per decoding thread, one being read
                buffers.put(np.empty(min(block_rows, self.nrows) * self.row_bytes, dtype=np.uint8))

        def frame_of(block: tuple[np.ndarray, np.ndarray | None]) -> pl.DataFrame:
            rows, buffer = block
            try:
                frame = self.decode(rows, names)
            finally:
                if buffers is not None and buffer is not None:
                    buffers.put(buffer)
            return frame if predicate is None else frame.filter(predicate)

        blocks = _first_rows(self._blocks(block_rows, buffers), n_rows)
        with closing(_ordered_map(frame_of, blocks, threads)) as frames:
            yield from frames

    def read(self, names: list[str] | None = None) -> pl.DataFrame:
        """Read the whole table (or some columns) eagerly."""
        frames = list(self.batches(names))
        if not frames:
            columns = self.columns if names is None else [self.column(n) for n in names]
            return pl.DataFrame(schema={c.name: c.dtype for c in columns})
        return pl.concat(frames, rechunk=True) if len(frames) > 1 else frames[0]

    def scan(self) -> pl.LazyFrame:
        """The table as a LazyFrame with projection, predicate and ``n_rows`` pushed into the reader."""
        schema = self.schema

        def source(
            with_columns: list[str] | None,
            predicate: pl.Expr | None,
            n_rows: int | None,
            batch_size: int | None,
        ) -> Iterator[pl.DataFrame]:
            names = list(schema) if with_columns is None else list(with_columns)
            if not names and self.nrows:
                # e.g. a row count: decode the narrowest column and drop it.
                narrowest = min(self.columns, key=lambda c: c.width if not c.is_variable else 1 << 30)
                for frame in self.batches([narrowest.name], predicate, n_rows):
                    yield frame.select([])
                return
            yield from self.batches(names, predicate, n_rows)

        where = self.path or "<memory>"
        return register_io_source(
            io_source=source,
            schema=schema,
            is_pure=True,
            explain_name="FITS",
            explain_detail=f"{os.path.basename(where)}[{self.info.name or self.info.index}]",
        )


def _unit_key(unit: str) -> str:
    """A unit in one spelling: case, blanks and the power notation ignored (``cm2`` = ``cm**2`` = ``cm^2``)."""
    return unit.strip().lower().replace(" ", "").replace("**", "").replace("^", "")


def _first_rows(
    blocks: Iterator[tuple[np.ndarray, np.ndarray | None]], n_rows: int | None
) -> Iterator[tuple[np.ndarray, np.ndarray | None]]:
    """The blocks holding the first ``n_rows`` rows (all when None), the last one cut short."""
    taken = 0
    for rows, buffer in blocks:
        if n_rows is not None:
            rows = rows[: n_rows - taken]
            taken += rows.shape[0]
        yield rows, buffer
        if n_rows is not None and taken >= n_rows:
            return


def _ordered_map(
    func: Callable[[_T], pl.DataFrame], items: Iterable[_T], threads: int
) -> Iterator[pl.DataFrame]:
    """``func(item)`` for each item, computed by ``threads`` threads and yielded in order.

    Items are taken from ``items`` in the calling thread, at most ``threads`` ahead of the
    result being yielded, so memory stays bounded. An error raised by ``items`` (a truncated
    file) or by ``func`` surfaces where a plain loop would raise it: after the results before it.
    Closing the generator cancels the work not yet started.
    """
    if threads <= 1:
        yield from map(func, items)
        return
    pool = ThreadPoolExecutor(threads, thread_name_prefix="xmmframe-fits")
    pending: deque[Future[pl.DataFrame]] = deque()
    try:
        for future in _submitted(pool, func, items):
            pending.append(future)
            if len(pending) > threads:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _submitted(
    pool: ThreadPoolExecutor, func: Callable[[_T], pl.DataFrame], items: Iterable[_T]
) -> Iterator[Future[pl.DataFrame]]:
    """Submit ``func(item)`` for each item; an error from ``items`` becomes a failed future."""
    try:
        for item in items:
            yield pool.submit(func, item)
    except Exception as error:  # noqa: BLE001 - re-raised, in order, by the consumer
        failed: Future[pl.DataFrame] = Future()
        failed.set_exception(error)
        yield failed


def scan_fits(path: str | os.PathLike[str], hdu: int | str | None = None) -> pl.LazyFrame:
    """Scan one binary table of a FITS file as a Polars LazyFrame.

    Parameters
    ----------
    path : str or path-like
        FITS file, plain or gzip-compressed (``.FTZ``, ``.gz``).
    hdu : int or str, optional
        HDU number (0 = primary) or EXTNAME (case-insensitive, optionally ``"NAME,VER"``).
        By default ``EVENTS`` if present, otherwise the first binary table.

    Returns
    -------
    polars.LazyFrame
        Columns typed as described in :mod:`xmmframe.io.fits_columns`.

    Raises
    ------
    xmmframe.errors.XmmframeError
        Subclasses name the file and the problem: not FITS, empty, truncated, bad header,
        missing HDU.

    Examples
    --------
    >>> import polars as pl, xmmframe
    >>> lf = xmmframe.scan_fits("M1_clean.fits", hdu="EVENTS")                  # doctest: +SKIP
    >>> lf.filter(pl.col("PATTERN") <= 4).select("PI").collect()               # doctest: +SKIP
    """
    return FitsTable.open(path, hdu).scan()


@register("EventMeta.extensions")
def read_raw_table(raw: RawHdu) -> pl.DataFrame:
    """The rows of a binary table held in memory (an extension carried by an event list's metadata).

    Parameters
    ----------
    raw : RawHdu
        Header cards and data bytes of the table.

    Returns
    -------
    polars.DataFrame

    Examples
    --------
    >>> frames = {hdu.name: read_raw_table(hdu) for hdu in events.meta.hdus[2:]}   # doctest: +SKIP
    """
    return FitsTable.from_raw(raw).read()
