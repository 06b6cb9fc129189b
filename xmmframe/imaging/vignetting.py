"""Mirror vignetting for an exposure map: the XAREAEF factor against off-axis angle at a band's energy.

SAS eexpmap evaluates the vignetting of an energy band ``pimin..pimax`` (PI in eV) at one
energy; xmmframe takes the band's centre ``(pimin + pimax) / 2``.  The off-axis angle is
measured in the detector plane from the optical axis, DETX = DETY = 0 by default (the origin of
the EPIC detector coordinates; SAS takes the optical axis from the boresight CCFs, which are not
part of the built-in calibration).  DET units are 0.05 arcsec.

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


__all__ = ["DET_ARCMIN", "TABLE_EXTENT", "TABLE_STEP", "band_energy", "vignetting_table"]
