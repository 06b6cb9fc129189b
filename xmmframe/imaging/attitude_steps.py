"""The attitude history binned into steps of stable pointing (SAS eexpmap ``attrebin``).

An exposure map is a sum over time of the detector's exposure projected on the sky.  The
attitude moves little during a pointing (a few arcsec), so SAS eexpmap first merges the
attitude samples into steps within which the pointing stays within ``attrebin`` arcsec (SAS
13.5 default 4") and projects the detector once per step.  The rule here: a step starts at a
sample and takes the following samples while both

* the pointing direction is within ``attrebin`` arcsec of the step's first sample, and
* the position-angle change moves a point at the edge of the field (``radius``, 15') by at
  most ``attrebin`` arcsec;

the step's attitude is the time-weighted mean of its samples, and steps are clipped to the
time range asked for.  ``attrebin <= 0`` keeps every sample as its own step.

Examples
--------
>>> import numpy as np
>>> from xmmframe.model.attitude import Attitude
>>> att = Attitude(np.array([0.0, 10.0, 20.0]), np.array([10.0, 10.0, 10.01]), np.array([5.0, 5.0, 5.0]),
...                np.array([90.0, 90.0, 90.0]), stop=30.0)
>>> steps = attitude_steps(att, 0.0, 30.0, attrebin=4.0)
>>> steps.start.tolist(), steps.stop.tolist()
([0.0, 20.0], [20.0, 30.0])
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from xmmframe.errors import ProductError
from xmmframe.model.attitude import Attitude

#: Field radius (arcmin) at which a position-angle change is measured.
FIELD_RADIUS_ARCMIN = 15.0


@dataclass(frozen=True)
class AttitudeSteps:
    """Time intervals of stable attitude and the mean attitude in each.

    Attributes
    ----------
    start, stop : numpy.ndarray
        Step boundaries (mission seconds).
    ra, dec, pa : numpy.ndarray
        Mean pointing (degrees) and position angle (degrees) of each step.
    """

    start: np.ndarray
    stop: np.ndarray
    ra: np.ndarray
    dec: np.ndarray
    pa: np.ndarray

    def __len__(self) -> int:
        return int(self.start.size)

    @property
    def edges(self) -> np.ndarray:
        """``start`` followed by the last ``stop`` (steps are contiguous)."""
        return np.append(self.start, self.stop[-1:]) if len(self) else np.zeros(0)


@numba.njit(cache=True)
def _group(x: np.ndarray, y: np.ndarray, z: np.ndarray, pa: np.ndarray, limit_rad: float,
           pa_limit_deg: float) -> np.ndarray:  # pragma: no cover - compiled
    """First sample of the step each sample belongs to (unit vectors x, y, z of the pointings)."""
    n = x.size
    first = np.empty(n, np.int64)
    cos_limit = np.cos(limit_rad)
    k = 0
    for i in range(n):
        dot = x[i] * x[k] + y[i] * y[k] + z[i] * z[k]
        dpa = abs(((pa[i] - pa[k]) + 180.0) % 360.0 - 180.0)
        if dot < cos_limit or dpa > pa_limit_deg:
            k = i
        first[i] = k
    return first


def attitude_steps(attitude: Attitude, tstart: float, tstop: float, attrebin: float = 4.0,
                   radius_arcmin: float = FIELD_RADIUS_ARCMIN) -> AttitudeSteps:
    """Bin the attitude between ``tstart`` and ``tstop`` into steps of stable pointing.

    Parameters
    ----------
    attitude : Attitude
        The attitude history (ATS or ATTHK).
    tstart, tstop : float
        Time range (mission seconds), normally the extent of the good times.
    attrebin : float
        Largest pointing change within a step (arcsec); ``<= 0``: one step per sample.
    radius_arcmin : float
        Field radius at which a position-angle change counts as a pointing change.

    Raises
    ------
    ProductError
        When the range is empty.
    """
    if not tstop > tstart:
        raise ProductError(f"empty time range for the attitude steps: {tstart} to {tstop}")
    lo = attitude.time
    hi = np.append(attitude.time[1:], attitude.stop)
    keep = (hi > tstart) & (lo < tstop)
    if not keep.any():  # outside the history: the nearest sample holds (as Attitude.at)
        keep = np.zeros(lo.size, bool)
        keep[attitude.index(np.array([tstart]))[0]] = True
    idx = np.flatnonzero(keep)
    lo_k, hi_k = np.clip(lo[idx], tstart, tstop), np.clip(hi[idx], tstart, tstop)
    if not keep.any() or np.all(hi_k <= lo_k):
        lo_k, hi_k = np.array([tstart]), np.array([tstop])
    lo_k[0], hi_k[-1] = tstart, tstop
    ra, dec, pa = np.deg2rad(attitude.ra[idx]), np.deg2rad(attitude.dec[idx]), attitude.pa[idx]
    x, y, z = np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)
    if attrebin > 0:
        limit = np.deg2rad(attrebin / 3600.0)
        first = _group(x, y, z, pa.astype(np.float64), float(limit), float(np.rad2deg(attrebin / (radius_arcmin * 60.0))))
    else:
        first = np.arange(idx.size)
    starts = np.flatnonzero(np.diff(first, prepend=-1) != 0)
    weight = np.maximum(hi_k - lo_k, 1e-9)
    label = np.repeat(np.arange(starts.size), np.diff(np.append(starts, idx.size)))

    def mean(values: np.ndarray) -> np.ndarray:
        return np.bincount(label, weights=values * weight) / np.bincount(label, weights=weight)

    mx, my, mz = mean(x), mean(y), mean(z)
    step_ra = np.mod(np.rad2deg(np.arctan2(my, mx)), 360.0)
    step_dec = np.rad2deg(np.arctan2(mz, np.hypot(mx, my)))
    # position angles averaged about the first sample's (no wrap at 0/360)
    step_pa = mean(pa[0] + ((pa - pa[0] + 180.0) % 360.0 - 180.0))
    ends = np.append(starts[1:], idx.size) - 1
    return AttitudeSteps(lo_k[starts].astype(np.float64), hi_k[ends].astype(np.float64), step_ra, step_dec, step_pa)


__all__ = ["FIELD_RADIUS_ARCMIN", "AttitudeSteps", "attitude_steps"]
