"""One small simulated observation shared by the ODF, processing and simulator tests.

5 ks per camera, seed 5: the default sources (bright point source with a 6.4 keV line, a fainter
one, a cluster), two strong soft-proton flares, the particle background and a flat-field
6.4 keV line over the whole camera (to check the CTI correction at every RAWY).  It is built
once per test session (simulation and processing take a few seconds) and cached by directory.
"""

from __future__ import annotations

import functools
import os
import warnings
from dataclasses import dataclass, replace

import polars as pl

from xmmframe.io.odf_directory import open_odf
from xmmframe.io.truth import read_truth
from xmmframe.model.events import EventList
from xmmframe.model.observation import Observation
from xmmframe.proc.chain import emproc, epproc
from xmmframe.sim import Flare, SimulationConfig, SimulationResult, default_config, simulate

EXPOSURE = 5000.0
SEED = 5


def config() -> SimulationConfig:
    """The test observation's configuration."""
    base = default_config(exposure=EXPOSURE, seed=SEED)
    return replace(
        base,
        flares=(Flare(400.0, 900.0, rate=60.0), Flare(1300.0, 1600.0, rate=80.0)),
        background=replace(base.background, uniform_line=(6.4, 10.0)),
    )


@dataclass(frozen=True)
class Simulated:
    """The simulated ODF, its truth and the calibrated event lists (written as FITS)."""

    odf: str
    result: SimulationResult
    truth: pl.DataFrame
    info: dict
    observation: Observation
    events: dict[str, EventList]
    event_files: dict[str, str]
    config: SimulationConfig


@functools.lru_cache(maxsize=None)
def build(base: str) -> Simulated:
    """Simulate into ``base/odf`` and process into ``base/events`` (cached per ``base``)."""
    odf = os.path.join(base, "odf")
    result = simulate(odf, config())
    truth, info = read_truth(result.truth)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        obs = open_odf(odf)
    outdir = os.path.join(base, "events")
    lists = epproc(obs, outdir=outdir) + emproc(obs, outdir=outdir)
    events = {ev.meta.instrument: ev for ev in lists}
    files = {name: str(ev.meta.source) for name, ev in events.items()}
    return Simulated(odf, result, truth, info, obs, events, files, config())
