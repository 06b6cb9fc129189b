"""``gti()`` in selections: block specifications, file names, interval convention, numpy peer."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.select.helpers import write_gti
from xmmframe.select import compile
from xmmframe.select.filespec import FileSpec, parse_filespec

INTERVALS = [(10.0, 20.0), (30.0, 40.0), (40.0, 45.0), (60.0, 70.0)]
TIMES = pl.DataFrame({"TIME": np.arange(0.0, 2100.0, 0.5)})


def selected(selection: str, base_dir) -> np.ndarray:
    mask = TIMES.select(compile(selection, columns=TIMES.schema, base_dir=base_dir).alias("m"))["m"]
    return TIMES["TIME"].to_numpy()[mask.to_numpy()]


def expected(shift: float = 0.0) -> np.ndarray:
    t = TIMES["TIME"].to_numpy()
    keep = np.zeros(t.size, bool)
    for start, stop in INTERVALS:
        keep |= (t >= start + shift) & (t < stop + shift)  # START <= t < STOP
    return t[keep]


@pytest.fixture()
def gti_file(tmp_path):
    write_gti(tmp_path / "gti.fits", INTERVALS, names=("STDGTI01", "STDGTI02"))
    return tmp_path


@pytest.mark.parametrize(
    "selection, shift",
    [
        ("gti(gti.fits,TIME)", 0.0),  # default: the first binary table
        ("GTI(gti.fits, time)", 0.0),
        ("TIME in gti(gti.fits)", 0.0),
        ("TIME IN GTI(gti.fits[STDGTI02])", 1000.0),
        ("gti(gti.fits[2],TIME)", 1000.0),
        ("gti(gti.fits+2,TIME)", 1000.0),
        ("gti(gti.fits+1,TIME)", 0.0),
        ("gti(gti.fits:STDGTI02,TIME)", 1000.0),
        ("gti(gti.fits:stdgti02,TIME)", 1000.0),
        ("gti(gti.fits:1,TIME)", 0.0),
        ("gti('gti.fits[STDGTI02]',TIME)", 1000.0),
        ('gti("gti.fits",TIME)', 0.0),
    ],
)
def test_block_specifications(gti_file, selection, shift):
    assert np.array_equal(selected(selection, gti_file), expected(shift))


def test_interval_is_half_open_and_merges_touching_intervals(gti_file):
    times = selected("gti(gti.fits,TIME)", gti_file)
    assert 10.0 in times and 20.0 not in times  # START inside, STOP outside
    assert 40.0 in times  # [30,40) and [40,45) touch
    assert 45.0 not in times


def test_quoted_file_name_with_spaces(tmp_path):
    write_gti(tmp_path / "my gti.fits", INTERVALS)
    assert np.array_equal(selected("gti('my gti.fits',TIME)", tmp_path), expected())


def test_absolute_and_relative_paths(gti_file, monkeypatch, tmp_path):
    path = gti_file / "gti.fits"
    assert np.array_equal(selected(f"gti({path},TIME)", None), expected())
    monkeypatch.chdir(gti_file)
    assert np.array_equal(selected("gti(gti.fits,TIME)", None), expected())
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    assert np.array_equal(selected("gti(../gti.fits,TIME)", None), expected())


def test_gti_combines_with_other_terms(gti_file):
    times = selected("gti(gti.fits,TIME) && TIME < 35 || TIME == 2000", gti_file)
    t = expected()
    assert np.array_equal(times, np.concatenate([t[t < 35], [2000.0]]))
    outside = selected("!gti(gti.fits,TIME) && TIME < 25", gti_file)
    assert np.array_equal(outside, np.setdiff1d(np.arange(0.0, 25.0, 0.5), expected()))


def test_filespec_parsing():
    assert parse_filespec("a.fits") == FileSpec("a.fits")
    assert parse_filespec("dir/a.fits+3") == FileSpec("dir/a.fits", 3)
    assert parse_filespec("a.fits[GTI00004]") == FileSpec("a.fits", "GTI00004")
    assert parse_filespec("/x/P0001730201M1S002FBKTSR0000.FTZ:REGION") == FileSpec(
        "/x/P0001730201M1S002FBKTSR0000.FTZ", "REGION"
    )
    assert parse_filespec("product/P0001730201PNU002FBKTSR0000.FIT:&&&&&&&GTI14301") is not None
    assert parse_filespec("a.fits[]") is None


intervals = st.lists(
    st.tuples(st.floats(0, 1000, allow_nan=False), st.floats(0, 50, allow_nan=False)), min_size=0, max_size=12
)


@settings(max_examples=40, deadline=None)
@given(intervals, st.lists(st.floats(-10, 1100, allow_nan=False), min_size=1, max_size=200))
def test_gti_selection_equals_numpy_searchsorted(tmp_path_factory, spans, times):
    folder = tmp_path_factory.mktemp("gti")
    write_gti(folder / "g.fits", [(a, a + w) for a, w in spans])
    frame = pl.DataFrame({"TIME": np.array(times)})
    mask = frame.select(compile("gti(g.fits,TIME)", columns=frame.schema, base_dir=folder).alias("m"))[
        "m"
    ].to_numpy()
    # peer: merge the intervals, then a binary search on the starts
    pairs = sorted((a, a + w) for a, w in spans if w > 0)
    merged: list[list[float]] = []
    for start, stop in pairs:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], stop)
        else:
            merged.append([start, stop])
    starts = np.array([m[0] for m in merged])
    stops = np.array([m[1] for m in merged])
    t = np.array(times)
    index = np.searchsorted(starts, t, side="right") - 1
    peer = (index >= 0) & (t < stops[np.clip(index, 0, None)]) if merged else np.zeros(t.size, bool)
    assert np.array_equal(mask, peer)
