"""Spectra: counts against independent peers (numpy, funtools funhist), EXPOSURE rule, OGIP layout, Type II."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest
from astropy.io import fits

import xmmframe
from tests.products.conftest import CAMERAS, EXOD
from xmmframe.errors import ProductError
from xmmframe.model.products import Spectra, Spectrum

SOURCE = CAMERAS["M1"][2]


def test_counts_equal_numpy_peer(refdata, m1_clean):
    spec = m1_clean.spectrum()
    pi = fits.getdata(refdata / EXOD / "M1_clean.fits", "EVENTS")["PI"].astype(int)
    expected, _ = np.histogram(pi, bins=np.arange(-0.5, 12000, 5))
    assert spec.channel.size == 2400 and spec.channel[0] == 0 and spec.channel[-1] == 2399
    np.testing.assert_array_equal(spec.counts, expected)
    assert spec.total == 36824


def test_counts_equal_funhist(refdata, m1_clean):
    if shutil.which("funhist") is None:
        pytest.skip("funtools funhist not installed")
    out = subprocess.run(["funhist", f"{refdata / EXOD / 'M1_clean.fits'}[EVENTS]", "PI", "0:11999:2400"],
                         capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in out.splitlines() if line.strip() and line.split()[0].isdigit()]
    counts = np.array([int(r[1]) for r in rows])
    edges = np.array([float(r[2]) for r in rows])
    np.testing.assert_array_equal(edges, -0.5 + 5 * np.arange(2400))
    np.testing.assert_array_equal(m1_clean.spectrum().counts, counts)


def test_exposure_is_event_weighted_livetime(refdata, m1_clean):
    spec = m1_clean.spectrum(selection=SOURCE)  # every source event is on CCD 1
    assert spec.total == 2456
    assert spec.exposure == pytest.approx(11807.1423120499, rel=1e-14)
    header = m1_clean.meta.header
    ccd = fits.getdata(refdata / EXOD / "M1_clean.fits", "EVENTS")["CCDNR"]
    weights = np.bincount(ccd, minlength=8)
    expected = sum(weights[c] * header[f"LIVETI{c:02d}"] for c in range(1, 8)) / weights.sum()
    assert m1_clean.spectrum().exposure == pytest.approx(expected, rel=1e-14)


def test_ogip_layout_like_evselect(refdata, m1_clean, tmp_path, fitsverify):
    path = tmp_path / "src.pha"
    m1_clean.spectrum(selection=SOURCE).write(path)
    assert fitsverify(path)[:2] == (0, 0), fitsverify(path)[2]
    with fits.open(path) as ours, fits.open(refdata / "xmm-epicpn-simulator/pntffg_spectrum.ds") as sas:
        a, b = ours["SPECTRUM"].header, sas["SPECTRUM"].header
        for key in ("HDUCLASS", "HDUCLAS1", "HDUCLAS2", "HDUCLAS3", "POISSERR", "CHANTYPE", "SPECDELT", "SPECPIX",
                    "SPECVAL", "BACKFILE", "ANCRFILE", "RESPFILE", "AREASCAL", "BACKSCAL", "CORRSCAL", "TLMIN1",
                    "QUALITY", "GROUPING", "SYS_ERR"):
            assert a[key] == b[key], key
        assert a["TLMAX1"] == 2399 and a["DETCHANS"] == 2400 and a["HDUVERS"] == "1.2.1"
        assert a["TTYPE1"] == "CHANNEL" and a["TTYPE2"] == "COUNTS" and a["TUNIT2"] == "count"
        assert a["DSTYP7"] == "POS(X,Y)" and ours[a["DSREF7"][1:]].data["R"][0][0] == 200
        assert [h.name for h in ours[2:]][:2] == ["GTI00004", "REG00101"]  # as evselect orders them
        assert ours[0].header["CREATOR"].startswith("xmmframe")


def test_round_trip(m1_clean, tmp_path):
    spec = m1_clean.spectrum(selection=SOURCE, channel_bin=15)
    spec.write(tmp_path / "s.pha")
    back = Spectrum.read(tmp_path / "s.pha")
    np.testing.assert_array_equal(back.counts, spec.counts)
    np.testing.assert_array_equal(back.channel, spec.channel)
    assert (back.exposure, back.channel_bin, back.channel_min, back.chantype) == (
        spec.exposure, 15, 0, "PI")
    assert [(t.name, t.ccd) for t in back.gtis] == [(t.name, t.ccd) for t in spec.gtis]
    assert all(a.gti == b.gti for a, b in zip(back.gtis, spec.gtis))
    assert back.keyword("SLCTEXPR") == spec.keyword("SLCTEXPR")
    back.write(tmp_path / "again.pha")
    assert Spectrum.read(tmp_path / "again.pha").cards == back.cards


def test_reads_sas_spectra(refdata):
    spec = Spectrum.read(refdata / "jaxspec/PN_spectrum_grp20.fits")
    assert (spec.total, spec.channel.size, spec.backscal, spec.channel_bin) == (11526, 4096, 2010100, 5)
    assert spec.exposure == pytest.approx(20265.98058616) and spec.respfile == "PN.rmf"
    assert spec.grouping is not None and spec.quality is not None and len(spec.gtis) == 12


def test_parameter_errors(m1_clean):
    with pytest.raises(ProductError, match="positive integer"):
        m1_clean.spectrum(channel_bin=0)
    with pytest.raises(ProductError, match="outside the legal range"):
        m1_clean.spectrum(channel_max=20479)
    with pytest.raises(ProductError, match="empty"):
        m1_clean.spectrum(channel_min=100, channel_max=50)
    with pytest.raises(ProductError, match="integer column"):
        m1_clean.spectrum(energy_column="TIME")
    assert m1_clean.spectrum(channel_max=20479, ignore_legal_limits=True).channel.size == 4096


def test_partial_last_channel_stops_at_channel_max(m1_clean):
    spec = m1_clean.spectrum(channel_bin=7, channel_min=500, channel_max=1000)
    pi = m1_clean.collect()["PI"].to_numpy()
    inside = pi[(pi >= 500) & (pi <= 1000)]
    assert spec.channel.size == 72 and spec.total == inside.size
    np.testing.assert_array_equal(spec.counts, np.bincount((inside - 500) // 7, minlength=72))


def test_type2_spectra(m1_clean, tmp_path, fitsverify):
    spectra = xmmframe.products.make_spectra(
        m1_clean, {"src": SOURCE, "bkg": CAMERAS["M1"][3], "first half": xmmframe.GTI([0], [100542000.0])})
    assert spectra.counts.shape == (3, 2400) and spectra.labels == ("src", "bkg", "first half")
    np.testing.assert_array_equal(spectra[0].counts, m1_clean.spectrum(selection=SOURCE).counts)
    assert spectra.exposure[2] < spectra.exposure[0]
    spectra.write(tmp_path / "many.pha")
    assert fitsverify(tmp_path / "many.pha")[:2] == (0, 0)
    back = Spectra.read(tmp_path / "many.pha")
    np.testing.assert_array_equal(back.counts, spectra.counts)
    np.testing.assert_array_equal(back.exposure, spectra.exposure)
    assert back.labels == spectra.labels
    with fits.open(tmp_path / "many.pha") as hdus:
        assert hdus[1].header["HDUCLAS4"] == "TYPE:II" and hdus[1].header["TFORM4"].strip() == "2400J"


def test_pn_default_grid(m1_clean):
    from xmmframe.products.spectrum import default_channel_max

    meta = m1_clean.meta.with_keywords(INSTRUME="EPN")
    assert default_channel_max(meta) == 20479


def test_loads_in_gammapy_with_the_same_counts(m1_clean, tmp_path):
    """gammapy's OGIP reader sees the same counts per channel.  gammapy looks for EBOUNDS in the
    spectrum file itself (SAS spectra have none), so it gets the SPECTRUM table next to our RMF's EBOUNDS."""
    from gammapy.maps import RegionNDMap

    spec = m1_clean.spectrum(selection=SOURCE, channel_bin=5)
    spec.write(tmp_path / "s.pha")
    spec.rmf().write(tmp_path / "s.rmf")
    with fits.open(tmp_path / "s.pha") as pha, fits.open(tmp_path / "s.rmf") as rmf:
        counts = RegionNDMap.from_hdulist(fits.HDUList([pha[0], pha["SPECTRUM"], rmf["EBOUNDS"]]), format="ogip")
        energies = rmf["EBOUNDS"].data
        np.testing.assert_allclose(counts.geom.axes["energy"].edges.to_value("keV")[:-1], energies["E_MIN"], rtol=1e-6)
    np.testing.assert_array_equal(counts.data.ravel(), spec.counts)
    assert counts.data.sum() == spec.counts.sum() > 1000
