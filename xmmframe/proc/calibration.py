"""Detector calibration used by epproc/emproc and by the simulator: gain, offsets, CTI, thresholds, bad pixels.

Real SAS reads these from the ``EPN_ADUCONV``/``EMOSn_ADUCONV`` (gain, offsets), ``*_CTI`` and
``*_BADPIX`` CCFs.  Those CCFs are not available here and :mod:`xmmframe.ccf` does not (yet)
provide gain/CTI, so this module holds xmmframe's **built-in detector calibration**: a fixed,
seeded set of per-column gains, residual column offsets, per-CCD CTI and a bad-pixel list
(``CALSRC = 'xmmframe-builtin'``).  The simulator applies it forward and the processing inverts
it, so simulated truth must come back exactly; it is not a description of the real cameras.

The energy model (per pixel, before on-board digitisation) is::

    E_meas = E * (1 - cti(E)) ** RAWY          cti(E) = cti_1keV[ccd] * (E / 1 keV) ** -cti_index
    ADU    = E_meas / gain[ccd, RAWX] + offset[ccd, RAWX] (+ read noise)

with gains near 5.0 eV/adu (pn, the normalisation of [CALPN6]) and 3.4 eV/adu (MOS, as measured
from PHA/PI of a real PPS MOS list); RAWY is the number of parallel transfers to the readout node.

Examples
--------
>>> from xmmframe.proc.calibration import builtin_calibration
>>> cal = builtin_calibration("EPN")
>>> cal.gain.shape, cal.event_threshold
((13, 64), 20)
>>> cal.bad_pixels.columns
['CCDNR', 'RAWX', 'RAWY', 'TYPE', 'YEXTENT', 'BADFLAG']
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import polars as pl

from xmmframe.proc.geometry import camera

#: Source tag written as CALSRC into products made with the built-in calibration.
CALSRC = "xmmframe-builtin"

#: Bad-pixel TYPE codes (DFHB): 1 hot, 2 flickering, 3 dead; BADFLAG: 1 uplinked, 2 CCF, 3 found in the data.
HOT, FLICKERING, DEAD = 1, 2, 3
UPLINKED, FROM_CCF, FOUND = 1, 2, 3


@dataclass(frozen=True)
class DetectorCalibration:
    """Energy scale and bad pixels of one camera.

    Attributes
    ----------
    instrument : str
        ``EPN``, ``EMOS1`` or ``EMOS2``.
    gain : numpy.ndarray
        eV per adu, ``[ccd, RAWX - 1]`` (row 0 unused).
    offset : numpy.ndarray
        Residual column offsets in adu, ``[ccd, RAWX - 1]`` (written as the OFFSETS extension).
    cti_1kev : numpy.ndarray
        Parallel charge transfer inefficiency per transfer at 1 keV, ``[ccd]``.
    cti_index : float
        Energy dependence of the CTI (``cti ~ E ** -cti_index``).
    read_noise : float
        Per-pixel read noise (eV rms) used by the simulator.
    event_threshold : int
        On-board lower threshold in adu (pixels below it are not transmitted).
    mip_threshold : int
        pn: pixels at or above this many adu mark a minimum ionising particle.
    bad_pixels : polars.DataFrame
        The CCF bad-pixel list: CCDNR, RAWX, RAWY, TYPE, YEXTENT, BADFLAG.
    source : str
        Where this calibration comes from (``CALSRC``).
    """

    instrument: str
    gain: np.ndarray
    offset: np.ndarray
    cti_1kev: np.ndarray
    cti_index: float
    read_noise: float
    event_threshold: int
    mip_threshold: int
    bad_pixels: pl.DataFrame
    source: str = CALSRC

    def offsets_frame(self) -> pl.DataFrame:
        """Non-zero column offsets as (CCDNR, RAWX, OFFSETX) rows."""
        ccd, col = np.nonzero(self.offset)
        return pl.DataFrame(
            {
                "CCDNR": ccd.astype(np.uint8),
                "RAWX": (col + 1).astype(np.int16),
                "OFFSETX": self.offset[ccd, col].astype(np.int16),
            }
        )


def _bad_pixels(instrument: str, rng: np.random.Generator) -> pl.DataFrame:
    cam = camera(instrument)
    nx, ny = cam.shape
    rows = []
    for ccd in cam.ccds:
        for _ in range(3):  # hot pixels known to the CCF
            rows.append((ccd, int(rng.integers(2, nx)), int(rng.integers(14, ny)), HOT, 1, FROM_CCF))
        rows.append((ccd, int(rng.integers(2, nx)), int(rng.integers(14, ny)), HOT, 1, UPLINKED))
        if ccd % 3 == 1:  # a dead column segment
            y0 = int(rng.integers(20, ny // 2))
            rows.append((ccd, int(rng.integers(2, nx)), y0, DEAD, int(rng.integers(5, 40)), FROM_CCF))
    frame = pl.DataFrame(
        rows, schema={"CCDNR": pl.UInt8, "RAWX": pl.Int16, "RAWY": pl.Int16, "TYPE": pl.Int16,
                      "YEXTENT": pl.Int16, "BADFLAG": pl.Int16}, orient="row",
    )
    return frame.unique(["CCDNR", "RAWX", "RAWY"], keep="first", maintain_order=True)


@lru_cache(maxsize=None)
def builtin_calibration(instrument: str) -> DetectorCalibration:
    """xmmframe's built-in detector calibration of ``EPN``, ``EMOS1`` or ``EMOS2`` (deterministic)."""
    cam = camera(instrument)
    name = cam.instrument
    rng = np.random.default_rng({"EPN": 1701, "EMOS1": 1702, "EMOS2": 1703}[name])
    nccd = max(cam.ccds) + 1
    nx = cam.shape[0]
    if name == "EPN":
        gain = 5.0 * (1.0 + 0.015 * rng.standard_normal((nccd, nx)))
        offset = np.where(rng.random((nccd, nx)) < 0.1, rng.integers(1, 4, (nccd, nx)), 0)
        cti = 6e-5 * (1.0 + 0.2 * rng.random(nccd))
        return DetectorCalibration(name, gain, offset.astype(np.int16), cti, 0.25, 18.0, 20, 3000,
                                   _bad_pixels(name, rng))
    per_ccd = 3.4 * (1.0 + 0.02 * rng.standard_normal(nccd))
    gain = np.repeat(per_ccd[:, None], nx, axis=1)
    offset = np.zeros((nccd, nx), dtype=np.int16)
    cti = 2e-5 * (1.0 + 0.2 * rng.random(nccd))
    return DetectorCalibration(name, gain, offset, cti, 0.25, 11.0, 25, 4095, _bad_pixels(name, rng))
