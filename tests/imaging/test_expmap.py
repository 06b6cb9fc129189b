"""Exposure maps against the SAS 13.5 eexpmap maps of obs 0201903501 (XGA) and the SAS 19.1 pn DET map.

The MOS maps are made from the same clean event lists, attitude file and template images
SAS used (the eexpmap command is in each map's XPROC0).  What is met and what is not:

* median xmmframe/SAS inside the field within 2 %: met for all four maps (0.9997-1.0024);
* zero-exposure footprint: all but 220-330 of the ~118 000 exposed pixels (< 0.3 %) agree to
  within one pixel's border (the rest: a FOV-edge patch where the clean list has few events,
  and one CCD edge 1-2 pixels off);
* 95 % of the pixels within 5 %: the azimuthal MOS vignetting factor
  (:data:`xmmframe.imaging.vignetting.MOS_AZIMUTHAL`) was fitted to the two 0.5-2 keV maps, so
  this is checked on the 2-10 keV maps only: MOS1 94.9 %, MOS2 92.6 % are within 5 % (before
  the factor: 34 % and 28 %), 96.5 % within 10 %.  **The 95 % target is not met for MOS2 (and
  is at the limit for MOS1).**  Per CCD, the median ratio after the factor is within 1 % of 1 on
  every CCD in 0.5-2 keV and for MOS1 in 2-10 keV, but MOS2 in 2-10 keV keeps +3.4 % (CCD 5),
  +1.5 % (CCD 4), -1.1 % (CCD 2) and -2.3 % (CCD 7): the azimuthal term of MOS2 grows with
  energy (its radial-only per-CCD ratios spread 0.85-1.13 in 0.5-2 keV and 0.85-1.15 in
  2-10 keV), which one fitted band cannot give and the 2-10 keV map may not be fitted to.
  The other pixels off by more than 5 % are at the CCD borders and field edge (partly exposed
  pixels) and along single detector columns where SAS has less exposure than xmmframe (columns
  SAS masks or treats as bad-pixel neighbours that the event list's BADPIXnn do not give).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from astropy.io import fits
from scipy.ndimage import binary_dilation

from xmmframe.imaging.attitude_steps import AttitudeSteps, attitude_steps
from xmmframe.imaging.detector_sky import DetectorSky
from xmmframe.imaging.expmap import exposure_map
from xmmframe.io.events import open_events
from xmmframe.io.odf_directory import read_attitude
from xmmframe.model.products import Image

OBS = "0201903501"
BANDS = {"0.50-2.00": (500, 2000), "2.00-10.00": (2000, 10000)}
CASES = [(cam, band) for cam in ("mos1", "mos2") for band in BANDS]
#: Fraction of the pixels within 4' of the axis within 5 % of SAS in 2-10 keV (measured below).
NEAR_AXIS_WITHIN5 = 0.95


def _paths(refdata, cam: str, band: str) -> dict[str, str]:
    base = refdata / "xga" / OBS
    return {"events": str(base / "eclean" / f"{cam}_exp1_clean_evts.fits"),
            "image": str(base / "images" / f"{OBS}_{cam}_exp1-{band}keVimg.fits"),
            "sas": str(base / "images" / f"{OBS}_{cam}_exp1-{band}keVexpmap.fits"),
            "attitude": str(base / "emchain" / f"P{OBS}OBX000ATTTSR0000.FIT")}


@pytest.fixture(scope="module")
def maps(refdata):
    """xmmframe maps of the four SAS MOS maps, made as SAS made them (built-in calibration)."""
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for cam, band in CASES:
            p = _paths(refdata, cam, band)
            lo, hi = BANDS[band]
            out[cam, band] = exposure_map(p["events"], p["image"], pimin=lo, pimax=hi, attitude=p["attitude"])
    return out


def _compare(ours: np.ndarray, sas: np.ndarray) -> dict[str, float]:
    both = (ours > 0) & (sas > 0)
    ratio = ours[both] / sas[both]
    return {"median": float(np.median(ratio)), "within5": float(np.mean(np.abs(ratio - 1) < 0.05)),
            "sas_only": int(((sas > 0) & ~binary_dilation(ours > 0)).sum()),
            "ours_only": int(((ours > 0) & ~binary_dilation(sas > 0)).sum()), "exposed": int((sas > 0).sum())}


@pytest.mark.parametrize(("cam", "band"), CASES)
def test_mos_map_against_sas(refdata, maps, cam, band):
    sas_hdu = fits.open(_paths(refdata, cam, band)["sas"])[0]
    sas = sas_hdu.data.astype(np.float64)
    ours = maps[cam, band]
    assert ours.data.shape == sas.shape
    stats = _compare(ours.data.astype(np.float64), sas)
    assert abs(stats["median"] - 1) < 0.005, stats  # measured 0.9997-1.0024
    # footprint: exposed pixels of one map farther than one pixel from the other's
    assert stats["sas_only"] + stats["ours_only"] < 0.004 * stats["exposed"], stats
    if band == "2.00-10.00":  # not used to derive the azimuthal factor (fitted in 0.5-2 keV)
        both = (sas > 0) & (ours.data > 0)
        ratio = ours.data[both] / sas[both]
        assert np.mean(np.abs(ratio - 1) < 0.05) > 0.92, stats    # measured MOS1 0.949, MOS2 0.926
        assert np.mean(np.abs(ratio - 1) < 0.10) > 0.96, stats    # measured 0.964, 0.966
        # within 4' of the optical axis (SAS's XCEN/YCEN)
        yy, xx = np.mgrid[0:sas.shape[0], 0:sas.shape[1]]
        near = np.hypot(xx + 1 - sas_hdu.header["XCEN"], yy + 1 - sas_hdu.header["YCEN"]) * 4.35 / 60 < 4
        inner = near & both
        assert np.mean(np.abs(ours.data[inner] / sas[inner] - 1) < 0.05) > NEAR_AXIS_WITHIN5, stats
    # header: what SAS writes
    assert ours.exposure == pytest.approx(sas_hdu.header["EXPOSURE"], rel=1e-12)
    for key in ("CRPIX1", "CRVAL1", "CDELT1", "CRPIX2", "CRVAL2", "CDELT2"):
        assert ours.keyword(key) == pytest.approx(sas_hdu.header[key], rel=1e-12)
    for key in ("INSTRUME", "OBS_ID", "EXPIDSTR", "FILTER", "CONTENT", "ATT_SRC"):
        assert ours.keyword(key) == sas_hdu.header[key]
    # the image was selected with FLAG == 0, so bad-pixel neighbours are masked, as SAS does
    assert ours.keyword("BADNEIGH") is True
    # the optical axis (DET origin for MOS) lands within 1' of SAS's (MOS1 4 pixels off, MOS2 13)
    assert np.hypot(ours.keyword("XCEN") - sas_hdu.header["XCEN"], ours.keyword("YCEN") - sas_hdu.header["YCEN"]) < 14


def test_without_vignetting_a_ccd_holds_its_livetime(refdata):
    """No vignetting: a pixel well inside CCD 1 (no bad pixel) has exactly CCD 1's LIVETI01."""
    p = _paths(refdata, "mos1", "0.50-2.00")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        flat = exposure_map(p["events"], p["image"], attitude=p["attitude"], withvignetting=False)
    live = fits.getheader(p["events"], "EVENTS")["LIVETI01"]
    centre = flat.data[250:262, 250:262].astype(np.float64)
    assert np.median(centre) == pytest.approx(live, rel=1e-6)
    assert flat.data.max() == pytest.approx(max(fits.getheader(p["events"], "EVENTS")[f"LIVETI{c:02d}"]
                                                for c in range(1, 8)), rel=1e-6)
    assert flat.keyword("CALSRC") is None  # no calibration used


