"""Charge-cloud model: an absorbed photon's charge spread over a 3 x 3 pixel neighbourhood.

The charge a photon deposits (drawn from the calibration's redistribution by
:meth:`xmmframe.sim.response.Response.deposited_energy`) forms a 2-D Gaussian cloud of width
``sigma(E) = sigma_0 + slope * E`` pixels centred on the absorption point; each pixel collects the
integral of the cloud over its area (separable: products of normal CDF differences).  The drawn
charge is the energy a real event measures (the redistribution holds the losses of split events
already), so the pixels whose share reaches the threshold divide all of it between them and the
others get none.  Each pixel then suffers CTI on its way to the readout node and read
noise, and is digitised by the forward energy model of :mod:`xmmframe.proc.energy`; only pixels
at or above the on-board threshold are transmitted (the split threshold of the reconstruction).

Examples
--------
>>> import numpy as np
>>> from xmmframe.sim.charge import cloud_fractions
>>> f = cloud_fractions(np.array([0.5]), np.array([0.5]), np.array([0.05]))
>>> round(float(f[0, 1, 1]), 6)
1.0
"""

from __future__ import annotations

import math

import numba
import numpy as np

from xmmframe.proc.calibration import DetectorCalibration
from xmmframe.proc.energy import cti_factor
from xmmframe.sim.response import CHARGE_CLOUD


@numba.vectorize(["float64(float64)"], cache=True)
def _phi(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def _axis_weights(f: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    lo = _phi((0.0 - f) / sigma)
    hi = _phi((1.0 - f) / sigma)
    return np.stack([lo, hi - lo, 1.0 - hi], axis=1)


def cloud_fractions(fx: np.ndarray, fy: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Charge fractions ``[n, dy + 1, dx + 1]`` in the 3 x 3 pixels around each absorption point.

    ``fx, fy`` are positions inside the central pixel (0..1), ``sigma`` the cloud width in pixels.
    """
    wx = _axis_weights(np.asarray(fx, dtype=np.float64), np.asarray(sigma, dtype=np.float64))
    wy = _axis_weights(np.asarray(fy, dtype=np.float64), np.asarray(sigma, dtype=np.float64))
    return wy[:, :, None] * wx[:, None, :]


def deposit(
    rng: np.random.Generator,
    cal: DetectorCalibration,
    ccd: np.ndarray,
    rx: np.ndarray,
    ry: np.ndarray,
    charge: np.ndarray,
    cloud_scale: float | np.ndarray = 1.0,
) -> dict[str, np.ndarray]:
    """Split the charge of hits into pixels.

    Parameters
    ----------
    ccd, rx, ry : numpy.ndarray
        CCD and continuous raw position (``RAWX - 1 + u``) of each hit.
    charge : numpy.ndarray
        Deposited charge of each hit (eV).
    cloud_scale : float or array
        Multiplier of the cloud width (particles make larger clouds).

    Returns
    -------
    dict
        Per pixel (9 per hit, before thresholding): ``HIT`` (hit index), ``CCD``, ``RAWX``, ``RAWY``
        (1-based), ``DEPOSIT`` (eV deposited in the pixel) and ``CHARGE`` (eV reaching the readout after
        CTI, before read noise).
    """
    n = charge.size
    s0, slope = CHARGE_CLOUD[cal.instrument]
    sigma = (s0 + slope * charge / 1000.0) * cloud_scale
    ix = np.floor(rx).astype(np.int64)
    iy = np.floor(ry).astype(np.int64)
    fractions = cloud_fractions(rx - ix, ry - iy, sigma)
    offsets = np.arange(-1, 2)
    pix_x = (ix[:, None, None] + offsets[None, None, :] + 1) + np.zeros((1, 3, 1), dtype=np.int64)
    pix_y = (iy[:, None, None] + offsets[None, :, None] + 1) + np.zeros((1, 1, 3), dtype=np.int64)
    ccd9 = np.repeat(ccd, 9)
    nx = cal.gain.shape[1]
    # pixels whose share reaches the threshold keep the whole charge between them (the drawn charge
    # is the *measured* energy: the redistribution already holds the losses of real events)
    column = np.clip(pix_x.reshape(-1) - 1, 0, nx - 1)
    threshold = (cal.event_threshold * cal.gain[ccd9, column]).reshape(n, 3, 3)
    on_ccd = ((pix_x >= 1) & (pix_x <= nx)).reshape(n, 3, 3)
    share = charge[:, None, None] * fractions
    kept = (share >= threshold) & on_ccd
    total = np.sum(np.where(kept, fractions, 0.0), axis=(1, 2))
    energy = np.where(kept, share / np.where(total > 0, total, 1.0)[:, None, None], 0.0)
    rawy = pix_y.reshape(-1)
    e = energy.reshape(-1)
    collected = e * cti_factor(e, cal.cti_1kev[ccd9], cal.cti_index, rawy.astype(np.float64))
    return {
        "HIT": np.repeat(np.arange(n), 9),
        "CCD": ccd9,
        "RAWX": pix_x.reshape(-1),
        "RAWY": rawy,
        "DEPOSIT": e,
        "CHARGE": collected,
    }


def digitise(
    rng: np.random.Generator,
    cal: DetectorCalibration,
    ccd: np.ndarray,
    rawx: np.ndarray,
    charge: np.ndarray,
    saturation: int,
) -> np.ndarray:
    """Amplitudes (adu, integers) of collected charges with read noise: ``floor(charge/gain + offset)``."""
    noisy = charge + rng.standard_normal(charge.size) * cal.read_noise
    column = np.clip(rawx - 1, 0, cal.gain.shape[1] - 1)
    adu = np.floor(noisy / cal.gain[ccd, column] + cal.offset[ccd, column])
    return np.clip(adu, -1, saturation).astype(np.int64)
