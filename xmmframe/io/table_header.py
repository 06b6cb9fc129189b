"""The header cards of a binary table from its columns: one implementation for products and event lists.

:func:`table_cards` writes the structure keywords, then per column ``TTYPEn`` (with the column's
comment), ``TFORMn``, ``TUNITn`` and its other indexed keywords (``TLMINn`` ...), then
``EXTNAME`` and the table's keywords, as the OGIP product writers lay them out.  With
``sas_layout=True`` it writes the layout SAS's ODF processing gives its event lists and their
extensions: ``TFORMn`` without a repeat count and with the type spelled out in the comment
(``'D'`` / ``data format of field: 8-byte DOUBLE``), and the indexed keywords other than
``TTYPE``/``TFORM``/``TUNIT`` after the table's keywords, floats with SAS's 15 digits.

Examples
--------
>>> import polars as pl
>>> frame = pl.DataFrame({"START": [1.0], "STOP": [2.0]})
>>> cards = table_cards("GTI", frame, {"START": ("s", "lower GTI boundary")})
>>> [c[:8].strip() for c in cards[8:]]
['TTYPE1', 'TFORM1', 'TUNIT1', 'TTYPE2', 'TFORM2', 'EXTNAME']
>>> table_cards("STDGTI01", frame, sas_layout=True, extname_comment="")[9].rstrip()
"TFORM1  = 'D       '           / data format of field: 8-byte DOUBLE"
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import polars as pl

from xmmframe.io.cards import keyword_cards, with_longstrn
from xmmframe.io.fits_write import plan_table, table_template

#: The type of each TFORM letter as SAS names it in the ``TFORMn`` comment.
SAS_FORMAT_NAMES = {"D": "8-byte DOUBLE", "E": "4-byte REAL", "I": "2-byte INTEGER", "J": "4-byte INTEGER",
                    "B": "BYTE", "K": "8-byte INTEGER", "L": "LOGICAL", "A": "CHARACTER"}
_EXTNAME_COMMENT = "name of this binary table extension"


def _sas_tform(key: str, card: str) -> str:
    """A ``TFORMn`` card as SAS writes a scalar column's: the letter alone, the type in the comment."""
    tform = card[10:].split("/")[0].strip().strip("'").strip()
    letter = tform[1:] if tform.startswith("1") and tform[1:] in SAS_FORMAT_NAMES else tform
    if letter not in SAS_FORMAT_NAMES:
        return card
    return keyword_cards([(key, letter, f"data format of field: {SAS_FORMAT_NAMES[letter]}")])[0]


def table_cards(
    extname: str,
    frame: pl.DataFrame,
    columns: dict[str, tuple[str | None, str]] | None = None,
    column_keywords: dict[str, Sequence[tuple[str, Any, str]]] | None = None,
    keywords: Iterable[str] = (),
    *,
    sas_layout: bool = False,
    extname_comment: str = _EXTNAME_COMMENT,
) -> tuple[str, ...]:
    """Header cards of a binary table: column cards with units and comments, then ``keywords``.

    Parameters
    ----------
    extname : str
        The ``EXTNAME``.
    frame : polars.DataFrame
        The table (its columns and their dtypes give the structure; it may be empty).
    columns : dict
        ``name -> (unit, comment)`` for the columns of ``frame``.
    column_keywords : dict
        ``name -> [(prefix, value, comment), ...]`` extra indexed keywords (``TLMIN`` ...).
    keywords : iterable of str
        Card images appended after ``EXTNAME``.
    sas_layout : bool
        SAS's event-list layout (see the module): bare ``TFORMn`` letters, the extra indexed
        keywords after ``keywords`` and their floats with 15 digits.
    extname_comment : str
        The comment of the ``EXTNAME`` card (empty: none).

    Returns
    -------
    tuple of str
        80-character card images (``LONGSTRN`` added when long strings need it).

    Examples
    --------
    >>> import polars as pl
    >>> frame = pl.DataFrame({"PI": pl.Series([], dtype=pl.Int16)})
    >>> cards = table_cards("EVENTS", frame, {"PI": ("CHAN", "pulse invariant")}, {"PI": [("TLMIN", 0, "")]},
    ...                     sas_layout=True)
    >>> [c[:8].strip() for c in cards[8:]]
    ['TTYPE1', 'TFORM1', 'TUNIT1', 'EXTNAME', 'TLMIN1']
    """
    columns = columns or {}
    column_keywords = column_keywords or {}
    base, _ = plan_table(table_template(extname), frame)
    out: list[str] = []
    after: list[str] = []
    for card in base:
        key = card[:8].strip()
        if key == "EXTNAME" and extname_comment != _EXTNAME_COMMENT:
            card = keyword_cards([(key, extname, extname_comment)])[0]
        elif key.startswith("TTYPE"):
            name = frame.columns[int(key[5:]) - 1]
            card = keyword_cards([(key, name, columns.get(name, (None, ""))[1])])[0]
        elif key.startswith("TFORM") and sas_layout:
            card = _sas_tform(key, card)
        out.append(card)
        if key.startswith("TFORM"):
            n = int(key[5:])
            name = frame.columns[n - 1]
            unit = columns.get(name, (None, ""))[0]
            if unit:
                out.extend(keyword_cards([(f"TUNIT{n}", unit, "physical unit of field")]))
            extra = [(f"{prefix}{n}", value, comment) for prefix, value, comment in column_keywords.get(name, ())]
            if sas_layout:
                after.extend(keyword_cards(extra, sas_floats=True))
            else:
                out.extend(keyword_cards(extra))
    return with_longstrn(tuple(out) + tuple(keywords) + tuple(after))


__all__ = ["SAS_FORMAT_NAMES", "table_cards"]
