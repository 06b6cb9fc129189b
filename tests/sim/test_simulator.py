"""The simulator writes a complete ODF in the real layout, deterministically, with a truth table."""

from __future__ import annotations

import os
from dataclasses import replace

import numpy as np
import polars as pl
import pytest
from astropy.io import fits

from xmmframe._version import __version__
from xmmframe.errors import XmmframeError
from xmmframe.io.odf_summary import read_summary
from xmmframe.model.odf_set import OdfFileName
from xmmframe.sim import default_config, parse_sources, simulate
from xmmframe.sim.charge import cloud_fractions
from xmmframe.sim.constituents import PROVENANCE
from xmmframe.sim.photons import COMPONENTS


def test_odf_layout(simulated):
    names = sorted(os.listdir(simulated.odf))
    parsed = [OdfFileName.parse(n) for n in names if n != "truth.parquet"]
    assert all(parsed)
    kinds = {(p.instrument, p.kind) for p in parsed}
    assert {
        ("PN", "AUX"),
        ("PN", "IME"),
        ("M1", "AUX"),
        ("M1", "IME"),
        ("M2", "IME"),
        ("SC", "ATS"),
        ("SC", "SUM"),
        ("PN", "PMH"),
        ("M1", "PEH"),
    } <= kinds
    assert sorted(p.ccd for p in parsed if p.instrument == "PN" and p.kind == "IME") == list(range(1, 13))
    assert sorted((p.ccd, p.node) for p in parsed if p.instrument == "M2" and p.kind == "IME") == [
        (c, 0) for c in range(1, 8)
    ]
    summary = read_summary(simulated.result.summary)
    assert summary.format == "ASC"
    assert sorted(summary.file_names) == sorted(n for n in names if n != "truth.parquet")
    assert all(len(line) == 80 for line in open(simulated.result.summary).read().splitlines())
    assert summary.proposal.target_ra_deg == pytest.approx(simulated.config.ra)


def test_raw_file_columns_follow_the_data_files_handbook(simulated):
    odf = simulated.odf
    with fits.open(os.path.join(odf, "1234_0999990101_M1S00110IME.FIT")) as hdul:
        columns = [(c.name, c.format) for c in hdul[1].columns]
        assert columns == [
            ("FRAME", "J"),
            ("RAWX", "I"),
            ("RAWY", "I"),
            ("ENERGYE1", "I"),
            ("ENERGYE2", "I"),
            ("ENERGYE3", "I"),
            ("ENERGYE4", "I"),
            ("PATTERN", "B"),
            ("PERIPIX", "B"),
        ]
        header = hdul[1].header
        assert (header["CCDID"], header["CCDNODE"], header["FRMTIME"], header["DATATYPE"]) == (
            1,
            0,
            2600.0,
            "IMAGE.EL",
        )
        assert hdul[0].header["INSTRUME"] == "EMOS1" and hdul[0].header["EXPIDSTR"] == "S001"
    with fits.open(os.path.join(odf, "1234_0999990101_M1S00100AUX.FIT")) as hdul:
        assert [c.name for c in hdul[1].columns] == [
            "FRAME",
            "CCDID",
            "CCDNODE",
            "FTCOARSE",
            "FTFINE",
            "NPIXEL",
            "NVALID",
            "NBELOW",
            "NABOVE",
            "GATTIFLG",
            "FIFOOVF",
        ]
    with fits.open(os.path.join(odf, "1234_0999990101_PNS00304IME.FIT")) as hdul:
        assert [(c.name, c.format) for c in hdul[1].columns] == [
            ("FRAME", "J"),
            ("RAWX", "I"),
            ("RAWY", "I"),
            ("ENERGY", "I"),
        ]
        assert hdul[1].data["RAWY"].min() >= 13  # rows next to the readout node are not transmitted
    with fits.open(os.path.join(odf, "1234_0999990101_PNS00300AUX.FIT")) as hdul:
        assert [c.name for c in hdul[1].columns] == [
            "FRAME",
            "CYCLE",
            "FTCOARSE",
            "FTFINE",
            "QUADRANT",
            "CCDID",
        ]
        assert hdul[1].columns["FTFINE"].bzero == 32768  # unsigned 16-bit ticks of 20.48 us
        assert [c.name for c in hdul[2].columns] == [
            "CYCLE",
            "QUADRANT",
            "NABOVE",
            "NDEFA",
            "NEPDH",
            "NDISCLIN",
            "MCOMMODE",
        ]
    with fits.open(os.path.join(odf, "1234_0999990101_SCX00000ATS.FIT")) as hdul:
        names = [c.name for c in hdul[1].columns]
        assert names[:7] == ["VALTIME", "VALDUR", "OTFTHRES", "VIEWRA", "VIEWDECL", "ASTPOS", "ROLLANG"]
        assert hdul[1].data["VIEWRA"][0].count(":") == 2 and len(hdul[1].data["VALTIME"][0]) == 19


