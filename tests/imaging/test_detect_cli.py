"""``xmmframe edetect_chain``: SAS parameters, the three lists and the regions, one-line errors, clobber."""

from __future__ import annotations

import pytest
from astropy.table import Table
from regions import Regions

from xmmframe.cli.main import main

OBS = "0201903501"


@pytest.fixture(scope="module")
def files(refdata):
    base = refdata / "xga" / OBS / "images"
    return {cam: (str(base / f"{OBS}_{cam}_exp1-0.50-2.00keVimg.fits"),
                  str(base / f"{OBS}_{cam}_exp1-0.50-2.00keVexpmap.fits")) for cam in ("mos1", "mos2")}


def _args(files, out, *extra):
    return ["edetect_chain", f"imagesets={files['mos1'][0]} {files['mos2'][0]}",
            f"expimagesets={files['mos1'][1]} {files['mos2'][1]}", "witheexpmap=no",
            f"eboxl_list={out / 'l.fits'}", f"eboxm_list={out / 'm.fits'}", f"eml_list={out / 'ml.fits'}",
            f"regionset={out / 'src.reg'}", *extra]


def test_edetect_chain_writes_lists_regions_and_refuses_to_clobber(files, tmp_path, capsys, fitsverify):
    assert main(_args(files, tmp_path)) == 0
    out = capsys.readouterr().out
    assert "sources with DET_ML >= 10" in out and "!((X,Y) in circle(" in out
    for name in ("l.fits", "m.fits", "ml.fits"):
        assert fitsverify(tmp_path / name)[0] == 0, fitsverify(tmp_path / name)[2]
    sources = Table.read(tmp_path / "ml.fits", hdu="SRCLIST")
    assert len(sources) > 20 and min(sources["DET_ML"]) >= 10
    for column in ("M1_1_RATE", "M2_1_RATE", "M1_RATE", "M2_DET_ML", "EP_1_RATE"):
        assert column in sources.colnames
    assert len(Regions.read(str(tmp_path / "src.reg"), format="ds9")) == len(sources)
    before = (tmp_path / "ml.fits").read_bytes()
    assert main(_args(files, tmp_path)) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "exists" in err and "clobber" in err
    assert (tmp_path / "ml.fits").read_bytes() == before


@pytest.mark.parametrize(("change", "message"), [
    ("pimin='500 500 500'", "one pimin and pimax per image"),
    ("witheexpmap=yes", "one event list per image"),
    ("esp_withootset=yes", "esp_withootset"),
    ("likemn=5", "unknown parameter"),
])
def test_edetect_chain_bad_input_is_one_line(files, tmp_path, capsys, change, message):
    assert main([*_args(files, tmp_path), change]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err
