"""The simulator's telescope and detector response: effective area, vignetting, PSF, charge-cloud size.

**Analytic stand-in.**  :mod:`xmmframe.ccf` does not yet provide effective area, quantum
efficiency, filter transmission or a PSF, so the simulator uses smooth curves with the shape of
the public XMM figures (mirror module area peaking near 1.5 keV and falling to ~100 cm2 at 10 keV,
a gold M-edge dip at 2.2 keV, silicon K edge at 1.84 keV in the QE, pn more efficient than MOS at
high energy, the MOS mirrors sharing light with the RGS gratings, filters absorbing below 1 keV).
The detector redistribution is not a matrix here: it emerges from the simulated physics (Fano
noise of the charge, per-pixel read noise, charge split over pixels and lost below threshold).
These curves are for the simulator only and are not a calibration.

Examples
--------
>>> import numpy as np
>>> from xmmframe.sim.response import effective_area
>>> area = effective_area("EPN", "Medium", np.array([1.5, 6.4]))
>>> bool(area[0] > area[1] > 300)
True
"""

from __future__ import annotations

import numpy as np

# Mirror module on-axis area (cm2) of one telescope, log-log interpolated (keV, cm2).
_MIRROR = np.array([
    (0.10, 300.0), (0.20, 900.0), (0.40, 1300.0), (1.0, 1450.0), (1.5, 1500.0), (2.0, 1300.0),
    (2.2, 1050.0), (2.4, 1200.0), (3.0, 1150.0), (4.0, 1050.0), (5.0, 950.0), (6.0, 880.0), (7.0, 750.0),
    (8.0, 550.0), (9.0, 420.0), (10.0, 280.0), (12.0, 130.0), (15.0, 40.0),
])
# Filter transmission (keV, fraction): thin, medium, thick.
_FILTERS = {
    "THIN1": np.array([(0.1, 0.35), (0.2, 0.6), (0.3, 0.75), (0.5, 0.9), (1.0, 0.98), (15.0, 1.0)]),
    "MEDIUM": np.array([(0.1, 0.15), (0.2, 0.4), (0.3, 0.55), (0.5, 0.75), (1.0, 0.93), (2.0, 0.99), (15.0, 1.0)]),
    "THICK": np.array([(0.1, 0.01), (0.2, 0.05), (0.3, 0.15), (0.5, 0.4), (1.0, 0.8), (2.0, 0.96), (15.0, 1.0)]),
}
# Detector quantum efficiency (keV, fraction).
_QE = {
    "EPN": np.array([(0.1, 0.4), (0.2, 0.7), (0.5, 0.93), (1.8, 0.97), (1.84, 0.95), (6.0, 0.99), (10.0, 0.95),
                     (12.0, 0.85), (15.0, 0.6)]),
    "EMOS": np.array([(0.1, 0.1), (0.2, 0.3), (0.5, 0.6), (1.0, 0.85), (1.83, 0.9), (1.84, 0.6), (3.0, 0.85),
                      (5.0, 0.8), (7.0, 0.6), (10.0, 0.3), (15.0, 0.1)]),
}
#: Fraction of a MOS telescope's light reaching the MOS camera (the rest goes to the RGS).
MOS_LIGHT_FRACTION = 0.44


def _loglog(table: np.ndarray, energy: np.ndarray) -> np.ndarray:
    return np.exp(np.interp(np.log(energy), np.log(table[:, 0]), np.log(table[:, 1])))


def effective_area(instrument: str, filter_name: str, energy: np.ndarray) -> np.ndarray:
    """On-axis effective area (cm2) of a camera with a filter at energies in keV."""
    energy = np.clip(np.asarray(energy, dtype=np.float64), 0.1, 15.0)
    area = _loglog(_MIRROR, energy)
    filt = _loglog(_FILTERS.get(filter_name.upper(), _FILTERS["MEDIUM"]), energy)
    if instrument.upper() == "EPN":
        qe = np.interp(energy, _QE["EPN"][:, 0], _QE["EPN"][:, 1])
        return area * filt * qe
    qe = np.interp(energy, _QE["EMOS"][:, 0], _QE["EMOS"][:, 1])
    return area * filt * qe * MOS_LIGHT_FRACTION


def vignetting(off_axis_arcmin: np.ndarray, energy: np.ndarray) -> np.ndarray:
    """Fraction of the on-axis area at an off-axis angle (arcmin) and energy (keV); 0 beyond 15'."""
    theta = np.asarray(off_axis_arcmin, dtype=np.float64)
    scale = 22.0 * (1.0 - 0.035 * np.clip(np.asarray(energy, dtype=np.float64), 0.1, 15.0))
    return np.where(theta <= 15.5, 1.0 / (1.0 + (theta / scale) ** 2), 0.0)


#: King-profile PSF core radius (arcsec) and index of each camera.
PSF_KING = {"EPN": (5.5, 1.55), "EMOS1": (4.5, 1.5), "EMOS2": (4.5, 1.5)}


def king_radii(rng: np.random.Generator, n: int, core: float, index: float, rmax: float) -> np.ndarray:
    """Radii (arcsec) drawn from ``(1 + (r/core)^2)^-index`` surface brightness, truncated at ``rmax``."""
    pmax = 1.0 - (1.0 + (rmax / core) ** 2) ** (1.0 - index)
    u = rng.random(n) * pmax
    return core * np.sqrt((1.0 - u) ** (1.0 / (1.0 - index)) - 1.0)


#: Charge-cloud sigma in pixel units at 1 keV and its growth per keV (pn 150 um, MOS 40 um pixels).
CHARGE_CLOUD = {"EPN": (0.035, 0.004), "EMOS1": (0.04, 0.004), "EMOS2": (0.04, 0.004)}
#: Fano factor and electron-hole pair energy (eV) of silicon.
FANO, PAIR_ENERGY = 0.12, 3.65
