"""FITS binary-table column formats: TFORM parsing and conversion of raw rows to Polars and back.

Type mapping (FITS ``TFORM`` code -> Polars dtype), the contract of :func:`xmmframe.scan_fits`:

============================  ==========================================================
FITS column                    Polars dtype
============================  ==========================================================
``L`` logical                 ``Boolean`` (a 0 byte, "undefined", is null)
``rX`` bits                   ``Array(Boolean, r)``, first bit first, as astropy gives
``B`` byte                    ``UInt8`` (``Int8`` with ``TZERO = -128``)
``I`` / ``J`` / ``K``         ``Int16`` / ``Int32`` / ``Int64`` (``UInt16`` / ``UInt32`` /
                              ``UInt64`` with ``TZERO`` = 2^15 / 2^31 / 2^63)
``E`` / ``D``                 ``Float32`` / ``Float64``
``rA``                        ``String``, trailing blanks removed (as astropy does)
``C`` / ``M`` complex         ``Array(Float32, 2)`` / ``Array(Float64, 2)`` (real, imaginary)
integer with other            ``Float64`` = raw * TSCAL + TZERO
``TSCAL``/``TZERO``
repeat ``r > 1``              ``Array(<type>, r)``; with ``TDIM`` nested to that shape
``P``/``Q`` variable length   ``List(<type>)`` (``String`` for ``PA``)
============================  ==========================================================

Integer values equal to ``TNULL`` become null (compared on the stored value, before scaling);
floating-point NaN stays NaN.  Writing applies the inverse mapping, so that stored bytes are
reproduced exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import polars as pl
import pyarrow as pa

from xmmframe.errors import ColumnError, HeaderError, TruncatedFileError

_TFORM = re.compile(r"^\s*(\d*)([LXBIJKAEDCMPQ])(.*)$")
_VLA = re.compile(r"^\s*([LXBIJKAEDCM])\s*(?:\(\s*(\d+)\s*\))?\s*$")

_BYTES = {"L": 1, "B": 1, "I": 2, "J": 4, "K": 8, "A": 1, "E": 4, "D": 8, "C": 8, "M": 16, "P": 8, "Q": 16}
_BE = {"L": ">u1", "B": ">u1", "I": ">i2", "J": ">i4", "K": ">i8", "E": ">f4", "D": ">f8", "C": ">c8", "M": ">c16"}
_POLARS = {
    "L": pl.Boolean,
    "B": pl.UInt8,
    "I": pl.Int16,
    "J": pl.Int32,
    "K": pl.Int64,
    "E": pl.Float32,
    "D": pl.Float64,
    "A": pl.String,
}
# TZERO values that turn a signed FITS integer into an unsigned one (or B into signed).
_OFFSET_TYPES = {
    ("B", -128): (np.uint8, np.int8, pl.Int8, 0x80),
    ("I", 32768): (np.uint16, np.uint16, pl.UInt16, 0x8000),
    ("J", 2147483648): (np.uint32, np.uint32, pl.UInt32, 0x80000000),
    ("K", 9223372036854775808): (np.uint64, np.uint64, pl.UInt64, 0x8000000000000000),
}


@dataclass(frozen=True)
class ColumnFormat:
    """How one binary-table column is stored.

    Attributes
    ----------
    name : str
        TTYPE (as written in the file).
    number : int
        1-based column number (the ``n`` of ``TTYPEn``).
    code : str
        TFORM data type letter.
    repeat : int
        Repeat count (elements per row; characters for ``A``, bits for ``X``).
    offset : int
        Byte offset of the column inside a row.
    tscal, tzero : float
        Linear scaling (``value = raw * TSCAL + TZERO``).
    tnull : int or None
        Stored integer value that means "undefined".
    tdim : tuple of int or None
        TDIM shape as written (fastest-varying first).
    element : str or None
        For ``P``/``Q`` columns, the type letter of the heap elements.
    """

    name: str
    number: int
    code: str
    repeat: int
    offset: int
    tscal: float = 1.0
    tzero: float = 0.0
    tnull: int | None = None
    tdim: tuple[int, ...] | None = None
    element: str | None = None

    @property
    def width(self) -> int:
        """Bytes the column takes in each row."""
        if self.code == "X":
            return (self.repeat + 7) // 8
        return self.repeat * _BYTES[self.code]

    @property
    def is_variable(self) -> bool:
        """Whether this is a variable-length array (``P``/``Q``) column."""
        return self.code in ("P", "Q")

    @property
    def _value_code(self) -> str:
        return self.element if self.element is not None else self.code

    def _offset_type(self) -> tuple | None:
        if self.tscal != 1.0:
            return None
        return _OFFSET_TYPES.get((self._value_code, int(self.tzero))) if self.tzero == int(self.tzero) else None

    @property
    def scaled(self) -> bool:
        """Whether values are raw * TSCAL + TZERO as Float64 (not an unsigned-integer offset)."""
        if self._value_code not in "BIJK":
            return False
        return (self.tscal != 1.0 or self.tzero != 0.0) and self._offset_type() is None

    def scalar_dtype(self) -> pl.DataType:
        """Polars dtype of one element (before Array/List wrapping)."""
        code = self._value_code
        if code == "X":
            return pl.Boolean
        if code in ("C", "M"):
            return pl.Array(pl.Float32 if code == "C" else pl.Float64, 2)
        if self.scaled:
            return pl.Float64
        offset = self._offset_type()
        if offset is not None:
            return offset[2]
        if code in "ED" and (self.tscal != 1.0 or self.tzero != 0.0):
            return pl.Float64
        return _POLARS[code]

    @property
    def dtype(self) -> pl.DataType:
        """Polars dtype of the column."""
        inner = self.scalar_dtype()
        if self.is_variable:
            return pl.String if self.element == "A" else pl.List(inner)
        if self.code == "X":
            return pl.Array(pl.Boolean, self.repeat)
        if self.code == "A" or self.repeat == 1:
            return inner
        return pl.Array(inner, self.shape)

    @property
    def shape(self) -> tuple[int, ...]:
        """Element shape of a fixed-size vector column, slowest-varying first (numpy order)."""
        if self.tdim and int(np.prod(self.tdim)) == self.repeat and self.code not in "AX":
            return tuple(reversed(self.tdim))
        return (self.repeat,)

    # ------------------------------------------------------------------ decoding

    def _raw_view(self, rows: np.ndarray, code: str, repeat: int) -> np.ndarray:
        """Strided big-endian view of this column inside a (n, NAXIS1) uint8 block."""
        n = rows.shape[0]
        dtype = np.dtype(_BE[code])
        return np.ndarray(
            shape=(n, repeat),
            dtype=dtype,
            buffer=rows,
            offset=self.offset,
            strides=(rows.strides[0], dtype.itemsize),
        )

    def decode(self, rows: np.ndarray, heap: "HeapReader | None" = None) -> pl.Series:
        """Convert the column of a block of rows (``uint8`` array of shape (n, NAXIS1)) to a Series."""
        n = rows.shape[0]
        if self.repeat == 0:
            return pl.Series(self.name, [None] * n, dtype=self.dtype)
        if self.code == "A":
            view = np.ndarray(shape=(n,), dtype=f"S{self.repeat}", buffer=rows, offset=self.offset,
                              strides=(rows.strides[0],))
            return pl.Series(self.name, _decode_strings(view), dtype=pl.String)
        if self.code == "X":
            view = np.ndarray(shape=(n, self.width), dtype=np.uint8, buffer=rows, offset=self.offset,
                              strides=(rows.strides[0], 1))
            bits = np.unpackbits(view, axis=1)[:, : self.repeat].astype(bool)
            return pl.Series(self.name, bits, dtype=self.dtype)
        if self.is_variable:
            if heap is None:
                raise ColumnError(f"column {self.name}: variable-length data needs the heap")
            desc = self._raw_view(rows, "J" if self.code == "P" else "K", 2)
            return heap.decode(self, desc[:, 0].astype(np.int64), desc[:, 1].astype(np.int64))
        raw = self._raw_view(rows, self.code, self.repeat)
        values, valid = self._convert(raw.reshape(-1))
        return _to_series(self.name, values, valid, n, self.repeat, self.dtype, self.shape)

    def _convert(self, raw: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Big-endian raw elements -> native values and validity mask (None when all valid)."""
        code = self._value_code
        if code == "L":
            valid = raw != 0
            return raw == ord("T"), (None if valid.all() else valid)
        if code in ("C", "M"):
            native = raw.astype(raw.dtype.newbyteorder("="))
            out = np.empty((raw.shape[0], 2), dtype=np.float32 if code == "C" else np.float64)
            out[:, 0] = native.real
            out[:, 1] = native.imag
            return out, None
        offset = self._offset_type()
        if offset is not None and (self.tzero != 0.0):
            valid = self._validity(raw)
            unsigned, target, _, flip = offset
            bits = raw.view(raw.dtype.str.replace("i", "u")).astype(unsigned)
            return (bits ^ unsigned(flip)).view(target) if target != unsigned else bits ^ unsigned(flip), valid
        if self.scaled or (code in "ED" and (self.tscal != 1.0 or self.tzero != 0.0)):
            valid = self._validity(raw)
            return raw.astype(np.float64) * self.tscal + self.tzero, valid
        native = raw.astype(raw.dtype.newbyteorder("="))
        # Swapping bytes keeps the stored value, so TNULL is compared on the contiguous native copy
        # (several times faster than on the strided big-endian view).
        return native, self._validity(native)

    def _validity(self, stored: np.ndarray) -> np.ndarray | None:
        """Validity of integer elements from their stored values: False where equal to TNULL.

        ``None`` when every element is valid (or the column has no TNULL).
        """
        if self.tnull is None or self._value_code not in "BIJK":
            return None
        limits = np.iinfo(stored.dtype)
        if not limits.min <= self.tnull <= limits.max:  # a TNULL the column cannot hold marks nothing
            return None
        null = stored == stored.dtype.type(self.tnull)
        return ~null if null.any() else None

    # ------------------------------------------------------------------ encoding

    def encode_values(self, series: pl.Series) -> np.ndarray:
        """Series -> big-endian stored elements, flattened (inverse of :meth:`_convert`)."""
        code = self._value_code
        series = _flatten_array(series)
        if code in ("C", "M"):
            pairs = series.to_numpy().reshape(-1, 2)
            return (pairs[:, 0] + 1j * pairs[:, 1]).astype(_BE[code])
        if code == "L":
            values = series.cast(pl.Boolean).to_numpy(allow_copy=True)
            out = np.zeros(len(series), dtype=np.uint8)
            mask = series.is_not_null().to_numpy()
            out[mask] = np.where(values[mask].astype(bool), ord("T"), ord("F"))
            return out
        nulls = series.is_null().to_numpy() if series.null_count() else None
        if code in "BIJK":
            if self.scaled:
                values = series.cast(pl.Float64).fill_null(0.0).to_numpy()
                raw = np.round((values - self.tzero) / self.tscal).astype(_BE[code])
            else:
                offset = self._offset_type()
                values = series.fill_null(0).to_numpy()
                if offset is not None and self.tzero != 0.0:
                    unsigned, _, _, flip = offset
                    raw = (values.view(unsigned) ^ unsigned(flip)).view(np.dtype(unsigned).str.replace("u", "i"))
                    raw = raw.astype(_BE[code]) if code != "B" else raw.view(np.uint8)
                else:
                    raw = values.astype(_BE[code])
            if nulls is not None:
                if self.tnull is None:
                    raise ColumnError(f"column {self.name}: null values but no TNULL{self.number} to store them")
                raw[nulls] = self.tnull
            return raw
        values = series.cast(pl.Float64 if code == "D" else pl.Float32).to_numpy()
        if self.tscal != 1.0 or self.tzero != 0.0:
            values = (values - self.tzero) / self.tscal
        values = values.astype(_BE[code])
        if nulls is not None:
            values[nulls] = np.nan
        return values

    def encode(self, series: pl.Series, rows: np.ndarray, heap: "HeapWriter | None" = None) -> None:
        """Write a Series into its place in a block of rows (uint8 array of shape (n, NAXIS1))."""
        n = rows.shape[0]
        if self.repeat == 0:
            return
        if self.code == "A":
            text = series.fill_null("").to_list()
            width = self.repeat
            encoded = np.array([s.encode("latin-1", errors="replace")[:width].ljust(width) for s in text],
                               dtype=f"S{width}")
            view = np.ndarray(shape=(n,), dtype=f"S{self.repeat}", buffer=rows, offset=self.offset,
                              strides=(rows.strides[0],))
            view[:] = encoded
            return
        if self.code == "X":
            bits = _flatten_array(series).fill_null(False).to_numpy().reshape(n, self.repeat)
            packed = np.packbits(bits.astype(np.uint8), axis=1)
            view = np.ndarray(shape=(n, self.width), dtype=np.uint8, buffer=rows, offset=self.offset,
                              strides=(rows.strides[0], 1))
            view[:] = packed[:, : self.width]
            return
        if self.is_variable:
            if heap is None:
                raise ColumnError(f"column {self.name}: variable-length data needs a heap")
            desc = self._raw_view(rows, "J" if self.code == "P" else "K", 2)
            counts, offsets = heap.append(self, series)
            desc[:, 0] = counts
            desc[:, 1] = offsets
            return
        raw = self.encode_values(series)
        view = self._raw_view(rows, self.code, self.repeat)
        view[:] = raw.reshape(n, self.repeat)


