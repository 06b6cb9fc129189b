"""Walking the HDUs of a FITS file: header cards, data offsets and sizes.

The walker reads header blocks only and skips data, so listing the HDUs of a
large event list costs a few kilobytes of I/O (for gzip-compressed files the
skipped data still has to be decompressed, once).  Headers are kept as their
original 80-character card images, which is what makes lossless rewriting
possible.

Examples
--------
>>> from xmmframe.io.fits_structure import read_structure
>>> hdus = read_structure("events.fits")          # doctest: +SKIP
>>> [(h.index, h.name, h.kind) for h in hdus]      # doctest: +SKIP
[(0, 'PRIMARY', 'PRIMARY'), (1, 'EVENTS', 'BINTABLE'), ...]
"""

from __future__ import annotations

import gzip
import os
import warnings
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from astropy.io import fits
from astropy.io.fits.verify import VerifyError, VerifyWarning

from xmmframe.model.hdu import CARD, HeaderCards, cards_to_header
from xmmframe.errors import (
    EmptyFileError,
    FileAccessError,
    HduNotFoundError,
    HeaderError,
    NotFitsError,
    TruncatedFileError,
)

BLOCK = 2880
_GZIP_MAGIC = b"\x1f\x8b"
#: What reading a damaged gzip stream raises: a short stream (EOFError), a bad header or CRC
#: (``gzip.BadGzipFile``, an OSError) or corrupt deflate data (``zlib.error``).
STREAM_ERRORS = (OSError, EOFError, zlib.error)


