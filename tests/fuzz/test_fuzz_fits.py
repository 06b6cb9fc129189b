"""Fuzzing the FITS layer: mutated real headers for the structure parser, byte-mutated real files
(plain and gzip) for the scanner. Any error must be an XmmframeError."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from astropy.io import fits
from hypothesis import given
from hypothesis import strategies as st

import xmmframe

from tests.badinput.files import BLOCK, CARD, EXOD, hdu_offsets
from tests.fuzz.conftest import fuzz
from xmmframe.errors import XmmframeError


@pytest.fixture(scope="module")
def real(refdata, tmp_path_factory) -> dict[str, object]:
    """A 40-event real MOS1 list (primary, EVENTS, one GTI): its bytes, EVENTS header cards, HDU offsets."""
    folder = tmp_path_factory.mktemp("fuzz")
    with fits.open(refdata / EXOD / "M1_clean.fits") as hdus:
        events = hdus["EVENTS"]
        events.data = events.data[:40]
        fits.HDUList([hdus[0], events, hdus["STDGTI01"]]).writeto(folder / "events.fits")
    data = (folder / "events.fits").read_bytes()
    offsets = hdu_offsets(data)
    start, data_start, _ = offsets[1]
    cards = [data[p : p + CARD].decode("latin-1") for p in range(start, data_start, CARD)]
    end = next(i for i, c in enumerate(cards) if c.startswith("END") and not c[3:].strip())
    return {"folder": folder, "data": data, "offsets": offsets, "cards": cards[:end]}


def _exercise(path: Path) -> None:
    """What a user does first with a file: open the events (listing every HDU) and read them all."""
    xmmframe.open_events(path).collect()


def _must_be_named(path: Path) -> None:
    try:
        _exercise(path)
    except XmmframeError:
        pass


_VALUES = st.one_of(
    st.integers(-(2**70), 2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(lambda v: f"{v:.6E}"),
    st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=12).map(lambda t: f"'{t}'"),
    st.sampled_from(["T", "F", "''", "'PJ(5)'", "'1QD'", "'(2,2)'", "'0J'", "'X'", "'256A'", "-0", "1E400"]),
)


@st.composite
def _mutated_header(draw, cards: list[str]) -> list[str]:
    cards = list(cards)
    for _ in range(draw(st.integers(1, 4))):
        action = draw(st.sampled_from(["value", "delete", "duplicate", "swap", "raw"]))
        i = draw(st.integers(0, len(cards) - 1))
        if action == "value" and cards[i][8:10] == "= ":
            cards[i] = f"{cards[i][:8]}= {draw(_VALUES):>20}".ljust(CARD)[:CARD]
        elif action == "delete" and len(cards) > 1:
            del cards[i]
        elif action == "duplicate":
            cards.insert(i, cards[draw(st.integers(0, len(cards) - 1))])
        elif action == "swap":
            j = draw(st.integers(0, len(cards) - 1))
            cards[i], cards[j] = cards[j], cards[i]
        else:
            raw = draw(st.text(st.characters(min_codepoint=0, max_codepoint=255), min_size=1, max_size=CARD))
            cards[i] = (raw + cards[i][len(raw):])[:CARD]
    return cards


@fuzz(120)
@given(data=st.data())
def test_mutated_events_header(real, data):
    cards = data.draw(_mutated_header(real["cards"]))
    start, data_start, _ = real["offsets"][1]
    header = ("".join(cards) + "END".ljust(CARD)).encode("latin-1")
    header += b" " * (-len(header) % BLOCK)
    raw: bytes = real["data"]
    path = real["folder"] / "header.fits"
    path.write_bytes(raw[:start] + header + raw[data_start:])
    _must_be_named(path)



@fuzz(200)
@given(
    edits=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255), st.booleans()), min_size=1,
                   max_size=8),
    cut=st.one_of(st.none(), st.floats(0, 1)),
)
def test_byte_mutated_file(real, edits, cut):
    """Bytes changed anywhere, most often inside the headers (where one byte changes the layout)."""
    data = bytearray(real["data"])
    headers = [p for start, data_start, _ in real["offsets"] for p in range(start, data_start)]
    for where, value, in_header in edits:
        data[headers[int(where * len(headers))] if in_header else int(where * len(data))] = value
    if cut is not None:
        data = data[: int(cut * len(data))]
    path = real["folder"] / "bytes.fits"
    path.write_bytes(bytes(data))
    _must_be_named(path)



@fuzz(80)
@given(
    edits=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), max_size=3),
    cut=st.one_of(st.none(), st.floats(0, 1)),
)
def test_byte_mutated_gzip(real, edits, cut):
    data = bytearray(gzip.compress(real["data"], mtime=0))
    for where, value in edits:
        data[int(where * len(data))] = value
    if cut is not None:
        data = data[: int(cut * len(data))]
    path = real["folder"] / "bytes.FTZ"
    path.write_bytes(bytes(data))
    _must_be_named(path)

