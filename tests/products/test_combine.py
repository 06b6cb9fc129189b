"""Combining products of many exposures: sums across instruments, grid checks, the mosaic projection."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.io import fits
from astropy.wcs import WCS

from xmmframe.errors import ProductError
from xmmframe.model.products import LightCurve, Spectrum
from xmmframe.io.cards import keyword_cards
from xmmframe.model.responses import Arf, Rmf
from xmmframe.products.combine import MosaicGrid, lightcurve_table, mosaic_counts, response_matrix, sum_spectra


def _spectrum(counts, exposure, instrument, backscal=1.0, channel_bin=5) -> Spectrum:
    counts = np.asarray(counts)
    return Spectrum(channel=np.arange(counts.size), counts=counts, exposure=exposure, backscal=backscal,
                    channel_bin=channel_bin, cards=keyword_cards([("INSTRUME", instrument, ""), ("TELESCOP", "XMM", "")]))


def _response(dense, area) -> tuple[Rmf, Arf]:
    lo = np.arange(len(dense), dtype=float)
    rmf = Rmf.from_dense(lo, lo + 1, np.asarray(dense, dtype=float), np.arange(3.0), np.arange(3.0) + 1)
    return rmf, Arf(lo, lo + 1, np.asarray(area, dtype=float))


def test_cameras_of_one_observation_keep_one_exposure_time():
    spectra = [_spectrum([1, 2, 3], 1000.0, "EPN", 10.0), _spectrum([0, 1, 1], 3000.0, "EMOS1", 20.0)]
    (r1, a1), (r2, a2) = _response([[1, 0, 0], [0, 0.5, 0.5]], [100, 200]), _response([[0, 1, 0], [0, 0, 1]], [10, 20])
    total = sum_spectra(spectra, [r1, r2], [a1, a2])
    assert total.spectrum.counts.tolist() == [1, 3, 4]
    assert total.spectrum.exposure == 2000.0  # (1000 + 3000) / 2 instruments
    assert total.spectrum.backscal == pytest.approx((10 * 1000 + 20 * 3000) / 4000)
    expected = 0.25 * np.array([[100, 0, 0], [0, 100, 100]]) + 0.75 * np.array([[0, 10, 0], [0, 0, 20]])
    np.testing.assert_allclose(response_matrix(total.response), expected, rtol=1e-6)
    assert total.response.keywords["HDUCLAS3"] == "FULL"
    assert total.weights.tolist() == [0.25, 0.75] and total.background is None


def test_mismatched_inputs_are_refused():
    rmf, arf = _response([[1, 0, 0]], [1])
    with pytest.raises(ProductError, match="different channel grids"):
        sum_spectra([_spectrum([1, 2, 3], 1.0, "EPN"), _spectrum([1, 2, 3], 1.0, "EPN", channel_bin=1)],
                    [rmf, rmf], [arf, arf])
    wide, wide_arf = _response([[1, 0, 0], [0, 1, 0]], [1, 1])
    with pytest.raises(ProductError, match="different energy grids"):
        sum_spectra([_spectrum([1, 2, 3], 1.0, "EPN")] * 2, [rmf, wide], [arf, wide_arf])
    with pytest.raises(ProductError, match="not on the RMF's energy grid"):
        response_matrix(rmf, wide_arf)
    with pytest.raises(ProductError, match="one RMF, ARF"):
        sum_spectra([_spectrum([1, 2, 3], 1.0, "EPN")] * 2, [rmf], [arf])
    with pytest.raises(ProductError, match="no exposure"):
        sum_spectra([_spectrum([1, 2, 3], 0.0, "EPN")], [rmf], [arf])
    curve = LightCurve(time=np.array([1.0]), rate=np.array([0.0]), error=np.array([0.0]), timedel=1.0,
                       tstart=0.5, tstop=1.5)
    with pytest.raises(ProductError, match="2 exposure keys for 1 light curves"):
        lightcurve_table([curve], [("a", "EPN", "S001"), ("b", "EPN", "S001")])
    with pytest.raises(ProductError, match="must be positive"):
        MosaicGrid.covering(0.0, 0.0, radius=0.1, pixel=0.0)


@pytest.mark.parametrize("centre", [(0.0, 5.0), (359.999, -30.0), (123.0, 89.9)])
def test_mosaic_projection_matches_astropy_across_ra_zero_and_near_the_pole(centre):
    grid = MosaicGrid.covering(*centre, radius=0.2, pixel=2.0 / 3600)
    rng = np.random.default_rng(7)
    ra = (centre[0] + rng.uniform(-0.5, 0.5, 20000) / max(np.cos(np.radians(centre[1])), 0.02)) % 360.0
    dec = centre[1] + rng.uniform(-0.25, 0.25, 20000) * min(1.0, (90 - abs(centre[1])) / 0.25 * 0.9)
    wcs = WCS(fits.Header.fromstring("".join(grid.cards())))
    ours = grid.to_pixel(ra, dec)
    theirs = wcs.wcs_world2pix(ra, dec, 1)
    np.testing.assert_allclose(ours[0], theirs[0], atol=1e-6)
    np.testing.assert_allclose(ours[1], theirs[1], atol=1e-6)
    edges = np.arange(grid.shape[0] + 1) + 0.5
    expected, _, _ = np.histogram2d(theirs[1], theirs[0], bins=[edges, edges])
    counts = mosaic_counts(ra, dec, grid)
    np.testing.assert_array_equal(counts, expected)
    assert 1000 < counts.sum() <= 20000
