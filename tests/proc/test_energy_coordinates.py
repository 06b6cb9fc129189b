"""Energy kernel vs the simulator's forward model; coordinates vs astropy WCS and real PPS/attitude files."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from astropy.io import fits
from astropy.wcs import WCS

from xmmframe.io.odf_directory import read_attitude
from xmmframe.model.attitude import Attitude
from xmmframe.model.geometry import camera
from xmmframe.proc.calibration import builtin_calibration, detector_calibration
from xmmframe.proc.coordinates import SkyGrid, det_to_radec, det_to_sky, radec_to_det, sky_exprs
from xmmframe.proc.energy import correct_energy, forward_adu
from xmmframe.proc.frames import frame_times

MIEVLI = "exod/0001730201/P0001730201M{}S00{}MIEVLI.FTZ"


@pytest.mark.parametrize("instrument", ["EPN", "EMOS1", "EMOS2"])
def test_energy_kernel_inverts_the_forward_model(instrument):
    cal = builtin_calibration(instrument)
    cam = camera(instrument)
    rng = np.random.default_rng(4)
    n = 50000
    energy = rng.uniform(150.0, 15000.0, n)
    ccd = rng.choice(np.array(cam.ccds), n)
    x = rng.integers(1, cam.shape[0] + 1, n)
    y = rng.integers(1, cam.shape[1] + 1, n)
    analog = forward_adu(energy, ccd, x, y, cal)
    adu = np.floor(analog).astype(np.int64)
    exact = correct_energy(ccd, x, y, adu, np.ones(n, np.int64), analog - adu, cal)
    assert np.max(np.abs(exact - energy)) < 1e-3  # eV: the CTI inversion iterates to < 1e-8 relative
    centred = correct_energy(ccd, x, y, adu, np.ones(n, np.int64), np.full(n, 0.5), cal)
    assert np.max(np.abs(centred - energy)) <= 0.5 * cal.gain.max() * 1.05
    assert abs(np.mean(centred - energy)) < 0.05


def test_cti_matters_and_is_removed():
    cal = builtin_calibration("EPN")
    n = 200
    energy = np.full(n, 6400.0)
    ccd = np.full(n, 4)
    x = np.full(n, 30)
    y = np.arange(1, n + 1)
    analog = forward_adu(energy, ccd, x, y, cal)
    naive = analog * cal.gain[4, 29]
    assert naive[0] - naive[-1] > 50.0  # tens of eV lost over the column without correction
    corrected = correct_energy(
        ccd, x, y, np.floor(analog).astype(np.int64), np.ones(n, np.int64), analog - np.floor(analog), cal
    )
    assert np.allclose(corrected, 6400.0, atol=1e-3)


def test_default_detector_calibration_is_the_builtin_stand_in():
    cal = detector_calibration("EPN")
    assert cal.source == "xmmframe-builtin"
    assert cal.gain.shape == (13, 64) and cal.event_threshold == 20


def test_sky_projection_matches_astropy_wcs():
    grid = SkyGrid(263.657916666667, -32.556)
    rng = np.random.default_rng(1)
    n = 2000
    detx, dety = rng.uniform(-20000, 20000, (2, n))
    ra_t = grid.ra + rng.normal(0, 0.002, n)
    dec_t = grid.dec + rng.normal(0, 0.002, n)
    pa = 93.66 + rng.normal(0, 0.01, n)
    x, y = det_to_sky(detx, dety, ra_t, dec_t, pa, grid)
    ra, dec = det_to_radec(detx, dety, ra_t, dec_t, pa)
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.crval = [grid.ra, grid.dec]
    wcs.wcs.cdelt = [-grid.cdelt, grid.cdelt]
    wcs.wcs.crpix = [25921, 25921]
    px, py = wcs.all_world2pix(ra, dec, 1)
    assert np.max(np.abs(px - x)) < 1e-6 and np.max(np.abs(py - y)) < 1e-6
    back = radec_to_det(ra, dec, ra_t, dec_t, pa)
    assert np.max(np.abs(back[0] - detx)) < 1e-6 and np.max(np.abs(back[1] - dety)) < 1e-6
    frame = pl.DataFrame({"DX": detx, "DY": dety, "RA": ra_t, "DEC": dec_t, "PA": pa})
    ex, ey = sky_exprs(pl.col("DX"), pl.col("DY"), pl.col("RA"), pl.col("DEC"), pl.col("PA"), grid)
    out = frame.select(ex.alias("X"), ey.alias("Y"))
    assert np.max(np.abs(out["X"].to_numpy() - x)) < 1e-6 and np.max(np.abs(out["Y"].to_numpy() - y)) < 1e-6


@pytest.mark.parametrize("name", ["0201901401", "0201903501", "0404910601"])
def test_real_attitude_drives_the_sky_transformation(refdata, name):
    att = read_attitude(str(refdata / f"xga/{name}/emchain/P{name}OBX000ATTTSR0000.FIT"))
    ra_pnt, dec_pnt, pa_pnt = att.median_pointing(att.time[0], att.stop)
    grid = SkyGrid(ra_pnt, dec_pnt)
    times = att.time + 0.5
    x, y = det_to_sky(np.zeros(times.size), np.zeros(times.size), *att.at(times), grid)
    at_median = (att.ra == ra_pnt) & (att.dec == dec_pnt)
    assert at_median.any()
    # an event at the boresight when the attitude is at its median maps to the RA_PNT/DEC_PNT pixel
    assert np.allclose(x[at_median], 25921.0, atol=1e-6) and np.allclose(y[at_median], 25921.0, atol=1e-6)
    # and at any time to the pixel of the attitude's pointing (astropy)
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.crval = [ra_pnt, dec_pnt]
    wcs.wcs.cdelt = [-0.05 / 3600, 0.05 / 3600]
    wcs.wcs.crpix = [25921, 25921]
    px, py = wcs.all_world2pix(att.ra, att.dec, 1)
    assert np.max(np.abs(px - x)) < 1e-6 and np.max(np.abs(py - y)) < 1e-6
    # the Polars plan gives the same through the attitude look-up
    frame = pl.DataFrame({"TIME": times, "_DETX": np.zeros(times.size), "_DETY": np.zeros(times.size)})
    ra, dec, pa = att.lookup_exprs("TIME")
    ex, ey = sky_exprs(pl.col("_DETX"), pl.col("_DETY"), ra, dec, pa, grid)
    out = frame.select(ex.alias("X"), ey.alias("Y"))
    assert np.max(np.abs(out["X"].to_numpy() - x)) < 1e-6


@pytest.mark.parametrize(("mos", "exp"), [(1, 2), (2, 3)])
def test_det_to_sky_convention_and_mos_geometry_match_a_real_pps_list(refdata, mos, exp):
    with fits.open(refdata / MIEVLI.format(mos, exp)) as hdul:
        header = hdul[0].header
        data = hdul["EVENTS"].data
        cam = camera(f"EMOS{mos}")
        pa = np.deg2rad(header["PA_PNT"] + cam.rotation)
        detx = data["DETX"].astype(float)
        dety = data["DETY"].astype(float)
        design = np.c_[detx, dety, np.ones(detx.size)]
        fx = np.linalg.lstsq(design, data["X"] - 25921.0, rcond=None)[0]
        fy = np.linalg.lstsq(design, data["Y"] - 25921.0, rcond=None)[0]
        # xmmframe: xi = cos(pa) DETX + sin(pa) DETY (east), X grows to the west
        assert fx[:2] == pytest.approx([-np.cos(pa), -np.sin(pa)], abs=2e-4)
        assert fy[:2] == pytest.approx([-np.sin(pa), np.cos(pa)], abs=2e-4)
        ccd = data["CCDNR"]
        for number in cam.ccds:
            sel = ccd == number
            gx, gy = cam.raw_to_det(number, data["RAWX"][sel] - 0.5, data["RAWY"][sel] - 0.5)
            # within the pixel (events are randomised inside it) and unbiased
            assert np.max(np.abs(gx - detx[sel])) < cam.pixel_units
            assert abs(np.mean(gx - detx[sel])) < 3.0 and abs(np.mean(gy - dety[sel])) < 3.0  # < 0.15"


def test_frame_times_unwrap_the_coarse_counter():
    aux = pl.DataFrame(
        {
            "FRAME": [1, 2, 3, 1, 2, 3],
            "CCDID": [1, 1, 1, 2, 2, 2],
            "FTCOARSE": [32766, 32767, 0, 32766, 32767, 0],
            "FTFINE": [0, 12500, 0, 5, 5, 5],
        }
    )
    start = frame_times(aux, "EMOS1", 1.0, 10 * 32768 + 32766.2)
    assert start["START"].to_list() == pytest.approx(
        [
            10 * 32768 + 32766,
            10 * 32768 + 32767.5,
            11 * 32768,
            10 * 32768 + 32766.0002,
            10 * 32768 + 32767.0002,
            11 * 32768 + 0.0002,
        ]
    )


def test_attitude_lookup_is_a_step_function():
    att = Attitude(
        np.array([0.0, 10.0, 20.0]), np.array([1.0, 2.0, 3.0]), np.zeros(3), np.zeros(3), stop=30.0
    )
    assert att.at(np.array([-5.0, 0.0, 9.99, 10.0, 25.0, 40.0]))[0].tolist() == [1.0, 1.0, 1.0, 2.0, 3.0, 3.0]
    assert att.covers(0.0, 30.0) and not att.covers(-1.0, 30.0)
