"""Detector CCFs (ADUCONV, CTI, BADPIX): the built-in ones hold exactly the values of the generating
script and are valid FITS; the readers handle the per-column, energy-dependent and simple layouts."""

from __future__ import annotations

import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from astropy.io import fits

from scripts.make_builtin_calibration import stand_in_calibration
from xmmframe.ccf.access import Calibration, builtin_directory
from xmmframe.ccf.badpix import FROM_CCF, read_badpix, write_badpix
from xmmframe.ccf.ccf_file import write_ccf
from xmmframe.ccf.gain import EnergyScale, read_energy_scale, write_energy_scale
from xmmframe.errors import CalibrationError, CalibrationWarning
from xmmframe.model.geometry import camera

CAMERAS = ["EPN", "EMOS1", "EMOS2"]
BUILTIN = Path(builtin_directory())


@pytest.mark.parametrize("instrument", CAMERAS)
def test_builtin_detector_ccfs_hold_the_generating_values_exactly(instrument):
    truth = stand_in_calibration(instrument)
    ccds = np.array(camera(instrument).ccds)
    scale = read_energy_scale(BUILTIN / f"{instrument}_ADUCONV_0001.CCF", BUILTIN / f"{instrument}_CTI_0001.CCF")
    np.testing.assert_array_equal(scale.ccds, ccds)
    assert scale.gain.shape == (ccds.size, camera(instrument).shape[0])
    np.testing.assert_array_equal(scale.gain, truth.gain[ccds])
    np.testing.assert_array_equal(scale.offset, truth.offset[ccds])
    np.testing.assert_array_equal(scale.cti_1kev, truth.cti_1kev[ccds])
    assert scale.cti_index == truth.cti_index
    assert (scale.event_threshold, scale.mip_threshold, scale.read_noise) == (
        truth.event_threshold, truth.mip_threshold, truth.read_noise)
    bad = read_badpix(BUILTIN / f"{instrument}_BADPIX_0001.CCF").pixels
    expected = truth.bad_pixels.rename({"CCDNR": "CCDID"}).cast(pl.Int32)
    assert bad.equals(expected)
    assert set(bad["BADFLAG"].to_list()) == {1, 2}


@pytest.mark.parametrize("instrument", CAMERAS)
def test_builtin_detector_ccfs_are_indexed_ccfs_with_the_real_extension_names(instrument):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        cal = Calibration.builtin_set("2012-05-14T00:00:00")
    for typeid, extensions in (("ADUCONV", ["ADUCOEFF", "OFFSET_GAIN"]), ("CTI", ["CTI_EXTENDED"]),
                               ("BADPIX", ["BADPIX"])):
        path = Path(cal.path(instrument, typeid))
        assert path.name == f"{instrument}_{typeid}_0001.CCF"
        with fits.open(path) as hdul:
            primary = hdul[0].header
            assert (primary["SCOPE"], primary["TYPEID"], primary["ISSUE"], primary["CATEGORY"]) == (
                instrument, typeid, 1, "XMMCCF")
            assert primary["EXTSEQID"].split() == extensions == [h.name for h in hdul[1:]]
    cal.gain(instrument)
    assert cal.history()[1:] == [f"CCF used: {instrument}_ADUCONV_0001.CCF", f"CCF used: {instrument}_CTI_0001.CCF"]


@pytest.mark.parametrize("typeid", ["ADUCONV", "CTI", "BADPIX"])
@pytest.mark.parametrize("instrument", CAMERAS)
def test_builtin_detector_ccfs_pass_fitsverify(fitsverify, instrument, typeid):
    errors, warns, report = fitsverify(BUILTIN / f"{instrument}_{typeid}_0001.CCF")
    assert (errors, warns) == (0, 0), report


def _scale(**changes) -> EnergyScale:
    rng = np.random.default_rng(3)
    scale = EnergyScale(np.array([1, 2, 3]), 5.0 + rng.random((3, 64)), rng.integers(0, 3, (3, 64)).astype(float),
                        np.array([5e-5, 6e-5, 7e-5]), 0.3, 20, 3000, 18.0)
    return replace(scale, **changes)


