"""The simulator's telescope and detector response, from xmmframe's built-in calibration set.

Photons are drawn with the on-axis effective area of :mod:`xmmframe.ccf`'s built-in set:
mirror area (``XRTn_XAREAEF``) x filter transmission (``<camera>_FILTERTRANSX``) x quantum
efficiency (``<camera>_QUANTUMEF``, for the CCF's pattern set: pn 0-4, MOS 0-12), so that the
simulated counts agree with the ARFs xmmframe makes from the same set.  Vignetting
(``XAREAEF[VIGNETTING]``) and the King PSF (``XRTn_XPSF``, per energy and off-axis angle) come
from it too.  The energy redistribution is not drawn from the ``REDIST`` CCF: it emerges from
the detector physics the simulator models (Fano noise of the charge, read noise, charge split
over pixels and lost below threshold, CTI), which is what the processing has to undo.

Examples
--------
>>> import numpy as np
>>> from xmmframe.sim.response import response
>>> area = response().effective_area("EPN", "Medium", np.array([1.5, 6.4]))
>>> bool(area[0] > area[1] > 300)
True
"""

from __future__ import annotations

import warnings
from functools import lru_cache

import numpy as np

from xmmframe.errors import CalibrationWarning

#: Charge-cloud sigma in pixel units at 0 keV and its growth per keV (pn 150 um, MOS 40 um pixels).
CHARGE_CLOUD = {"EPN": (0.035, 0.004), "EMOS1": (0.04, 0.004), "EMOS2": (0.04, 0.004)}
#: Outer radius (arcsec) of simulated PSF wings.
PSF_MAX_RADIUS = 120.0


class Response:
    """Area, vignetting and PSF of the three cameras, read from a :class:`xmmframe.ccf.Calibration`."""

    def __init__(self, calibration) -> None:  # noqa: ANN001 - xmmframe.ccf.Calibration
        self.calibration = calibration

    def effective_area(self, instrument: str, filter_name: str, energy_kev: np.ndarray) -> np.ndarray:
        """On-axis effective area (cm2) at energies in keV."""
        cal = self.calibration
        energy = np.asarray(energy_kev, dtype=np.float64)
        area = cal.mirror_area(instrument).on_axis_area(energy)
        filt = cal.filter_transmission(instrument).transmission(filter_name, energy)
        qe = cal.quantum_efficiency(instrument).efficiency(energy)
        return np.clip(area * filt * qe, 0.0, None)

    def vignetting(self, instrument: str, energy_kev: np.ndarray, theta_arcmin: np.ndarray) -> np.ndarray:
        """Fraction of the on-axis area at an off-axis angle; 0 beyond 15.5 arcmin (filter-wheel edge)."""
        theta = np.asarray(theta_arcmin, dtype=np.float64)
        factor = self.calibration.mirror_area(instrument).vignetting_factor(energy_kev, theta)
        return np.where(theta <= 15.5, np.clip(factor, 0.0, 1.0), 0.0)

    def deposited_energy(
        self, rng: np.random.Generator, instrument: str, energy_kev: np.ndarray
    ) -> np.ndarray:
        """Charge (eV) deposited by photons of the given energies: draws from the REDIST profiles.

        The profiles are tabulated once per camera on a 50 eV photon-energy grid (2 eV channels);
        a photon draws from the row nearest its energy, shifted by the difference in peak position.
        """
        grid, cdf, peak = _redistribution_table(self, instrument)
        energy = np.clip(np.asarray(energy_kev, dtype=np.float64), grid[0], grid[-1])
        row = np.clip(np.round((energy - grid[0]) / (grid[1] - grid[0])).astype(np.int64), 0, grid.size - 1)
        nchan = cdf.shape[1]
        # the table holds row + cumulative probability: one sorted array for all rows
        position = np.searchsorted(cdf.reshape(-1), row + rng.random(row.size), side="right")
        channel = position - row * nchan
        shift = self.redistribution_peak(instrument, energy) - peak[row]
        return np.maximum(
            (np.clip(channel, 0, nchan - 1) + rng.random(row.size)) * _CHANNEL_WIDTH + shift, 1.0
        )

    def redistribution_peak(self, instrument: str, energy_kev: np.ndarray) -> np.ndarray:
        """PI (eV) of the line peak at photon energies (keV) in the REDIST profiles."""
        return (
            self.calibration.redistribution(instrument)
            .pattern_set(_PROFILE_PATTERNS[instrument])
            .peak(energy_kev)
        )

    def psf_radii(
        self, rng: np.random.Generator, instrument: str, energy_kev: np.ndarray, theta_arcmin: np.ndarray
    ) -> np.ndarray:
        """PSF offsets (arcsec) of photons: King profile with the CCF's core radius and slope."""
        rcore, alpha = self.calibration.psf(instrument).parameters(energy_kev, theta_arcmin)
        return king_radii(
            rng, np.asarray(rcore, dtype=np.float64), np.asarray(alpha, dtype=np.float64), PSF_MAX_RADIUS
        )


#: Pattern set of the REDIST profiles the deposited charge is drawn from.
_PROFILE_PATTERNS = {"EPN": range(0, 5), "EMOS1": range(0, 13), "EMOS2": range(0, 13)}
_GRID_STEP = 0.05  # keV
_CHANNEL_WIDTH = 2.0  # eV
_CHANNELS = 8250  # up to 16.5 keV


@lru_cache(maxsize=None)
def _redistribution_table(resp: Response, instrument: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Photon-energy grid (keV), cumulative profile per row (+ row index offsets) and peaks (eV)."""
    profiles = resp.calibration.redistribution(instrument).pattern_set(_PROFILE_PATTERNS[instrument])
    grid = np.arange(0.15, 15.0 + _GRID_STEP / 2, _GRID_STEP)
    rows = profiles.rows(grid, origin=0.0, width=_CHANNEL_WIDTH, nchan=_CHANNELS)
    totals = rows.sum(axis=1, keepdims=True)
    cdf = np.cumsum(rows / np.where(totals > 0, totals, 1.0), axis=1)
    cdf[:, -1] = 1.0
    return grid, cdf + np.arange(grid.size)[:, None], profiles.peak(grid)


@lru_cache(maxsize=1)
def response() -> Response:
    """The response of xmmframe's built-in calibration set (the simulator's default)."""
    from xmmframe.ccf import Calibration

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        return Response(Calibration.builtin_set())


def king_radii(rng: np.random.Generator, core: np.ndarray, index: np.ndarray, rmax: float) -> np.ndarray:
    """Radii (arcsec) drawn from ``(1 + (r/core)^2)^-index`` surface brightness, truncated at ``rmax``.

    ``core`` and ``index`` are arrays (one per photon) or scalars broadcast to them.

    Examples
    --------
    >>> r = king_radii(np.random.default_rng(1), np.full(1000, 5.0), np.full(1000, 1.5), 120.0)
    >>> bool(r.max() <= 120.0 and 2.0 < np.median(r) < 10.0)
    True
    """
    core, index = np.broadcast_arrays(np.asarray(core, dtype=np.float64), np.asarray(index, dtype=np.float64))
    pmax = 1.0 - (1.0 + (rmax / core) ** 2) ** (1.0 - index)
    u = rng.random(core.shape) * pmax
    return core * np.sqrt((1.0 - u) ** (1.0 / (1.0 - index)) - 1.0)