def padded(nbytes: int) -> int:
    """Size of ``nbytes`` rounded up to whole 2880-byte FITS blocks."""
    return -(-nbytes // BLOCK) * BLOCK


def open_binary(path: str | os.PathLike[str]) -> BinaryIO:
    """Open a FITS file for reading, transparently decompressing gzip (``.FTZ``, ``.gz``).

    Compression is recognised from the file's magic bytes, not its name.
    """
    try:
        raw = open(path, "rb")  # noqa: SIM115 - returned to the caller
    except FileNotFoundError:
        raise FileAccessError("no such file", path) from None
    except IsADirectoryError:
        raise FileAccessError("is a directory, not a FITS file", path) from None
    except OSError as err:
        raise FileAccessError(f"cannot open: {err.strerror}", path) from None
    magic = raw.read(2)
    if magic == _GZIP_MAGIC:
        raw.close()
        return gzip.open(path, "rb")  # type: ignore[return-value]
    raw.seek(0)
    return raw


@dataclass(frozen=True)
class HduInfo(HeaderCards):
    """One HDU of a FITS file as found on disk.

    Attributes
    ----------
    index : int
        Position in the file, 0 for the primary HDU.
    cards : tuple of str
        The header's 80-character card images, without the END card.
    data_offset : int
        Byte offset of the data part in the (decompressed) file.
    data_size : int
        Bytes of data announced by the header (without block padding).
    """

    index: int
    cards: tuple[str, ...]
    data_offset: int
    data_size: int

    @property
    def end_offset(self) -> int:
        """Offset just past this HDU's padded data."""
        return self.data_offset + padded(self.data_size)


def _check_card(card: str, path: str, hdu_index: int, position: int) -> None:
    if not card.isascii() or not card.isprintable():
        raise HeaderError(
            f"HDU {hdu_index}: header card {position + 1} contains non-ASCII or control characters",
            path,
        )
    if card[8:10] != "= " or card.startswith(("HISTORY ", "COMMENT ", "        ")):
        return
    parsed = fits.Card.fromstring(card)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", VerifyWarning)
            parsed.value  # noqa: B018 - parsing is the check
    except (VerifyError, ValueError) as err:
        raise HeaderError(
            f"HDU {hdu_index}: unreadable header card {position + 1} "
            f"({card[:8].strip() or 'blank keyword'}): {err}",
            path,
        ) from None


def _check_long_values(cards: tuple[str, ...], header: fits.Header, path: str, index: int) -> None:
    """Refuse ``CONTINUE`` cards that do not continue a string (each card alone was readable)."""
    if not any(card.startswith("CONTINUE") for card in cards):
        return
    for card in header.cards:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", VerifyWarning)
                card.value  # noqa: B018 - parsing is the check
        except (VerifyError, ValueError) as err:
            raise HeaderError(f"HDU {index}: unreadable header card {card.keyword or 'blank keyword'}: {err}", path) from None


def _int_keyword(header: fits.Header, key: str, path: str, index: int, default: int | None = None) -> int:
    if key not in header:
        if default is not None:
            return default
        raise HeaderError(f"HDU {index}: mandatory keyword {key} is missing", path)
    value = header[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise HeaderError(f"HDU {index}: keyword {key} must be an integer, found {value!r}", path)
    return value


def _data_size(header: fits.Header, path: str, index: int) -> int:
    bitpix = _int_keyword(header, "BITPIX", path, index)
    if bitpix not in (8, 16, 32, 64, -32, -64):
        raise HeaderError(f"HDU {index}: invalid BITPIX {bitpix}", path)
    naxis = _int_keyword(header, "NAXIS", path, index)
    if not 0 <= naxis <= 999:
        raise HeaderError(f"HDU {index}: invalid NAXIS {naxis}", path)
    if naxis == 0:
        return 0
    dims = [_int_keyword(header, f"NAXIS{i}", path, index) for i in range(1, naxis + 1)]
    if any(d < 0 for d in dims):
        raise HeaderError(f"HDU {index}: negative NAXISn in {dims}", path)
    if index == 0 and dims[0] == 0:  # random groups: not used by XMM
        dims = dims[1:]
    npix = 1
    for d in dims:
        npix *= d
    pcount = _int_keyword(header, "PCOUNT", path, index, default=0)
    gcount = _int_keyword(header, "GCOUNT", path, index, default=1)
    return abs(bitpix) // 8 * gcount * (pcount + npix)


def _read_header(stream: BinaryIO, path: str, index: int) -> tuple[str, ...] | None:
    cards: list[str] = []
    first = True
    while True:
        block = stream.read(BLOCK)
        if first and not block:
            return None
        if len(block) < BLOCK:
            if first and not block.strip(b"\x00 "):
                return None  # trailing zero padding after the last HDU
            raise TruncatedFileError(f"HDU {index}: file ends inside the header", path)
        first = False
        text = block.decode("latin-1")
        for pos in range(0, BLOCK, CARD):
            card = text[pos : pos + CARD]
            if card.startswith("END") and not card[3:].strip():
                return tuple(cards)
            _check_card(card, path, index, len(cards))
            cards.append(card)


def iter_hdus(path: str | os.PathLike[str]) -> Iterator[HduInfo]:
    """Yield the HDUs of a FITS file one by one, reading headers and skipping data.

    Raises
    ------
    EmptyFileError, NotFitsError, TruncatedFileError, HeaderError
        With the path and the HDU at fault.
    """
    spath = os.fspath(path)
    if os.path.isfile(spath) and os.path.getsize(spath) == 0:
        raise EmptyFileError("file is empty (0 bytes), not a FITS file", spath)
    with open_binary(spath) as stream:
        try:
            head = stream.read(CARD)
        except STREAM_ERRORS as err:
            raise NotFitsError(f"cannot decompress: {err}", spath) from None
        if not head:
            raise EmptyFileError("file is empty, not a FITS file", spath)
        if not head.startswith(b"SIMPLE  =") or head[10:30].strip() != b"T":
            raise NotFitsError("not a FITS file (no 'SIMPLE = T' card at the start)", spath)
        stream.seek(0)
        size_on_disk = None if isinstance(stream, gzip.GzipFile) else os.fstat(stream.fileno()).st_size
        offset = 0
        index = 0
        while True:
            try:
                cards = _read_header(stream, spath, index)
            except STREAM_ERRORS as err:
                raise TruncatedFileError(f"HDU {index}: compressed stream is damaged: {err}", spath) from None
            if cards is None:
                return
            if index > 0 and not cards[0].startswith("XTENSION="):
                raise HeaderError(f"HDU {index}: header does not start with XTENSION", spath)
            data_offset = offset + padded(len(cards) * CARD + CARD)
            header = cards_to_header(cards)
            _check_long_values(cards, header, spath, index)
            size = _data_size(header, spath, index)
            info = HduInfo(index, cards, data_offset, size)
            yield info
            offset = info.end_offset
            if size:
                _skip_data(stream, info, spath, size_on_disk)
            index += 1


def _skip_data(stream: BinaryIO, info: HduInfo, path: str, size_on_disk: int | None) -> None:
    """Move past an HDU's data, checking that its last byte exists (one pass, also for gzip).

    For an uncompressed file the announced size is compared with the file's size first, so a
    header announcing petabytes costs nothing; a gzip stream is decompressed (never held in
    memory) up to the announced end.
    """
    short = TruncatedFileError(
        f"HDU {info.index} ({info.name or info.kind}): file ends before the "
        f"{info.data_size} bytes of data its header announces",
        path,
    )
    if size_on_disk is not None and info.data_offset + info.data_size > size_on_disk:
        raise short
    try:
        stream.seek(info.data_offset + info.data_size - 1)
        last = stream.read(1)
        stream.seek(info.end_offset)
    except (OverflowError, ValueError):  # an offset beyond what a file position can hold
        raise short from None
    except STREAM_ERRORS as err:
        raise TruncatedFileError(
            f"HDU {info.index} ({info.name or info.kind}): compressed stream is damaged: {err}", path
        ) from None
    if not last:
        raise short


def read_structure(path: str | os.PathLike[str]) -> list[HduInfo]:
    """List every HDU of a FITS file, checking that all announced data is present.

    Raises
    ------
    TruncatedFileError
        When the file is shorter than its headers announce (naming the HDU).
    """
    return list(iter_hdus(path))


def find_hdu(hdus: list[HduInfo], hdu: int | str | None, path: str | os.PathLike[str]) -> HduInfo:
    """Pick an HDU by index or EXTNAME (case-insensitive; ``NAME`` or ``NAME,VER``).

    ``None`` picks ``EVENTS`` when present, otherwise the first binary table.
    """
    if hdu is None:
        for h in hdus:
            if h.name == "EVENTS":  # even when it is not a table: that error is the right one
                return h
        tables = [h for h in hdus if h.kind == "BINTABLE"]
        if tables:
            return tables[0]
        raise HduNotFoundError("no binary table in the file", path)
    if isinstance(hdu, int):
        if 0 <= hdu < len(hdus):
            return hdus[hdu]
        raise HduNotFoundError(f"no HDU number {hdu} (the file has {len(hdus)} HDUs)", path)
    name, _, ver = str(hdu).upper().partition(",")
    if ver and not ver.strip().isdigit():
        raise HduNotFoundError(f"bad HDU name {hdu!r}: the version after ',' must be a number", path)
    for h in hdus:
        if h.name == name.strip() and (not ver or str(h.header.get("EXTVER", 1)).strip() == str(int(ver))):
            return h
    names = ", ".join(h.name or f"#{h.index}" for h in hdus)
    raise HduNotFoundError(f"no HDU named {hdu!r}; the file has: {names}", path)


def read_data(path: str | os.PathLike[str], info: HduInfo) -> bytes:
    """Read the whole (unpadded) data part of one HDU."""
    with open_binary(path) as stream:
        try:
            stream.seek(info.data_offset)
            data = stream.read(info.data_size)
        except STREAM_ERRORS as err:
            raise TruncatedFileError(
                f"HDU {info.index} ({info.name or info.kind}): compressed stream is damaged: {err}", path
            ) from None
    if len(data) < info.data_size:
        raise TruncatedFileError(
            f"HDU {info.index} ({info.name or info.kind}): data ends after {len(data)} of {info.data_size} bytes",
            path,
        )
    return data


__all__ = [
    "BLOCK",
    "CARD",
    "STREAM_ERRORS",
    "HduInfo",
    "cards_to_header",
    "find_hdu",
    "iter_hdus",
    "open_binary",
    "padded",
    "read_data",
    "read_structure",
]