def _flatten_array(series: pl.Series) -> pl.Series:
    """All elements of a (nested) fixed-size Array series, row after row."""
    return series.reshape((-1,)) if isinstance(series.dtype, pl.Array) else series


def _decode_strings(view: np.ndarray) -> list[str | None]:
    return [b.decode("latin-1").rstrip(" ") for b in view.tolist()]


def _to_series(
    name: str,
    values: np.ndarray,
    valid: np.ndarray | None,
    n: int,
    repeat: int,
    dtype: pl.DataType,
    shape: tuple[int, ...],
) -> pl.Series:
    """Flat converted elements (+ validity) -> Series of scalars or (nested) fixed-size arrays."""
    complex_pairs = values.ndim == 2
    if repeat == 1 and not complex_pairs:
        if valid is None:
            return pl.Series(name, values)
        return pl.Series(name, _masked_arrow(values, valid))
    flat = values.reshape(-1)
    if valid is not None:
        inner = pl.Series(name, _masked_arrow(flat, np.repeat(valid, flat.size // valid.size)))
    else:
        inner = pl.Series(name, flat)
    full_shape = (n, *shape) if repeat > 1 else (n,)
    if complex_pairs:
        full_shape = (*full_shape, 2)
    return inner.reshape(full_shape).cast(dtype)


def _masked_arrow(values: np.ndarray, valid: np.ndarray) -> pa.Array:
    """Values and their validity (True = valid) as an Arrow array with nulls.

    Numeric arrays are wrapped without copying: the validity becomes an Arrow bitmap directly
    (``pa.array(values, mask=...)`` takes about ten times longer on a block of events).
    """
    numeric = values.dtype.kind in "iuf" and values.dtype.isnative
    if not numeric or values.ndim != 1 or not values.flags.c_contiguous:
        return pa.array(values, mask=~valid)
    bitmap = np.packbits(valid, bitorder="little")
    nulls = values.size - int(np.count_nonzero(valid))
    buffers = [pa.py_buffer(bitmap), pa.py_buffer(values)]
    return pa.Array.from_buffers(pa.from_numpy_dtype(values.dtype), values.size, buffers, null_count=nulls)


def parse_columns(header, path: str = "") -> list[ColumnFormat]:  # noqa: ANN001 - astropy Header
    """Column formats of a binary-table header.

    Raises
    ------
    ColumnError
        On a TFORM that is not valid FITS, or columns that overflow NAXIS1.
    """
    nfields = int(header_number(header, "TFIELDS", 0, path))
    naxis1 = int(header_number(header, "NAXIS1", 0, path))
    columns: list[ColumnFormat] = []
    offset = 0
    for n in range(1, nfields + 1):
        name = str(header.get(f"TTYPE{n}", "")).strip() or f"COL{n}"
        tform = str(header.get(f"TFORM{n}", "")).strip()
        match = _TFORM.match(tform)
        if not match:
            raise HeaderError(f"column {n} ({name}): invalid TFORM{n} = {tform!r}", path)
        repeat = int(match.group(1)) if match.group(1) else 1
        code = match.group(2)
        element = None
        if code in ("P", "Q"):
            vla = _VLA.match(match.group(3))
            if not vla:
                raise HeaderError(f"column {n} ({name}): invalid variable-length TFORM{n} = {tform!r}", path)
            element = vla.group(1)
            repeat = 1
        tdim = None
        if f"TDIM{n}" in header:
            dims = re.findall(r"\d+", str(header[f"TDIM{n}"]))
            tdim = tuple(int(d) for d in dims) or None
        tnull = header.get(f"TNULL{n}")
        column = ColumnFormat(
            name=name,
            number=n,
            code=code,
            repeat=repeat,
            offset=offset,
            tscal=header_number(header, f"TSCAL{n}", 1.0, path, name),
            tzero=header_number(header, f"TZERO{n}", 0.0, path, name),
            tnull=int(tnull) if isinstance(tnull, (int, np.integer)) and not isinstance(tnull, bool) else None,
            tdim=tdim,
            element=element,
        )
        columns.append(column)
        offset += column.width
    if offset != naxis1:
        raise HeaderError(f"columns take {offset} bytes per row but NAXIS1 = {naxis1}", path)
    return columns


def header_number(header, key: str, default: float, path: str = "", column: str = "") -> float:  # noqa: ANN001
    """A numeric keyword of a table header (``default`` when absent).

    Raises
    ------
    HeaderError
        When the keyword holds a string, a logical or nothing numeric, naming the column.
    """
    value = header.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        where = f"column {column}: " if column else ""
        raise HeaderError(f"{where}keyword {key} must be a number, found {value!r}", path)
    return float(value) if isinstance(default, float) else value


class HeapReader:
    """Access to the heap of a table with variable-length array columns.

    ``where`` (file and HDU) names the table in the error raised when a descriptor points
    outside the heap.
    """

    def __init__(self, heap: bytes | np.ndarray, where: str = "") -> None:
        self.heap = np.frombuffer(heap, dtype=np.uint8) if isinstance(heap, (bytes, bytearray)) else heap
        self.where = where

    def check(self, column: ColumnFormat, counts: np.ndarray, offsets: np.ndarray, nbytes: np.ndarray) -> None:
        """Refuse descriptors with a negative count or offset, or bytes beyond the heap's end."""
        bad = (counts < 0) | (offsets < 0) | (offsets + nbytes > self.heap.size)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise TruncatedFileError(
                f"column {column.name}: the variable-length array of block row {row + 1} "
                f"({int(counts[row])} elements at heap offset {int(offsets[row])}) lies outside "
                f"the {self.heap.size}-byte heap",
                self.where or None,
            )

    def decode(self, column: ColumnFormat, counts: np.ndarray, offsets: np.ndarray) -> pl.Series:
        """Rows of a P/Q column as a List Series, gathered from the heap in one vectorised pass."""
        code = column.element or "B"
        self.check(column, counts, offsets, (counts + 7) // 8 if code == "X" else counts * _BYTES.get(code, 1))
        if code == "A":
            values = [bytes(self.heap[o : o + c]).decode("latin-1").rstrip(" ") for o, c in zip(offsets, counts)]
            return pl.Series(column.name, values, dtype=pl.String)
        if code == "X":
            nbytes = (counts + 7) // 8
            rows = [np.unpackbits(self.heap[o : o + b])[:c].astype(bool) for o, b, c in zip(offsets, nbytes, counts)]
            return pl.Series(column.name, rows, dtype=pl.List(pl.Boolean))
        size = _BYTES[code]
        total = int(counts.sum())
        starts = np.repeat(offsets - np.concatenate(([0], np.cumsum(counts)[:-1])) * size, counts)
        byte_index = (starts + np.arange(total) * size)[:, None] + np.arange(size)
        flat = self.heap[byte_index.reshape(-1)] if total else np.zeros(0, dtype=np.uint8)
        element = _element_format(column)
        values, valid = element._convert(flat.view(_BE[code]))
        inner = pa.array(values.reshape(-1), mask=None if valid is None else ~valid)
        if values.ndim == 2:  # complex: (real, imaginary) pairs
            inner = pa.FixedSizeListArray.from_arrays(inner, 2)
        list_offsets = pa.array(np.concatenate(([0], np.cumsum(counts))).astype(np.int64))
        arrow = pa.LargeListArray.from_arrays(list_offsets, inner)
        return pl.Series(column.name, arrow).cast(column.dtype)


def _element_format(column: ColumnFormat) -> ColumnFormat:
    return ColumnFormat(column.name, column.number, column.element or "B", 1, 0, column.tscal, column.tzero,
                        column.tnull)


class HeapWriter:
    """Collects the heap of variable-length array columns while rows are encoded."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0
        self.max_len: dict[int, int] = {}

    def append(self, column: ColumnFormat, series: pl.Series) -> tuple[np.ndarray, np.ndarray]:
        """Store a List (or String) Series; return the (count, byte offset) descriptors of its rows."""
        code = column.element or "B"
        if code == "A":
            blobs = [s.encode("latin-1") for s in series.fill_null("").to_list()]
            counts = np.array([len(b) for b in blobs], dtype=np.int64)
            sizes = counts
        elif code == "X":
            rows = [np.asarray(v if v is not None else [], dtype=np.uint8) for v in series.to_list()]
            blobs = [np.packbits(r).tobytes() for r in rows]
            counts = np.array([len(r) for r in rows], dtype=np.int64)
            sizes = np.array([len(b) for b in blobs], dtype=np.int64)
        else:
            counts = series.list.len().fill_null(0).to_numpy().astype(np.int64)
            flat = pl.Series(series.to_arrow().flatten())
            blobs = [_element_format(column).encode_values(flat).tobytes()]
            sizes = counts * _BYTES[code]
        offsets = self.size + np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
        data = b"".join(blobs)
        self.parts.append(data)
        self.size += len(data)
        longest = int(counts.max()) if len(counts) else 0
        self.max_len[column.number] = max(self.max_len.get(column.number, 0), longest)
        return counts, offsets

    def bytes(self) -> bytes:
        """The heap as written after the table."""
        return b"".join(self.parts)
