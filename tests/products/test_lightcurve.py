"""Light curves: round trip, layouts, FRACEXP and epiclccorr's relative corrections, stingray."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from astropy.io import fits

import xmmframe
from tests.products.conftest import CAMERAS, EXOD
from xmmframe.errors import ProductError
from xmmframe.model.products import LightCurve
from xmmframe.products import correct_lightcurve

STEM = CAMERAS["M1"][1]


@pytest.fixture(scope="module")
def curves(refdata, m1_clean):
    """Source and background curves at 2.604 s with FRACEXP, and the epiclccorr product."""
    source = m1_clean.lightcurve(2.604, selection=CAMERAS["M1"][2], fracexp=True)
    sourceless = xmmframe.open_events(refdata / EXOD / "M1_sourceless.fits")
    background = sourceless.lightcurve(2.604, selection=CAMERAS["M1"][3], fracexp=True)
    with fits.open(refdata / EXOD / f"{STEM}_lccorr_2.604.lc") as hdus:
        corrected = (hdus["RATE"].data.copy(), hdus["RATE"].header.copy())
    return source, background, corrected


def test_fracexp_equals_epiclccorr(curves):
    source, background, (sas, _) = curves
    # float32 in the SAS file
    np.testing.assert_allclose(source.fracexp, sas["FRACEXP"], rtol=0, atol=5e-8)
    np.testing.assert_allclose(background.fracexp, sas["FRACEXP"], rtol=0, atol=5e-8)
    assert np.sum(source.fracexp == 0) == np.sum(sas["FRACEXP"] == 0) > 0


def test_relative_corrections_and_background_subtraction(curves):
    source, background, (sas, header) = curves
    net = correct_lightcurve(source, background, area_ratio=header["BKGRATIO"])
    np.testing.assert_array_equal(np.isnan(net.rate), np.isnan(sas["RATE"]))
    np.testing.assert_allclose(net.backv, sas["BACKV"], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(net.backe, sas["BACKE"], rtol=1e-6, atol=1e-7)
    # What is left is epiclccorr's absolute correction C (vignetting, PSF, QE... from CCFs): one
    # constant factor for the whole curve, on both RATE and ERROR.
    good = np.isfinite(sas["RATE"]) & (net.rate != 0)
    factor = sas["RATE"][good] / net.rate[good]
    assert factor.min() == pytest.approx(factor.max(), rel=3e-6)
    assert factor.mean() == pytest.approx(1.77304, rel=1e-5)
    np.testing.assert_allclose(sas["ERROR"][good] / net.error[good], factor.mean(), rtol=3e-6)
    absolute = correct_lightcurve(source, background, area_ratio=header["BKGRATIO"], absolute=factor.mean())
    np.testing.assert_allclose(absolute.rate[good], sas["RATE"][good], rtol=5e-6)
    assert (net.hduclas2, net.keyword("BKGRATIO"), net.keyword("DEADAPP")) == ("NET", header["BKGRATIO"], True)


def test_default_area_ratio_from_regions(curves):
    source, background, _ = curves
    assert correct_lightcurve(source, background).keyword("BKGRATIO") == 1.0
    with pytest.raises(ProductError, match="same bins"):
        correct_lightcurve(source, background.__class__(**{**background.__dict__, "timedel": 3.0}))


def test_round_trip_and_fitsverify(curves, tmp_path, fitsverify):
    source, background, (_, header) = curves
    for curve in (source, correct_lightcurve(source, background, area_ratio=header["BKGRATIO"])):
        path = tmp_path / f"{curve.hduclas2}.lc"
        curve.write(path)
        assert fitsverify(path)[:2] == (0, 0), fitsverify(path)[2]
        back = LightCurve.read(path)
        for name in ("time", "rate", "error", "fracexp", "backv", "backe"):
            a, b = getattr(back, name), getattr(curve, name)
            assert (a is None) == (b is None), name
            if a is not None:
                np.testing.assert_array_equal(a, b, err_msg=name)
        assert (back.timedel, back.tstart, back.tstop, back.exposure, back.hduclas2) == (
            curve.timedel, curve.tstart, curve.tstop, curve.exposure, curve.hduclas2)
        assert [t.name for t in back.gtis] == [t.name for t in curve.gtis]


def test_counts_layout(m1_clean, tmp_path):
    curve = m1_clean.lightcurve(100, rate=False, selection=CAMERAS["M1"][2])
    curve.write(tmp_path / "counts.lc")
    with fits.open(tmp_path / "counts.lc") as hdus:
        assert hdus[1].columns.names == ["COUNTS", "TIME"] and hdus[1].header["HDUCLAS3"] == "COUNT"
        assert hdus[1].data["COUNTS"].sum() == 2456
    back = LightCurve.read(tmp_path / "counts.lc")
    np.testing.assert_array_equal(back.counts, curve.counts)


def test_reads_sas_rate_sets(refdata):
    curve = LightCurve.read(refdata / EXOD / "M1_rate.fits")
    assert len(curve) == 260 and curve.timedel == 100 and len(curve.gtis) == 7 and curve.gtis[0].ccd == 1
    corrected = LightCurve.read(refdata / EXOD / f"{STEM}_lccorr_2.604.lc")
    assert corrected.hduclas2 == "NET" and corrected.backv is not None


def test_time_range_and_errors(m1_clean):
    curve = m1_clean.lightcurve(10, tmin=100530000.0, tmax=100531000.0)
    assert len(curve) == 100 and curve.time[0] == 100530005.0
    with pytest.raises(ProductError, match="positive"):
        m1_clean.lightcurve(0)
    with pytest.raises(ProductError, match="empty time range"):
        m1_clean.lightcurve(10, tmin=5.0, tmax=1.0)


def test_loads_in_stingray(m1_clean, tmp_path):
    stingray = pytest.importorskip("stingray")
    curve = m1_clean.lightcurve(100, selection=CAMERAS["M1"][2])
    curve.write(tmp_path / "src.lc")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loaded = stingray.Lightcurve.read(str(tmp_path / "src.lc"), fmt="ogip")
    np.testing.assert_allclose(loaded.time, curve.time)
    np.testing.assert_allclose(loaded.countrate, curve.rate)
    assert loaded.counts.sum() == pytest.approx(2456) and loaded.dt == 100 and loaded.mjdref == 50814.0
