"""CCD footprints from the camera geometry against the real MOS event lists' RAW -> sky extent."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from astropy.io import fits
from scipy.spatial import ConvexHull

from xmmframe.io.events import open_events
from xmmframe.model.geometry import camera
from xmmframe.products.ccd_footprints import CcdLayout

#: The full (unscreened) PPS lists: every CCD is covered to its edges.
PPS = ("exod/0001730201/P0001730201M1S002MIEVLI.FTZ", "exod/0001730201/P0001730201M2S003MIEVLI.FTZ")
#: A clean list with a CCD switched off (MOS1 CCD 6 of obs 0404910601).
CLEAN = "xga/0404910601/eclean/mos1_exp1_clean_evts.fits"


def _shoelace(corners: np.ndarray) -> float:
    x, y = corners.T
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def _outside(footprint, x, y) -> float:
    """How far (pixels) the farthest position lies outside the footprint (negative: all inside)."""
    rx, ry = footprint.to_raw(x, y)
    nx, ny = footprint.size
    return float(max((0.5 - rx).max(), (rx - nx - 0.5).max(), (0.5 - ry).max(), (ry - ny - 0.5).max()))


@pytest.mark.parametrize("name", PPS)
def test_sky_footprints_from_the_camera_hold_every_event(refdata, name):
    data = fits.getdata(refdata / name, "EVENTS")
    cam = camera(fits.getval(refdata / name, "INSTRUME", "EVENTS"))
    layout = CcdLayout.from_events(refdata / name)
    assert [c.ccd for c in layout.ccds] == list(cam.ccds)
    # built on the camera: one DET -> sky map, the same for every CCD
    det_to_sky = [c.matrix @ np.linalg.inv(cam.pixel_affine(c.ccd)[1]) for c in layout.ccds]
    for linear in det_to_sky[1:]:
        np.testing.assert_allclose(linear, det_to_sky[0], atol=1e-12)
    assert abs(np.linalg.det(det_to_sky[0])) == pytest.approx(1.0, abs=2e-3)   # DET and sky: both 0.05"
    for footprint in layout.ccds:
        on = data["CCDNR"] == footprint.ccd
        x, y = data["X"][on].astype(np.float64), data["Y"][on].astype(np.float64)
        # every event of the CCD inside its footprint, to the attitude drift and rounding (0.25 pixel)
        assert _outside(footprint, x, y) < 0.25
        assert footprint.contains(x, y).mean() > 0.999
        # footprint area = pixels x pixel area; the events' own extent (convex hull) fills it
        area = _shoelace(footprint.corners)
        assert area == pytest.approx(cam.shape[0] * cam.shape[1] * footprint.pixel_area, rel=1e-12)
        hull = ConvexHull(np.column_stack([x, y])).volume
        assert 0.98 < hull / area < 1.0


@pytest.mark.parametrize("name", PPS)
def test_det_footprints_are_the_camera(refdata, name):
    events = open_events(refdata / name)
    cam = camera(events.meta.instrument)
    layout = CcdLayout.from_events(events, ("DETX", "DETY"))
    expected = CcdLayout.from_camera(cam)
    for ours, theirs in zip(layout.ccds, expected.ccds, strict=True):
        np.testing.assert_array_equal(ours.origin, theirs.origin)
        np.testing.assert_array_equal(ours.matrix, theirs.matrix)
        np.testing.assert_allclose(ours.corners, cam.corners(ours.ccd), atol=1e-9)
        assert _shoelace(ours.corners) == pytest.approx(cam.ccd_area, rel=3e-3)


def test_switched_off_ccd_has_no_footprint(refdata):
    layout = CcdLayout.from_events(refdata / CLEAN)
    assert [c.ccd for c in layout.ccds] == [1, 2, 3, 4, 5, 7]


def test_per_ccd_refit_where_the_camera_does_not_describe_the_list(refdata):
    """A list whose DETX/DETY the camera does not reproduce gets the per-CCD refit; it agrees."""
    events = open_events(refdata / PPS[0])
    camera_layout = CcdLayout.from_events(events)
    shifted = events.with_columns(pl.col("DETX") + 1000)
    refit = CcdLayout.from_events(shifted)
    cam = camera("EMOS1")
    for ours, fitted in zip(camera_layout.ccds, refit.ccds, strict=True):
        # the refit is not the camera's transform, but lands on the same pixels to a small fraction
        assert not np.allclose(fitted.matrix @ np.linalg.inv(cam.pixel_affine(fitted.ccd)[1]),
                               camera_layout.ccds[0].matrix @ np.linalg.inv(cam.pixel_affine(1)[1]), atol=1e-9)
        assert np.abs(ours.corners - fitted.corners).max() < 0.25 * cam.pixel_units
