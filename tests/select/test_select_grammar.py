"""The selection grammar: operators, precedence, literals, ranges, macros, #ROW, typing rules."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from tests.select.helpers import event_meta
from xmmframe.select import compile, explain, parse

FRAME = pl.DataFrame(
    {
        "PI": pl.Series([0, 10, 23, 40, 99, 150, 200, 30000], dtype=pl.Int16),
        "FLAG": pl.Series([0, 2, 4, 6, 0x100, -(2**31), 0x10000, 0x766BA000], dtype=pl.Int32),
        "PATTERN": pl.Series([0, 1, 2, 4, 12, 13, 26, 31], dtype=pl.UInt8),
        "RATE": pl.Series([0.4, 0.5, 0.1, 0.39, 0.41, 0.0, 1.0, 0.4], dtype=pl.Float32),
        "NAME": ["a", "b", "c", "d", "e", "f", "g", "h"],
    }
)


def rows(selection: str, frame: pl.DataFrame = FRAME) -> list[int]:
    """Indices of the selected rows."""
    mask = frame.select(compile(selection, columns=frame.schema).alias("m"))["m"]
    if mask.len() == 1:  # a constant selection
        mask = pl.Series([mask[0]] * frame.height)
    return [i for i, keep in enumerate(mask.to_list()) if keep]


def where(condition: np.ndarray) -> list[int]:
    return np.flatnonzero(condition).tolist()


PI = FRAME["PI"].to_numpy().astype(np.int64)
FLAG = FRAME["FLAG"].to_numpy().astype(np.int64)
PATTERN = FRAME["PATTERN"].to_numpy().astype(np.int64)


# ---------------------------------------------------------------------------- operators and precedence


@pytest.mark.parametrize(
    "selection, expected",
    [
        # SAS's own example: & binds tighter than != (unlike C)
        ("FLAG & b110 != 0", (FLAG & 6) != 0),
        ("FLAG & 0x4 == 4", (FLAG & 4) == 4),
        ("FLAG | 1 == 3", (FLAG | 1) == 3),
        ("FLAG & 6 | 1 == 7", ((FLAG & 6) | 1) == 7),  # & tighter than |
        ("FLAG | 4 & 2 == 2", (FLAG | (4 & 2)) == 2),
        ("PI + 10 & 0xff == 20", ((PI + 10) & 0xFF) == 20),  # arithmetic tighter than &
        ("PI - 10 - 5 == 8", PI - 15 == 8),  # left-associative
        ("PI / 2 / 5 == 1", PI / 10 == 1),
        ("PI + 2 * 5 == 20", PI + 10 == 20),
        ("-PI * 2 < -50", -PI * 2 < -50),
        ("- -PI == 10", PI == 10),
        ("PI > 10 && PI < 200 || PATTERN == 0", ((PI > 10) & (PI < 200)) | (PATTERN == 0)),
        ("PATTERN == 0 || PI > 10 && PI < 200", (PATTERN == 0) | ((PI > 10) & (PI < 200))),
        ("!PI > 10", ~(PI > 10)),  # ! binds looser than comparisons
        ("!PI", PI == 0),  # C rule: a number is true when non-zero
        ("!(PI > 10) && PATTERN < 13", ~(PI > 10) & (PATTERN < 13)),
        ("!PI > 10 && PATTERN < 13", ~(PI > 10) & (PATTERN < 13)),
        ("PI .gt. 10 .and. .not. PATTERN .eq. 26", (PI > 10) & ~(PATTERN == 26)),
        ("PI .GE. 40 .OR. PI .LT. 10", (PI >= 40) | (PI < 10)),
        ("pi .le. 23 .and. pattern .ne. 0", (PI <= 23) & (PATTERN != 0)),
        ("(PI > 10) & (PATTERN < 13)", (PI > 10) & (PATTERN < 13)),  # & on booleans is logical
        ("PI", PI != 0),
        ("true", np.ones(8, bool)),
        (".false. || PATTERN==4", PATTERN == 4),
        ("NAME == 'c' || NAME == \"e\"", np.isin(np.arange(8), [2, 4])),
    ],
)
def test_operators_and_precedence(selection, expected):
    assert rows(selection) == where(expected)


def test_case_insensitive_names_and_keywords():
    assert rows("pi IN [10:40] && Pattern .Eq. 2") == [2]
    assert rows("(FLAG & 0X4) != 0 && TRUE") == where((FLAG & 4) != 0)


def test_literals():
    assert parse("0x766ba000").value == 0x766BA000
    assert parse("b110").value == 6
    assert parse("B0101").value == 5
    assert parse("7.32118e7").value == 7.32118e7
    assert parse("1.0E+08").value == 1e8
    assert parse(".5").value == 0.5
    assert parse("5.").value == 5.0
    assert parse("01").value == 1
    assert rows("PI == 1.0e1") == [1]


# ---------------------------------------------------------------------------- ranges


@pytest.mark.parametrize(
    "ranges, expected",
    [
        ("[10:40]", (PI >= 10) & (PI <= 40)),
        ("(10:40)", (PI > 10) & (PI < 40)),
        ("(10:40]", (PI > 10) & (PI <= 40)),
        ("[10:40)", (PI >= 10) & (PI < 40)),
        ("10:40", (PI >= 10) & (PI <= 40)),
        ("200:", PI >= 200),
        (":23", PI <= 23),
        ("(:23]", PI <= 23),
        ("(:23)", PI < 23),
        ("[150:", PI >= 150),
        ("(150:", PI > 150),
        ("(150:)", PI > 150),
        ("99", PI == 99),
        ("[99]", PI == 99),
        (
            "[0:10],(23:40),99,200:",
            ((PI >= 0) & (PI <= 10)) | ((PI > 23) & (PI < 40)) | (PI == 99) | (PI >= 200),
        ),
        ("[40:10]", np.zeros(8, bool)),
        ("-5:5", (PI >= -5) & (PI <= 5)),
        ("[2*5:4*10]", (PI >= 10) & (PI <= 40)),
        ("(10:40", (PI > 10) & (PI <= 40)),  # DSS style: the missing bracket at the end is inclusive
    ],
)
def test_range_brackets(ranges, expected):
    assert rows(f"PI in {ranges}") == where(expected)


def test_range_list_inside_larger_expression():
    expected = (((PI >= 0) & (PI <= 10)) | (PI == 99)) & (PATTERN <= 12)
    assert rows("PI in [0:10],99 && PATTERN <= 12") == where(expected)
    assert rows("(PI in (0:10],99) && (PATTERN in (:12])") == where(
        (((PI > 0) & (PI <= 10)) | (PI == 99)) & (PATTERN <= 12)
    )


def test_range_on_expression_and_float_column():
    assert rows("PI*2 in [20:46]") == where((PI * 2 >= 20) & (PI * 2 <= 46))
    rate = FRAME["RATE"].to_numpy().astype(np.float64)
    assert rows("RATE in (0.39:0.41)") == where((rate > 0.39) & (rate < 0.41))


# ---------------------------------------------------------------------------- typing


def test_float32_column_compares_in_double_precision():
    # SAS compares in double: the Float32 value nearest 0.4 (0.4000000059...) is > 0.4
    assert rows("RATE <= 0.4") == where(FRAME["RATE"].to_numpy().astype(np.float64) <= 0.4)
    assert 0 not in rows("RATE <= 0.4")


def test_integer_arithmetic_does_not_overflow():
    assert rows("PI * PI == 900000000") == [7]  # 30000^2 overflows Int16 and Int32
    assert rows("PI * 100000 > 2e9") == [7]


def test_bitwise_masks_above_int32():
    expected = (FLAG & 0xFFFFFEFF) == 0
    assert rows("(FLAG & 0xfffffeff) == 0") == where(expected)
    assert rows("#XMMEA_SM") == where(expected)
    assert rows("#XMMEA_EM") == where((FLAG & 0x766BA000) == 0)
    assert rows("#XMMEA_EP") == where((FLAG & 0xCFA0000) == 0)
    assert rows("FLAG & 0x80000000 != 0") == [5]  # the sign bit of an Int32 FLAG


def test_division_is_true_division():
    assert rows("PI / 4 == 2.5") == [1]


# ---------------------------------------------------------------------------- #ROW and macros


def test_row_number_is_one_based():
    assert rows("#ROW == 1") == [0]
    assert rows("#row in [2:3] || #ROW > 7") == [1, 2, 7]
    assert rows("PI > 20 && #ROW <= 4") == [2, 3]  # row numbers of the table, not of the selection


META = event_meta(
    {
        "XMMEA_EM": "(FLAG & 0x2) == 0",  # the header's value wins over the built-in
        "GOOD": "#XMMEA_EM && #SOFT",
        "SOFT": "PI in [0:40]",
        "LOOP1": "#LOOP2",
        "LOOP2": "PI > 0 && #LOOP1",
        "LIMIT": 23,
        "EITHER": "PI == 10 || PI == 99",
    },
    {"PI": "I", "FLAG": "J", "PATTERN": "B", "RATE": "E", "NAME": "8A"},
)


def meta_rows(selection: str) -> list[int]:
    mask = FRAME.select(compile(selection, META).alias("m"))["m"]
    return [i for i, keep in enumerate(mask.to_list()) if keep]


def test_macros_from_the_header_recursively():
    assert meta_rows("#XMMEA_EM") == where((FLAG & 2) == 0)
    assert meta_rows("#GOOD") == where(((FLAG & 2) == 0) & (PI <= 40))
    assert meta_rows("PI <= #LIMIT") == where(PI <= 23)
    assert meta_rows("#xmmea_ep") == where((FLAG & 0xCFA0000) == 0)  # built-in fallback
    # a macro is one parenthesised operand: #EITHER && X is (a || b) && X
    assert meta_rows("#EITHER && PATTERN == 12") == [4]


def test_columns_map_to_the_real_name():
    expr = compile("pi > 10 && flag == 0", META)
    assert set(expr.meta.root_names()) == {"PI", "FLAG"}


def test_macro_cycle_is_an_error():
    from xmmframe.errors import SelectionError

    with pytest.raises(SelectionError, match=r"#LOOP1 -> #LOOP2 -> #LOOP1"):
        compile("#LOOP1", META)


# ---------------------------------------------------------------------------- explain


def test_explain_shows_the_tree():
    text = explain("#XMMEA_EM && (PATTERN<=12) && (PI in [500:10000]) && gti(M1_gti.fits,TIME)")
    assert text.splitlines() == [
        "and",
        "  macro #XMMEA_EM = '(FLAG & 0x766ba000) == 0' [built-in]",
        "    ==",
        "      bitwise and (&)",
        "        column FLAG",
        "        integer 1986764800 (0x766ba000)",
        "      integer 0",
        "  <=",
        "    column PATTERN",
        "    integer 12",
        "  in (any of the ranges)",
        "    column PI",
        "    range [500:10000]",
        "  gti file='M1_gti.fits' column=TIME",
    ]


def test_explain_shapes_regions_and_unknown_macros():
    text = explain("(DETX,DETY) IN BOX(-2196,-1110,16060,15620,0) && circle(354,383,84,RAWX,RAWY) && #NOPE")
    assert "shape box on (DETX,DETY)" in text
    assert "shape annulus (written RING) on (X,Y)" in explain("(X,Y) in RING(1,2,3,4)")
    assert "shape circle on (RAWX,RAWY)" in text
    assert "macro #NOPE (not defined here)" in text
    assert "region file='f.fits[REGION]' on (X,Y)" in explain("region(f.fits:REGION,X,Y)")
    assert "value 99" in explain("PI in 99")


def test_compile_is_fast():
    import time

    selection = "#XMMEA_EM && (PATTERN<=12) && (PI in [500:10000]) && ((X,Y) in circle(26188.5,22816.5,600))"
    schema = {"PI": pl.Int16, "PATTERN": pl.UInt8, "FLAG": pl.Int32, "X": pl.Int32, "Y": pl.Int32}
    compile(selection, columns=schema)
    start = time.perf_counter()
    for _ in range(20):
        compile(selection, columns=schema)
    assert (time.perf_counter() - start) / 20 < 0.005
