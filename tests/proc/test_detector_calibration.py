"""epproc/emproc and the simulator read gain, offsets, CTI, thresholds and bad pixels from CCFs through
xmmframe.ccf: the built-in set by default (equal to the generating values), a user's CCF path otherwise."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from scripts.make_builtin_calibration import stand_in_calibration
from xmmframe.ccf.access import Calibration, builtin_directory
from xmmframe.ccf.gain import read_energy_scale, write_energy_scale
from xmmframe.errors import CalibrationError
from xmmframe.proc.calibration import builtin_calibration, detector_calibration
from xmmframe.proc.chain import process_exposure

CAMERAS = ["EPN", "EMOS1", "EMOS2"]
DATE = "2012-05-14T03:49:58"


@pytest.fixture(autouse=True)
def _no_ccf_environment(monkeypatch):
    monkeypatch.delenv("SAS_CCF", raising=False)
    monkeypatch.delenv("SAS_CCFPATH", raising=False)


def _copy_detector_ccfs(directory: Path, instrument: str, types=("ADUCONV", "CTI", "BADPIX")) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for typeid in types:
        shutil.copy(Path(builtin_directory()) / f"{instrument}_{typeid}_0001.CCF", directory)
    return directory


@pytest.mark.parametrize("instrument", CAMERAS)
def test_default_calibration_is_the_builtin_ccf_set_equal_to_the_generating_values(instrument):
    cal = detector_calibration(instrument)
    truth = stand_in_calibration(instrument)
    assert cal is builtin_calibration(instrument)
    for name in ("gain", "offset", "cti_1kev"):
        np.testing.assert_array_equal(getattr(cal, name), getattr(truth, name))
    for name in ("instrument", "cti_index", "read_noise", "event_threshold", "mip_threshold"):
        assert getattr(cal, name) == getattr(truth, name), name
    assert cal.bad_pixels.equals(truth.bad_pixels)
    assert cal.source == "xmmframe-builtin"
    assert cal.ccfs == tuple(f"{instrument}_{t}_0001.CCF" for t in ("ADUCONV", "CTI", "BADPIX"))
    assert set(cal.ccfs) <= set(cal.calindex["FNAME"].to_list())


def test_a_ccf_path_without_aduconv_is_an_error_naming_it(tmp_path, monkeypatch):
    directory = _copy_detector_ccfs(tmp_path / "ccf", "EPN", ("CTI", "BADPIX"))
    with pytest.raises(CalibrationError, match="no EPN_ADUCONV CCF"):
        detector_calibration("EPN", Calibration.open(ccfpath=[directory], observation_date=DATE))
    monkeypatch.setenv("SAS_CCFPATH", str(directory))  # the configured path is used, not the built-in set
    with pytest.raises(CalibrationError, match="no EPN_ADUCONV CCF"):
        detector_calibration("PN", observation_date=DATE)
    _copy_detector_ccfs(directory, "EMOS1", ("ADUCONV", "CTI"))
    with pytest.raises(CalibrationError, match="no EMOS1_BADPIX CCF"):
        detector_calibration("EMOS1", observation_date=DATE)


def test_an_aduconv_without_thresholds_or_a_ccd_is_an_error(tmp_path):
    directory = _copy_detector_ccfs(tmp_path / "ccf", "EPN", ("CTI", "BADPIX"))
    builtin = Path(builtin_directory())
    scale = read_energy_scale(builtin / "EPN_ADUCONV_0001.CCF", builtin / "EPN_CTI_0001.CCF")
    write_energy_scale(replace(scale, mip_threshold=None), directory, "EPN", issue=2)
    (directory / "EPN_CTI_0001.CCF").unlink()
    with pytest.raises(CalibrationError, match=r"EPN_ADUCONV_0002.CCF.*ADUCOEFF lacks keyword\(s\) MIPTHRES"):
        detector_calibration("EPN", Calibration.open(ccfpath=[directory], observation_date=DATE))
    rows = scale.ccds != 12
    write_energy_scale(replace(scale, ccds=scale.ccds[rows], gain=scale.gain[rows], offset=scale.offset[rows],
                               cti_1kev=scale.cti_1kev[rows]), directory, "EPN", issue=3)
    with pytest.raises(CalibrationError, match=r"EPN_ADUCONV_0003.CCF.*no gain for CCD\(s\) \[12\]"):
        detector_calibration("EPN", Calibration.open(ccfpath=[directory], observation_date=DATE))


def test_simulated_events_list_the_builtin_detector_ccfs(simulated):
    for instrument, events in simulated.events.items():
        index = events.meta.extensions["CALINDEX"]
        assert {f"{instrument}_{t}_0001.CCF" for t in ("ADUCONV", "CTI", "BADPIX")} <= set(index["FNAME"].to_list())
        assert index.height == detector_calibration(instrument).calindex.height


def test_doubling_the_gain_in_a_user_ccf_doubles_the_energies(simulated, tmp_path, monkeypatch):
    directory = _copy_detector_ccfs(tmp_path / "ccf", "EPN", ("BADPIX",))
    builtin = Path(builtin_directory())
    scale = read_energy_scale(builtin / "EPN_ADUCONV_0001.CCF", builtin / "EPN_CTI_0001.CCF")
    write_energy_scale(replace(scale, gain=2.0 * scale.gain), directory, "EPN")
    monkeypatch.setenv("SAS_CCFPATH", str(directory))
    obs = simulated.observation
    doubled = process_exposure(obs, "PN", obs.imaging_exposures("PN")[0])
    assert sorted(doubled.meta.extensions["CALINDEX"]["FNAME"].to_list()) == [
        "EPN_ADUCONV_0001.CCF", "EPN_BADPIX_0001.CCF", "EPN_CTI_0001.CCF"]
    assert doubled.meta.extension("CALINDEX").header["CALSRC"] == "CCF"
    new = doubled.collect()
    old = simulated.events["EPN"].collect()
    assert new.height == old.height
    assert new.select("TIME", "RAWX", "RAWY", "PATTERN").equals(old.select("TIME", "RAWX", "RAWY", "PATTERN"))
    both = pl.DataFrame({"OLD": old["PI"], "NEW": new["PI"]}).drop_nulls()
    both = both.filter(pl.col("OLD").is_between(300, 7000))
    assert both.height > 1000
    ratio = both["NEW"].to_numpy() / both["OLD"].to_numpy()
    # twice the gain doubles the measured energy; the CTI correction, smaller at twice the
    # energy, and the 1-eV PI rounding leave less than 1 %
    assert abs(np.median(ratio) - 2.0) < 0.005
    assert np.all(np.abs(ratio - 2.0) < 0.02)
