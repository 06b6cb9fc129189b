"""FITS header cards: keywords to 80-character card images and the edits products make on them.

The one place xmmframe formats keywords.  A keyword is a ``(keyword, value, comment)`` triple;
:func:`keyword_items` turns the ``{KEY: value}`` / ``{KEY: (value, comment)}`` mappings the ODF and
event-list writers build into triples.  Long strings become CONTINUE cards (with ``LONGSTRN``
declared by :func:`with_longstrn`); ``HISTORY``/``COMMENT`` take their text as value.

Examples
--------
>>> from xmmframe.io.cards import keyword_cards, set_keywords
>>> cards = keyword_cards([("EXPOSURE", 100.0, "[s] live time"), ("HDUCLAS1", "SPECTRUM", "")])
>>> [c[:8].strip() for c in set_keywords(cards, [("EXPOSURE", 90.0, "[s] live time")])]
['EXPOSURE', 'HDUCLAS1']
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
from astropy.io import fits
from astropy.io.fits.verify import VerifyWarning

from xmmframe.model.hdu import CARD, creation_date
from xmmframe.model.provenance import Provenance

Keyword = tuple[str, Any, str]


def provenance_keywords(provenance: Provenance, date: bool = True) -> tuple[tuple[str, object, str], ...]:
    """The header keywords saying how a file was made, as ``(keyword, value, comment)``.

    ``CREATOR``, then ``DATE`` (the provenance's date, else now; ``SOURCE_DATE_EPOCH`` honoured)
    unless ``date`` is False, then ``XPROC0`` when the provenance has a command.

    Parameters
    ----------
    provenance : Provenance
        The task, command line and version.
    date : bool
        Include ``DATE``.

    Returns
    -------
    tuple of (str, object, str)

    Examples
    --------
    >>> from xmmframe.model.provenance import Provenance
    >>> provenance_keywords(Provenance("rmfgen", version="0.1.0"), date=False)
    (('CREATOR', 'xmmframe rmfgen (xmmframe-0.1.0)', 'name of code that created this file'),)
    """
    items: list[tuple[str, object, str]] = [
        ("CREATOR", provenance.creator, "name of code that created this file"),
    ]
    if date:
        items.append(("DATE", provenance.date or creation_date(), "creation date"))
    if provenance.command:
        items.append(("XPROC0", provenance.command, "command that made this file"))
    return tuple(items)


def provenance_items(provenance: Provenance, date: bool = True, comments: bool = True) -> dict[str, object]:
    """:func:`provenance_keywords` as a ``{KEY: (value, comment)}`` mapping (:func:`sas_cards`, :func:`keyword_items`).

    With ``comments=False`` the mapping is ``{KEY: value}``, the form
    :func:`~xmmframe.io.fits_write.primary_template` and ``table_template`` take.

    Parameters
    ----------
    provenance, date
        As for :func:`provenance_keywords`.
    comments : bool
        Pair each value with its comment.

    Returns
    -------
    dict

    Examples
    --------
    >>> from xmmframe.model.provenance import Provenance
    >>> provenance_items(Provenance("cifbuild", version="0.1.0", date="2023-11-14T22:13:20"), comments=False)
    {'CREATOR': 'xmmframe cifbuild (xmmframe-0.1.0)', 'DATE': '2023-11-14T22:13:20'}
    """
    keywords = provenance_keywords(provenance, date)
    return {key: (value, comment) if comments else value for key, value, comment in keywords}


def provenance_cards(provenance: Provenance, date: bool = True) -> tuple[str, ...]:
    """Card images of :func:`provenance_keywords`, then one HISTORY card per line of ``provenance.history``.

    Examples
    --------
    >>> from xmmframe.model.provenance import Provenance
    >>> made = Provenance("evselect", version="0.1.0", source="M1.fits")
    >>> [c.rstrip() for c in provenance_cards(made, date=False)][1]
    'HISTORY Created by xmmframe evselect (xmmframe-0.1.0) from M1.fits'
    """
    history = [("HISTORY", line, "") for line in provenance.history]
    return keyword_cards([*provenance_keywords(provenance, date), *history])


def keyword_items(keywords: Mapping[str, object]) -> list[Keyword]:
    """``{KEY: value}`` or ``{KEY: (value, comment)}`` as triples; a HISTORY/COMMENT list gives a card a line.

    Examples
    --------
    >>> keyword_items({"OBS_ID": ("0001730201", "Observation Identifier"), "HISTORY": ["a", "b"]})
    [('OBS_ID', '0001730201', 'Observation Identifier'), ('HISTORY', 'a', ''), ('HISTORY', 'b', '')]
    """
    items: list[Keyword] = []
    for key, entry in keywords.items():
        value, comment = entry if isinstance(entry, tuple) else (entry, "")
        if key in ("HISTORY", "COMMENT") and isinstance(value, (list, tuple)):
            items.extend((key, str(line), "") for line in value)
        else:
            items.append((key, value, comment))
    return items


def keyword_cards(items: Iterable[Keyword], sas_floats: bool = False) -> tuple[str, ...]:
    """Card images of ``(keyword, value, comment)`` triples; long strings become CONTINUE cards.

    Parameters
    ----------
    items : iterable of (str, object, str)
        The keywords, in order.  ``HISTORY``/``COMMENT`` take the text as value; a value of None
        is skipped.  Comments too long for the card are cut.
    sas_floats : bool
        Write finite floating-point values with 15 significant digits as SAS does (astropy
        writes the shortest representation that reads back the same).

    Returns
    -------
    tuple of str
        80-character card images.

    Examples
    --------
    >>> keyword_cards([("EXPOSURE", 100.0, "[s] live time")])[0][:30]
    'EXPOSURE=                100.0'
    >>> keyword_cards([("REFXCDLT", -0.05 / 3600, "[deg/pix]")], sas_floats=True)[0].rstrip()
    'REFXCDLT= -1.38888888888889E-05 / [deg/pix]'
    """
    cards: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", VerifyWarning)  # comments too long for the value are cut, as wanted
        for key, value, comment in items:
            if value is None:
                continue
            if sas_floats and isinstance(value, float) and len(key) <= 8 and np.isfinite(value):
                text = f"{key:<8}= {f'{value:.14E}':>20}" + (f" / {comment}" if comment else "")
                cards.append(text[:CARD].ljust(CARD))
                continue
            image = fits.Card(key, value, comment).image
            cards.extend(image[i : i + CARD] for i in range(0, len(image), CARD))
    return tuple(cards)


def sas_cards(keywords: Mapping[str, object]) -> list[str]:
    """Card images of ``{KEY: value}`` or ``{KEY: (value, comment)}``, floats with SAS's 15 digits.

    The form the ODF and event-list writers build their headers in (:func:`keyword_items`).

    Examples
    --------
    >>> sas_cards({"REFXCDLT": (-0.05 / 3600, "[deg/pix]")})[0].rstrip()
    'REFXCDLT= -1.38888888888889E-05 / [deg/pix]'
    """
    return list(keyword_cards(keyword_items(keywords), sas_floats=True))


def _groups(cards: Iterable[str]) -> list[list[str]]:
    groups: list[list[str]] = []
    for card in cards:
        if card.startswith("CONTINUE") and groups:
            groups[-1].append(card)
        else:
            groups.append([card])
    return groups


def merge_cards(first: Iterable[str], second: Iterable[str]) -> tuple[str, ...]:
    """``first`` followed by the cards of ``second`` whose keyword ``first`` does not set already.

    HISTORY, COMMENT and blank cards of both are kept.

    Examples
    --------
    >>> first = keyword_cards([("OBS_ID", "0001730201", "")])
    >>> second = keyword_cards([("OBS_ID", "0999990101", ""), ("FILTER", "Thick", "")])
    >>> [c[:30].rstrip() for c in merge_cards(first, second)]
    ["OBS_ID  = '0001730201'", "FILTER  = 'Thick   '"]
    """
    head = _groups(first)
    present = {g[0][:8].strip() for g in head} - {"HISTORY", "COMMENT", ""}
    tail = [g for g in _groups(second) if g[0][:8].strip() not in present]
    return tuple(card for group in head + tail for card in group)


def set_keywords(cards: Iterable[str], items: Iterable[Keyword]) -> tuple[str, ...]:
    """``cards`` with keywords set: replaced in place where present (CONTINUE cards included), else appended.

    Examples
    --------
    >>> cards = keyword_cards([("ONTIME", 1.0, "s"), ("LIVETIME", 0.9, "s")])
    >>> [c[:8] for c in set_keywords(cards, [("ONTIME", 2.0, "s"), ("EXPOSURE", 1.8, "s")])]
    ['ONTIME  ', 'LIVETIME', 'EXPOSURE']
    """
    groups = _groups(cards)
    index = {g[0][:8].strip(): i for i, g in reversed(list(enumerate(groups)))}
    for key, value, comment in items:
        new = list(keyword_cards([(key, value, comment)]))
        if key in index:
            groups[index[key]] = new
        else:
            index[key] = len(groups)
            groups.append(new)
    return tuple(card for group in groups for card in group)


def with_longstrn(cards: Iterable[str]) -> tuple[str, ...]:
    """``cards`` plus ``LONGSTRN = 'OGIP 1.0'`` when they use CONTINUE cards and do not declare it.

    Examples
    --------
    >>> cards = with_longstrn(keyword_cards([("SLCTEXPR", "PI in [500:2000] && " * 5, "")]))
    >>> cards[-1][:19]
    "LONGSTRN= 'OGIP 1.0"
    """
    cards = tuple(cards)
    if any(c.startswith("CONTINUE") for c in cards) and not any(c.startswith("LONGSTRN") for c in cards):
        cards += keyword_cards([("LONGSTRN", "OGIP 1.0", "The OGIP long string convention may be used")])
    return cards


def drop_keywords(cards: Iterable[str], keys: Iterable[str]) -> tuple[str, ...]:
    """Cards without those of the given keywords (and the CONTINUE cards that follow them).

    Examples
    --------
    >>> cards = keyword_cards([("CREATOR", "x", ""), ("OBS_ID", "0001730201", "")])
    >>> [c[:8].strip() for c in drop_keywords(cards, ["creator"])]
    ['OBS_ID']
    """
    drop = {k.upper() for k in keys}
    out: list[str] = []
    skipping = False
    for card in cards:
        key = card[:8].strip()
        if key == "CONTINUE" and skipping:
            continue
        skipping = key in drop
        if not skipping:
            out.append(card)
    return tuple(out)
