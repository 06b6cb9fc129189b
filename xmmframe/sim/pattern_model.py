"""Expected pattern fractions of isolated photons (no pile-up) from the simulator's detector model.

epatplot compares a source's pattern fractions with those of a faint source, whose photons
never share a frame's pattern.  SAS takes these curves from the calibration (the pattern
distributions behind the QE CCF); xmmframe's built-in calibration tabulates only the singles
fraction, so the curves here come from the simulator's pattern model instead: photons of each
energy (log-uniform over the table) absorbed at uniform positions, their charge drawn from the redistribution
(:meth:`~xmmframe.sim.response.Response.deposited_energy`), split by the charge cloud
(:func:`~xmmframe.sim.charge.deposit`), read noise added, digitised, thresholded and
reconstructed (:func:`~xmmframe.proc.patterns.reconstruct_patterns`) one photon per frame,
exactly as :func:`~xmmframe.sim.detector.transmit` records each photon's own pattern in the
truth table.  The events are binned by the energy they measure (the charge of their pixels,
as PI is after the gain and CTI correction), not by the photon energy: split events lose
charge below the threshold, so at a given PI they are more common than at the same photon
energy.  These are the curves a faint simulated source follows.

Examples
--------
>>> from xmmframe.sim.pattern_model import isolated_pattern_model
>>> model = isolated_pattern_model("EPN", photons=400)
>>> singles = model.at([1.0])[0, 0]
>>> bool(0.6 < singles < 0.95)
True
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from xmmframe.model.geometry import camera as camera_of
from xmmframe.proc.calibration import detector_calibration
from xmmframe.proc.patterns import reconstruct_patterns
from xmmframe.products.pileup import PATTERN_CLASSES, PatternModel
from xmmframe.sim.charge import deposit
from xmmframe.sim.detector import SATURATION, first_row
from xmmframe.sim.response import response

#: Energies (keV) of the tabulated curves.
MODEL_ENERGIES = tuple(float(e) for e in np.round(np.geomspace(0.2, 12.0, 30), 4))


@lru_cache(maxsize=8)
def isolated_pattern_model(instrument: str, photons: int = 4000, seed: int = 0) -> PatternModel:
    """Fractions of single, double, triple and quadruple events (of patterns 0-12) vs energy.

    Parameters
    ----------
    instrument : str
        ``EPN``, ``EMOS1`` or ``EMOS2``.
    photons : int
        Photons simulated per energy of :data:`MODEL_ENERGIES` (drawn log-uniform over the table;
        the fractions are those of the events whose measured energy falls in each bin).
    seed : int
        Random seed (the curves are reproducible).

    Returns
    -------
    PatternModel
    """
    name = instrument.strip().upper()
    camera = camera_of(name)
    cal = detector_calibration(name)
    rng = np.random.default_rng(seed)
    nx, ny = camera.shape
    ymin = first_row(camera)
    ccd_id = camera.ccds[len(camera.ccds) // 2]
    energies = np.asarray(MODEL_ENERGIES)
    edges = np.sqrt(energies[:-1] * energies[1:])
    edges = np.concatenate([[energies[0] ** 2 / edges[0]], edges, [energies[-1] ** 2 / edges[-1]]])
    n = photons * energies.size
    # photon energies spanning the table; events binned by the energy they measure (as PI is)
    photon = np.exp(rng.uniform(np.log(edges[0] * 0.8), np.log(edges[-1]), n))
    charge = response().deposited_energy(rng, name, photon)
    rx = rng.uniform(4.0, nx - 4.0, n)
    ry = rng.uniform(ymin + 4.0, ny - 4.0, n)
    ccd = np.full(n, ccd_id, dtype=np.int64)
    pix = deposit(rng, cal, ccd, rx, ry, charge)
    noisy = pix["CHARGE"] + rng.standard_normal(pix["CHARGE"].size) * cal.read_noise
    column = np.clip(pix["RAWX"] - 1, 0, nx - 1)
    adu = np.clip(np.floor(noisy / cal.gain[ccd_id, column] + cal.offset[ccd_id, column]), -1, SATURATION)
    keep = (pix["DEPOSIT"] > 0) & (adu >= cal.event_threshold)
    hit = pix["HIT"][keep]
    order = np.argsort(hit, kind="stable")
    ev = reconstruct_patterns(pix["CCD"][keep][order], hit[order], pix["RAWX"][keep][order], pix["RAWY"][keep][order],
                              noisy[keep][order], adu[keep][order].astype(np.int64), camera.shape, ymin=ymin)
    # the measured energy: the charge in the event's pixels before CTI (what the calibration restores)
    measured = np.bincount(ev["PIXEL_EVENT"], weights=pix["DEPOSIT"][keep][order], minlength=ev["PATTERN"].size)
    pattern = ev["PATTERN"]
    valid = pattern <= 12
    which = np.digitize(measured / 1000.0, edges) - 1
    fractions = np.zeros((len(PATTERN_CLASSES), energies.size))
    for k in range(energies.size):
        inside = valid & (which == k)
        for c, (lo, hi) in enumerate(PATTERN_CLASSES.values()):
            fractions[c, k] = np.count_nonzero(inside & (pattern >= lo) & (pattern <= hi)) / max(np.count_nonzero(inside), 1)
    return PatternModel(energies, fractions, f"xmmframe simulator pattern model ({name}, isolated photons)")


__all__ = ["MODEL_ENERGIES", "isolated_pattern_model"]
