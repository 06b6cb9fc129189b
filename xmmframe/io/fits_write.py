"""Writing FITS files: verbatim HDUs, binary tables encoded from Polars frames, and images.

Headers are written from their original card images.  When a table's columns change
(dropped, added, reordered, retyped), the column keywords (``TTYPEn``, ``TFORMn``, ``TUNITn``,
``TLMINn``, ...) are renumbered card by card, so comments and formatting survive.  Files are
written to a temporary file in the target directory and renamed into place, so a failure never
leaves a partial product.  ``CHECKSUM``/``DATASUM`` are recomputed for rewritten tables that
carried them.

Examples
--------
>>> import polars as pl
>>> from xmmframe.io.fits_write import write_table
>>> write_table("table.fits", pl.DataFrame({"PI": [100, 200]}), extname="EVENTS")  # doctest: +SKIP
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import polars as pl
from astropy.io import fits

from xmmframe.errors import ColumnError
from xmmframe.io.atomic import atomic_output
from xmmframe.io.fits_columns import ColumnFormat, HeapWriter, parse_columns
from xmmframe.io.fits_structure import BLOCK, padded
from xmmframe.model.hdu import CARD, RawHdu, cards_to_header

#: Indexed keywords that describe a table column and follow it when columns are renumbered.
COLUMN_KEYWORDS = frozenset(
    "TTYPE TFORM TUNIT TNULL TSCAL TZERO TDISP TDIM TLMIN TLMAX TDMIN TDMAX TBCOL "
    "TCTYP TCRVL TCDLT TCRPX TCUNI TCROT TCNAM TCRDE TCSYE TCTYP TWCS OPTIC".split()
)
#: Column keywords that depend on how the values are stored; regenerated when a column is retyped.
_STORAGE_KEYWORDS = frozenset({"TFORM", "TZERO", "TSCAL", "TNULL", "TDIM"})
_INDEXED = re.compile(r"^([A-Z]+?)(\d+)$")
_ROWS_PER_BLOCK_BYTES = 8 << 20

_CODE_FOR_DTYPE: dict[type[pl.DataType], tuple[str, float]] = {
    pl.Boolean: ("L", 0.0),
    pl.UInt8: ("B", 0.0),
    pl.Int8: ("B", -128.0),
    pl.Int16: ("I", 0.0),
    pl.UInt16: ("I", 32768.0),
    pl.Int32: ("J", 0.0),
    pl.UInt32: ("J", 2147483648.0),
    pl.Int64: ("K", 0.0),
    pl.UInt64: ("K", 9223372036854775808.0),
    pl.Float32: ("E", 0.0),
    pl.Float64: ("D", 0.0),
}
_NULL_FOR_CODE = {"B": 255, "I": -32768, "J": -2147483648, "K": -9223372036854775808}


@dataclass(frozen=True)
class TableHdu:
    """A binary table to write: header card images (may be a template) and the rows."""

    cards: tuple[str, ...]
    frame: pl.DataFrame


@dataclass(frozen=True)
class ImageHdu:
    """An image to write: header card images and the pixels, ``data[row, column]`` = ``(NAXIS2, NAXIS1)``.

    The structural keywords (``SIMPLE``/``XTENSION``, ``BITPIX``, ``NAXISn``, ``EXTEND``,
    ``PCOUNT``, ``GCOUNT``) are regenerated from ``data`` when written: the image is the
    primary array when it is the first HDU of the file, an ``IMAGE`` extension otherwise.
    """

    cards: tuple[str, ...]
    data: np.ndarray


def format_for_series(series: pl.Series, number: int) -> tuple[ColumnFormat, str]:
    """Storage format and TFORM for a column that has no format in the header yet."""
    dtype = series.dtype
    name = series.name
    if dtype == pl.String:
        width = max(1, int(series.str.len_bytes().max() or 0))
        return ColumnFormat(name, number, "A", width, 0), f"{width}A"
    if isinstance(dtype, pl.List):
        inner = dtype.inner
        if type(inner) not in _CODE_FOR_DTYPE:
            raise ColumnError(f"column {name}: cannot store {dtype} in FITS")
        code, zero = _CODE_FOR_DTYPE[type(inner)]
        longest = int(series.list.len().max() or 0)
        tnull = _NULL_FOR_CODE.get(code) if series.explode().null_count() else None
        fmt = ColumnFormat(name, number, "P", 1, 0, tzero=zero, tnull=tnull, element=code)
        return fmt, f"1P{code}({longest})"
    shape: tuple[int, ...] = tuple(dtype.shape) if isinstance(dtype, pl.Array) else ()
    while isinstance(dtype, pl.Array):
        dtype = dtype.inner
    repeat = int(np.prod(shape)) if shape else 1
    if dtype == pl.Boolean and shape:
        return ColumnFormat(name, number, "X", repeat, 0), f"{repeat}X"
    if type(dtype) not in _CODE_FOR_DTYPE:
        raise ColumnError(f"column {name}: cannot store {series.dtype} in FITS")
    code, zero = _CODE_FOR_DTYPE[type(dtype)]
    flat = series.reshape((-1,)) if shape else series
    tnull = _NULL_FOR_CODE.get(code) if flat.null_count() and code in _NULL_FOR_CODE else None
    tdim = tuple(reversed(shape)) if len(shape) > 1 else None
    return ColumnFormat(name, number, code, repeat, 0, tzero=zero, tnull=tnull, tdim=tdim), f"{repeat}{code}"


def _card(key: str, value: object, comment: str = "") -> str:
    return fits.Card(key, value, comment).image


def set_card_value(card: str, value: object) -> str:
    """The card image ``card`` with a new value (keyword and comment kept).

    Examples
    --------
    >>> set_card_value(_card("NAXIS2", 0, "number of rows in table"), 12)[:30]
    'NAXIS2  =                   12'
    """
    parsed = fits.Card.fromstring(card)
    return _card(parsed.keyword, value, parsed.comment)


def _rename(card: str, key: str) -> str:
    if len(key) > 8:
        raise ColumnError(f"column keyword {key} is longer than 8 characters")
    return key.ljust(8) + card[8:]


def _storage_cards(fmt: ColumnFormat, tform: str) -> list[str]:
    n = fmt.number
    cards = [_card(f"TFORM{n}", tform, "data format of field")]
    if fmt.tzero:
        cards.append(_card(f"TZERO{n}", int(fmt.tzero), "offset for unsigned integers"))
    if fmt.tnull is not None:
        cards.append(_card(f"TNULL{n}", fmt.tnull, "undefined value"))
    if fmt.tdim:
        cards.append(_card(f"TDIM{n}", "(" + ",".join(str(d) for d in fmt.tdim) + ")", "array dimensions"))
    return cards


def plan_table(cards: Sequence[str], frame: pl.DataFrame) -> tuple[tuple[str, ...], list[ColumnFormat]]:
    """Header cards and column formats to store ``frame`` under the (template) header ``cards``.

    Columns found in the header with the dtype the header implies keep their format and all
    their cards; other columns get a format derived from their dtype.  Structural keywords
    (NAXIS1, NAXIS2, PCOUNT, TFIELDS, THEAP, variable-length TFORM maxima) are updated.
    """
    header = cards_to_header(tuple(cards))
    old_formats = {f.name: f for f in parse_columns(header)} if "TFIELDS" in header else {}
    old_tfields = int(header.get("TFIELDS", 0))
    formats: list[ColumnFormat] = []
    number_map: dict[int, int] = {}
    regenerated: dict[int, str] = {}
    new_tform: dict[int, str] = {}
    offset = 0
    for number, name in enumerate(frame.columns, start=1):
        series = frame[name]
        old = old_formats.get(name)
        if old is not None and old.dtype == series.dtype:
            fmt = replace(old, number=number, offset=offset)
            if old.is_variable:
                longest = int(series.str.len_bytes().max() or 0) if old.element == "A" else int(
                    series.list.len().max() or 0
                )
                tform = str(header[f"TFORM{old.number}"]).strip()
                new_tform[number] = (
                    re.sub(r"\(\s*\d+\s*\)", f"({longest})", tform) if "(" in tform else f"{tform}({longest})"
                )
        else:
            fmt, tform = format_for_series(series, number)
            fmt = replace(fmt, offset=offset)
            regenerated[number] = tform
        if old is not None:
            number_map[old.number] = number
        formats.append(fmt)
        offset += fmt.width
    changed_storage = {n for n, f in enumerate(formats, 1) if n in regenerated}
    new_names = [f for f in formats if f.name not in old_formats]
    nrows = frame.height
    heap_size = _heap_size(frame, formats)

    out: list[str] = []
    insert_at = None
    for card in cards:
        key = card[:8].strip()
        match = _INDEXED.match(key)
        if match and match.group(1) in COLUMN_KEYWORDS and 1 <= int(match.group(2)) <= old_tfields:
            new_number = number_map.get(int(match.group(2)))
            if new_number is None:
                continue
            if match.group(1) in _STORAGE_KEYWORDS and new_number in changed_storage:
                if match.group(1) == "TFORM":
                    out.append(f"@{new_number}")
                continue
            card = _rename(card, f"{match.group(1)}{new_number}")
            if match.group(1) == "TFORM" and new_number in new_tform:
                card = set_card_value(card, new_tform[new_number])
            out.append(card)
            continue
        if key == "NAXIS1":
            card = set_card_value(card, offset)
        elif key == "NAXIS2":
            card = set_card_value(card, nrows)
        elif key == "PCOUNT":
            card = set_card_value(card, heap_size)
        elif key == "TFIELDS":
            card = set_card_value(card, len(formats))
            insert_at = len(out)
        elif key == "THEAP":
            card = set_card_value(card, offset * nrows)
        out.append(card)
    # Storage cards of retyped columns replace their old TFORM placeholders; new columns go
    # after the last column card.
    column_cards = [i for i, c in enumerate(out) if _is_column_card(c, len(formats))]
    last_column = max(column_cards) if column_cards else (insert_at if insert_at is not None else len(out) - 1)
    expanded: list[str] = []
    by_number = {f.number: f for f in formats}
    for i, card in enumerate(out):
        if card.startswith("@"):
            n = int(card[1:])
            expanded.extend(_storage_cards(by_number[n], regenerated[n]))
        else:
            expanded.append(card)
        if i == last_column:
            for fmt in new_names:
                expanded.append(_card(f"TTYPE{fmt.number}", fmt.name))
                expanded.extend(_storage_cards(fmt, regenerated[fmt.number]))
    return tuple(expanded), formats


def _is_column_card(card: str, tfields: int) -> bool:
    if card.startswith("@"):
        return True
    match = _INDEXED.match(card[:8].strip())
    return bool(match and match.group(1) in COLUMN_KEYWORDS and 1 <= int(match.group(2)) <= tfields)


def _heap_size(frame: pl.DataFrame, formats: list[ColumnFormat]) -> int:
    total = 0
    for fmt in formats:
        if not fmt.is_variable:
            continue
        series = frame[fmt.name]
        if fmt.element == "A":
            total += int(series.str.len_bytes().sum() or 0)
        elif fmt.element == "X":
            total += int(((series.list.len().fill_null(0) + 7) // 8).sum() or 0)
        else:
            size = ColumnFormat("", 0, fmt.element or "B", 1, 0).width
            total += int(series.list.len().fill_null(0).sum() or 0) * size
    return total


def table_template(extname: str, keywords: dict[str, object] | None = None) -> tuple[str, ...]:
    """Minimal binary-table header cards (columns are added by :func:`plan_table`)."""
    cards = [
        _card("XTENSION", "BINTABLE", "binary table extension"),
        _card("BITPIX", 8, "8-bit bytes"),
        _card("NAXIS", 2, "2-dimensional binary table"),
        _card("NAXIS1", 0, "width of table in bytes"),
        _card("NAXIS2", 0, "number of rows in table"),
        _card("PCOUNT", 0, "size of special data area"),
        _card("GCOUNT", 1, "one data group (required keyword)"),
        _card("TFIELDS", 0, "number of fields in each row"),
        _card("EXTNAME", extname, "name of this binary table extension"),
    ]
    for key, value in (keywords or {}).items():
        cards.append(_card(key, value))
    return tuple(cards)


def primary_template(keywords: dict[str, object] | None = None) -> RawHdu:
    """A data-less primary HDU."""
    cards = [
        _card("SIMPLE", True, "file does conform to FITS standard"),
        _card("BITPIX", 8, "number of bits per data pixel"),
        _card("NAXIS", 0, "number of data axes"),
        _card("EXTEND", True, "FITS dataset may contain extensions"),
    ]
    for key, value in (keywords or {}).items():
        cards.append(_card(key, value))
    return RawHdu(tuple(cards))


#: BITPIX of each numpy dtype an image may be written with.
_BITPIX = {"u1": 8, "i2": 16, "i4": 32, "i8": 64, "f4": -32, "f8": -64}
_STRUCTURAL = re.compile(r"^(SIMPLE|XTENSION|BITPIX|NAXIS\d*|EXTEND|PCOUNT|GCOUNT)$")


def image_cards(cards: Sequence[str], data: np.ndarray, primary: bool) -> tuple[str, ...]:
    """Header cards for an image: structural keywords from ``data``, then ``cards`` without theirs."""
    code = data.dtype.str[1:]
    if code not in _BITPIX:
        raise ColumnError(f"cannot store an image of dtype {data.dtype} in FITS")
    head = [_card("SIMPLE", True, "file does conform to FITS standard")] if primary else [
        _card("XTENSION", "IMAGE", "image extension")
    ]
    head += [_card("BITPIX", _BITPIX[code], "number of bits per data pixel"),
             _card("NAXIS", data.ndim, "number of data axes")]
    head += [_card(f"NAXIS{i}", n, f"length of data axis {i}") for i, n in enumerate(reversed(data.shape), 1)]
    head += [_card("EXTEND", True, "FITS dataset may contain extensions")] if primary else [
        _card("PCOUNT", 0, "required keyword; must = 0"), _card("GCOUNT", 1, "required keyword; must = 1")
    ]
    return tuple(head) + tuple(c for c in cards if not _STRUCTURAL.match(c[:8].strip()))


def _write_image(stream, hdu: ImageHdu, primary: bool) -> None:  # noqa: ANN001 - binary file
    data = np.ascontiguousarray(hdu.data)
    stream.write(header_bytes(image_cards(hdu.cards, data, primary)))
    raw = data.astype(data.dtype.newbyteorder(">"), copy=False).tobytes()
    stream.write(raw)
    stream.write(b"\x00" * (padded(len(raw)) - len(raw)))


def header_bytes(cards: Sequence[str]) -> bytes:
    """A header's bytes: the card images, ``END`` and blank padding to a whole FITS block.

    Examples
    --------
    >>> len(header_bytes([_card("SIMPLE", True)]))
    2880
    """
    text = "".join(cards) + "END".ljust(CARD)
    return text.ljust(padded(len(text))).encode("ascii")


def write_rows(stream, frame: pl.DataFrame, formats: Sequence[ColumnFormat], heap: HeapWriter) -> None:  # noqa: ANN001
    """Append the rows of ``frame`` to a binary stream in the table layout ``formats``, block by block.

    Variable-length data goes to ``heap`` (written after the last row by the caller).

    Examples
    --------
    >>> import io
    >>> frame = pl.DataFrame({"PI": pl.Series([1, 2], dtype=pl.Int16)})
    >>> _, formats = plan_table(table_template("T"), frame)
    >>> stream = io.BytesIO()
    >>> write_rows(stream, frame, formats, HeapWriter())
    >>> stream.getvalue()
    b'\\x00\\x01\\x00\\x02'
    """
    width = sum(f.width for f in formats)
    if not width or not frame.height:
        return
    block = max(1, _ROWS_PER_BLOCK_BYTES // width)
    for first in range(0, frame.height, block):
        part = frame.slice(first, block)
        rows = np.zeros((part.height, width), dtype=np.uint8)
        for fmt in formats:
            fmt.encode(part[fmt.name], rows, heap)
        stream.write(rows.tobytes())


def _write_table(stream, hdu: TableHdu) -> None:  # noqa: ANN001 - binary file
    cards, formats = plan_table(hdu.cards, hdu.frame)
    start = stream.tell()
    stream.write(header_bytes(cards))
    data_start = stream.tell()
    heap = HeapWriter()
    write_rows(stream, hdu.frame, formats, heap)
    stream.write(heap.bytes())
    size = stream.tell() - data_start
    stream.write(b"\x00" * (padded(size) - size))
    if any(c.startswith(("CHECKSUM=", "DATASUM =")) for c in cards):
        update_checksum(stream, start, data_start, list(cards))


def encode_table(hdu: TableHdu) -> RawHdu:
    """A table encoded in memory as a verbatim HDU (its final header cards and unpadded data bytes)."""
    stream = io.BytesIO()
    _write_table(stream, hdu)
    planned, formats = plan_table(hdu.cards, hdu.frame)
    size = sum(f.width for f in formats) * hdu.frame.height + _heap_size(hdu.frame, formats)
    header = len(header_bytes(planned))
    raw = stream.getvalue()
    # the cards as written (CHECKSUM/DATASUM are filled in while writing)
    cards = tuple(raw[i : i + CARD].decode("ascii") for i in range(0, len(planned) * CARD, CARD))
    return RawHdu(cards, raw[header : header + size])


def write_hdus(
    path: str | os.PathLike[str], hdus: Sequence[RawHdu | TableHdu | ImageHdu], *, protect: Sequence[str] = ()
) -> None:
    """Write a FITS file atomically from verbatim HDUs, tables and images.

    Parameters
    ----------
    path : str or path-like
        Output file.
    hdus : sequence of RawHdu, TableHdu or ImageHdu
        The first must be a primary HDU (a RawHdu primary or an ImageHdu).
    protect : sequence of str
        Input files that must not be overwritten.
    """
    with atomic_output(path, protect=protect) as stream:
        write_hdus_to(stream, hdus)


def write_hdus_to(stream, hdus: Sequence[RawHdu | TableHdu | ImageHdu]) -> None:  # noqa: ANN001 - binary file
    """Write HDUs to an open binary stream at the start of a file (the first one is the primary HDU).

    Examples
    --------
    >>> import io
    >>> stream = io.BytesIO()
    >>> write_hdus_to(stream, [primary_template()])
    >>> len(stream.getvalue())
    2880
    """
    for index, hdu in enumerate(hdus):
        if isinstance(hdu, TableHdu):
            _write_table(stream, hdu)
        elif isinstance(hdu, ImageHdu):
            _write_image(stream, hdu, primary=index == 0)
        else:
            stream.write(header_bytes(hdu.cards))
            stream.write(hdu.data)
            stream.write(b"\x00" * (padded(len(hdu.data)) - len(hdu.data)))


def write_table(
    path: str | os.PathLike[str],
    frame: pl.DataFrame,
    extname: str = "TABLE",
    keywords: dict[str, object] | None = None,
) -> None:
    """Write one DataFrame as a binary table after an empty primary HDU."""
    write_hdus(path, [primary_template(), TableHdu(table_template(extname, keywords), frame)])


# ---------------------------------------------------------------------- checksums


def _ones_complement_sum(data: bytes) -> int:
    words = np.frombuffer(data, dtype=">u4").astype(np.uint64)
    total = int(words.sum(dtype=np.uint64)) if words.size else 0
    while total >> 32:
        total = (total & 0xFFFFFFFF) + (total >> 32)
    return total


def _encode_checksum(value: int) -> str:
    """FITS checksum ASCII encoding (the 16-character form of the complemented sum)."""
    value = ~value & 0xFFFFFFFF
    excluded = set(range(0x3A, 0x41)) | set(range(0x5B, 0x61))
    chars = [0] * 16
    for i in range(4):
        byte = (value >> (24 - 8 * i)) & 0xFF
        quotient, remainder = byte // 4 + 0x30, byte % 4
        group = [quotient + remainder, quotient, quotient, quotient]
        changed = True
        while changed:
            changed = False
            for j in (0, 2):
                if group[j] in excluded or group[j + 1] in excluded:
                    group[j] += 1
                    group[j + 1] -= 1
                    changed = True
        for j in range(4):
            chars[4 * j + i] = group[j]
    return "".join(chr(chars[(k + 15) % 16]) for k in range(16))


def update_checksum(stream, start: int, data_start: int, cards: list[str]) -> None:  # noqa: ANN001
    """Fill in the ``DATASUM``/``CHECKSUM`` cards of the HDU starting at ``start`` whose (padded) data
    runs from ``data_start`` to the stream's position, and rewrite its header in place."""
    end = stream.tell()
    stream.seek(data_start)
    datasum = 0
    for first in range(data_start, end, _ROWS_PER_BLOCK_BYTES):
        datasum += _ones_complement_sum(stream.read(min(_ROWS_PER_BLOCK_BYTES, end - first)))
    while datasum >> 32:
        datasum = (datasum & 0xFFFFFFFF) + (datasum >> 32)
    for i, card in enumerate(cards):
        if card.startswith("DATASUM ="):
            cards[i] = set_card_value(card, str(datasum))
        elif card.startswith("CHECKSUM="):
            cards[i] = set_card_value(card, "0" * 16)
    header = header_bytes(cards)
    total = (_ones_complement_sum(header) + datasum)
    while total >> 32:
        total = (total & 0xFFFFFFFF) + (total >> 32)
    for i, card in enumerate(cards):
        if card.startswith("CHECKSUM="):
            cards[i] = set_card_value(card, _encode_checksum(total))
    stream.seek(start)
    stream.write(header_bytes(cards))
    stream.seek(end)


__all__ = ["BLOCK", "ImageHdu", "TableHdu", "encode_table", "format_for_series", "header_bytes", "image_cards",
           "plan_table", "primary_template", "set_card_value", "table_template", "update_checksum", "write_hdus",
           "write_hdus_to", "write_rows", "write_table"]
