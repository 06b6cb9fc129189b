"""GTI algebra checked against brute-force sampling, and real GTI files."""

from __future__ import annotations

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from xmmframe.model.gti import GTI

GRID = np.arange(-5.0, 105.0, 0.25)


@st.composite
def gtis(draw) -> GTI:
    pairs = draw(st.lists(st.tuples(st.integers(0, 100), st.integers(0, 30)), max_size=6))
    return GTI([a for a, _ in pairs], [a + w for a, w in pairs])


def _brute(intervals: list[tuple[float, float]]) -> np.ndarray:
    inside = np.zeros(GRID.size, dtype=bool)
    for lo, hi in intervals:
        inside |= (GRID >= lo) & (GRID < hi)
    return inside


@settings(max_examples=200, deadline=None)
@given(a=gtis(), b=gtis())
def test_algebra_matches_sampling(a, b):
    in_a, in_b = _brute(a.intervals), _brute(b.intervals)
    np.testing.assert_array_equal(a.contains(GRID), in_a)
    np.testing.assert_array_equal(a.union(b).contains(GRID), in_a | in_b)
    np.testing.assert_array_equal(a.intersection(b).contains(GRID), in_a & in_b)
    np.testing.assert_array_equal(a.complement(-5.0, 105.0).contains(GRID), ~in_a)
    # normalised: sorted, disjoint, non-touching, positive length
    assert np.all(a.stop > a.start)
    assert np.all(a.start[1:] > a.stop[:-1])
    assert a.duration == sum(hi - lo for lo, hi in a.intervals)


@settings(max_examples=100, deadline=None)
@given(a=gtis())
def test_polars_expression_matches_numpy(a):
    frame = pl.DataFrame({"TIME": GRID})
    got = frame.select(a.expr("TIME")).to_series().to_numpy()
    np.testing.assert_array_equal(got, a.contains(GRID))


def test_real_flare_gti(refdata):
    gti = GTI.read(refdata / "exod/0001730201/M1_gti.fits")
    assert len(gti) == 10
    assert abs(gti.duration - 21300.0) < 1e-6  # ONTIME of the tabgtigen product
    assert gti.intervals[0] == (100529502.824202, 100529802.824202)


def test_per_ccd_gtis_of_an_event_list(refdata):
    import xmmframe
    from astropy.io import fits

    meta = xmmframe.open_events(refdata / "exod/0001730201/P0001730201M1S002MIEVLI.FTZ").meta
    assert sorted(meta.gtis) == [1, 2, 3, 4, 5, 6, 7]
    with fits.open(refdata / "exod/0001730201/P0001730201M1S002MIEVLI.FTZ") as hdul:
        for ccd, gti in meta.gtis.items():
            data = hdul[f"STDGTI{ccd:02d}"].data
            assert abs(gti.duration - float(np.sum(data["STOP"] - data["START"]))) < 1e-6
