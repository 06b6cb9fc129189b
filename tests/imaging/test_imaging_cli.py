"""``xmmframe eexpmap`` and ``xmmframe emosaic``: SAS parameters, one-line errors, clobber."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.io import fits

from xmmframe.cli.main import main

OBS = "0201903501"


@pytest.fixture(scope="module")
def files(refdata):
    base = refdata / "xga" / OBS
    return {"image": str(base / "images" / f"{OBS}_mos1_exp1-0.50-2.00keVimg.fits"),
            "events": str(base / "eclean" / "mos1_exp1_clean_evts.fits"),
            "attitude": str(base / "emchain" / f"P{OBS}OBX000ATTTSR0000.FIT"),
            "sas": str(base / "images" / f"{OBS}_mos1_exp1-0.50-2.00keVexpmap.fits"),
            "sas2": str(base / "images" / f"{OBS}_mos2_exp1-0.50-2.00keVexpmap.fits")}


def _eexpmap(files, out, *extra):
    return main(["eexpmap", f"imageset={files['image']}", f"attitudeset={files['attitude']}",
                 f"eventset={files['events']}", f"expimageset={out}", "pimin=500", "pimax=2000",
                 "usefastpixelization=yes", *extra])


def test_eexpmap_writes_the_sas_map_and_refuses_to_clobber(files, tmp_path, capsys, fitsverify):
    out = tmp_path / "exp.fits"
    assert _eexpmap(files, out) == 0
    assert "wrote" in capsys.readouterr().out
    ours = fits.getdata(out).astype(np.float64)
    sas = fits.getdata(files["sas"]).astype(np.float64)
    both = (ours > 0) & (sas > 0)
    assert abs(np.median(ours[both] / sas[both]) - 1) < 0.02
    header = fits.getheader(out)
    assert header["XPROC0"].startswith("eexpmap imageset=")
    assert header["CREATOR"].startswith("xmmframe eexpmap")
    assert fitsverify(out)[0] == 0
    before = out.read_bytes()
    assert _eexpmap(files, out) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "exists" in err and "clobber" in err
    assert out.read_bytes() == before
    assert _eexpmap(files, out, "clobber=yes") == 0


@pytest.mark.parametrize(("change", "message"), [
    ("eventset=/nonexistent/evts.fits", "evts.fits"),
    ("pimin=2000", "empty"),
    ("pimin='500 2000'", "one band"),
    ("usedlimap=yes", "usedlimap"),
    ("withdetcoords=yes", "DETX/DETY"),
    ("attitudeset=IMAGE", "attitude"),
])
def test_eexpmap_bad_input_is_one_line(files, tmp_path, capsys, change, message):
    change = change.replace("IMAGE", files["image"])
    args = ["eexpmap", f"imageset={files['image']}", f"attitudeset={files['attitude']}",
            f"eventset={files['events']}", f"expimageset={tmp_path / 'exp.fits'}", "pimin=500", "pimax=2000"]
    key = change.split("=")[0]
    args = [a for a in args if not a.startswith(key + "=")] + [change.replace("'", "")]
    assert main(args) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith("xmmframe: error:") and message in err
    assert not (tmp_path / "exp.fits").exists()


def test_emosaic_sums_exposure_maps(files, tmp_path, capsys, fitsverify):
    out = tmp_path / "merged.fits"
    assert main(["emosaic", f"imagesets={files['sas']} {files['sas2']}", f"mosaicedset={out}"]) == 0
    merged = fits.getdata(out).astype(np.float64)
    expected = fits.getdata(files["sas"]).astype(np.float64) + fits.getdata(files["sas2"]).astype(np.float64)
    np.testing.assert_allclose(merged, expected, rtol=1e-6)
    assert fitsverify(out)[0] == 0
    capsys.readouterr()
    assert main(["emosaic", f"imagesets={files['sas']}", f"mosaicedset={out}"]) == 1
    assert "exists" in capsys.readouterr().err
    assert main(["emosaic", f"imagesets={files['sas']} {files['image']}", f"mosaicedset={out}", "clobber=yes"]) == 1
    assert "mixes" in capsys.readouterr().err


def test_emosaic_rate_with_exposure(files, tmp_path):
    out = tmp_path / "rate.fits"
    assert main(["emosaic", f"imagesets={files['image']}", f"exposuresets={files['sas']}", "withexposure=yes",
                 f"mosaicedset={out}"]) == 0
    with fits.open(out) as hdul:
        rate, exposure = hdul[0].data.astype(np.float64), hdul["EXPOSURE"].data.astype(np.float64)
    counts = fits.getdata(files["image"]).astype(np.float64)
    use = exposure >= 0.1 * exposure.max()
    np.testing.assert_allclose(rate[use], counts[use] / exposure[use], rtol=1e-6)
    assert np.all(rate[~use] == 0)
