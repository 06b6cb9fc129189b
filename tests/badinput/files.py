"""Building bad input files at test time, from the real SAS files in ``../shared/refdata``.

Nothing here is committed as data: every case is made in ``tmp_path`` by cutting, editing or
recompressing a real file, so the corpus stays small and follows the real formats.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
from pathlib import Path

import numpy as np
from astropy.io import fits

BLOCK = 2880
CARD = 80
EXOD = Path("exod/0001730201")


def small_events(refdata: Path, target: Path, rows: int = 400) -> Path:
    """The real EXOD MOS1 clean event list with its EVENTS table cut to ``rows`` rows (all HDUs kept)."""
    with fits.open(refdata / EXOD / "M1_clean.fits") as hdus:
        hdus["EVENTS"].data = hdus["EVENTS"].data[:rows]
        hdus.writeto(target)
    return target


@functools.lru_cache(maxsize=8)
def hdu_offsets(data: bytes) -> list[tuple[int, int, int]]:
    """``(header_start, data_start, data_end)`` of every HDU of an uncompressed FITS file."""
    result = []
    offset = 0
    while offset < len(data):
        cards: list[str] = []
        pos = offset
        while True:
            card = data[pos : pos + CARD].decode("latin-1")
            pos += CARD
            cards.append(card)
            if card.startswith("END") and not card[3:].strip():
                break
        data_start = offset + -(-(pos - offset) // BLOCK) * BLOCK
        header = fits.Header.fromstring("".join(cards))
        size = 0
        if header.get("NAXIS", 0):
            size = abs(header["BITPIX"]) // 8 * header.get("GCOUNT", 1)
            size *= int(np.prod([header[f"NAXIS{i}"] for i in range(1, header["NAXIS"] + 1)])) + header.get("PCOUNT", 0)
        result.append((offset, data_start, data_start + size))
        offset = data_start + -(-size // BLOCK) * BLOCK
    return result


def set_card(data: bytes, hdu: int, keyword: str, value: str) -> bytes:
    """``data`` with the value field of ``keyword`` in HDU number ``hdu`` replaced verbatim.

    When the header has no such keyword, the card is added in place of the first blank card
    (or just before END).
    """
    start, data_start, _ = hdu_offsets(data)[hdu]
    out = bytearray(data)
    card = f"{keyword:<8}= {value:>20}".ljust(CARD)[:CARD].encode("latin-1")
    blank = None
    for pos in range(start, data_start, CARD):
        text = data[pos : pos + CARD]
        if text[:8].rstrip() == keyword.encode() and text[8:10] == b"= ":
            out[pos : pos + CARD] = card
            return bytes(out)
        if text.startswith(b"END") and not text[3:].strip():
            if blank is None:
                if pos + CARD >= data_start:
                    raise ValueError("no room for another card in this header")
                out[pos + CARD : pos + 2 * CARD] = out[pos : pos + CARD]  # move END one card down
                blank = pos
            break
        if blank is None and not text.strip():
            blank = pos
    assert blank is not None
    out[blank : blank + CARD] = card
    return bytes(out)


def gzip_bytes(data: bytes) -> bytes:
    """``data`` gzip-compressed, reproducibly (no time stamp)."""
    return gzip.compress(data, mtime=0)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_columns(path: Path, columns: dict[str, np.ndarray], extname: str = "EVENTS", **keywords: object) -> Path:
    """A FITS file with one binary table of these columns (astropy as the independent writer)."""
    table = fits.BinTableHDU.from_columns(
        [fits.Column(name=name, array=values, format=_tform(values)) for name, values in columns.items()],
        name=extname,
    )
    for key, value in keywords.items():
        table.header[key] = value
    fits.HDUList([fits.PrimaryHDU(), table]).writeto(path)
    return path


def _tform(values: np.ndarray) -> str:
    return {np.dtype("float64"): "D", np.dtype("float32"): "E", np.dtype("int32"): "J",
            np.dtype("int16"): "I", np.dtype("uint8"): "B"}[values.dtype]
