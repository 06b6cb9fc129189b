"""Derive the azimuthal MOS vignetting factor of :mod:`xmmframe.imaging.vignetting` (``MOS_AZIMUTHAL``).

For EMOS1 and EMOS2, the xmmframe exposure map of obs 0201903501 in 0.5-2 keV is made with the
radial vignetting alone, on the grid of the SAS 13.5 eexpmap map of the same band; the
logarithm of SAS / xmmframe over the pixels two pixels or more inside the exposed area (ratio
0.7-1.3, which leaves out the bad pixels SAS marks and xmmframe does not) is fitted by least
squares with ``sum_k theta^k (a_k + b_k cos phi + c_k sin phi + d_k cos 2phi + e_k sin 2phi)``,
k = 1, 2 (theta in arcmin, phi in DETX/DETY about the optical axis).  The 2-10 keV maps are not
used: the tests check the factor on them.

Run from the project root (needs ``../shared/refdata``)::

    PYTHONPATH=$PWD python scripts/derive_mos_azimuthal_vignetting.py
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from astropy.io import fits
from scipy.ndimage import binary_erosion

from xmmframe.imaging.attitude_steps import attitude_steps
from xmmframe.imaging.detector_sky import DetectorSky
from xmmframe.imaging.expmap import _grid, exposure_map
from xmmframe.imaging.vignetting import DET_ARCMIN, OPTICAL_AXIS
from xmmframe.io.events import open_events
from xmmframe.io.odf_directory import read_attitude
from xmmframe.model.products import Image

OBS = "0201903501"
BASE = Path(__file__).resolve().parents[2] / "shared" / "refdata" / "xga" / OBS


def design(theta: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """The fit's columns: ``theta^k * (1, cos, sin, cos 2, sin 2)`` for k = 1, 2."""
    terms = [np.ones_like(phi), np.cos(phi), np.sin(phi), np.cos(2 * phi), np.sin(2 * phi)]
    return np.column_stack([theta**k * t for k in (1, 2) for t in terms])


def derive(camera: str) -> np.ndarray:
    """The ten coefficients for one camera (``mos1`` or ``mos2``)."""
    events = open_events(BASE / "eclean" / f"{camera}_exp1_clean_evts.fits")
    image = BASE / "images" / f"{OBS}_{camera}_exp1-0.50-2.00keVimg.fits"
    sas = fits.getdata(BASE / "images" / f"{OBS}_{camera}_exp1-0.50-2.00keVexpmap.fits").astype(np.float64)
    attitude = read_attitude(str(BASE / "emchain" / f"P{OBS}OBX000ATTTSR0000.FIT"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = exposure_map(events, str(image), pimin=500, pimax=2000, attitude=attitude,
                            azimuthal_vignetting=False).data.astype(np.float64)
    grid = _grid(Image.read(str(image)), events, False, None)
    steps = attitude_steps(attitude, float(events.meta.tstart), float(events.meta.tstop), 4.0)
    affine = DetectorSky.from_events(events, attitude).sky_to_det_affine(steps)[0]
    axis = OPTICAL_AXIS[str(events.meta.instrument).strip().upper()]
    dx = affine[0, 0] * grid.px + affine[0, 1] * grid.py + affine[0, 2] - axis[0]
    dy = affine[1, 0] * grid.px + affine[1, 1] * grid.py + affine[1, 2] - axis[1]
    both = (sas > 0) & (ours > 0)
    ratio = sas / np.where(ours > 0, ours, 1.0)
    use = binary_erosion(both, iterations=2) & (ratio > 0.7) & (ratio < 1.3)
    theta, phi = np.hypot(dx, dy)[use] * DET_ARCMIN, np.arctan2(dy, dx)[use]
    coefficients, *_ = np.linalg.lstsq(design(theta, phi), np.log(ratio[use]), rcond=None)
    return coefficients


if __name__ == "__main__":
    for cam, name in (("mos1", "EMOS1"), ("mos2", "EMOS2")):
        values = ", ".join(f"{v:.4e}" for v in derive(cam))
        print(f'    "{name}": ({values}),')
