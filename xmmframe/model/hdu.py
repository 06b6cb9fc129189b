"""FITS HDUs as carried by xmmframe objects: original card images plus raw data.

Keeping the 80-character card images (not parsed values) and the raw data bytes of every
extension an event list brings along is what lets xmmframe write a file back without losing
or reformatting anything.

Examples
--------
>>> from xmmframe.model.hdu import RawHdu
>>> hdu = RawHdu(("SIMPLE  =                    T".ljust(80), "BITPIX  =                    8".ljust(80),
...               "NAXIS   =                    0".ljust(80)))
>>> hdu.kind, hdu.name
('PRIMARY', 'PRIMARY')
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cached_property

from astropy.io import fits
from astropy.io.fits.verify import VerifyWarning

CARD = 80


def creation_date(milliseconds: bool = False) -> str:
    """The ``DATE`` of a file being written: now, in UTC, as ``YYYY-MM-DDThh:mm:ss[.sss]``.

    When ``SOURCE_DATE_EPOCH`` is set (seconds since 1970-01-01 UTC, the reproducible-builds
    convention), that instant is used instead, so that the same inputs give identical files.

    Examples
    --------
    >>> len(creation_date()), creation_date(milliseconds=True)[-4:]
    (19, '.000')
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    moment = datetime.fromtimestamp(int(epoch), timezone.utc) if epoch.isdigit() else datetime.now(timezone.utc)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    return text + ".000" if milliseconds else text


def cards_to_header(cards: tuple[str, ...] | list[str]) -> fits.Header:
    """Build an astropy Header from card images, keeping order and comments."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", VerifyWarning)
        return fits.Header.fromstring("".join(cards) + "END".ljust(CARD))


class HeaderCards:
    """Header access shared by every object that holds a tuple of card images in ``cards``."""

    cards: tuple[str, ...]

    @cached_property
    def header(self) -> fits.Header:
        """The header as an :class:`astropy.io.fits.Header` (order and comments kept)."""
        return cards_to_header(self.cards)

    @property
    def kind(self) -> str:
        """``PRIMARY``, ``BINTABLE``, ``IMAGE`` or ``TABLE``."""
        if self.cards and self.cards[0].startswith("SIMPLE"):
            return "PRIMARY"
        return str(self.header.get("XTENSION", "")).strip().upper()

    @property
    def name(self) -> str:
        """EXTNAME (upper case); ``PRIMARY`` for the primary HDU; ``""`` when unnamed."""
        if self.kind == "PRIMARY":
            return "PRIMARY"
        return str(self.header.get("EXTNAME", "")).strip().upper()

    @property
    def nrows(self) -> int:
        """Rows of a table HDU (NAXIS2), 0 for other HDUs."""
        return int(self.header.get("NAXIS2", 0)) if self.kind in ("BINTABLE", "TABLE") else 0


@dataclass(frozen=True)
class RawHdu(HeaderCards):
    """One HDU kept verbatim: its card images (without END) and its unpadded data bytes."""

    cards: tuple[str, ...]
    data: bytes = b""

    def __repr__(self) -> str:
        return f"RawHdu({self.name or self.kind}, {len(self.cards)} cards, {len(self.data)} data bytes)"
