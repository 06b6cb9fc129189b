"""Typed CCF readers: the real XRT3 area CCF read exactly; malformed CCFs give CalibrationError
naming the file and what is missing; the Calibration access object."""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl
import pytest
from astropy.io import fits

from xmmframe.ccf.access import BUILTIN_CALSRC, Calibration
from xmmframe.ccf.badpix import read_badpix, read_event_badpixels
from xmmframe.ccf.ccf_file import write_ccf
from xmmframe.ccf.filtertrans import read_filtertrans
from xmmframe.ccf.gain import read_energy_scale
from xmmframe.ccf.psf import read_xpsf
from xmmframe.ccf.quantumef import read_quantumef
from xmmframe.ccf.redist import read_redist
from xmmframe.ccf.xareaef import read_xareaef
from xmmframe.errors import CalibrationError, CalibrationWarning

XRT3 = "xmm-epicpn-simulator/XRT3_XAREAEF_0012.CCF"


def test_xrt3_area_and_vignetting_equal_astropy(refdata):
    mirror = read_xareaef(refdata / XRT3)
    with fits.open(refdata / XRT3) as hdul:
        onaxis, vig, corr = hdul["ONAXISXAREAEF"].data, hdul["VIGNETTING"].data, hdul["CORRAREA"].data
        np.testing.assert_array_equal(mirror.energy, onaxis["ENERGY"])
        np.testing.assert_array_equal(mirror.area, onaxis["AREA"])
        np.testing.assert_array_equal(mirror.vignetting_energy, vig["ENERGY"])
        np.testing.assert_array_equal(mirror.vignetting, vig["VIGNETTING_FACTOR"])
        np.testing.assert_array_equal(mirror.correction, corr["FACTOR"])
        assert mirror.d_theta == hdul["VIGNETTING"].header["D_THETA"]
        # tabulated values come back at the tabulated energies and angles
        energies = onaxis["ENERGY"][100:110] / 1000.0
        np.testing.assert_allclose(mirror.on_axis_area(energies), onaxis["AREA"][100:110], rtol=1e-7)
        row = 200
        np.testing.assert_allclose(
            mirror.vignetting_factor(vig["ENERGY"][row] / 1000.0, mirror.theta_arcmin), vig["VIGNETTING_FACTOR"][row],
            rtol=1e-6)
        for kev in (1.5, 6.4):
            e = onaxis["ENERGY"].astype(float)
            i = np.searchsorted(e, kev * 1000.0)
            expected = onaxis["AREA"][i - 1] + (onaxis["AREA"][i] - onaxis["AREA"][i - 1]) * (
                (kev * 1000.0 - e[i - 1]) / (e[i] - e[i - 1]))
            assert abs(float(mirror.on_axis_area(kev)) / expected - 1) < 1e-3


def _primary(path, extra=()):
    hdus = [fits.PrimaryHDU(header=fits.Header([("SCOPE", "XRT3"), ("TYPEID", "XAREAEF"), ("ISSUE", 1)]))]
    hdus += list(extra)
    fits.HDUList(hdus).writeto(path)


def test_missing_extension_and_column_name_file(tmp_path):
    path = tmp_path / "XRT3_XAREAEF_0099.CCF"
    onaxis = fits.BinTableHDU.from_columns([fits.Column("ENERGY", "E", array=np.arange(3.0))], name="ONAXISXAREAEF")
    _primary(path, [onaxis])
    with pytest.raises(CalibrationError, match=r"XRT3_XAREAEF_0099.CCF.*ONAXISXAREAEF lacks column\(s\) AREA"):
        read_xareaef(path)
    path2 = tmp_path / "EPN_QUANTUMEF_0099.CCF"
    _primary(path2)
    with pytest.raises(CalibrationError, match=r"EPN_QUANTUMEF_0099.CCF.*no EBINS extension"):
        read_quantumef(path2)
    with pytest.raises(CalibrationError, match="not found"):
        read_filtertrans(tmp_path / "EPN_FILTERTRANSX_0001.CCF")
    path3 = tmp_path / "EPN_REDIST_0099.CCF"
    _primary(path3, [fits.BinTableHDU.from_columns([fits.Column("PI", "J", array=[0, 5]),
                                                    fits.Column("ENERGY", "E", array=[0.0, 0.005])],
                                                   name="BINNEDPI_EBOUNDS")])
    with pytest.raises(CalibrationError, match=r"EPN_REDIST_0099.CCF.*no EBINS extension"):
        read_redist(path3)
    vig = fits.BinTableHDU.from_columns([fits.Column("ENERGY", "E", array=[0.0]),
                                         fits.Column("VIGNETTING_FACTOR", "2E", array=[[1.0, 0.9]])], name="VIGNETTING")
    path4 = tmp_path / "XRT1_XAREAEF_0099.CCF"
    full = fits.BinTableHDU.from_columns([fits.Column("ENERGY", "E", array=[0.0]), fits.Column("AREA", "E", array=[1.0])],
                                         name="ONAXISXAREAEF")
    _primary(path4, [full, vig])
    with pytest.raises(CalibrationError, match="VIGNETTING lacks keyword D_THETA"):
        read_xareaef(path4)


