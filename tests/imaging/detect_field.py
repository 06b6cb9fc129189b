"""A small simulated MOS1 field with known point sources, shared by the detection tests.

10 ks of MOS1 (seed 11, no flares): 16 point sources on four rings (0.5' to 10' off axis, two
arcminutes or more apart) with 2-10 keV fluxes log-spaced from 2e-14 to 4e-13 erg/cm2/s, the
particle background and hot pixels.  The ODF is processed with emproc; the 0.5-2 keV image
(87 sky pixels = 4.35" per image pixel, as the XGA images) and its exposure map are made as a
SAS user makes them.  Built once per test session.

:func:`build_extended` makes the same field with a cluster added: a beta model (beta = 2/3) of
:data:`CORE_RADIUS` arcsec core radius, 5' off axis between the rings.
"""

from __future__ import annotations

import functools
import glob
import os
import warnings
from dataclasses import dataclass, replace

import numpy as np
import polars as pl

from xmmframe.imaging.detect_images import DetectionImage, detection_image
from xmmframe.imaging.expmap import exposure_map
from xmmframe.io.odf_directory import open_odf
from xmmframe.io.truth import read_truth
from xmmframe.model.products import Image
from xmmframe.proc.chain import emproc
from xmmframe.sim import ExtendedSource, PointSource, SimulationConfig, simulate
from xmmframe.sim.config import offset_position

EXPOSURE = 10000.0
SEED = 11
BAND = (500.0, 2000.0)
SELECTION = "PATTERN<=12 && PI in [500:2000] && FLAG==0"
#: Core radius (arcsec) of the cluster of :func:`build_extended`.
CORE_RADIUS = 25.0


def config() -> SimulationConfig:
    """The field: 16 sources on rings of 0.5', 3.5', 6.5' and 9.5' radius."""
    base = SimulationConfig(seed=SEED, exposure=EXPOSURE, instruments=("M1",), telemetry_gaps=0)
    fluxes = np.geomspace(2e-14, 4e-13, 16)
    order = np.random.default_rng(SEED).permutation(16)
    sources = []
    for k in range(16):
        ring, slot = divmod(k, 4)
        radius = 0.5 + 3.0 * ring
        angle = np.deg2rad(90.0 * slot + 30.0 * ring + 10.0)
        ra, dec = offset_position(base.ra, base.dec, radius * np.cos(angle), radius * np.sin(angle))
        sources.append(PointSource(f"p{k}", ra, dec, flux=float(fluxes[order[k]])))
    return replace(base, sources=tuple(sources))


def extended_config() -> SimulationConfig:
    """:func:`config` with a cluster (:data:`CORE_RADIUS`, 2e-12 erg/cm2/s) 5' off axis at 100 degrees."""
    base = config()
    angle = np.deg2rad(100.0)
    ra, dec = offset_position(base.ra, base.dec, 5.0 * np.cos(angle), 5.0 * np.sin(angle))
    cluster = ExtendedSource("cluster", ra, dec, flux=2e-12, kt=4.0, core_radius=CORE_RADIUS)
    return replace(base, sources=(*base.sources, cluster))


@dataclass(frozen=True)
class Field:
    """The simulated field: truth, the calibrated events, image, exposure map and detection input."""

    odf: str
    truth: pl.DataFrame
    info: dict
    events: str
    image: Image
    expmap: Image
    detection: DetectionImage


@functools.lru_cache(maxsize=None)
def build(base: str) -> Field:
    """Simulate, process and image the field into ``base`` (cached per ``base``)."""
    return _build(base, config())


@functools.lru_cache(maxsize=None)
def build_extended(base: str) -> Field:
    """:func:`build` for :func:`extended_config`."""
    return _build(base, extended_config())


def _build(base: str, field: SimulationConfig) -> Field:
    odf = os.path.join(base, "odf")
    result = simulate(odf, field)
    truth, info = read_truth(result.truth)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        obs = open_odf(odf)
        events = emproc(obs, outdir=os.path.join(base, "events"), instruments=("M1",))[0]
        image = events.image(bin=87, x_range=(3649, 48106), y_range=(3649, 48106), selection=SELECTION)
        expmap = exposure_map(events, image, pimin=BAND[0], pimax=BAND[1],
                              attitude=glob.glob(os.path.join(odf, "*ATS.FIT"))[0], subpixels=2)
    return Field(odf, truth, info, str(events.meta.source), image, expmap,
                 detection_image(image, expmap, band=BAND))