def test_truth_table(simulated):
    truth, info = simulated.truth, simulated.info
    assert truth.height == simulated.result.truth_rows
    assert {
        "INSTRUME",
        "COMPONENT",
        "SOURCE",
        "TIME",
        "FRAME",
        "ENERGY",
        "COLLECTED",
        "RA",
        "DEC",
        "DETX",
        "DETY",
        "CCDNR",
        "RAWX",
        "RAWY",
        "KEPT",
        "PATTERN",
        "NPIX",
        "DETECTED",
    } == set(truth.columns)
    assert info["seed"] == 5 and set(info["cameras"]) == {"EPN", "EMOS1", "EMOS2"}
    present = set(truth["COMPONENT"].unique().to_list())
    assert set(COMPONENTS.values()) <= present
    # a detected photon has a frame and a pattern; undetected ones have none
    detected = truth.filter(pl.col("DETECTED"))
    assert (detected["FRAME"] >= 0).all() and (detected["PATTERN"] != 255).all()
    # the line source is at its energy
    line = truth.filter((pl.col("COMPONENT") == COMPONENTS["uniform_line"]))
    assert (line["ENERGY"] == 6400.0).all()
    # flares add events only inside their intervals
    flare = truth.filter((pl.col("COMPONENT") == COMPONENTS["flare"]) & (pl.col("INSTRUME") == "EPN"))
    intervals = info["cameras"]["EPN"]["flares"]
    inside = np.zeros(flare.height, dtype=bool)
    for start, stop in intervals:
        inside |= flare["TIME"].is_between(start, stop).to_numpy()
    assert inside.all() and flare.height > 1000


def test_deterministic_for_a_seed(tmp_path):
    config = replace(default_config(exposure=300.0, seed=9), instruments=("M1",))
    first = simulate(tmp_path / "a", config)
    second = simulate(tmp_path / "b", config)
    third = simulate(tmp_path / "c", replace(config, seed=10))
    for name in first.files:
        if name.endswith("IME.FIT"):
            a = fits.getdata(tmp_path / "a" / name)
            b = fits.getdata(tmp_path / "b" / name)
            assert np.array_equal(np.asarray(a), np.asarray(b))
    truth_a = pl.read_parquet(first.truth)
    assert truth_a.equals(pl.read_parquet(second.truth))
    assert not truth_a.equals(pl.read_parquet(third.truth))


def test_charge_cloud_fractions():
    fractions = cloud_fractions(
        np.array([0.5, 0.0, 0.99]), np.array([0.5, 0.5, 0.99]), np.array([0.05, 0.05, 0.05])
    )
    assert np.allclose(fractions.sum(axis=(1, 2)), 1.0)
    assert fractions[0, 1, 1] == pytest.approx(1.0)
    assert fractions[1, 1, 0] == pytest.approx(0.5)  # on the left edge: half to the left neighbour
    assert fractions[2, 2, 2] > 0.0  # near the upper-right corner: charge in the diagonal pixel


def test_source_specifications():
    config = default_config(exposure=1000.0)
    sources = parse_sources(
        "point:dra=1,ddec=-1,flux=2e-12,gamma=1.5,line=6.4,eqw=0.2,name=agn;"
        "extended:ra=150.1,dec=2.3,flux=1e-12,kt=3,rc=30",
        config,
    )
    assert [s.name for s in sources] == ["agn", "extended2"]
    assert sources[0].lines[0].energy == 6.4 and sources[1].core_radius == 30.0
    assert sources[0].ra > config.ra and sources[0].dec < config.dec
    with pytest.raises(XmmframeError, match="kind must be"):
        parse_sources("star:ra=1,dec=2", config)
    with pytest.raises(XmmframeError, match="unknown keys"):
        parse_sources("point:ra=1,dec=2,colour=red", config)


def test_cli_simulate(tmp_path, capsys):
    from xmmframe.cli.main import main

    assert (
        main(
            [
                "simulate",
                "--out",
                str(tmp_path / "odf"),
                "--exposure",
                "200s",
                "--seed",
                "3",
                "--instruments",
                "M2",
                "--no-flares",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "EMOS2" in out and "truth table" in out
    assert read_summary(next((tmp_path / "odf").glob("*SUM.ASC"))).instruments["M2"].exposures
    assert main(["simulate", "--out", str(tmp_path / "x"), "--exposure", "soon"]) == 1


def test_ccf_path_alone_selects_the_calibration_by_the_observation_date(tmp_path, monkeypatch):
    """With only SAS_CCFPATH set, the simulator picks CCFs valid at its observation start and
    gives the same raw events as with the built-in set (the same files)."""
    import xmmframe.ccf

    config = replace(default_config(exposure=300.0, seed=9), instruments=("M1",))
    builtin = simulate(tmp_path / "builtin", config)
    monkeypatch.setenv("SAS_CCFPATH", os.path.join(os.path.dirname(xmmframe.ccf.__file__), "builtin"))
    monkeypatch.delenv("SAS_CCF", raising=False)
    via_path = simulate(tmp_path / "path", config)
    names = [n for n in builtin.files if n.endswith("IME.FIT")]
    assert names
    for name in names:
        a = fits.getdata(tmp_path / "builtin" / name)
        b = fits.getdata(tmp_path / "path" / name)
        assert np.array_equal(np.asarray(a), np.asarray(b))
    assert via_path.files == builtin.files


def test_every_constituent_says_how_and_when_it_was_made(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    config = replace(default_config(exposure=300.0, seed=9), instruments=("M1",))
    result = simulate(tmp_path, config)
    names = [name for name in result.files if name.endswith(".FIT")]
    assert any(name.endswith("ATS.FIT") for name in names) and any(name.endswith("IME.FIT") for name in names)
    for name in names:
        header = fits.getheader(tmp_path / name)
        assert header["CREATOR"] == PROVENANCE.creator == f"xmmframe simulate (xmmframe-{__version__})", name
        assert header["DATE"] == "2023-11-14T22:13:20", name
