"""Detector calibration of epproc/emproc and the simulator: gain, offsets, CTI, thresholds, bad pixels.

Real SAS reads these from the ``EPN_ADUCONV``/``EMOSn_ADUCONV`` (gain, offsets), ``*_CTI`` and
``*_BADPIX`` CCFs.  :func:`detector_calibration` takes them from a :class:`xmmframe.ccf.Calibration`
when it holds ``ADUCONV`` and ``CTI`` (read by :mod:`xmmframe.ccf.gain`: per-CCD gain, offset and
energy-independent CTI; ``BADPIX`` when present).  Otherwise - and xmmframe's built-in CCF set
does not contain them yet - it falls back to the stand-in of :func:`builtin_calibration`: a
fixed, seeded set of per-column gains, residual column offsets, per-CCD energy-dependent CTI
and a bad-pixel list (``CALSRC = 'xmmframe-builtin'``).  The simulator applies the same
calibration forward and the processing inverts it, so simulated truth must come back exactly;
the stand-in is not a description of the real cameras.

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
        Residual column offsets in adu, ``[ccd, RAWX - 1]`` (written, rounded, as the OFFSETS extension).
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
                "OFFSETX": np.round(self.offset[ccd, col]).astype(np.int16),
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
        rows,
        schema={
            "CCDNR": pl.UInt8,
            "RAWX": pl.Int16,
            "RAWY": pl.Int16,
            "TYPE": pl.Int16,
            "YEXTENT": pl.Int16,
            "BADFLAG": pl.Int16,
        },
        orient="row",
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
        return DetectorCalibration(
            name, gain, offset.astype(np.int16), cti, 0.25, 18.0, 20, 3000, _bad_pixels(name, rng)
        )
    per_ccd = 3.4 * (1.0 + 0.02 * rng.standard_normal(nccd))
    gain = np.repeat(per_ccd[:, None], nx, axis=1)
    offset = np.zeros((nccd, nx), dtype=np.int16)
    cti = 2e-5 * (1.0 + 0.2 * rng.random(nccd))
    return DetectorCalibration(name, gain, offset, cti, 0.25, 11.0, 25, 4095, _bad_pixels(name, rng))


def detector_calibration(instrument: str, calibration=None) -> DetectorCalibration:  # noqa: ANN001
    """The detector calibration of a camera: from ``calibration`` (an :class:`xmmframe.ccf.Calibration`,
    default: the built-in CCF set) when it has ``ADUCONV`` and ``CTI``, else :func:`builtin_calibration`.

    Examples
    --------
    >>> detector_calibration("EMOS1").source
    'xmmframe-builtin'
    """
    if calibration is None:
        return _default_calibration(camera(instrument).instrument)
    return _from_ccf(instrument, calibration)


@lru_cache(maxsize=None)
def _default_calibration(instrument: str) -> DetectorCalibration:
    import warnings

    from xmmframe.ccf import Calibration
    from xmmframe.errors import CalibrationWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        return _from_ccf(instrument, Calibration.builtin_set())


def _from_ccf(instrument: str, calibration) -> DetectorCalibration:  # noqa: ANN001 - xmmframe.ccf.Calibration
    from xmmframe.errors import CalibrationError

    stand_in = builtin_calibration(instrument)
    try:
        scale = calibration.gain(stand_in.instrument)
    except CalibrationError:
        return stand_in
    nccd, nx = stand_in.gain.shape
    gain = np.zeros((nccd, nx))
    offset = np.zeros((nccd, nx))
    cti = np.zeros(nccd)
    for row in scale.table.iter_rows(named=True):
        ccd = int(row["CCDID"])
        if 0 < ccd < nccd:
            gain[ccd, :] = float(row["GAIN"])
            offset[ccd, :] = float(row["OFFSET"])
            cti[ccd] = float(row["CTI"])
    bad = stand_in.bad_pixels
    try:
        table = calibration.bad_pixels(stand_in.instrument).pixels
        bad = table.select(
            pl.col("CCDID").cast(pl.UInt8).alias("CCDNR"),
            pl.col("RAWX").cast(pl.Int16),
            pl.col("RAWY").cast(pl.Int16),
            pl.col("TYPE").cast(pl.Int16),
            pl.col("YEXTENT").cast(pl.Int16),
            pl.lit(FROM_CCF, dtype=pl.Int16).alias("BADFLAG"),
        )
    except CalibrationError:
        pass
    return DetectorCalibration(
        stand_in.instrument,
        gain,
        offset,
        cti,
        0.0,
        stand_in.read_noise,
        stand_in.event_threshold,
        stand_in.mip_threshold,
        bad,
        calibration.calsrc,
    )