def test_written_energy_scale_reads_back_and_inverts_its_forward_model(tmp_path):
    scale = _scale()
    aduconv, cti = write_energy_scale(scale, tmp_path, "EPN", issue=7)
    assert (Path(aduconv).name, Path(cti).name) == ("EPN_ADUCONV_0007.CCF", "EPN_CTI_0007.CCF")
    back = read_energy_scale(aduconv, cti)
    for name in ("ccds", "gain", "offset", "cti_1kev"):
        np.testing.assert_array_equal(getattr(back, name), getattr(scale, name))
    assert (back.cti_index, back.event_threshold, back.mip_threshold, back.read_noise) == (0.3, 20, 3000, 18.0)
    with fits.open(aduconv) as hdul:  # ADUCOEFF carries the per-CCD means of the per-column values
        np.testing.assert_allclose(hdul["ADUCOEFF"].data["GAIN"], scale.gain.mean(axis=1))
    energy = np.array([300.0, 1486.0, 6400.0, 12000.0])
    ccd, rawx, rawy = np.array([1, 2, 3, 2]), np.array([1, 17, 64, 40]), np.array([200, 1, 100, 150])
    cti = scale.cti_1kev[ccd - 1] * (energy / 1000.0) ** -0.3
    pha = energy * (1 - cti) ** rawy / scale.gain[ccd - 1, rawx - 1] + scale.offset[ccd - 1, rawx - 1]
    np.testing.assert_allclose(back.energy(pha, ccd, rawy, rawx), energy, rtol=1e-12)


def test_cti_reference_energy_and_simple_layouts(tmp_path):
    write_ccf(tmp_path / "EPN_CTI_0002.CCF", "EPN", "CTI", 2, "2000-01-01T00:00:00",
              [("CTI_EXTENDED", pl.DataFrame({"CCDID": [1], "CTI": [4e-5]}), {"E_REF": 6000.0, "CTIINDEX": 0.5})])
    write_ccf(tmp_path / "EPN_ADUCONV_0002.CCF", "EPN", "ADUCONV", 2, "2000-01-01T00:00:00",
              [("ADUCOEFF", pl.DataFrame({"CCDID": [1], "GAIN": [5.0], "OFFSET": [1.0]}), {})])
    scale = read_energy_scale(tmp_path / "EPN_ADUCONV_0002.CCF", tmp_path / "EPN_CTI_0002.CCF")
    np.testing.assert_allclose(scale.cti_1kev, [4e-5 * 6.0**0.5])
    np.testing.assert_allclose(scale.cti(np.array([6000.0]), np.array([1])), [4e-5])
    assert scale.event_threshold is None and scale.gain.shape == (1, 1)
    gain, offset, _ = scale.by_ccd(3, 64)  # the per-CCD form applies to every column
    assert gain[1].tolist() == [5.0] * 64 and offset[1].tolist() == [1.0] * 64 and gain[2].tolist() == [0.0] * 64
    bad = pl.DataFrame({"CCDID": [1], "RAWX": [3], "RAWY": [4], "TYPE": [3], "YEXTENT": [10]})
    path = write_badpix(bad, tmp_path, "EPN", issue=3)
    assert read_badpix(path).pixels["BADFLAG"].to_list() == [FROM_CCF]  # no BADFLAG column: the CCF's own


def test_malformed_detector_ccfs_name_what_is_missing(tmp_path):
    aduconv, _ = write_energy_scale(_scale(), tmp_path, "EPN")
    write_ccf(tmp_path / "EPN_CTI_0005.CCF", "EPN", "CTI", 5, "2000-01-01T00:00:00",
              [("CTI_EXTENDED", pl.DataFrame({"CCDID": [1, 2, 3], "CTI": [1e-5] * 3}), {"E_REF": 1000.0})])
    with pytest.raises(CalibrationError, match=r"EPN_CTI_0005.CCF.*CTI_EXTENDED lacks keyword CTIINDEX"):
        read_energy_scale(aduconv, tmp_path / "EPN_CTI_0005.CCF")
    write_ccf(tmp_path / "EPN_CTI_0006.CCF", "EPN", "CTI", 6, "2000-01-01T00:00:00",
              [("CTI", pl.DataFrame({"CCDID": [1, 3], "CTI": [1e-5] * 2}), {})])
    with pytest.raises(CalibrationError, match=r"EPN_CTI_0006.CCF.*no row for CCD\(s\) \[2\]"):
        read_energy_scale(aduconv, tmp_path / "EPN_CTI_0006.CCF")
    with pytest.raises(CalibrationError, match="64 values per CCD, expected 1 or 600"):
        _scale().by_ccd(8, 600)
    with pytest.raises(CalibrationError, match="CCD"):
        _scale().energy(np.array([100]), np.array([4]), np.array([1]))
