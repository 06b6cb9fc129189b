"""Camera geometry against the real MOS event lists: RAW limits, CCD sizes and RAW -> DET."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.io import fits

from xmmframe.model.geometry import camera
from xmmframe.proc.event_format import columns_for

#: Every real MOS event list in ../shared/refdata (PPS SAS 18 and SAS 13.5 / SAS 20 clean lists).
LISTS = ("exod/0001730201/P0001730201M1S002MIEVLI.FTZ", "exod/0001730201/P0001730201M2S003MIEVLI.FTZ",
         "exod/0001730201/M1_clean.fits", "exod/0001730201/M2_clean.fits",
         *(f"xga/{obs}/eclean/mos{n}_exp1_clean_evts.fits"
           for obs in ("0201901401", "0201903501", "0404910601") for n in (1, 2)))


def _events(refdata, name):
    with fits.open(refdata / name) as hdus:
        hdu = hdus["EVENTS"]
        header = hdu.header
        names = [c.name for c in hdu.columns]
        limits = {c: (header[f"TLMIN{names.index(c) + 1}"], header[f"TLMAX{names.index(c) + 1}"])
                  for c in ("RAWX", "RAWY")}
        return header["INSTRUME"], limits, hdu.data


@pytest.mark.parametrize("name", LISTS)
def test_raw_limits_and_size_are_the_real_lists(refdata, name):
    instrument, limits, data = _events(refdata, name)
    cam = camera(instrument)
    # the legal ranges are the lists' TLMIN/TLMAX, and the processing writes them
    assert cam.raw_limits == (limits["RAWX"], limits["RAWY"]) == ((-4, 605), (1, 602))
    spec = {c.name: (c.tlmin, c.tlmax) for c in columns_for(instrument)}
    assert (spec["RAWX"], spec["RAWY"]) == cam.raw_limits
    # the events fall on the 600 x 600 imaging pixels, inside the legal ranges
    nx, ny = cam.shape
    assert data["RAWX"].min() >= 1 and data["RAWX"].max() <= nx
    assert data["RAWY"].min() >= 1 and data["RAWY"].max() <= ny
    assert data["RAWY"].max() == ny or "clean" in name   # the full PPS lists reach the last row


def test_pn_raw_limits_are_the_documented_ones():
    # SAS epevents / user guide: pn RAWX 1..64, RAWY 1..200 (no real pn list is available here)
    cam = camera("EPN")
    assert cam.raw_limits == ((1, cam.shape[0]), (1, cam.shape[1])) == ((1, 64), (1, 200))
    spec = {c.name: (c.tlmin, c.tlmax) for c in columns_for("EPN")}
    assert (spec["RAWX"], spec["RAWY"]) == cam.raw_limits


@pytest.mark.parametrize("name", LISTS)
def test_raw_to_det_reproduces_the_lists_detx_dety(refdata, name):
    """Every event's DETX/DETY lies on its own RAW pixel of the camera (DET is an integer column)."""
    instrument, _, data = _events(refdata, name)
    cam = camera(instrument)
    half = cam.pixel_units / 2
    for ccd in np.unique(data["CCDNR"]):
        on = data["CCDNR"] == ccd
        origin, matrix = cam.pixel_affine(int(ccd))
        raw = np.column_stack([data["RAWX"][on], data["RAWY"][on]]).astype(np.float64)
        det = raw @ matrix.T + origin
        offset = np.column_stack([data["DETX"][on], data["DETY"][on]]) - det
        assert np.abs(np.median(offset, axis=0)).max() < 1.6        # units of 0.05"; pixel 22 units
        assert np.abs(offset).max() < half + 3.5                   # randomised in the pixel, rounded


def test_corners_and_area():
    for instrument in ("EPN", "EMOS1", "EMOS2"):
        cam = camera(instrument)
        for ccd in cam.ccds:
            x, y = cam.corners(ccd).T
            shoelace = 0.5 * abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))
            t = cam.transform(ccd)
            assert shoelace == pytest.approx(cam.shape[0] * cam.shape[1] * abs(t.a * t.d - t.b * t.c), rel=1e-12)
            # the middle of the corners is the CCD's raw centre
            back, rx, ry = cam.det_to_raw(np.array([x.mean()]), np.array([y.mean()]))
            assert back.tolist() == [ccd]
            assert (rx[0], ry[0]) == pytest.approx((cam.shape[0] / 2, cam.shape[1] / 2), abs=1e-9)
        assert cam.ccd_area == pytest.approx(cam.shape[0] * cam.shape[1] * cam.pixel_units ** 2, rel=1e-3)
