"""``xmmframe backscale``, ``specgroup``, ``epiclccorr`` and ``quicklook`` run as SAS threads write them."""

from __future__ import annotations

import hashlib
import shutil

import numpy as np
import pytest
from astropy.io import fits

from xmmframe._version import __version__
from xmmframe.cli.main import main

pytestmark = pytest.mark.filterwarnings("ignore::xmmframe.errors.CalibrationWarning")

EXOD = "exod/0001730201"
LC = f"{EXOD}/lcurve_100_M1_1/J173442-323451"


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_specgroup_as_in_the_jaxspec_header(refdata, tmp_path, fitsverify, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = refdata / "jaxspec"
    source = tmp_path / "PNsource_spectrum.fits"
    with fits.open(folder / "PN_spectrum_grp20.fits") as hdus:  # the ungrouped spectrum specgroup was given
        hdus["SPECTRUM"].columns.del_col("GROUPING")
        hdus["SPECTRUM"].columns.del_col("QUALITY")
        hdus.writeto(source)
    before = digest(source)
    command = ["specgroup", f"spectrumset={source}", "groupedset=PN_spectrum_grp20.fits", "overwrite=no",
               f"backgndset={folder / 'PNbackground_spectrum.fits'}", "withbgdset=yes", "mincounts=20",
               "withCounts=yes", "minSN=5", "withminSN=no", "oversample=3", "withoversampling=yes",
               f"rmfset={folder / 'PN.rmf'}", "withrmfset=yes", "arfset=PN.arf", "witharfset=yes",
               "addfilenames=yes", "hightolow=no", "lastbin=addtogroup", "setbad=CCF", "units=CHAN"]
    assert main(command) == 0
    assert digest(source) == before
    out = tmp_path / "PN_spectrum_grp20.fits"
    assert fitsverify(out)[:2] == (0, 0), fitsverify(out)[2]
    with fits.open(out) as ours, fits.open(folder / "PN_spectrum_grp20.fits") as sas:
        a, b = ours["SPECTRUM"], sas["SPECTRUM"]
        np.testing.assert_array_equal(a.data["QUALITY"], b.data["QUALITY"])
        assert np.mean(a.data["GROUPING"] == b.data["GROUPING"]) > 0.95
        for key in ("BACKFILE", "RESPFILE", "ANCRFILE", "BACKSCAL", "EXPOSURE"):
            assert a.header[key] == b.header[key], key
        assert [h.name for h in ours] == [h.name for h in sas]
        assert [v for k, v in ours[0].header.items() if k.startswith("XPROC")][-1].startswith("specgroup")
    assert main(command) == 1  # the output exists: needs clobber
    assert main([*command, "clobber=yes"]) == 0
    assert main(["specgroup", f"spectrumset={source}", "mincounts=20", "minSN=3",
                 f"backgndset={folder / 'PNbackground_spectrum.fits'}", "groupedset=x.pha"]) == 1


def test_backscale_then_specgroup_in_place(refdata, tmp_path, fitsverify):
    spectrum = tmp_path / "mos1.pha"
    shutil.copy(refdata / "jaxspec/MOS1_spectrum_grp.fits", spectrum)
    assert main(["backscale", f"spectrumset={spectrum}", "withbadpixcorr=no"]) == 0
    assert main(["specgroup", f"spectrumset={spectrum}", "overwrite=yes", "mincounts=25", "lastbin=setbad",
                 "setbad=no"]) == 0
    assert fitsverify(spectrum)[:2] == (0, 0), fitsverify(spectrum)[2]
    with fits.open(spectrum) as hdus:
        header, data = hdus["SPECTRUM"].header, hdus["SPECTRUM"].data
        assert header["BACKSCAL"] == 2010800
        assert data["QUALITY"].max() == 2 and data["GROUPING"][0] == 1
    assert main(["backscale", f"spectrumset={spectrum}"]) == 1  # no event list for the CCD outlines


def test_epiclccorr_as_in_the_exod_header(refdata, tmp_path, fitsverify):
    out = tmp_path / "J173442-323451_lccorr_2.604.lc"
    events = refdata / EXOD / "M1_clean.fits"
    before = digest(events)
    assert main(["epiclccorr", f"srctslist={refdata / LC}_lc_2.604_src.lc", f"eventlist={events}",
                 f"outset={out}", f"bkgtslist={refdata / LC}_lc_2.604_bgd.lc", "withbkgset=yes", "detxbins=5",
                 "detybins=5", "withdetbins=no", "sourcecoords=eqpos", "sourcex=0", "sourcey=0", "withsourcepos=no",
                 "applyabsolutecorrections=yes", "allcamera=no"]) == 0
    assert digest(events) == before
    assert fitsverify(out)[:2] == (0, 0), fitsverify(out)[2]
    with fits.open(out) as ours, fits.open(refdata / f"{LC}_lccorr_2.604.lc") as sas:
        a, b = ours["RATE"], sas["RATE"]
        np.testing.assert_allclose(a.data["FRACEXP"], b.data["FRACEXP"], rtol=0, atol=5e-8)
        assert a.header["ABSCORR"] == pytest.approx(1.773, rel=0.03)
        assert a.header["BKGRATIO"] == pytest.approx(b.header["BKGRATIO"], rel=0.005)
        good = np.isfinite(b.data["RATE"]) & (b.data["RATE"] != 0)
        ratio = a.data["RATE"][good] / b.data["RATE"][good]
        assert np.median(ratio) == pytest.approx(1.0, abs=0.03)
        assert ours[0].header["XPROC0"].startswith("epiclccorr srctslist=")
        assert ours[0].header["CREATOR"] == f"xmmframe epiclccorr (xmmframe-{__version__})"
    assert main(["epiclccorr", f"srctslist={refdata / LC}_lc_2.604_src.lc", f"eventlist={events}",
                 f"outset={out}", "withsourcepos=yes", "clobber=yes"]) == 1


@pytest.mark.parametrize("name, kind", [(f"{EXOD}/M1_image.fits", "image"), (f"{LC}_lc_100_src.lc", "lightcurve"),
                                        ("jaxspec/MOS2_spectrum_grp.fits", "spectrum")])
def test_quicklook(refdata, tmp_path, monkeypatch, capsys, name, kind):
    monkeypatch.chdir(tmp_path)
    assert main(["quicklook", str(refdata / name), "-o", "out.png"]) == 0
    assert capsys.readouterr().out.startswith(f"quicklook: {kind} ")
    assert (tmp_path / "out.png").read_bytes()[:4] == b"\x89PNG"
    assert main(["quicklook", str(refdata / name), "-o", "out.png"]) == 1
    assert main(["quicklook", str(refdata / name)]) == 0
    assert (tmp_path / (refdata / name).with_suffix(".png").name).exists()


def test_quicklook_refuses_an_event_list(refdata, tmp_path, capsys):
    assert main(["quicklook", str(refdata / EXOD / "M1_clean.fits"), "-o", str(tmp_path / "x.png")]) == 1
    assert "not a spectrum, light curve or image" in capsys.readouterr().err