def test_attitude_steps_do_not_change_a_stable_pointing(refdata):
    """The 0201903501 attitude moves < 1": one step at attrebin=4", 17 at 0.3"; the maps agree to 0.1 %."""
    p = _paths(refdata, "mos1", "0.50-2.00")
    attitude = read_attitude(p["attitude"])
    events = open_events(p["events"])
    start, stop = float(events.meta.tstart), float(events.meta.tstop)
    assert len(attitude_steps(attitude, start, stop, 4.0)) == 1
    fine = attitude_steps(attitude, start, stop, 0.3)
    assert len(fine) > 5
    assert fine.start[0] == start and fine.stop[-1] == stop
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        coarse_map = exposure_map(events, p["image"], attitude=attitude, attrebin=4.0, subpixels=2)
        fine_map = exposure_map(events, p["image"], attitude=attitude, attrebin=0.3, subpixels=2)
    both = (coarse_map.data > 0) & (fine_map.data > 0)
    # the total is the live time in both; only pixels at the edges move
    assert fine_map.data.sum() == pytest.approx(coarse_map.data.sum(), rel=1e-3)
    assert np.median(fine_map.data[both] / coarse_map.data[both]) == pytest.approx(1.0, abs=1e-4)


def test_pn_detector_map_shape(refdata, tmp_path_factory):
    """DETX/DETY map on the grid of the SAS 19.1 pn map (obs 0723801301) from the simulated pn list.

    There are no pn event lists in refdata, so the simulator's pn list stands in: its GTIs,
    bad pixels and field edge are not those of 0723801301, so only the shape is compared
    (both maps scaled to their maximum) where both are exposed: the XRT3 vignetting
    (the genuine CCF in the built-in set) about the pn optical axis.  The pn optical axis of the
    built-in set was itself measured on this map (:mod:`xmmframe.imaging.vignetting`), so this
    checks the DETX/DETY path and the vignetting table rather than that constant.
    """
    from tests.sim.simulated import build

    sas_path = refdata / "xmm-epicpn-simulator" / "pn_expo_500_2000_detxy.ds"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        simulated = build(str(tmp_path_factory.getbasetemp() / "simulated-observation"))
        ours = exposure_map(simulated.events["EPN"], str(sas_path), pimin=500, pimax=2000, withdetcoords=True)
    sas = fits.getdata(sas_path).astype(np.float64)
    data = ours.data.astype(np.float64)
    both = (sas > 0) & (data > 0)
    assert both.sum() > 0.8 * (sas > 0).sum()
    ratio = (data[both] / data.max()) / (sas[both] / sas.max())
    assert abs(np.median(ratio) - 1) < 0.02
    assert np.mean(np.abs(ratio - 1) < 0.05) > 0.85
    assert ours.keyword("CTYPE1") == "DETX" and ours.keyword("DETCOORD") is True


