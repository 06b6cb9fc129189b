"""Data-subspace (DSS) header cards to :class:`~xmmframe.model.dss.DssEntry` and back.

Card order follows evselect: every ``DSTYPi``/``DSUNIi``, then per entry ``DSFORMi``/
``DSVALi``/``DSREFi``, then the component overrides ``kDSVALi``/``kDSREFi`` (component by
component), then ``MTYPEn``/``MFORMn`` for each region entry.  Comments are SAS's.

Examples
--------
>>> from xmmframe.model.dss import DssEntry
>>> cards = dss_cards([DssEntry("CCDNR", "1", components={2: ("2", None)}), DssEntry("PI", "500:10000")])
>>> [c[:8].strip() for c in cards]
['DSTYP1', 'DSTYP2', 'DSVAL1', 'DSVAL2', '2DSVAL1']
>>> read_dss(cards)[1]
DssEntry(name='PI', value='500:10000', unit=None, form=None, ref=None, components={})
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from xmmframe.io.cards import keyword_cards
from xmmframe.model.dss import DssEntry, component_count
from xmmframe.model.hdu import cards_to_header

#: ``[k]DS<what><i>`` keywords.
_DSS = re.compile(r"^(\d*)DS(TYP|VAL|UNI|FORM|REF)(\d+)$")
_COMMENT = "data subspace descriptor: "


def is_dss_keyword(key: str) -> bool:
    """Whether a keyword belongs to the data subspace (``DSTYP1``, ``2DSVAL3``, ``MTYPE1``, ``MFORM1``).

    Examples
    --------
    >>> is_dss_keyword("2DSREF6"), is_dss_keyword("MFORM1"), is_dss_keyword("DATE")
    (True, True, False)
    """
    return bool(_DSS.match(key) or re.match(r"^M(TYPE|FORM)\d+$", key))


def without_dss(cards: Iterable[str]) -> tuple[list[str], int]:
    """The cards without the data-subspace ones (their CONTINUE cards too), and where the first of them was.

    The position is the number of cards kept before the first DSS card (the end when there is none).

    Examples
    --------
    >>> cards = keyword_cards([("EXTNAME", "EVENTS", ""), ("DSTYP1", "PI", ""), ("DSVAL1", "500:2000", ""),
    ...                        ("TSTART", 1.0, "")])
    >>> kept, at = without_dss(cards)
    >>> [c[:8].strip() for c in kept], at
    (['EXTNAME', 'TSTART'], 1)
    """
    out: list[str] = []
    position = -1
    skipping = False
    for card in cards:
        key = card[:8].strip()
        if key == "CONTINUE" and skipping:
            continue
        skipping = is_dss_keyword(key)
        if skipping:
            position = len(out) if position < 0 else position
            continue
        out.append(card)
    return out, (position if position >= 0 else len(out))


def read_dss(header: Mapping[str, Any] | Iterable[str]) -> tuple[DssEntry, ...]:
    """The data-subspace entries of a header (an astropy Header, a mapping, or card images).

    Entries are ordered by their number; numbers without a ``DSTYP`` are ignored.

    Parameters
    ----------
    header : astropy.io.fits.Header, mapping or iterable of str
        The header, or its 80-character card images.

    Returns
    -------
    tuple of DssEntry
    """
    if not isinstance(header, Mapping) and not hasattr(header, "keys"):
        header = cards_to_header(list(header))
    raw: dict[int, dict[int, dict[str, str]]] = {}
    for key in header.keys():
        match = _DSS.match(key)
        if not match:
            continue
        comp = int(match.group(1) or 1)
        raw.setdefault(int(match.group(3)), {}).setdefault(comp, {})[match.group(2)] = str(header[key]).strip()
    entries = []
    for index in sorted(raw):
        base = raw[index].get(1, {})
        if "TYP" not in base:
            continue
        components = {k: (v.get("VAL"), v.get("REF")) for k, v in sorted(raw[index].items()) if k > 1}
        entries.append(DssEntry(base["TYP"], base.get("VAL", ""), base.get("UNI"), base.get("FORM"),
                                base.get("REF"), components))
    return tuple(entries)


def dss_keywords(entries: Iterable[DssEntry]) -> list[tuple[str, Any, str]]:
    """The ``(keyword, value, comment)`` triples of a data subspace, in evselect's order.

    Examples
    --------
    >>> from xmmframe.model.dss import DssEntry
    >>> dss_keywords([DssEntry("POS(X,Y)", "TABLE", ref=":REG00101")])[-2:]
    [('MTYPE1', 'POS', 'DM Keyword: Descriptor name'), ('MFORM1', 'X,Y', '')]
    """
    entries = list(entries)
    items: list[tuple[str, Any, str]] = []
    for i, e in enumerate(entries, 1):
        items.append((f"DSTYP{i}", e.name, _COMMENT + "name"))
        if e.unit:
            items.append((f"DSUNI{i}", e.unit, _COMMENT + "units"))
    for i, e in enumerate(entries, 1):
        if e.form:
            items.append((f"DSFORM{i}", e.form, _COMMENT + "data type"))
        items.append((f"DSVAL{i}", e.value, _COMMENT + "value"))
        if e.ref:
            items.append((f"DSREF{i}", e.ref, _COMMENT + "reference"))
    for k in range(2, component_count(entries) + 1):
        for i, e in enumerate(entries, 1):
            value, ref = e.components.get(k, (None, None))
            if value is not None:
                items.append((f"{k}DSVAL{i}", value, _COMMENT + "value"))
            if ref is not None:
                items.append((f"{k}DSREF{i}", ref, _COMMENT + "reference"))
    regions = [e.region for e in entries if e.region is not None]
    for n, (kind, columns) in enumerate(regions, 1):
        items.append((f"MTYPE{n}", kind, "DM Keyword: Descriptor name"))
        items.append((f"MFORM{n}", columns, ""))
    return items


def dss_cards(entries: Iterable[DssEntry]) -> tuple[str, ...]:
    """The card images of a data subspace (:func:`dss_keywords`).

    Examples
    --------
    >>> from xmmframe.model.dss import DssEntry
    >>> dss_cards([DssEntry("PATTERN", ":12")])[1].rstrip()
    "DSVAL1  = ':12     '           / data subspace descriptor: value"
    """
    return keyword_cards(dss_keywords(entries))


__all__ = ["dss_cards", "dss_keywords", "is_dss_keyword", "read_dss", "without_dss"]
