"""The SAS-compatible commands ``xmmframe evselect`` and ``xmmframe tabgtigen``, run as in EXOD's scripts."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from astropy.io import fits

from xmmframe.cli.main import main

EXOD = "exod/0001730201"


@pytest.fixture(scope="module")
def exod_cli(refdata, tmp_path_factory):
    """EXOD's filtering.sh and lightcurve.sh for MOS1, through the command line (in one directory)."""
    out = tmp_path_factory.mktemp("cli")
    sas = refdata / EXOD
    events = sas / "P0001730201M1S002MIEVLI.FTZ"
    commands = [
        ["evselect", f"table={events}", "withrateset=Y", f"rateset={out}/M1_rate.fits", "maketimecolumn=Y",
         "timebinsize=100", "makeratecolumn=Y", "expression='#XMMEA_EM && (PI>10000) && (PATTERN==0)'"],
        ["tabgtigen", f"table={out}/M1_rate.fits", "expression=RATE<=0.4", f"gtiset={out}/M1_gti.fits"],
        ["evselect", f"table={events}", "withfilteredset=Y", f"filteredset={out}/M1_clean.fits", "destruct=Y",
         "keepfilteroutput=T",
         f"expression=#XMMEA_EM && gti({out}/M1_gti.fits,TIME) && (PATTERN<=12) && (PI in [500:10000])"],
        ["evselect", f"table={out}/M1_clean.fits:EVENTS", f"imageset={out}/M1_image.fits", "xcolumn=X",
         "ycolumn=Y", "imagebinning=binSize", "ximagebinsize=80", "yimagebinsize=80"],
        ["evselect", f"table={out}/M1_clean.fits", "energycolumn=PI",
         "expression= (X,Y) in CIRCLE(24635.6,24158.8,200)", "withrateset=yes", f"rateset={out}/src.lc",
         "timebinsize=2.604", "maketimecolumn=yes", "makeratecolumn=yes", "withspectrumset=yes",
         f"spectrumset={out}/src.pha", "spectralbinsize=5", "specchannelmin=0", "specchannelmax=11999"],
    ]
    for command in commands:
        assert main(command) == 0, command
    return out


def test_cli_chain_reproduces_sas(refdata, exod_cli):
    sas = refdata / EXOD
    with fits.open(exod_cli / "M1_rate.fits") as a, fits.open(sas / "M1_rate.fits") as b:
        for column in ("TIME", "RATE", "ERROR"):
            np.testing.assert_array_equal(a[1].data[column], b[1].data[column])
        assert a[1].header["CHANTYPE"] == "PHA"  # evselect's default energycolumn
        assert "tabgtigen" not in a[0].header["XPROC0"] and a[0].header["XPROC0"].startswith("evselect table=")
    with fits.open(exod_cli / "M1_gti.fits") as a, fits.open(sas / "M1_gti.fits") as b:
        np.testing.assert_array_equal(a[1].data["START"], b[1].data["START"])
        np.testing.assert_array_equal(a[1].data["STOP"], b[1].data["STOP"])
        assert a[1].header["MINGTISZ"] == 0 and a[1].header["SUMSHORT"] == 0
    with fits.open(exod_cli / "M1_clean.fits") as a, fits.open(sas / "M1_clean.fits") as b:
        np.testing.assert_array_equal(a[1].data["TIME"], b[1].data["TIME"])
        assert a[1].header["NAXIS2"] == 36824
        for key in ("ONTIME", "LIVETIME"):
            assert np.isclose(a[1].header[key], b[1].header[key], rtol=1e-14, atol=0)
    with fits.open(exod_cli / "M1_image.fits") as a, fits.open(sas / "M1_image.fits") as b:
        np.testing.assert_array_equal(a[0].data, b[0].data)
    with fits.open(exod_cli / "src.lc") as a, fits.open(sas / "lcurve_100_M1_1/J173442-323451_lc_2.604_src.lc") as b:
        np.testing.assert_array_equal(a[1].data["RATE"], b[1].data["RATE"])
        assert a[1].header["CHANMIN"] == 500 and a[1].header["CHANMAX"] == 10000
        assert a[1].header["DSTYP7"] == "POS(X,Y)" and a[1].header["DSREF7"] == ":REG00101"
        assert a["REG00101"].data["SHAPE"][0] == "CIRCLE"
    with fits.open(exod_cli / "src.pha") as a:
        assert a[1].header["DETCHANS"] == 2400 and a[1].data["COUNTS"].sum() == 2456
        assert np.isclose(a[1].header["EXPOSURE"], 11807.1423120499, rtol=1e-14)


