"""Every kind of bad selection gets a clear error: where, what, and what would be right."""

from __future__ import annotations

import polars as pl
import pytest

from tests.select.helpers import event_meta, write_gti
from xmmframe.errors import (
    FileAccessError,
    HduNotFoundError,
    RegionFileError,
    SelectionError,
    SelectionSyntaxError,
    SelectionTypeError,
    ShapeArgumentError,
    UnknownColumnError,
    UnknownMacroError,
    UnsupportedSelectionError,
    XmmframeError,
)
from xmmframe.select import compile, explain

SCHEMA = {
    "TIME": pl.Float64,
    "PI": pl.Int16,
    "PATTERN": pl.UInt8,
    "FLAG": pl.Int32,
    "X": pl.Int32,
    "Y": pl.Int32,
}


def error(selection: str, **kwargs) -> SelectionError:
    with pytest.raises(XmmframeError) as info:
        compile(selection, columns=kwargs.pop("columns", SCHEMA), **kwargs)
    return info.value


@pytest.mark.parametrize(
    "selection, position, reason",
    [
        ("PI > 3 && ", 10, "ends too early"),
        ("PI > 3 && )", 10, "unexpected ')'"),
        ("(PI > 3", 7, "expected ')' to close the '(' (opened at column 1)"),
        ("PI >> 3", 4, "unexpected '>'"),
        ("PI = 3", 3, "'=' is not an operator; use '=='"),
        ("PI in [1:2 && PATTERN > 0", 11, "expected ']' or ')' to close the range (opened at column 7)"),
        ("PATTERN < 4 < 5", 12, "comparisons cannot be chained"),
        ("PI $ 3", 3, "unexpected character '$'"),
        ("PI > 0x", 5, "malformed number '0x'"),
        ("NAME == 'abc", 8, "unterminated string"),
        ("PI .xor. 3", 3, "unknown Fortran operator .xor."),
        ("foo(1, 2)", 0, "unknown function 'foo'"),
        ("X in circle(1,2,3)", 2, "needs a column pair on the left: (X,Y) in circle(...)"),
        ("# > 3", 0, "'#' must be followed by a macro name"),
        ("", 0, "empty selection expression"),
    ],
)
def test_syntax_error_has_position_and_caret(selection, position, reason):
    err = error(selection)
    assert isinstance(err, SelectionSyntaxError)
    assert err.position == position
    assert reason in str(err)
    first, text, caret = str(err).split("\n")
    assert first.endswith(f"at column {position + 1}")
    assert text == f"  {selection}"
    assert caret == " " * (2 + position) + "^"


def test_caret_stays_under_the_error_in_a_long_expression():
    selection = " && ".join(f"(PI > {n})" for n in range(40)) + " && (PATTERN <= 4))"
    err = error(selection)
    text, caret = str(err).split("\n")[1:]
    assert caret.index("^") < len(text)
    assert text[caret.index("^")] == ")"
    assert text.startswith("  ...")


def test_syntax_error_inside_a_macro_names_it():
    meta = event_meta({"BROKEN": "(PI > 3"}, {"PI": "I"})
    with pytest.raises(
        SelectionSyntaxError, match=r"in the text of macro #BROKEN \(used at column 9\)"
    ) as info:
        compile("PI>0 && #BROKEN", meta)
    assert info.value.expression == "(PI > 3"


def test_unknown_column_lists_the_columns():
    err = error("PATTERN <= 4 && PIX > 3")
    assert isinstance(err, UnknownColumnError)
    assert str(err) == (
        "unknown column 'PIX' at column 17 (did you mean PI?); "
        "the table's columns are TIME, PI, PATTERN, FLAG, X, Y"
    )
    assert err.columns == tuple(SCHEMA)


def test_unknown_column_in_a_shape_pair():
    err = error("(DETX,DETY) in circle(1,2,3)")
    assert isinstance(err, UnknownColumnError)
    assert "unknown column 'DETX'" in str(err) and "TIME, PI, PATTERN, FLAG, X, Y" in str(err)


def test_unknown_macro_is_named():
    err = error("#XMMEA_XX && PI > 3")
    assert isinstance(err, UnknownMacroError)
    assert err.macro == "XMMEA_XX"
    assert str(err).startswith("unknown macro #XMMEA_XX at column 1: no keyword XMMEA_XX")
    assert "#XMMEA_EM" in str(err)


def test_unknown_macro_does_not_stop_explain():
    assert "macro #XMMEA_XX (not defined here)" in explain("#XMMEA_XX")


