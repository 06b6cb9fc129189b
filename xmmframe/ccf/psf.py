"""Point-spread function and encircled energy: the ``XRTn_XPSF`` CCF (King profile).

The public calibration handbook describes the EPIC PSF as a King profile
``PSF(r) ~ (1 + (r/rc)^2)^-alpha`` with ``rc`` and ``alpha`` tabulated against energy and
off-axis angle in ``XRTn_XPSF``.  Its encircled energy is
``EE(R) = 1 - (1 + (R/rc)^2)^(1 - alpha)``, normalised at 5 arcmin as arfgen does.

Layout assumed (the tables' real names are not public; this is the built-in set's layout):

* ``KING_PARAMS``: ``ENERGY`` (E, eV), ``RCORE`` (nE, arcsec) and ``ALPHA`` (nE) on the
  off-axis grid ``theta_k = k * D_THETA`` (header keyword ``D_THETA`` in arcmin), like the
  VIGNETTING table of ``XRTn_XAREAEF``; keyword ``EE_NORM`` = normalisation radius (arcsec,
  default 300).

Examples
--------
>>> from xmmframe.ccf.psf import read_xpsf
>>> psf = read_xpsf("XRT3_XPSF_0001.CCF")                           # doctest: +SKIP
>>> psf.encircled_energy(40.0, energy_kev=1.5, theta_arcmin=0.0)     # doctest: +SKIP
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from xmmframe.ccf.ccf_file import ccf_table, require_keyword


def king_encircled(radius: np.ndarray, rcore: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Un-normalised King encircled energy ``1 - (1 + (R/rc)^2)^(1-alpha)`` (alpha > 1).

    Examples
    --------
    >>> round(float(king_encircled(np.array(1e9), np.array(5.0), np.array(1.5))), 6)
    1.0
    """
    return 1.0 - (1.0 + (np.asarray(radius) / rcore) ** 2) ** (1.0 - alpha)


@dataclass(frozen=True)
class KingPsf:
    """King PSF parameters vs energy and off-axis angle.

    Attributes
    ----------
    energy : numpy.ndarray
        Energies (eV).
    rcore, alpha : numpy.ndarray
        ``(energies, thetas)`` core radius (arcsec) and slope.
    d_theta : float
        Off-axis step (arcmin).
    ee_norm : float
        Radius (arcsec) at which EE is normalised to 1.
    path : str
        The CCF read.
    """

    energy: np.ndarray
    rcore: np.ndarray
    alpha: np.ndarray
    d_theta: float
    ee_norm: float = 300.0
    path: str = ""

    def parameters(self, energy_kev: np.ndarray | float, theta_arcmin: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
        """``(rcore, alpha)`` interpolated bilinearly (broadcast together), clamped to the grid."""
        e, t = np.broadcast_arrays(np.asarray(energy_kev, dtype=np.float64) * 1000.0,
                                   np.asarray(theta_arcmin, dtype=np.float64))
        nt = self.rcore.shape[1]
        tpos = np.clip(t / self.d_theta, 0.0, nt - 1.0)
        t0 = np.minimum(np.floor(tpos).astype(np.int64), max(nt - 2, 0))
        wt = tpos - t0 if nt > 1 else np.zeros_like(tpos)
        t1 = np.minimum(t0 + 1, nt - 1)
        epos = np.interp(e, self.energy, np.arange(self.energy.size, dtype=np.float64))
        e0 = np.minimum(np.floor(epos).astype(np.int64), max(self.energy.size - 2, 0))
        e1 = np.minimum(e0 + 1, self.energy.size - 1)
        we = epos - e0

        def bilinear(table: np.ndarray) -> np.ndarray:
            low = table[e0, t0] * (1 - wt) + table[e0, t1] * wt
            high = table[e1, t0] * (1 - wt) + table[e1, t1] * wt
            return low * (1 - we) + high * we

        return bilinear(self.rcore), bilinear(self.alpha)

    def encircled_energy(
        self, radius_arcsec: np.ndarray | float, energy_kev: np.ndarray | float, theta_arcmin: np.ndarray | float = 0.0
    ) -> np.ndarray:
        """Fraction of a point source's photons within ``radius`` (normalised at ``ee_norm``)."""
        rcore, alpha = self.parameters(energy_kev, theta_arcmin)
        total = king_encircled(np.asarray(self.ee_norm), rcore, alpha)
        return np.clip(king_encircled(np.asarray(radius_arcsec, dtype=np.float64), rcore, alpha) / total, 0.0, 1.0)

    def surface_brightness(
        self, radius_arcsec: np.ndarray, energy_kev: float, theta_arcmin: float = 0.0
    ) -> np.ndarray:
        """PSF per arcsec² at ``radius`` (normalised to 1 within ``ee_norm``)."""
        rcore, alpha = self.parameters(energy_kev, theta_arcmin)
        norm = np.pi * rcore**2 / (alpha - 1.0) * king_encircled(np.asarray(self.ee_norm), rcore, alpha)
        return (1.0 + (np.asarray(radius_arcsec) / rcore) ** 2) ** (-alpha) / norm


def read_xpsf(path: str | os.PathLike[str]) -> KingPsf:
    """Read an ``XRTn_XPSF`` CCF (``KING_PARAMS`` extension).

    Raises
    ------
    xmmframe.errors.CalibrationError
        Naming the file and the missing extension, column or keyword.
    """
    spath = os.fspath(path)
    frame, header = ccf_table(spath, "KING_PARAMS", ("ENERGY", "RCORE", "ALPHA"))
    d_theta = float(require_keyword(header, "D_THETA", spath, "KING_PARAMS"))  # type: ignore[arg-type]

    def table(column: str) -> np.ndarray:
        values = frame[column].to_numpy()
        return np.asarray(np.stack(values) if values.dtype == object else values, dtype=np.float64).reshape(frame.height, -1)

    return KingPsf(frame["ENERGY"].to_numpy().astype(np.float64), table("RCORE"), table("ALPHA"), d_theta,
                   float(header.get("EE_NORM", 300.0)), spath)  # type: ignore[arg-type]