def test_existing_outputs_are_replaced_only_with_clobber(exod_cli, capsys, monkeypatch):
    command = ["evselect", f"table={exod_cli}/M1_clean.fits", f"imageset={exod_cli}/M1_image.fits",
               "xcolumn=X", "ycolumn=Y", "imagebinning=binSize", "ximagebinsize=160", "yimagebinsize=160"]
    monkeypatch.delenv("SAS_CLOBBER", raising=False)
    assert main(command) == 1
    assert "file exists" in capsys.readouterr().err
    assert main(["evselect", "--clobber", *command[1:]]) == 0
    assert fits.getdata(exod_cli / "M1_image.fits").shape == (324, 324)
    assert main([*command, "clobber=yes", "ximagebinsize=80", "yimagebinsize=80"]) == 0


@pytest.mark.parametrize(("words", "message"), [
    (["table=x.fits", "withspectrumset=maybe"], "withspectrumset must be yes or no"),
    (["table=x.fits", "spectralbinsiz=5"], "did you mean spectralbinsize"),
    (["table=x.fits", "timebinsize=fast"], "timebinsize must be a number"),
    (["table=x.fits", "noequals"], "expected name=value"),
    (["expression=PI>0"], "table is required"),
])
def test_bad_parameters_give_one_line_errors(words, message, capsys):
    assert main(["evselect", *words]) == 1
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_bad_product_parameters(refdata, tmp_path, capsys):
    table = f"table={refdata / EXOD / 'M1_clean.fits'}"
    cases = [
        ([table, f"spectrumset={tmp_path}/s.pha", "spectralbinsize=0"], "spectral bin size must be a positive"),
        ([table, f"spectrumset={tmp_path}/s.pha", "energycolumn=PI", "specchannelmin=0", "specchannelmax=20000"],
         "outside the legal range"),
        ([table, f"rateset={tmp_path}/r.lc", "timebinsize=0"], "time bin size must be positive"),
        ([table, f"imageset={tmp_path}/i.fits", "xcolumn=X", "ycolumn=Y", "imagebinning=binSize"], "too large"),
        ([table, "withhistogramset=yes"], "histogram sets are not supported"),
        ([table, f"spectrumset={tmp_path}/s.pha", "expression=NOSUCH>1"], "NOSUCH"),
    ]
    for words, message in cases:
        assert main(["evselect", *words]) == 1, words
        assert message in capsys.readouterr().err, message


def test_installed_command_runs_tabgtigen(refdata, tmp_path):
    out = tmp_path / "gti.fits"
    done = subprocess.run([sys.executable, "-m", "xmmframe.cli.main", "tabgtigen",
                           f"table={refdata / EXOD / 'M1_rate.fits'}:RATE", "expression=RATE<=0.4",
                           f"gtiset={out}"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "10 intervals" in done.stdout
    with fits.open(out) as ours, fits.open(refdata / EXOD / "M1_gti.fits") as sas:
        np.testing.assert_array_equal(ours[1].data["START"], sas[1].data["START"])


def test_explicit_switch_wins_over_an_implied_one(refdata, tmp_path):
    """SAS: a product's file name implies its with...set=yes, unless with...set=no is given."""
    events = refdata / EXOD / "P0001730201M1S002MIEVLI.FTZ"
    assert main(["evselect", f"table={events}", f"spectrumset={tmp_path}/implied.pha", "expression=PI>10000"]) == 0
    assert (tmp_path / "implied.pha").is_file()
    assert main(["evselect", f"table={events}", "withspectrumset=no", f"spectrumset={tmp_path}/off.pha",
                 "withrateset=yes", f"rateset={tmp_path}/on.lc", "timebinsize=100", "expression=PI>10000"]) == 0
    assert (tmp_path / "on.lc").is_file() and not (tmp_path / "off.pha").exists()
