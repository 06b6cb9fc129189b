"""Detector calibration of epproc/emproc and the simulator: gain, offsets, CTI, thresholds, bad pixels.

As in SAS they come from the ``<camera>_ADUCONV`` (gain, offsets, thresholds), ``<camera>_CTI``
and ``<camera>_BADPIX`` CCFs, read through an :class:`xmmframe.ccf.Calibration`
(layouts: :mod:`xmmframe.ccf.gain`, :mod:`xmmframe.ccf.badpix`).  Without an explicit one,
:func:`detector_calibration` uses the CCFs configured by ``SAS_CCF``/``SAS_CCFPATH``, else
xmmframe's built-in CCF set (:func:`builtin_calibration`, ``CALSRC = 'xmmframe-builtin'``).
A calibration without these CCFs is a :class:`~xmmframe.errors.CalibrationError`.

The built-in detector CCFs hold a fixed, seeded set of per-column gains, residual column
offsets, per-CCD energy-dependent CTI and a bad-pixel list, written by
``scripts/make_builtin_calibration.py``.  The simulator applies the calibration forward and the
processing inverts it, so simulated truth comes back exactly; the built-in values are not a
description of the real cameras.

The energy model (per pixel, before on-board digitisation) is::

    E_meas = E * (1 - cti(E)) ** RAWY          cti(E) = cti_1keV[ccd] * (E / 1 keV) ** -cti_index
    ADU    = E_meas / gain[ccd, RAWX] + offset[ccd, RAWX] (+ read noise)

with built-in gains near 5.0 eV/adu (pn, the normalisation of [CALPN6]) and 3.4 eV/adu (MOS, as
measured from PHA/PI of a real PPS MOS list); RAWY is the number of parallel transfers to the
readout node.

Examples
--------
>>> from xmmframe.proc.calibration import builtin_calibration
>>> cal = builtin_calibration("EPN")
>>> cal.gain.shape, cal.event_threshold
((13, 64), 20)
>>> cal.bad_pixels.columns
['CCDNR', 'RAWX', 'RAWY', 'TYPE', 'YEXTENT', 'BADFLAG']
>>> cal.ccfs
('EPN_ADUCONV_0001.CCF', 'EPN_CTI_0001.CCF', 'EPN_BADPIX_0001.CCF')
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from xmmframe.ccf.access import BUILTIN_CALSRC
from xmmframe.ccf.badpix import FROM_CCF, UPLINKED
from xmmframe.errors import CalibrationError, CalibrationWarning
from xmmframe.model.geometry import camera

if TYPE_CHECKING:
    from xmmframe.ccf.access import Calibration

#: Source tag written as CALSRC into products made with the built-in calibration.
CALSRC = BUILTIN_CALSRC

#: Bad-pixel TYPE codes (DFHB): 1 hot, 2 flickering, 3 dead; BADFLAG: 1 uplinked, 2 CCF, 3 found in the data.
HOT, FLICKERING, DEAD = 1, 2, 3
FOUND = 3

__all__ = [
    "CALSRC", "DEAD", "FLICKERING", "FOUND", "FROM_CCF", "HOT", "UPLINKED", "DetectorCalibration",
    "builtin_calibration", "detector_calibration", "from_calibration",
]


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
    ccfs : tuple of str
        File names of the CCFs read (ADUCONV, CTI, BADPIX).
    calindex : polars.DataFrame or None
        The calibration index these CCFs were selected from (CALINDEX columns), as recorded
        in the ``CALINDEX`` extension of calibrated event lists.
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
    ccfs: tuple[str, ...] = ()
    calindex: pl.DataFrame | None = field(default=None, compare=False)

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


def detector_calibration(
    instrument: str,
    calibration: Calibration | None = None,
    observation_date: str | datetime | None = None,
) -> DetectorCalibration:
    """The detector calibration of a camera, read from its ADUCONV, CTI and BADPIX CCFs.

    Parameters
    ----------
    instrument : str
        ``EPN``, ``EMOS1`` or ``EMOS2`` (or ``PN``, ``M1``, ``M2``).
    calibration : xmmframe.ccf.Calibration, optional
        Where the CCFs come from.  Default: ``SAS_CCF``/``SAS_CCFPATH`` when set (see
        :meth:`xmmframe.ccf.Calibration.open`), else the built-in set.
    observation_date : str or datetime, optional
        Selects the CCF issues when only ``SAS_CCFPATH`` is set.

    Raises
    ------
    CalibrationError
        When the calibration lacks one of the CCFs (naming it), or a CCF lacks an extension,
        column, keyword or CCD the processing needs.

    Examples
    --------
    >>> detector_calibration("EMOS1").source
    'xmmframe-builtin'
    >>> from xmmframe.ccf import Calibration
    >>> cal = detector_calibration("PN", Calibration.open(ccfpath=["/ccf"], observation_date="2012-05-14"))  # doctest: +SKIP
    """
    if calibration is None:
        from xmmframe.ccf.cifbuild import ccf_path_from_environment

        if not (os.environ.get("SAS_CCF") or ccf_path_from_environment()):
            return builtin_calibration(instrument)
        from xmmframe.ccf.access import Calibration

        calibration = Calibration.open(observation_date=observation_date)
    return from_calibration(instrument, calibration)


def builtin_calibration(instrument: str) -> DetectorCalibration:
    """The detector calibration of xmmframe's built-in CCF set (read once per camera).

    Examples
    --------
    >>> builtin_calibration("EMOS2").gain.shape
    (8, 600)
    """
    return _builtin(camera(instrument).instrument)


@cache
def _builtin(instrument: str) -> DetectorCalibration:
    from xmmframe.ccf.access import Calibration

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        return from_calibration(instrument, Calibration.builtin_set())


def from_calibration(instrument: str, calibration: Calibration) -> DetectorCalibration:
    """Read a camera's ADUCONV, CTI and BADPIX CCFs from ``calibration`` into a :class:`DetectorCalibration`.

    Raises
    ------
    CalibrationError
        As :func:`detector_calibration`.

    Examples
    --------
    >>> from xmmframe.ccf import Calibration
    >>> from_calibration("EPN", Calibration.open(cif="ccf.cif")).source      # doctest: +SKIP
    'CCF'
    """
    cam = camera(instrument)
    name = cam.instrument
    scale = calibration.gain(name)
    aduconv = calibration.path(name, "ADUCONV")
    missing = sorted(set(cam.ccds) - set(np.asarray(scale.ccds).tolist()))
    if missing:
        raise CalibrationError(f"{name}_ADUCONV has no gain for CCD(s) {missing}", aduconv)
    gain, offset, cti = scale.by_ccd(max(cam.ccds) + 1, cam.shape[0])
    thresholds = {"EVTHRESH": scale.event_threshold, "MIPTHRES": scale.mip_threshold, "RDNOISE": scale.read_noise}
    absent = [key for key, value in thresholds.items() if value is None]
    if absent:
        raise CalibrationError(f"CCF extension ADUCOEFF lacks keyword(s) {', '.join(absent)}", aduconv)
    badpix = calibration.bad_pixels(name)
    bad = badpix.pixels.select(
        pl.col("CCDID").cast(pl.UInt8).alias("CCDNR"),
        pl.col("RAWX").cast(pl.Int16),
        pl.col("RAWY").cast(pl.Int16),
        pl.col("TYPE").cast(pl.Int16),
        pl.col("YEXTENT").cast(pl.Int16),
        pl.col("BADFLAG").cast(pl.Int16),
    )
    ccfs = tuple(os.path.basename(p) for p in (aduconv, calibration.path(name, "CTI"), badpix.path))
    return DetectorCalibration(
        name, gain, offset, cti, float(scale.cti_index), float(scale.read_noise),  # type: ignore[arg-type]
        int(scale.event_threshold), int(scale.mip_threshold), bad, calibration.calsrc,  # type: ignore[arg-type]
        ccfs, calibration.index.entries,
    )
