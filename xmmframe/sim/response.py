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
#: Fano factor and electron-hole pair energy (eV) of silicon.
FANO, PAIR_ENERGY = 0.12, 3.65
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

    def psf_radii(self, rng: np.random.Generator, instrument: str, energy_kev: np.ndarray,
                  theta_arcmin: np.ndarray) -> np.ndarray:
        """PSF offsets (arcsec) of photons: King profile with the CCF's core radius and slope."""
        rcore, alpha = self.calibration.psf(instrument).parameters(energy_kev, theta_arcmin)
        return king_radii(rng, np.asarray(rcore, dtype=np.float64), np.asarray(alpha, dtype=np.float64),
                          PSF_MAX_RADIUS)


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
