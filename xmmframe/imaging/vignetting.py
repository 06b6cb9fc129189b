"""Mirror vignetting for an exposure map: the XAREAEF factor against off-axis angle at a band's energy.

SAS eexpmap evaluates the vignetting of an energy band ``pimin..pimax`` (PI in eV) at one
energy; xmmframe takes the band's centre ``(pimin + pimax) / 2``.  The off-axis angle is
measured in the detector plane from the optical axis (:data:`OPTICAL_AXIS`, DET units of
0.05 arcsec).  SAS takes the optical axis from calibration files that are not part of the
built-in set; the values here are:

* pn: DETX, DETY = (1200, 400) (1.0', 0.3' from the DET origin), the centre of the XRT3
  vignetting that fits the SAS 19.1 pn DETX/DETY exposure map of obs 0723801301
  (``pn_expo_500_2000_detxy.ds``; 90 % of its pixels within 2 % of a radial vignetting about
  that point, 20 % about the DET origin).
* MOS: the DET origin.  The SAS MOS maps of obs 0201903501 peak 15"-60" from it (their
  ``XCEN/YCEN``); their shape further off axis is dominated by the azimuthal vignetting of the
  RGA-carrying MOS telescopes (Mateos et al. 2009, A&A 496, 879).

**Azimuthal MOS vignetting** (:data:`MOS_AZIMUTHAL`, built-in calibration only).  The built-in
XRT1/XRT2 vignetting is the radial XRT3 curve; the MOS telescopes' vignetting also depends on
the azimuth about the optical axis (the RGA behind the mirror).  No public table of it is in
the built-in set, so the factor

    ``exp(sum_k theta^k (a_k + b_k cos phi + c_k sin phi + d_k cos 2phi + e_k sin 2phi))``, k = 1, 2

(theta in arcmin from the optical axis, phi the angle in DETX/DETY) was **derived from the SAS
13.5 eexpmap maps of obs 0201903501 in the 0.5-2 keV band** (MOS1 map for EMOS1, MOS2 map for
EMOS2): a least-squares fit of ``log(SAS / xmmframe radial-only map)`` over the pixels two
pixels or more inside the exposed area, ``scripts/derive_mos_azimuthal_vignetting.py``.  It
is taken as energy independent and is therefore tested only on the 2-10 keV maps of the same
observation (``tests/imaging/test_expmap.py``), which it was not fitted to.  Its dipole is
1.3 % (MOS1) and 1.8 % (MOS2) per arcmin off axis, in the opposite DET directions of the two
cameras.  With a CCF directory (``SAS_CCFPATH``) the factor is not applied.

Examples
--------
>>> band_energy(500, 2000)
1.25
>>> step, table = vignetting_table(mirror, 1.25)                 # doctest: +SKIP
>>> round(float(table[0]), 3)                                    # doctest: +SKIP
1.0
"""

from __future__ import annotations

import numpy as np

from xmmframe.ccf.xareaef import MirrorArea
from xmmframe.errors import ParameterError

#: Arcmin per DETX/DETY unit (0.05 arcsec).
DET_ARCMIN = 0.05 / 60.0
#: Optical axis (DETX, DETY) per camera; see the module text.
OPTICAL_AXIS = {"EPN": (1200.0, 400.0), "EMOS1": (0.0, 0.0), "EMOS2": (0.0, 0.0)}
#: Off-axis step (arcmin) of the table handed to the kernel, and its extent.
TABLE_STEP = 0.05
TABLE_EXTENT = 30.0


#: Azimuthal factor coefficients ``a1 b1 c1 d1 e1 a2 b2 c2 d2 e2`` per MOS camera (see the module
#: text: derived from the 0.5-2 keV SAS maps of obs 0201903501).
MOS_AZIMUTHAL: dict[str, tuple[float, ...]] = {
    "EMOS1": (1.0392e-03, 2.6755e-03, 1.2327e-02, -8.9681e-04, 1.0640e-03,
              -1.3996e-04, -1.8628e-04, 3.1552e-05, 8.4949e-05, 1.4536e-05),
    "EMOS2": (1.5286e-04, -4.2025e-03, -1.7133e-02, -1.0774e-03, 8.5755e-04,
              -6.6530e-05, -5.3079e-04, 7.2723e-04, -2.3845e-05, 1.1709e-05),
}
#: No azimuthal factor.
NO_AZIMUTHAL = (0.0,) * 10


def azimuthal_coefficients(instrument: str, builtin: bool) -> np.ndarray:
    """The azimuthal-factor coefficients of a camera (zeros for pn, or with real CCFs).

    Examples
    --------
    >>> azimuthal_coefficients("EPN", True).tolist() == [0.0] * 10
    True
    """
    values = MOS_AZIMUTHAL.get(instrument.strip().upper(), NO_AZIMUTHAL) if builtin else NO_AZIMUTHAL
    return np.asarray(values, dtype=np.float64)


def azimuthal_factor(coefficients: np.ndarray, dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    """The azimuthal factor at DET offsets ``(dx, dy)`` (DET units) from the optical axis.

    The same expression as the exposure-map kernel (:mod:`xmmframe.imaging.expmap_kernel`).

    Examples
    --------
    >>> coefficients = np.zeros(10); coefficients[1] = 0.01          # 1 % per arcmin towards +DETX
    >>> azimuthal_factor(coefficients, np.array([1200.0, -1200.0]), np.array([0.0, 0.0])).round(4).tolist()
    [1.0101, 0.99]
    """
    dx, dy = np.asarray(dx, dtype=np.float64), np.asarray(dy, dtype=np.float64)
    radius = np.hypot(dx, dy)
    phi = np.arctan2(dy, dx)
    terms = np.stack([np.ones_like(phi), np.cos(phi), np.sin(phi), np.cos(2 * phi), np.sin(2 * phi)])
    theta = radius * DET_ARCMIN
    c = np.asarray(coefficients, dtype=np.float64)
    exponent = theta * np.tensordot(c[:5], terms, axes=1) + theta**2 * np.tensordot(c[5:], terms, axes=1)
    return np.exp(exponent)


def band_energy(pimin: float, pimax: float) -> float:
    """The energy (keV) at which a PI band's vignetting is evaluated: the band centre.

    Raises
    ------
    ParameterError
        For an empty or negative band.
    """
    if not (pimax > pimin >= 0):
        raise ParameterError(f"the energy band pimin={pimin:g} .. pimax={pimax:g} (eV) is empty")
    return 0.5 * (float(pimin) + float(pimax)) / 1000.0


def vignetting_table(mirror: MirrorArea | None, energy_kev: float) -> tuple[float, np.ndarray]:
    """``(step_arcmin, factors)``: the vignetting at ``k * step`` arcmin (k = 0 .. 30'/step).

    ``mirror=None`` gives no vignetting (all factors 1, SAS ``withvignetting=no``).
    """
    theta = np.arange(0.0, TABLE_EXTENT + TABLE_STEP / 2, TABLE_STEP)
    if mirror is None:
        return TABLE_STEP, np.ones(theta.size)
    return TABLE_STEP, np.asarray(mirror.vignetting_factor(energy_kev, theta), dtype=np.float64)


__all__ = ["DET_ARCMIN", "MOS_AZIMUTHAL", "OPTICAL_AXIS", "TABLE_EXTENT", "TABLE_STEP", "azimuthal_coefficients",
           "azimuthal_factor", "band_energy", "vignetting_table"]
