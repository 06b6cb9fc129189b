"""The compiled sum behind an exposure map: every sub-pixel of the image, every attitude step.

For each image pixel, ``sub x sub`` points spread evenly over the pixel are taken to
detector coordinates through each attitude step's affine map; a point on a CCD pixel that is
not masked (bad, or excluded neighbour/border) and inside the field of view adds that CCD's
live time in the step, times the vignetting at its off-axis angle.  The pixel's value is the
mean over its points (the fraction of the pixel exposed, as SAS's exact pixelisation gives).

Examples
--------
>>> import numpy as np
>>> out = np.zeros((1, 1))
>>> accumulate(np.zeros((1, 1)), np.zeros((1, 1)), np.array([1.0, 0.0, 0.0, 1.0]), 2,
...            np.array([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]]),
...            np.array([[[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]]]), np.array([[2, 2]]),
...            np.zeros((1, 4, 4), np.uint8), np.array([[10.0]]), 0.0, 0.0, np.full(8, 100.0),
...            0.0, 0.0, 1.0, 1.0, np.ones(2), np.zeros(10), out)
>>> out.tolist()
[[10.0]]
"""

from __future__ import annotations

import math

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def accumulate(px: np.ndarray, py: np.ndarray, jacobian: np.ndarray, sub: int, steps: np.ndarray,
               ccd_affine: np.ndarray, ccd_size: np.ndarray, masked: np.ndarray, exposure: np.ndarray,
               fov_x: float, fov_y: float, fov_radius: np.ndarray, axis_x: float, axis_y: float,
               det_to_arcmin: float, vig_step: float, vig_table: np.ndarray, vig_azimuth: np.ndarray,
               out: np.ndarray) -> None:  # pragma: no cover - compiled
    """Add the exposure of every pixel to ``out`` (``(ny, nx)``).

    Parameters
    ----------
    px, py : (ny, nx) arrays
        Pixel centres in the coordinates the step maps start from (sky X/Y, or DETX/DETY).
    jacobian : (4,) array
        ``dX/di, dX/dj, dY/di, dY/dj``: the coordinate change per pixel along columns and rows.
    sub : int
        Points per pixel along each axis.
    steps : (K, 2, 3) array
        Per attitude step, the affine map to DETX/DETY.
    ccd_affine : (C, 2, 3) array
        Per CCD, the affine map DETX/DETY -> continuous RAWX/RAWY (integers = pixel centres).
    ccd_size : (C, 2) int array
        RAW pixels per CCD.
    masked : (C, nx + 2, ny + 2) uint8 array
        1 on the RAW pixels that get no exposure.
    exposure : (C, K) array
        Live time of each CCD in each step.
    fov_x, fov_y, fov_radius : float, float, (S,) array
        Field-of-view envelope (DET): the largest distance per angular sector about the centre.
    axis_x, axis_y, det_to_arcmin : float
        Optical axis (DET) and the detector scale, for the off-axis angle.
    vig_step, vig_table : float, (T,) array
        Vignetting at off-axis angles ``k * vig_step`` arcmin (linear in between, last value beyond).
    vig_azimuth : (10,) array
        Azimuthal factor ``exp(sum_k theta^k (a_k + b_k cos phi + c_k sin phi + d_k cos 2phi +
        e_k sin 2phi))``, k = 1, 2 (theta in arcmin, phi the DET angle about the optical axis),
        coefficients in the order ``a1 b1 c1 d1 e1 a2 b2 c2 d2 e2``; all zero: none
        (:func:`xmmframe.imaging.vignetting.azimuthal_factor`).
    out : (ny, nx) array
        Accumulator.
    """
    ny, nx = px.shape
    nsteps = steps.shape[0]
    nccd = ccd_affine.shape[0]
    nsec = fov_radius.size
    ntab = vig_table.size
    weight = 1.0 / (sub * sub)
    inner = fov_radius.min() ** 2  # inside every sector: no angle needed
    outer = fov_radius.max() ** 2
    last = 0  # the CCD of the previous point: neighbouring points mostly share it
    azimuthal = False
    for q in range(vig_azimuth.size):
        if vig_azimuth[q] != 0.0:
            azimuthal = True
    for j in range(ny):
        for i in range(nx):
            total = 0.0
            for a in range(sub):
                oi = (a + 0.5) / sub - 0.5
                for b in range(sub):
                    oj = (b + 0.5) / sub - 0.5
                    x = px[j, i] + jacobian[0] * oi + jacobian[1] * oj
                    y = py[j, i] + jacobian[2] * oi + jacobian[3] * oj
                    for k in range(nsteps):
                        dx = steps[k, 0, 0] * x + steps[k, 0, 1] * y + steps[k, 0, 2]
                        dy = steps[k, 1, 0] * x + steps[k, 1, 1] * y + steps[k, 1, 2]
                        fx, fy = dx - fov_x, dy - fov_y
                        r2 = fx * fx + fy * fy
                        if r2 > outer:
                            continue
                        if r2 > inner:
                            sector = int((math.atan2(fy, fx) + math.pi) / (2 * math.pi) * nsec)
                            sector = min(sector, nsec - 1)
                            if r2 > fov_radius[sector] ** 2:
                                continue
                        for n in range(nccd):
                            c = last if n == 0 else (n - 1 if n <= last else n)
                            rx = ccd_affine[c, 0, 0] * dx + ccd_affine[c, 0, 1] * dy + ccd_affine[c, 0, 2]
                            ry = ccd_affine[c, 1, 0] * dx + ccd_affine[c, 1, 1] * dy + ccd_affine[c, 1, 2]
                            if rx < 0.5 or ry < 0.5 or rx >= ccd_size[c, 0] + 0.5 or ry >= ccd_size[c, 1] + 0.5:
                                continue
                            last = c
                            if masked[c, int(rx + 0.5), int(ry + 0.5)]:
                                break
                            ax, ay = dx - axis_x, dy - axis_y
                            radius = math.sqrt(ax * ax + ay * ay)
                            theta = radius * det_to_arcmin / vig_step
                            t0 = int(theta)
                            if t0 >= ntab - 1:
                                vig = vig_table[ntab - 1]
                            else:
                                w = theta - t0
                                vig = vig_table[t0] * (1.0 - w) + vig_table[t0 + 1] * w
                            if azimuthal and radius > 0.0:
                                cphi, sphi = ax / radius, ay / radius
                                c2, s2 = cphi * cphi - sphi * sphi, 2.0 * cphi * sphi
                                t1 = radius * det_to_arcmin
                                t2 = t1 * t1
                                vig *= math.exp(
                                    t1 * (vig_azimuth[0] + vig_azimuth[1] * cphi + vig_azimuth[2] * sphi
                                          + vig_azimuth[3] * c2 + vig_azimuth[4] * s2)
                                    + t2 * (vig_azimuth[5] + vig_azimuth[6] * cphi + vig_azimuth[7] * sphi
                                            + vig_azimuth[8] * c2 + vig_azimuth[9] * s2))
                            total += exposure[c, k] * vig
                            break
            out[j, i] += total * weight


__all__ = ["accumulate"]
