"""EPIC event FLAG bits and the ``XMMEA_*`` selection macros written into event-list headers.

MOS bit names are those of the ``XMMEA_n`` keywords of a real PPS MOS event list
(``P0001730201M1S002MIEVLI.FTZ``, SAS 18), which settles the bits the SAS reference lists as
unresolved (13 ON_BADOFFSET, 15 FLICKERING, 22 REJECTED_BY_GATTI, 26 OUTSIDE_THRESHOLDS,
28 ON_BADROW, 29 BAD_E3E4, 30 UNDERSHOOT).  pn names are those of a real pn header as quoted in
the reference (§2.2); bit 1 CLOSE_TO_CCD_BORDER is used for pn too (the reference names it for pn
without a bit number; MOS uses bit 1).  The masks are SAS's: ``XMMEA_EP = (FLAG & 0xcfa0000)==0``,
``XMMEA_EM = (FLAG & 0x766ba000)==0``, ``XMMEA_SM = (FLAG & 0xfffffeff)==0``.

Examples
--------
>>> from xmmframe.model.flags import PN_FLAGS, MOS_FLAGS, flag_keywords
>>> hex(PN_FLAGS["ON_BADPIX"]), hex(MOS_FLAGS["REJECTED_BY_GATTI"])
('0x200000', '0x400000')
>>> flag_keywords("EMOS1")[-2]
('XMMEA_EM', '(FLAG & 0x766ba000) == 0', 'Select good MOS events')
"""

from __future__ import annotations

#: pn FLAG bit values by name.
PN_FLAGS: dict[str, int] = {
    "INVALID_PATTERN": 1 << 0,
    "CLOSE_TO_CCD_BORDER": 1 << 1,
    "CLOSE_TO_CCD_WINDOW": 1 << 2,
    "ON_OFFSET_COLUMN": 1 << 3,
    "NEXT_TO_OFFSET_COLUMN": 1 << 4,
    "CLOSE_TO_ONBOARD_BADPIX": 1 << 5,
    "CLOSE_TO_BRIGHTPIX": 1 << 6,
    "CLOSE_TO_DEADPIX": 1 << 8,
    "IN_SPOILED_FRAME": 1 << 11,
    "OUT_OF_FOV": 1 << 16,
    "IN_BAD_FRAME": 1 << 17,
    "COSMIC_RAY": 1 << 19,
    "MIP_ASSOCIATED": 1 << 20,
    "ON_BADPIX": 1 << 21,
    "SECONDARY": 1 << 22,
    "TRAILING": 1 << 23,
    "OUT_OF_CCD_WINDOW": 1 << 25,
}

#: MOS FLAG bit values by name (from the XMMEA_n keywords of a real PPS MOS list).
MOS_FLAGS: dict[str, int] = {
    "DIAGONAL": 1 << 0,
    "CLOSE_TO_CCD_BORDER": 1 << 1,
    "CLOSE_TO_ONBOARD_BADPIX": 1 << 5,
    "CLOSE_TO_BRIGHTPIX": 1 << 6,
    "CLOSE_TO_DEADPIX": 1 << 8,
    "CLOSE_TO_BADCOL": 1 << 9,
    "CLOSE_TO_BADROW": 1 << 10,
    "IN_SPOILED_FRAME": 1 << 11,
    "ON_BADOFFSET": 1 << 13,
    "FLICKERING": 1 << 15,
    "OUT_OF_FOV": 1 << 16,
    "IN_BAD_FRAME": 1 << 17,
    "COSMIC_RAY": 1 << 19,
    "ON_BADPIX": 1 << 21,
    "REJECTED_BY_GATTI": 1 << 22,
    "OUT_OF_CCD_WINDOW": 1 << 25,
    "OUTSIDE_THRESHOLDS": 1 << 26,
    "ON_BADROW": 1 << 28,
    "BAD_E3E4": 1 << 29,
    "UNDERSHOOT": 1 << 30,
}

#: The standard selection masks (keyword, value, comment).
PN_MACROS = (("XMMEA_EP", "(FLAG & 0xcfa0000) == 0", "Select good pn events"),)
MOS_MACROS = (
    ("XMMEA_EM", "(FLAG & 0x766ba000) == 0", "Select good MOS events"),
    ("XMMEA_SM", "(FLAG & 0xfffffeff) == 0", "Select good MOS events for spectra"),
)


def flags_for(instrument: str) -> dict[str, int]:
    """The FLAG bit table of ``EPN``/``EMOS1``/``EMOS2`` (or ``PN``/``M1``/``M2``)."""
    return PN_FLAGS if instrument.upper() in ("EPN", "PN") else MOS_FLAGS


def flag_keywords(instrument: str) -> list[tuple[str, str, str]]:
    """``(keyword, value, comment)`` of every ``XMMEA_n`` bit keyword and the standard masks.

    The values are SAS's: ``XMMEA_21 = '(FLAG & 0x200000) != 0'`` with the bit name as comment.
    """
    table = flags_for(instrument)
    cards = [
        (f"XMMEA_{value.bit_length() - 1}", f"(FLAG & {value:#x}) != 0", name)
        for name, value in table.items()
    ]
    macros = PN_MACROS if table is PN_FLAGS else MOS_MACROS
    return cards + list(macros)