def test_not_fits_is_calibration_error(tmp_path):
    path = tmp_path / "XRT3_XPSF_0001.CCF"
    path.write_text("not a FITS file")
    with pytest.raises(CalibrationError, match="XRT3_XPSF_0001.CCF"):
        read_xpsf(path)


def test_badpix_gain_layouts_round_trip(tmp_path):
    bad = pl.DataFrame({"CCDID": [1, 2], "RAWX": [10, 20], "RAWY": [5, 6], "TYPE": [1, 2], "YEXTENT": [1, 3]},
                       schema={c: pl.Int16 for c in ("CCDID", "RAWX", "RAWY", "TYPE", "YEXTENT")})
    write_ccf(tmp_path / "EPN_BADPIX_0001.CCF", "EPN", "BADPIX", 1, "2000-01-01T00:00:00", [("BADPIX", bad, {})])
    pixels = read_badpix(tmp_path / "EPN_BADPIX_0001.CCF")
    assert pixels.expanded().height == 4
    assert pixels.expanded()["RAWY"].to_list() == [5, 6, 7, 8]
    gains = pl.DataFrame({"CCDID": [1], "GAIN": [5.0], "OFFSET": [2.0]})
    write_ccf(tmp_path / "EPN_ADUCONV_0001.CCF", "EPN", "ADUCONV", 1, "2000-01-01T00:00:00", [("ADUCOEFF", gains, {})])
    write_ccf(tmp_path / "EPN_CTI_0001.CCF", "EPN", "CTI", 1, "2000-01-01T00:00:00",
              [("CTI", pl.DataFrame({"CCDID": [1], "CTI": [1e-4]}), {})])
    scale = read_energy_scale(tmp_path / "EPN_ADUCONV_0001.CCF", tmp_path / "EPN_CTI_0001.CCF")
    np.testing.assert_allclose(scale.energy(np.array([202]), np.array([1]), np.array([100])),
                               1000.0 / (1 - 1e-4) ** 100)
    with pytest.raises(CalibrationError, match="CCD"):
        scale.energy(np.array([202]), np.array([3]), np.array([0]))


def test_event_list_bad_pixels(refdata):
    bad = read_event_badpixels(refdata / "xga/0201901401/eclean/mos1_exp1_clean_evts.fits")
    with fits.open(refdata / "xga/0201901401/eclean/mos1_exp1_clean_evts.fits") as hdul:
        rows = sum(len(h.data) for h in hdul if h.name.startswith("BADPIX") and h.data is not None)
    assert bad.pixels.height == rows


def test_builtin_calibration_warns_and_selects_by_date():
    with pytest.warns(CalibrationWarning, match="not for publication"):
        early = Calibration.open(observation_date="2002-01-01T00:00:00")
    assert early.builtin and early.calsrc == BUILTIN_CALSRC
    assert early.index.issue("EPN", "REDIST") == 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        late = Calibration.open(observation_date="2016-01-01T00:00:00")
    assert late.index.issue("EPN", "REDIST") == 2
    assert late.index.issue("XRT3", "XAREAEF") == 12
    assert late.mirror_area("PN").area.size == 512
    assert late.bad_pixels("EPN").pixels.height > 0
    with pytest.raises(CalibrationError, match="no EPN_LINCOORD"):
        late.path("EPN", "LINCOORD")


def test_calibration_from_cif_lists_missing_files(tmp_path, monkeypatch):
    from xmmframe.ccf.access import builtin_directory
    from xmmframe.ccf.cifbuild import cifbuild, write_cif

    monkeypatch.delenv("SAS_CCF", raising=False)
    monkeypatch.delenv("SAS_CCFPATH", raising=False)
    index = cifbuild([builtin_directory()], "2010-01-01T00:00:00")
    write_cif(index, tmp_path / "ccf.cif")
    cal = Calibration.open(cif=tmp_path / "ccf.cif", ccfpath=[builtin_directory()])
    assert not cal.builtin and cal.calsrc == "CCF"
    assert cal.quantum_efficiency("EMOS1").patterns == frozenset(range(13))
    with pytest.raises(CalibrationError, match=r"missing from .*EPN_REDIST_0001.CCF.* and \d+ more"):
        Calibration.open(cif=tmp_path / "ccf.cif", ccfpath=[tmp_path])
