"""Energy correction: raw amplitudes (adu) to energies (eV) with offset, per-column gain and CTI.

The forward model is the one of :mod:`xmmframe.proc.calibration`::

    E_meas = E * (1 - cti(E)) ** RAWY,  cti(E) = cti_1keV * (E / 1 keV) ** -index
    adu    = floor(E_meas / gain + offset)

The correction reverses it in a numba kernel: ``E_meas = (adu - npix * offset + u) * gain`` with
``u`` uniform in ``[0, 1)`` when randomising within the adu bin (SAS ``randomizeenergy=Y``) or
``0.5`` otherwise, then ``E`` solves ``E * (1 - cti(E)) ** RAWY = E_meas`` by fixed-point iteration
(the CTI depends weakly on energy: each iteration reduces the relative error by a factor
``RAWY * cti * index`` < 1e-2, and two leave less than 1e-6).  For pn the
kernel runs per pixel before pattern recombination (the pattern energy is the sum of corrected
pixels, as in epevents); for MOS, whose on-board events carry summed amplitudes, it runs per
event with the event's number of pixels and the main pixel's RAWY.

Examples
--------
>>> import numpy as np
>>> from xmmframe.proc.calibration import builtin_calibration
>>> from xmmframe.proc.energy import forward_adu, correct_energy
>>> cal = builtin_calibration("EPN")
>>> ccd, x, y = np.array([4]), np.array([30]), np.array([150])
>>> adu = np.floor(forward_adu(np.array([6400.0]), ccd, x, y, cal))
>>> e = correct_energy(ccd, x, y, adu.astype(np.int64), np.ones(1, np.int64), np.full(1, 0.5), cal)
>>> bool(abs(e[0] - 6400.0) < cal.gain[4, 29])
True
"""

from __future__ import annotations

import numba
import numpy as np

from xmmframe.proc.calibration import DetectorCalibration


def cti_factor(
    energy: np.ndarray, cti_1kev: np.ndarray, cti_index: float, transfers: np.ndarray
) -> np.ndarray:
    """``(1 - cti(E)) ** transfers``: the fraction of charge left after ``transfers`` parallel shifts."""
    cti = cti_1kev * (np.maximum(energy, 1.0) / 1000.0) ** (-cti_index)
    return np.exp(transfers * np.log1p(-cti))


def forward_adu(
    energy: np.ndarray, ccd: np.ndarray, rawx: np.ndarray, rawy: np.ndarray, cal: DetectorCalibration
) -> np.ndarray:
    """Amplitude in adu (not yet digitised) of charge ``energy`` (eV) collected in pixel (ccd, RAWX, RAWY).

    This is the simulator's forward model; :func:`correct_energy` is its inverse.
    """
    energy = np.asarray(energy, dtype=np.float64)
    measured = energy * cti_factor(
        energy, cal.cti_1kev[ccd], cal.cti_index, np.asarray(rawy, dtype=np.float64)
    )
    column = np.asarray(rawx) - 1
    return measured / cal.gain[ccd, column] + cal.offset[ccd, column]


_LOG_KEV = float(np.log(1000.0))


@numba.njit(cache=True)
def _cti_inverse(measured: float, cti_1kev: float, index: float, transfers: float) -> float:
    if cti_1kev == 0.0 or transfers <= 0.0:
        return measured
    if index == 0.0:
        return measured * np.exp(-transfers * np.log1p(-cti_1kev))
    energy = measured
    # each iteration shrinks the relative error by ~transfers * cti * index (< 1e-2); starting from
    # the measured energy (error ~1e-2), two iterations leave < 1e-6 (a few meV at 10 keV).
    # -log1p(-cti) = cti + cti^2/2 + O(cti^3): exact to 1e-12 for cti < 1e-3.
    for _ in range(2):
        cti = cti_1kev * np.exp(-index * (np.log(max(energy, 1.0)) - _LOG_KEV))
        energy = measured * np.exp(transfers * cti * (1.0 + 0.5 * cti))
    return energy


@numba.njit(cache=True)
def energy_kernel(
    ccd: np.ndarray,
    rawx: np.ndarray,
    rawy: np.ndarray,
    adu: np.ndarray,
    npix: np.ndarray,
    fraction: np.ndarray,
    gain: np.ndarray,
    offset: np.ndarray,
    cti_1kev: np.ndarray,
    cti_index: float,
) -> np.ndarray:
    """Energies in eV of amplitudes ``adu`` (summed over ``npix`` pixels) at (ccd, RAWX, RAWY).

    ``fraction`` is the position inside the adu bin (uniform random, or 0.5).
    """
    n = adu.shape[0]
    out = np.empty(n, dtype=np.float64)
    for i in range(n):
        c = ccd[i]
        col = rawx[i] - 1
        measured = (adu[i] - npix[i] * offset[c, col] + fraction[i]) * gain[c, col]
        if measured <= 0.0:
            out[i] = 0.0
        else:
            out[i] = _cti_inverse(measured, cti_1kev[c], cti_index, float(rawy[i]))
    return out


def correct_energy(
    ccd: np.ndarray,
    rawx: np.ndarray,
    rawy: np.ndarray,
    adu: np.ndarray,
    npix: np.ndarray,
    fraction: np.ndarray,
    cal: DetectorCalibration,
) -> np.ndarray:
    """Energies (eV) of raw amplitudes: offset, gain and CTI correction (see the module docstring)."""
    return energy_kernel(
        np.ascontiguousarray(ccd, dtype=np.int64),
        np.ascontiguousarray(rawx, dtype=np.int64),
        np.ascontiguousarray(rawy, dtype=np.int64),
        np.ascontiguousarray(adu, dtype=np.int64),
        np.ascontiguousarray(npix, dtype=np.int64),
        np.ascontiguousarray(fraction, dtype=np.float64),
        np.ascontiguousarray(cal.gain, dtype=np.float64),
        np.ascontiguousarray(cal.offset, dtype=np.float64),
        np.ascontiguousarray(cal.cti_1kev, dtype=np.float64),
        float(cal.cti_index),
    )