def test_missing_gti_file_is_named(tmp_path):
    err = error("gti(missing_gti.fits,TIME)", base_dir=tmp_path)
    assert isinstance(err, FileAccessError)
    assert err.path == str(tmp_path / "missing_gti.fits")
    assert (
        str(err) == f"{tmp_path / 'missing_gti.fits'}: no such file (GTI file of the selection at column 1)"
    )


def test_missing_gti_extension_lists_extensions(tmp_path):
    path = write_gti(tmp_path / "g.fits", [(0.0, 1.0)])
    err = error("TIME in gti(g.fits[NOPE])", base_dir=tmp_path)
    assert isinstance(err, HduNotFoundError)
    assert "no HDU named 'NOPE'" in str(err) and "STDGTI" in str(err) and str(path) in str(err)


def test_missing_region_file_is_named(tmp_path):
    err = error("region(nowhere.reg)", base_dir=tmp_path)
    assert isinstance(err, FileAccessError)
    assert str(tmp_path / "nowhere.reg") in str(err)


@pytest.mark.parametrize(
    "selection, message",
    [
        (
            "(X,Y) in circle(1,2)",
            "shape circle takes 3 arguments: circle(x, y, r), optionally followed by two column names; got 2",
        ),
        ("circle(1,2,3,4)", "shape circle takes 3 arguments: circle(x, y, r)"),
        ("(X,Y) in BOX(1,2,3)", "shape box takes 4 or 5 arguments: box(x, y, xhalf, yhalf[, rot])"),
        ("annulus(1,2,3)", "shape annulus takes 4 arguments: annulus(x, y, r1, r2)"),
        ("(X,Y) in polygon(1,2,3,4)", "an even number of arguments, at least 6 (3 vertices)"),
        ("(X,Y) in polygon(1,2,3,4,5,6,7)", "got 7"),
        ("elliptannulus(1,2,3)", "6 to 8 arguments: elliptannulus(x, y, a1, b1, a2, b2[, rot1[, rot2]])"),
        ("(X,Y) in point(1)", "shape point takes 2 arguments: point(x, y)"),
        ("(X,Y) in circle(1,2,3,X,Y)", "has its columns twice"),
    ],
)
def test_wrong_shape_arity_says_what_the_shape_takes(selection, message):
    err = error(selection)
    assert isinstance(err, ShapeArgumentError)
    assert message in str(err)


def test_shape_argument_must_be_a_number():
    err = error("(X,Y) in circle(PI, 2, 3)")
    assert isinstance(err, ShapeArgumentError)
    assert "argument 1 of circle() must be a number, not column PI at column 17" in str(err)


def test_bitwise_on_floating_point_is_refused():
    err = error("TIME & 1 == 0")
    assert isinstance(err, SelectionTypeError)
    assert "bitwise & needs integer operands, column TIME is floating point at column 6" in str(err)


def test_string_and_number_do_not_compare():
    err = error("PI == 'abc'")
    assert isinstance(err, SelectionTypeError)


def test_mask_is_parsed_but_not_supported():
    selection = "mask(product/P0001730201PNU002FBKTSR0000.FIT:MASK,0,0,RAWX,RAWY) && PI > 3"
    assert "mask file='product/P0001730201PNU002FBKTSR0000.FIT[MASK]'" in explain(selection)
    err = error(selection)
    assert isinstance(err, UnsupportedSelectionError) and "mask() is not supported" in str(err)


def test_bad_region_files(tmp_path):
    (tmp_path / "pie.reg").write_text("physical\npie(10,10,0,90)\n")
    (tmp_path / "image.reg").write_text("image; circle(10,10,5)\n")
    (tmp_path / "junk.reg").write_text("physical\nthis is not a region\n")
    (tmp_path / "amp.reg").write_text("amplifier\ncircle(10,10,5)\n")
    for name, message in [
        ("pie.reg", "line 2: cannot read 'pie(10,10,0,90)'"),
        ("image.reg", "line 1: ds9 'image' coordinates depend on how an image was binned"),
        ("junk.reg", "line 2: cannot read 'this is not a region'"),
        ("amp.reg", "line 2: ds9 'amplifier' coordinates are not supported"),
    ]:
        err = error(f"region({name})", base_dir=tmp_path)
        assert isinstance(err, RegionFileError)
        assert str(err) == f"{tmp_path / name}: {message}" or str(err).startswith(
            f"{tmp_path / name}: {message}"
        )
