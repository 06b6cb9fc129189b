"""The viewer's payloads against astropy + numpy on the same events and against SAS's own products."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.io import fits

import xmmframe
from xmmframe.errors import ProductError
from xmmframe.service.viewdata import image_payload, lightcurve_payload
from tests.sim.simulated import build

EXOD = "exod/0001730201"
#: XMMEA_EM / XMMEA_EP flag masks as SAS defines them (the events' headers carry the same).
MASKS = {"EMOS1": 0x766BA000, "EPN": 0xCFA0000}


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    return build(str(tmp_path_factory.getbasetemp() / "simulated-observation"))


def _table(path):
    with fits.open(path) as hdul:
        names = ("TIME", "X", "Y", "PI", "PATTERN", "FLAG")
        return {name: np.array(hdul["EVENTS"].data[name]) for name in names}, dict(hdul["EVENTS"].header)


@pytest.mark.parametrize("instrument", ["EPN", "EMOS1"])
@pytest.mark.parametrize("binsize", [80, 37])
def test_image_payload_is_a_numpy_histogram_of_the_band(simulated, instrument, binsize):
    events = simulated.events[instrument]
    payload = image_payload(events, bin=binsize, band=(500, 10000))
    cols, _ = _table(simulated.event_files[instrument])
    keep = (cols["PI"] >= 500) & (cols["PI"] <= 10000)
    x, y = cols["X"][keep], cols["Y"][keep]
    xedges = payload["xmin"] + binsize * np.arange(payload["nx"] + 1)
    yedges = payload["ymin"] + binsize * np.arange(payload["ny"] + 1)
    expected, _, _ = np.histogram2d(y, x, bins=[yedges, xedges])
    data = np.array(payload["data"]).reshape(payload["ny"], payload["nx"])
    np.testing.assert_array_equal(data, expected)
    # every event of the band is in the image, and the grid is evselect's (edges at TLMIN - 0.5 + k*bin)
    assert data.sum() == keep.sum()
    assert (payload["xmin"] + 0.5 - 1) % binsize == 0 and (payload["ymin"] + 0.5 - 1) % binsize == 0
    assert payload["bin"] == binsize and len(payload["data"]) == payload["nx"] * payload["ny"]


def test_image_payload_is_the_sas_image_cut_to_the_events(refdata):
    """M1_image.fits is SAS evselect's 80-pixel image of M1_clean.fits over the whole sky grid."""
    events = xmmframe.open_events(refdata / EXOD / "M1_clean.fits")
    payload = image_payload(events, bin=80, band=None)
    sas = fits.getdata(refdata / EXOD / "M1_image.fits")
    i0, j0 = int((payload["xmin"] + 0.5 - 1) / 80), int((payload["ymin"] + 0.5 - 1) / 80)
    data = np.array(payload["data"]).reshape(payload["ny"], payload["nx"])
    np.testing.assert_array_equal(data, sas[j0:j0 + payload["ny"], i0:i0 + payload["nx"]])
    assert data.sum() == sas.sum()


def test_lightcurve_payload_is_the_sas_rate_set(refdata):
    """M1_rate.fits: SAS's 100 s rate set of #XMMEA_EM && (PI>10000) && (PATTERN==0)."""
    events = xmmframe.open_events(refdata / EXOD / "P0001730201M1S002MIEVLI.FTZ")
    payload = lightcurve_payload(events, timebin=100, threshold=0.4)
    with fits.open(refdata / EXOD / "M1_rate.fits") as hdul:
        rate = hdul[1].data
        np.testing.assert_allclose(payload["rate"], rate["RATE"], rtol=0, atol=1e-6)
        np.testing.assert_allclose(np.array(payload["time"]) + 50.0, rate["TIME"], rtol=0, atol=1e-6)
        assert payload["tstart"] == pytest.approx(hdul[1].header["TSTART"], abs=1e-6)
    assert payload["binsize"] == 100.0 and payload["threshold"] == 0.4
    assert payload["band"] == ">10 keV singles"


@pytest.mark.parametrize("instrument", ["EPN", "EMOS1"])
def test_lightcurve_payload_is_a_numpy_histogram_of_the_flare_band(simulated, instrument):
    events = simulated.events[instrument]
    payload = lightcurve_payload(events, timebin=100)
    cols, header = _table(simulated.event_files[instrument])
    pi = cols["PI"]
    band = (pi >= 10000) & (pi <= 12000) if instrument == "EPN" else pi > 10000
    keep = band & (cols["PATTERN"] == 0) & ((cols["FLAG"] & MASKS[instrument]) == 0)
    tstart, tstop = header["TSTART"], header["TSTOP"]
    nbins = int(np.ceil((tstop - tstart) / 100))
    counts, _ = np.histogram(cols["TIME"][keep], bins=tstart + 100.0 * np.arange(nbins + 1))
    np.testing.assert_allclose(payload["rate"], counts / 100.0, rtol=0, atol=0)
    np.testing.assert_allclose(payload["time"], tstart + 100.0 * np.arange(nbins), rtol=0, atol=1e-6)
    assert payload["threshold"] == (0.4 if instrument == "EPN" else 0.35)
    assert payload["band"] == ("10-12 keV singles" if instrument == "EPN" else ">10 keV singles")
    assert (payload["tstart"], payload["tstop"]) == (tstart, tstop)
    # the simulated flares stand out above the threshold
    assert max(payload["rate"]) > payload["threshold"]


def test_an_empty_band_is_a_clear_error(simulated):
    with pytest.raises(ProductError, match="no events with PI in"):
        image_payload(simulated.events["EMOS1"], band=(30000, 40000))
