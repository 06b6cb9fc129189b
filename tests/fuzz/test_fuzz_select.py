"""Fuzzing the selection language (lexer, parser, compiler, evaluation) and the ds9 region parser.
Any error must be an XmmframeError; nothing may recurse without bound or hang."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.conftest import fuzz
from xmmframe.errors import XmmframeError
from xmmframe.select import Region, compile, explain

FRAME = pl.DataFrame(
    {
        "TIME": [1.0e8, 1.0e8 + 1.5, float("nan"), 1.0e8 + 3.0],
        "PI": pl.Series([100, 2000, 0, 15000], dtype=pl.Int16),
        "PATTERN": pl.Series([0, 4, 12, 25], dtype=pl.UInt8),
        "FLAG": pl.Series([0, 0x100, 0x10000, -1], dtype=pl.Int32),
        "X": pl.Series([24000, 25000, 26000, 0], dtype=pl.Int32),
        "Y": pl.Series([24000, 24100, 26000, 0], dtype=pl.Int32),
        "NAME": ["a", "b", "", "d"],
    }
)

_TOKENS = [
    "PI", "TIME", "FLAG", "PATTERN", "X", "Y", "NAME", "RAWX", "pi", "#XMMEA_EM", "#ROW", "#NOPE", "0", "1", "12",
    "-3", "2.5", "1e3", "0x766ba000", "b110", "'a'", "\"b\"", "(", ")", "[", "]", ",", ":", "&&", "||", "!", "&",
    "|", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", " in ", ".and.", ".or.", ".not.", ".eq.", ".true.",
    "circle(", "box(", "annulus(", "ellipse(", "polygon(", "gti(", "region(", "mask(", "(X,Y) in ", "(RA,DEC) in ",
    " ", "=", "#", ".", "'", "$", "\\", "\x00", "\u00b2", "\u0663", "é",
]


def _evaluate(text: str) -> None:
    try:
        expr = compile(text, columns=FRAME.schema)
        FRAME.filter(expr)
        explain(text)
    except XmmframeError:
        pass


@fuzz(1000)
@given(st.lists(st.sampled_from(_TOKENS), min_size=1, max_size=30).map("".join))
def test_token_soup(text):
    _evaluate(text)


@fuzz(300)
@given(st.text(max_size=60))
def test_any_text(text):
    _evaluate(text)


_NUMBERS = st.one_of(st.integers(-(2**70), 2**70).map(str), st.floats(allow_nan=False).map(repr),
                     st.sampled_from(["0x7fffffffffffffff", "b1011", "1e308", "1e-320"]))
_OPERANDS = st.one_of(_NUMBERS, st.sampled_from(["PI", "TIME", "FLAG", "PATTERN", "X", "Y", "#ROW"]))
_EXPRESSIONS = st.recursive(
    _OPERANDS,
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "&", "|", "==", "<", ">=", "!=", "&&", "||"]), inner)
        .map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(st.sampled_from(["!", "-", "+"]), inner).map(lambda t: f"{t[0]}{t[1]}"),
        st.tuples(inner, _NUMBERS, _NUMBERS).map(lambda t: f"({t[0]} in [{t[1]}:{t[2]}])"),
        st.tuples(_NUMBERS, _NUMBERS, _NUMBERS).map(lambda t: f"circle({t[0]},{t[1]},{t[2]})"),
    ),
    max_leaves=40,
)


@fuzz(400)
@given(_EXPRESSIONS)
def test_well_formed_expressions(text):
    """Grammatical expressions of any operand types: compile, filter four rows, or a named error."""
    try:
        selected = FRAME.filter(compile(text, columns=FRAME.schema))
    except XmmframeError:
        return
    assert selected.height <= FRAME.height


_DS9_WORDS = st.sampled_from([
    "physical", "image", "fk5", "icrs", "galactic", "global color=green", "# comment", "circle", "box", "annulus",
    "ellipse", "polygon", "point", "text", "-circle", "+box", "(", ")", ",", ";", "{", "}", "#", "\"", "'",
    "24000", "-5", "1.5e4", "12:34:56.7", "+45:00:00", "10\"", "3'", "nan", "inf", "x", "\u00b2", " ",
])


@pytest.fixture(scope="module")
def region_file(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz") / "shapes.reg"


@fuzz(200)
@given(lines=st.lists(st.lists(_DS9_WORDS, max_size=14).map("".join), max_size=5))
def test_ds9_region_files(region_file, lines):
    region_file.write_text("\n".join(lines), encoding="utf-8")
    try:
        region = Region.read(region_file)
        FRAME.filter(region.to_expr())
    except XmmframeError:
        pass