def test_written_map_is_valid_fits(refdata, maps, tmp_path, fitsverify):
    out = tmp_path / "expmap.fits"
    maps["mos1", "0.50-2.00"].write(out)
    errors, _, report = fitsverify(out)
    assert errors == 0, report
    back = Image.read(out)
    assert back.data.dtype == np.float32
    np.testing.assert_array_equal(back.data, maps["mos1", "0.50-2.00"].data)
    assert back.keyword("CONTENT") == "EPIC EXPOSURE MAP"
    with pytest.raises(Exception, match="exists"):
        maps["mos1", "0.50-2.00"].write(out)


def test_a_wcs_template_gives_the_image_template_map(refdata, maps):
    """A celestial WCS and a shape instead of an image: the same grid, the same map."""
    from astropy.wcs import WCS

    p = _paths(refdata, "mos1", "0.50-2.00")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wcs = WCS(fits.getheader(p["image"])).celestial
        ours = exposure_map(p["events"], wcs, shape=(512, 512), attitude=p["attitude"], mask_neighbours=True)
    np.testing.assert_allclose(ours.data, maps["mos1", "0.50-2.00"].data, rtol=1e-5, atol=1e-3)
    with pytest.raises(Exception, match="shape"):
        exposure_map(p["events"], WCS(naxis=2), attitude=p["attitude"])


