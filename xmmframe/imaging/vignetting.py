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
  RGA-carrying MOS telescopes (Mateos et al. 2009, A&A 496, 879), which the built-in calibration
  does not describe.

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


__all__ = ["DET_ARCMIN", "OPTICAL_AXIS", "TABLE_EXTENT", "TABLE_STEP", "band_energy", "vignetting_table"]
