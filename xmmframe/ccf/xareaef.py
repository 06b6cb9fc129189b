"""Mirror effective area and vignetting: the ``XRTn_XAREAEF`` CCF (n = 1, 2 MOS; 3 pn).

Layout (read from the genuine ``XRT3_XAREAEF_0012.CCF``, ESA deceit.pl 1.22):

* ``ONAXISXAREAEF``: ``ENERGY`` (E, eV), ``AREA`` (E, cm2) — on-axis effective area of the
  mirror module (512 rows, 0-30 keV).
* ``VIGNETTING``: ``ENERGY`` (E, eV), ``VIGNETTING_FACTOR`` (27E) — the fraction of the on-axis
  area at off-axis angles ``theta_k = k * D_THETA`` (k = 0..26); header keyword ``D_THETA``
  is the constant step of the theta grid **in degrees** (0.01 deg: the grid spans 0-15.6
  arcmin, the EPIC field of view; an arcmin step would span a quarter arcmin, which cannot be).
* ``CORRAREA``: ``ENERGY`` (E, eV), ``FACTOR`` (E) — the cross-calibration (XCAL) correction
  arfgen applies with ``applyxcaladjustment=yes`` (default no).

Values are interpolated linearly in energy (and in theta for the vignetting), clamped at the
ends of the tables.

Examples
--------
>>> from xmmframe.ccf.xareaef import read_xareaef
>>> mirror = read_xareaef("XRT3_XAREAEF_0012.CCF")     # doctest: +SKIP
>>> round(float(mirror.area(1.5)), 1)                   # doctest: +SKIP
1457.3
>>> mirror.vignetting_factor(1.5, 10.0)                 # doctest: +SKIP
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from xmmframe.ccf.ccf_file import ccf_table, require_keyword


@dataclass(frozen=True)
class MirrorArea:
    """On-axis area, vignetting and XCAL correction of one X-ray telescope.

    Attributes
    ----------
    energy, area : numpy.ndarray
        ONAXISXAREAEF: energy (eV) and area (cm2).
    vignetting_energy : numpy.ndarray
        VIGNETTING energies (eV).
    vignetting : numpy.ndarray
        ``(energies, thetas)`` vignetting factors.
    d_theta : float
        Theta step of the vignetting grid (degrees).
    correction_energy, correction : numpy.ndarray
        CORRAREA energies (eV) and factors.
    path : str
        The CCF read.
    """

    energy: np.ndarray
    area: np.ndarray
    vignetting_energy: np.ndarray
    vignetting: np.ndarray
    d_theta: float
    correction_energy: np.ndarray
    correction: np.ndarray
    path: str = ""

    @property
    def theta_arcmin(self) -> np.ndarray:
        """Off-axis angles of the vignetting grid (arcmin)."""
        return np.arange(self.vignetting.shape[1]) * self.d_theta * 60.0

    def on_axis_area(self, energy_kev: np.ndarray | float) -> np.ndarray:
        """On-axis effective area (cm2) at energies in keV."""
        return np.interp(np.asarray(energy_kev, dtype=np.float64) * 1000.0, self.energy, self.area)

    def vignetting_factor(self, energy_kev: np.ndarray | float, theta_arcmin: np.ndarray | float) -> np.ndarray:
        """Vignetting factor, bilinear in energy and off-axis angle (broadcast together)."""
        e, t = np.broadcast_arrays(np.asarray(energy_kev, dtype=np.float64) * 1000.0,
                                   np.asarray(theta_arcmin, dtype=np.float64))
        grid_t = self.theta_arcmin
        tpos = np.clip(t / (self.d_theta * 60.0), 0.0, grid_t.size - 1.0)
        t0 = np.minimum(np.floor(tpos).astype(np.int64), grid_t.size - 2)
        wt = tpos - t0
        epos = np.interp(e, self.vignetting_energy, np.arange(self.vignetting_energy.size, dtype=np.float64))
        e0 = np.minimum(np.floor(epos).astype(np.int64), self.vignetting_energy.size - 2)
        we = epos - e0
        v = self.vignetting
        low = v[e0, t0] * (1 - wt) + v[e0, t0 + 1] * wt
        high = v[e0 + 1, t0] * (1 - wt) + v[e0 + 1, t0 + 1] * wt
        return low * (1 - we) + high * we

    def xcal_factor(self, energy_kev: np.ndarray | float) -> np.ndarray:
        """CORRAREA cross-calibration factor at energies in keV."""
        return np.interp(np.asarray(energy_kev, dtype=np.float64) * 1000.0, self.correction_energy, self.correction)


def read_xareaef(path: str | os.PathLike[str]) -> MirrorArea:
    """Read an ``XRTn_XAREAEF`` CCF.

    Raises
    ------
    xmmframe.errors.CalibrationError
        Naming the file and the missing extension, column or keyword.
    """
    spath = os.fspath(path)
    onaxis, _ = ccf_table(spath, "ONAXISXAREAEF", ("ENERGY", "AREA"), units={"ENERGY": "eV", "AREA": "cm**2"})
    vig, vig_header = ccf_table(spath, "VIGNETTING", ("ENERGY", "VIGNETTING_FACTOR"), units={"ENERGY": "eV"})
    d_theta = float(require_keyword(vig_header, "D_THETA", spath, "VIGNETTING"))  # type: ignore[arg-type]
    corr, _ = ccf_table(spath, "CORRAREA", ("ENERGY", "FACTOR"), units={"ENERGY": "eV"})
    factors = np.stack(vig["VIGNETTING_FACTOR"].to_numpy()) if vig.height else np.zeros((0, 0))
    return MirrorArea(
        onaxis["ENERGY"].to_numpy().astype(np.float64), onaxis["AREA"].to_numpy().astype(np.float64),
        vig["ENERGY"].to_numpy().astype(np.float64), np.asarray(factors, dtype=np.float64).reshape(vig.height, -1),
        d_theta, corr["ENERGY"].to_numpy().astype(np.float64), corr["FACTOR"].to_numpy().astype(np.float64), spath,
    )
