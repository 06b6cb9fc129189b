"""Extent fitting (SAS emldetect ``fitextent=yes``): the PSF-convolved beta model and a simulated cluster.

* The convolved profile of :class:`~xmmframe.imaging.extent.ExtentModel` (Hankel transforms)
  equals a brute-force 2-D FFT convolution (scipy) of the sampled King PSF and beta model, and
  its derivatives equal finite differences.
* Simulated truth (:func:`tests.imaging.detect_field.build_extended`: the 16-source MOS1 field
  plus a beta = 2/3 cluster of 25" core radius): the cluster is detected as one extended source
  (no other source within 60"), with ``EXT_ML`` above ``dmlextmin`` and its core radius within
  3 ``EXT_ERR`` of the truth; the point sources keep ``EXT`` = 0 and ``EXT_ML`` below ``dmlextmin``.
* Without ``fitextent`` the same field's cluster is cut into several point sources (what the
  extent fit is for), all with ``EXT`` = 0.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from scipy.signal import fftconvolve

from tests.imaging.detect_field import CORE_RADIUS, build_extended
from xmmframe.errors import ParameterError
from xmmframe.imaging.detect_chain import detect_sources
from xmmframe.imaging.extent import ExtentModel
from xmmframe.imaging.mldetect import ExtentFit


@pytest.mark.parametrize(("rc2", "alpha", "extent"), [(1.0, 1.5, 3.0), (2.25, 1.35, 1.5), (0.5, 1.6, 8.0)])
def test_convolved_profile_equals_a_2d_fft_convolution(rc2, alpha, extent):
    model = ExtentModel(max_radius=40.0, min_extent=1.5)
    h = 0.05
    x = np.arange(-70.0, 70.0 + h / 2, h)
    xx, yy = np.meshgrid(x, x)
    r2 = xx**2 + yy**2
    raw = np.where(r2 <= 70.0**2, (1.0 + r2 / rc2) ** -alpha, 0.0)
    norm = 1.0 / (raw.sum() * h * h)  # unit integral within 70 pixels, as the fit's EE_NORM radius
    beta = (1.0 + r2 / extent**2) ** -1.5 / (2 * np.pi * extent**2)
    peer = fftconvolve(raw * norm, beta, mode="same") * h * h
    centre = x.size // 2
    value, d_radius, d_extent = model.profile(np.array([rc2]), np.array([alpha]), np.array([norm]), extent)
    # the FFT's PSF is cut at the grid's edge, the transform's is not: compare shapes where both hold
    for radius in (0.0, 1.0, 2.5, 5.0, 10.0, 20.0):
        ours = np.interp(radius, model.radii, value[0])
        theirs = peer[centre, centre + int(round(radius / h))]
        assert ours == pytest.approx(theirs, rel=0.02, abs=2e-6 * value[0, 0]), radius
    step = 1e-4
    shifted = model.profile(np.array([rc2]), np.array([alpha]), np.array([norm]), extent + step)[0]
    assert np.allclose((shifted[0] - value[0]) / step, d_extent[0], atol=1e-3 * np.abs(d_extent).max())
    centred = np.gradient(value[0], model.radii)[1:-1]  # one-sided at the ends
    assert np.allclose(centred, d_radius[0, 1:-1], atol=1e-2 * np.abs(d_radius).max())


def test_extent_settings_are_checked():
    with pytest.raises(ParameterError, match="minextent < maxextent"):
        ExtentFit(minextent=5.0, maxextent=2.0)


@pytest.fixture(scope="module")
def field(tmp_path_factory):
    return build_extended(str(tmp_path_factory.mktemp("detect-extended")))


def _separation(field, frame, name):
    truth = next(s for s in field.info["config"]["sources"] if s["name"] == name)
    found = SkyCoord(frame["RA"].to_numpy(), frame["DEC"].to_numpy(), unit="deg")
    return found.separation(SkyCoord(truth["ra"], truth["dec"], unit="deg")).arcsec


def test_cluster_is_one_extended_source_and_point_sources_stay_points(field):
    settings = ExtentFit()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = detect_sources([field.detection], extent=settings).sources.frame
    near = _separation(field, frame, "cluster")
    cluster = frame.filter(near < 60.0)
    assert cluster.height == 1, cluster
    row = cluster.row(0, named=True)
    assert row["EXT_ML"] > settings.dmlextmin
    assert abs(row["EXT"] - CORE_RADIUS) < 3 * row["EXT_ERR"], row
    assert 0 < row["EXT_ERR"] < 0.2 * CORE_RADIUS
    points = frame.filter(near >= 60.0)
    assert points.height >= 14
    point_names = [s["name"] for s in field.info["config"]["sources"] if s["name"] != "cluster"]
    matched = np.min([_separation(field, points, name) for name in point_names], axis=0)
    assert (matched < 10.0).all()  # every other detection is one of the point sources
    assert (points["EXT"] == 0).all() and (points["EXT_ERR"] == 0).all()
    assert (points["EXT_ML"] < settings.dmlextmin).all()


def test_without_extent_fit_the_cluster_is_cut_into_points(field):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = detect_sources([field.detection]).sources.frame
    assert frame.filter(_separation(field, frame, "cluster") < 120.0).height > 1
    assert (frame["EXT"] == 0).all() and (frame["EXT_ML"] == 0).all()
