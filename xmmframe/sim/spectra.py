"""Source spectra (photons/cm2/s/keV) and drawing photon energies from spectrum x effective area.

Examples
--------
>>> import numpy as np
>>> from xmmframe.sim.spectra import powerlaw_norm, ENERGY_GRID
>>> k = powerlaw_norm(1e-12, 2.0)            # photons/cm2/s/keV at 1 keV for 1e-12 erg/cm2/s (2-10 keV)
>>> round(k, 6)
0.000388
"""

from __future__ import annotations

import numpy as np

from xmmframe.sim.config import ExtendedSource, Line, PointSource

#: keV per erg.
KEV_PER_ERG = 6.241509074e8
#: The energy grid (keV) spectra are evaluated on: 2 eV steps from 0.15 to 15 keV.
ENERGY_GRID = np.arange(0.150, 15.0, 0.002)


def absorption(energy: np.ndarray, nh: float) -> np.ndarray:
    """Photoelectric transmission ``exp(-nH sigma(E))``, sigma ~ 2.4e-22 (E/keV)^-2.6 cm2 (nh: 1e22 cm-2)."""
    return np.exp(-nh * 1e22 * 2.4e-22 * np.asarray(energy) ** -2.6)


def powerlaw_norm(flux_2_10: float, gamma: float) -> float:
    """Normalisation at 1 keV (photons/cm2/s/keV) of a power law with a 2-10 keV energy flux (erg/cm2/s)."""
    e = np.linspace(2.0, 10.0, 4001)
    energy_flux = np.trapezoid(e * e**-gamma, e)  # keV/cm2/s per unit norm
    return float(flux_2_10 * KEV_PER_ERG / energy_flux)


def continuum(source: PointSource | ExtendedSource, energy: np.ndarray) -> np.ndarray:
    """Photon flux density (photons/cm2/s/keV) of a source's continuum (absorbed)."""
    if isinstance(source, PointSource):
        shape = energy**-source.gamma
    else:
        shape = energy**-1.4 * np.exp(-energy / source.kt)
    e = np.linspace(2.0, 10.0, 4001)
    ref = (e**-source.gamma) if isinstance(source, PointSource) else e**-1.4 * np.exp(-e / source.kt)
    norm = source.flux * KEV_PER_ERG / np.trapezoid(e * ref, e)
    return norm * shape * absorption(energy, source.nh)


def line_flux(source: PointSource | ExtendedSource, line: Line) -> float:
    """Photon flux (photons/cm2/s) of a line with the given equivalent width against the continuum."""
    return float(line.eqw * continuum(source, np.array([line.energy]))[0])


def draw_energies(rng: np.random.Generator, density: np.ndarray, grid: np.ndarray, n: int) -> np.ndarray:
    """``n`` energies (keV) drawn from a count density on ``grid`` (inverse CDF, uniform within cells)."""
    cells = 0.5 * (density[1:] + density[:-1]) * np.diff(grid)
    cdf = np.cumsum(cells)
    cdf /= cdf[-1]
    k = np.searchsorted(cdf, rng.random(n), side="right")
    k = np.minimum(k, grid.size - 2)
    return grid[k] + rng.random(n) * (grid[k + 1] - grid[k])
