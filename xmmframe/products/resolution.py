"""Energy resolution (FWHM versus energy) of an EPIC camera, measured from a redistribution.

specgroup's ``oversample`` needs the FWHM of the response at each energy; SAS reads it from
the ``XMM_SPECQUAL`` CCF, which is not public.  xmmframe measures it from a redistribution
matrix instead -- an RMF (``rmfset``, as SAS specgroup is usually given) or the calibration's
redistribution profiles (built-in set or real CCFs) for the spectrum's pattern selection:

1. at :data:`SAMPLES` energies, the width at half maximum of the main peak of the response
   row (linear interpolation between channel centres);
2. a smooth detector law ``FWHM(E)^2 = a + b*E + c*E^2`` (noise, Fano and charge-transfer
   terms) fitted to the widths between :data:`FIT_RANGE` keV.  Below about 0.4 keV a single
   width is ill defined (the pn and MOS responses have a low-energy shoulder as tall as half
   the peak), so the law is used there too.

Examples
--------
>>> from xmmframe.products.resolution import Resolution
>>> res = Resolution.from_law(1.0e-4, 2.0e-5, 0.0)
>>> round(float(res(1.0)) * 1000, 1)
11.0
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from xmmframe.errors import ProductError

#: Energies (keV) at which widths are measured.
SAMPLES = np.geomspace(0.3, 12.0, 120)
#: Energy range (keV) of the widths the law is fitted to.
FIT_RANGE = (0.4, 10.0)


@dataclass(frozen=True)
class Resolution:
    """FWHM (keV) as a function of energy (keV): ``sqrt(a + b*E + c*E^2)``.

    Attributes
    ----------
    coefficients : (float, float, float)
        ``a`` (keV^2), ``b`` (keV), ``c``.
    measured : numpy.ndarray
        ``(energy, fwhm)`` rows the law was fitted to (keV).
    source : str
        Where the widths were measured (an RMF path or a CCF).
    """

    coefficients: tuple[float, float, float]
    measured: np.ndarray
    source: str = ""

    def __call__(self, energy: np.ndarray | float) -> np.ndarray:
        """FWHM (keV) at ``energy`` (keV)."""
        a, b, c = self.coefficients
        e = np.asarray(energy, dtype=np.float64)
        return np.sqrt(np.maximum(a + b * e + c * e * e, 0.0))

    @classmethod
    def from_law(cls, a: float, b: float, c: float = 0.0) -> Resolution:
        """A resolution given by its coefficients."""
        return cls((float(a), float(b), float(c)), np.zeros((0, 2)), "law")

    @classmethod
    def from_rows(cls, energy: np.ndarray, rows: np.ndarray, e_min: np.ndarray, e_max: np.ndarray,
                  source: str = "") -> Resolution:
        """Fit the law to the half-maximum widths of response rows ``(len(energy), channels)``."""
        centres = 0.5 * (np.asarray(e_min, np.float64) + np.asarray(e_max, np.float64))
        widths = np.array([_half_width(row, centres) for row in rows])
        energy = np.asarray(energy, dtype=np.float64)
        keep = np.isfinite(widths) & (widths > 0) & (energy >= FIT_RANGE[0]) & (energy <= FIT_RANGE[1])
        if keep.sum() < 3:
            raise ProductError(f"cannot measure the energy resolution from {source or 'the response'}")
        design = np.column_stack([np.ones(keep.sum()), energy[keep], energy[keep] ** 2])
        coef, *_ = np.linalg.lstsq(design, widths[keep] ** 2, rcond=None)
        return cls((float(coef[0]), float(coef[1]), float(coef[2])),
                   np.column_stack([energy[keep], widths[keep]]), source)


def _half_width(row: np.ndarray, centres: np.ndarray) -> float:
    """Full width at half maximum of the peak of one row (in the units of ``centres``)."""
    if not np.any(row > 0):
        return np.nan
    k = int(np.argmax(row))
    half = row[k] / 2.0
    below = row < half
    left_candidates = np.nonzero(below[:k])[0]
    right_candidates = np.nonzero(below[k + 1:])[0]
    if left_candidates.size == 0 or right_candidates.size == 0:
        return np.nan
    lo, hi = left_candidates[-1], k + 1 + right_candidates[0]

    def crossing(outside: int, inside: int) -> float:
        y0, y1 = row[outside], row[inside]
        t = (half - y0) / (y1 - y0) if y1 != y0 else 0.0
        return float(centres[outside] + t * (centres[inside] - centres[outside]))

    return crossing(hi, hi - 1) - crossing(lo, lo + 1)


def rmf_resolution(rmf: Any) -> Resolution:
    """The resolution of an RMF (:class:`~xmmframe.model.responses.Rmf` or path).

    Examples
    --------
    >>> rmf_resolution("PN.rmf")(6.4)                                     # doctest: +SKIP
    """
    from xmmframe.model.responses import Rmf

    source = os.fspath(rmf) if isinstance(rmf, (str, os.PathLike)) else str(rmf.keywords.get("INSTRUME", "RMF"))
    rmf = Rmf.read(rmf) if isinstance(rmf, (str, os.PathLike)) else rmf
    centres = 0.5 * (rmf.energ_lo + rmf.energ_hi)
    index = np.unique(np.clip(np.searchsorted(centres, SAMPLES), 0, rmf.n_energies - 1))
    rows = np.stack([rmf.to_dense(slice(i, i + 1))[0] for i in index])
    return Resolution.from_rows(centres[index], rows, rmf.e_min, rmf.e_max, source)


def calibration_resolution(instrument: str, patterns: Any = None, calibration: Any = None,
                           observation_date: str | None = None) -> Resolution:
    """The resolution of the calibration's redistribution for a camera and pattern selection.

    Examples
    --------
    >>> calibration_resolution("EPN", range(0, 5))(1.0)                   # doctest: +SKIP
    """
    from xmmframe.ccf.access import Calibration

    cal = calibration if calibration is not None else Calibration.open(observation_date=observation_date)
    redist = cal.redistribution(instrument)
    profiles = redist.pattern_set(patterns)
    step = 5.0
    nchan = int(15000 / step)
    rows = profiles.rows(SAMPLES, 0.0, step, nchan)
    edges = np.arange(nchan + 1) * step / 1000.0
    return Resolution.from_rows(SAMPLES, rows, edges[:-1], edges[1:], redist.path)


__all__ = ["FIT_RANGE", "SAMPLES", "Resolution", "calibration_resolution", "rmf_resolution"]
