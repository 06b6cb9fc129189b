"""One table_cards for products and event lists: SAS's own event-list headers rebuilt card for card."""

from __future__ import annotations

import re

import polars as pl
import pytest
from astropy.io import fits

from xmmframe.io.cards import keyword_cards
from xmmframe.io.ogip import table_cards as ogip_table_cards
from xmmframe.io.table_header import table_cards
from xmmframe.proc.event_format import ColumnSpec, column_keywords, columns_for
from xmmframe.proc.header import table_cards as proc_table_cards

PPS_LIST = "exod/0001730201/P0001730201M1S002MIEVLI.FTZ"
_DTYPES = {"D": pl.Float64, "E": pl.Float32, "I": pl.Int16, "J": pl.Int32, "B": pl.UInt8}
_INDEXED = re.compile(r"^(T[A-Z]+?)(\d+)$")
_DEFINITION = ("TTYPE", "TFORM", "TUNIT")


def _rebuild(header: fits.Header) -> tuple[list[str], tuple[str, ...]]:
    """The header's cards, and those table_cards makes from its columns, keywords and column keywords."""
    images = [c.image for c in header.cards]
    names = [header[f"TTYPE{n}"] for n in range(1, header["TFIELDS"] + 1)]
    frame = pl.DataFrame(schema={name: _DTYPES[header[f"TFORM{n}"]] for n, name in enumerate(names, 1)})
    columns = {name: (header.get(f"TUNIT{n}"), header.comments[f"TTYPE{n}"]) for n, name in enumerate(names, 1)}
    extra: dict[str, list[tuple[str, object, str]]] = {name: [] for name in names}
    keywords = []
    for card in list(header.cards)[list(header.keys()).index("EXTNAME") + 1:]:
        match = _INDEXED.match(card.keyword)
        if match and match.group(1) not in _DEFINITION and 1 <= int(match.group(2)) <= len(names):
            extra[names[int(match.group(2)) - 1]].append((match.group(1), card.value, card.comment))
        else:
            keywords.append(card.image)
    cards = table_cards(header["EXTNAME"], frame, columns, extra, keywords, sas_layout=True,
                        extname_comment=header.comments["EXTNAME"])
    return images, cards


@pytest.mark.parametrize("extname", ["OFFSETS", "EXPOSU01", "BADPIX01", "STDGTI01"])
def test_sas_event_list_extensions_rebuilt_card_for_card(refdata, extname):
    with fits.open(refdata / PPS_LIST) as hdus:
        header = hdus[extname].header.copy()
    header["NAXIS2"] = 0  # the cards are made for an empty table; rows are counted when it is written
    images, cards = _rebuild(header)
    assert list(cards) == images


def test_events_header_column_ranges_follow_the_keywords(refdata):
    with fits.open(refdata / PPS_LIST) as hdus:
        header = hdus["EVENTS"].header.copy()
    header["NAXIS2"] = 0
    images, cards = _rebuild(header)
    # the column definitions, EXTNAME and the ranges (TLMIN/TLMAX/TC* after the keywords) as SAS wrote them
    assert list(cards) == images


def test_proc_and_product_tables_share_the_implementation():
    specs = columns_for("EMOS1")[:6] + [ColumnSpec("N", pl.UInt8, "count", tnull=255)]
    keywords = {"TSTART": (1.0e8, "[s] Start time"), "OBJECT": ("HD159176", "Name of observed object")}
    columns, ranges = column_keywords(specs)
    frame = pl.DataFrame(schema={s.name: s.dtype for s in specs})
    rendered = keyword_cards([(key, value, comment) for key, (value, comment) in keywords.items()], sas_floats=True)
    expected = table_cards("EVENTS", frame, columns, ranges, rendered, sas_layout=True,
                           extname_comment="CCD/node specific event list")
    assert proc_table_cards("EVENTS", specs, keywords, "CCD/node specific event list") == expected
    # the product layout: ranges with their column, TFORM with the repeat count
    product = ogip_table_cards("EVENTS", frame, columns, ranges)
    assert product == table_cards("EVENTS", frame, columns, ranges)
    keys = [c[:8].strip() for c in product]
    assert product[9].startswith("TFORM1  = '1D      '")
    assert keys.index("TFORM2") < keys.index("TLMIN2") < keys.index("TTYPE3") < keys.index("EXTNAME")
