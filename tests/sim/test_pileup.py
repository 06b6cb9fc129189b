"""Pile-up in the simulator and epatplot's diagnosis of it.

The simulator sums the charge of every photon of a frame per pixel before the patterns are
reconstructed (:func:`xmmframe.sim.detector.transmit`), so photons landing in one pattern in one
frame merge as on the detector.  One 2.5 ks pn observation (extended full frame, 199 ms frames)
holds a bright source (4e-11 erg/cm2/s, 27 counts/s) near the axis and a faint one (1e-12,
0.7 counts/s) 5' away:

* the bright source's 0.5-2 keV singles ratio lies more than 3 sigma below 1 and its doubles
  ratio above 1 (measured: 0.980 +/- 0.004 and 1.08 +/- 0.016 within 40");
* the recommended annulus (inner radius 5") shows no pile-up;
* the faint source shows none;
* the expected curves (the simulator's isolated-photon model) agree with the pattern the truth
  table records for each photon alone.
"""

from __future__ import annotations

import glob
import os
import warnings
from dataclasses import replace

import numpy as np
import polars as pl
import pytest

from xmmframe.cli.main import main
from xmmframe.io.events import open_events
from xmmframe.io.odf_directory import open_odf
from xmmframe.io.truth import read_truth
from xmmframe.proc.chain import epproc
from xmmframe.products.pileup import pattern_fractions, recommend_annulus
from xmmframe.sim import PointSource, SimulationConfig, simulate
from xmmframe.sim.config import offset_position
from xmmframe.sim.pattern_model import isolated_pattern_model


@pytest.fixture(scope="module")
def observation(tmp_path_factory):
    base = tmp_path_factory.mktemp("pileup")
    config = SimulationConfig(seed=4, exposure=2500.0, instruments=("PN",), telemetry_gaps=0)
    bright = offset_position(config.ra, config.dec, 0.2, 0.1)
    faint = offset_position(config.ra, config.dec, -3.0, 4.0)
    config = replace(config, sources=(PointSource("bright", *bright, flux=4e-11),
                                      PointSource("faint", *faint, flux=1e-12)))
    result = simulate(str(base / "odf"), config)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        events = epproc(open_odf(str(base / "odf")), outdir=str(base / "events"))[0]
    sky = events.meta.sky_wcs
    centres = {name: tuple(float(v) for v in sky.all_world2pix(ra, dec, 1)) for name, (ra, dec) in
               (("bright", bright), ("faint", faint))}
    return {"events": events, "centres": centres, "truth": read_truth(result.truth)[0], "base": base}


@pytest.fixture(scope="module")
def model():
    return isolated_pattern_model("EPN")


def test_bright_source_is_piled_up_and_the_annulus_removes_it(observation, model):
    events, centre = observation["events"], observation["centres"]["bright"]
    report = pattern_fractions(events, model, center=centre, radius=40.0)
    assert report.piled
    assert 1 - report.singles_ratio > 3 * report.singles_error
    assert report.doubles_ratio - 1 > 3 * report.doubles_error
    advice = recommend_annulus(events, model, centre, 40.0)
    assert advice.inner_radius is not None and advice.inner_radius > 0
    annulus = advice.reports[-1]
    assert not annulus.piled
    assert abs(annulus.singles_ratio - 1) < 3 * annulus.singles_error
    assert annulus.band_counts > 5000


def test_faint_source_shows_no_pile_up(observation, model):
    report = pattern_fractions(observation["events"], model, center=observation["centres"]["faint"], radius=40.0)
    assert report.band_counts > 500
    assert not report.piled
    assert abs(report.singles_ratio - 1) < 3 * report.singles_error
    assert abs(report.doubles_ratio - 1) < 3 * report.doubles_error
    advice = recommend_annulus(observation["events"], model, observation["centres"]["faint"], 40.0)
    assert advice.inner_radius == 0


def test_model_curves_follow_the_isolated_patterns_of_the_truth_table(observation, model):
    truth = observation["truth"].filter((pl.col("COMPONENT") == 0) & pl.col("DETECTED") & (pl.col("PATTERN") <= 12)
                                        & pl.col("COLLECTED").is_between(500, 2000))
    singles = float((truth["PATTERN"] == 0).mean())
    expected = float(model.at(truth["COLLECTED"].to_numpy() / 1000.0)[0].mean())
    sigma = np.sqrt(singles * (1 - singles) / truth.height)
    assert abs(singles - expected) < 3 * sigma + 0.003, (singles, expected, sigma)


def test_epatplot_task(observation, tmp_path, capsys):
    events_file = str(observation["events"].meta.source)
    x, y = observation["centres"]["bright"]
    plot = tmp_path / "epat.png"
    args = ["epatplot", f"set={events_file}", f"plotfile={plot}", f"srcx={x}", f"srcy={y}", "srcradius=40"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "SNGL_OTM" in out and "pile-up: yes" in out and "exclude the inner" in out
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(args) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "exists" in err
    assert main(["epatplot", f"set={events_file}", "pileupnumberenergyrange=2000", "useplotfile=no"]) == 1
    assert "two numbers" in capsys.readouterr().err
    assert os.path.exists(events_file) and glob.glob(str(observation["base"] / "events" / "*"))