def test_detector_to_sky_fit_reproduces_the_event_positions(refdata):
    """The fitted DET -> sky map puts every event within its pixel randomisation of its X/Y."""
    p = _paths(refdata, "mos2", "0.50-2.00")
    events = open_events(p["events"])
    attitude = read_attitude(p["attitude"])
    frame = DetectorSky.from_events(events, attitude)
    table = events.lazy.select("TIME", "DETX", "DETY", "X", "Y").collect()
    ra, dec, pa = attitude.at(table["TIME"].to_numpy())
    affine = frame.det_to_sky_affine(ra, dec, pa)
    det = np.stack([table["DETX"].to_numpy(), table["DETY"].to_numpy()], -1).astype(np.float64)
    sky = np.einsum("nij,nj->ni", affine[:, :, :2], det) + affine[:, :, 2]
    residual = sky - np.stack([table["X"].to_numpy(), table["Y"].to_numpy()], -1)
    assert np.sqrt(np.mean(residual**2)) < 3.0  # sky units of 0.05"; MOS pixels are 22
    assert np.max(np.abs(residual)) < 25.0
    # the scale is the detector's: 1 DET unit = 1 sky unit (both 0.05"), a rotation (+ a flip)
    assert abs(abs(np.linalg.det(frame.matrix)) - 1) < 1e-3
    # a pointing 60" north moves the detector 1200 units in Y, and sky -> DET inverts DET -> sky
    one = AttitudeSteps(np.array([0.0]), np.array([1.0]), ra[:1], dec[:1], pa[:1])
    north = AttitudeSteps(np.array([0.0]), np.array([1.0]), ra[:1], dec[:1] + 60 / 3600, pa[:1])
    shift = frame.det_to_sky_affine(north.ra, north.dec, north.pa)[0, :, 2] - frame.det_to_sky_affine(
        one.ra, one.dec, one.pa)[0, :, 2]
    assert shift[1] == pytest.approx(1200.0, rel=1e-4) and abs(shift[0]) < 1.0
    back = frame.sky_to_det_affine(one)[0]
    forward = frame.det_to_sky_affine(one.ra, one.dec, one.pa)[0]
    np.testing.assert_allclose(back[:, :2] @ forward[:, :2], np.eye(2), atol=1e-12)


def test_azimuthal_factor_in_the_kernel():
    """The compiled sum applies the azimuthal factor exactly as :func:`azimuthal_factor` writes it."""
    from xmmframe.imaging.expmap_kernel import accumulate
    from xmmframe.imaging.vignetting import MOS_AZIMUTHAL, azimuthal_factor

    coefficients = np.asarray(MOS_AZIMUTHAL["EMOS2"])
    ccd = np.array([[[0.001, 0.0, 20.0], [0.0, 0.001, 20.0]]])     # DET -> RAW: 40 x 40 pixels of 1000
    for det in ((12000.0, 0.0), (-5000.0, 9000.0), (0.0, -15000.0)):
        out = np.zeros((1, 1))
        accumulate(np.full((1, 1), det[0]), np.full((1, 1), det[1]), np.array([1.0, 0.0, 0.0, 1.0]), 1,
                   np.array([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]]), ccd, np.array([[40, 40]]),
                   np.zeros((1, 42, 42), np.uint8), np.array([[100.0]]), 0.0, 0.0, np.full(8, 1e9),
                   0.0, 0.0, 0.05 / 60.0, 1.0, np.ones(2), coefficients, out)
        expected = 100.0 * float(azimuthal_factor(coefficients, np.array(det[0]), np.array(det[1])))
        assert out[0, 0] == pytest.approx(expected, rel=1e-12)
        assert abs(expected / 100.0 - 1) > 0.01                       # the factor is not trivial there
