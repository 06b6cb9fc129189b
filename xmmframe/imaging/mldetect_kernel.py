"""Numba kernel of the PSF fit: Cash statistic, its gradient and the Fisher matrix over a fit window.

The model of image ``k`` at pixel ``p`` is ``m = b + c_k * e * P(p - x0)``: background (plus
the sources already fitted) ``b``, source counts ``c_k`` at the window's reference exposure,
relative exposure ``e`` and the King PSF ``P = (1 + r^2/rc^2)^-alpha / norm`` integrated over
the pixel by ``sub x sub`` samples within :data:`SUBSAMPLED` pixels of the source (where the PSF
core varies across a pixel) and taken at the pixel centre farther out.  ``C = 2 sum(m - n ln m)`` (Cash 1979), its
gradient in ``(x0, y0, c_1..c_K)`` and ``F_ij = sum(dm_i dm_j / m)`` (the Fisher matrix of
``ln L``) are summed in one pass.

Examples
--------
>>> import numpy as np
>>> n = np.zeros((1, 9, 9)); b = np.full((1, 9, 9), 0.1); e = np.ones((1, 9, 9))
>>> value, grad, fisher, per_image = cash_window(n, b, e, 4.0, 4.0, np.array([0.0]), np.array([2.0]),
...                                              np.array([1.5]), np.array([0.1]), 2)
>>> round(float(value), 6), round(float(per_image[0]), 6)
(16.2, 16.2)
"""

from __future__ import annotations

import numba
import numpy as np

#: Smallest model value in a pixel (keeps ``ln m`` finite where background and source vanish).
MODEL_FLOOR = 1e-10
#: Distance (pixels) from the source within which pixels are sub-sampled.
SUBSAMPLED = 2.5


@numba.njit(cache=True)
def king_pixel(i: int, j: int, x0: float, y0: float, rc2: float, alpha: float, sub: int
               ) -> tuple[float, float, float, int]:
    """The King profile ``(1 + r^2/rc2)^-alpha`` summed over the samples of pixel ``(i, j)``.

    Returns ``(sum, d sum/d x0, d sum/d y0, ns)``: the pixel is sampled ``ns x ns`` times
    (``ns = sub`` within :data:`SUBSAMPLED` pixels of ``(x0, y0)``, else 1); divide by ``ns**2``
    for the mean.

    Examples
    --------
    >>> p, px, py, ns = king_pixel(3, 3, 3.0, 3.0, 1.0, 1.5, 1)
    >>> float(p), float(px), float(py), ns
    (1.0, 0.0, 0.0, 1)
    """
    p = 0.0
    px = 0.0
    py = 0.0
    ns = sub if (i - x0) ** 2 + (j - y0) ** 2 < SUBSAMPLED * SUBSAMPLED else 1
    st = 1.0 / ns
    for sj in range(ns):
        dy = j - 0.5 + (sj + 0.5) * st - y0
        for si in range(ns):
            dx = i - 0.5 + (si + 0.5) * st - x0
            u = 1.0 + (dx * dx + dy * dy) / rc2
            v = u ** (-alpha)
            p += v
            w = 2.0 * alpha * v / (u * rc2)
            px += w * dx
            py += w * dy
    return p, px, py, ns



@numba.njit(cache=True)
def cash_window(
    counts: np.ndarray,
    background: np.ndarray,
    exposure: np.ndarray,
    x0: float,
    y0: float,
    source: np.ndarray,
    rc2: np.ndarray,
    alpha: np.ndarray,
    inv_norm: np.ndarray,
    sub: int,
) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """Cash statistic of the window ``(images, ny, nx)`` for a source at ``(x0, y0)`` (window pixels).

    Returns ``(C, gradient, fisher, C per image)``; parameters are ``(x0, y0, c_1..c_K)``.
    """
    nimg, ny, nx = counts.shape
    npar = 2 + nimg
    grad = np.zeros(npar)
    fisher = np.zeros((npar, npar))
    per_image = np.zeros(nimg)
    dm = np.zeros(npar)
    for k in range(nimg):
        a = alpha[k]
        r2 = rc2[k]
        for j in range(ny):
            for i in range(nx):
                e = exposure[k, j, i]
                if e <= 0.0:
                    continue
                p, px, py, ns = king_pixel(i, j, x0, y0, r2, a, sub)
                scale = inv_norm[k] / (ns * ns)
                p *= scale
                px *= scale
                py *= scale
                c = source[k]
                m = background[k, j, i] + c * e * p
                if m < MODEL_FLOOR:
                    m = MODEL_FLOOR
                n = counts[k, j, i]
                term = m - (n * np.log(m) if n > 0 else 0.0)
                per_image[k] += 2.0 * term
                factor = 2.0 * (1.0 - n / m)
                dm[:] = 0.0
                dm[0] = c * e * px
                dm[1] = c * e * py
                dm[2 + k] = e * p
                for q in range(npar):
                    grad[q] += factor * dm[q]
                for q in range(npar):
                    if dm[q] == 0.0:
                        continue
                    for s in range(npar):
                        fisher[q, s] += dm[q] * dm[s] / m
    return per_image.sum(), grad, fisher, per_image


@numba.njit(cache=True)
def psf_pixels(ny: int, nx: int, x0: float, y0: float, rc2: float, alpha: float, inv_norm: float,
               sub: int) -> np.ndarray:
    """The PSF fraction in each pixel of a ``(ny, nx)`` window for a source at ``(x0, y0)`` (as :func:`cash_window`).

    Examples
    --------
    >>> bool(0.2 < psf_pixels(41, 41, 20.0, 20.0, 1.0, 1.5, 0.5 / np.pi, 2).sum() < 1.0)
    True
    """
    out = np.zeros((ny, nx))
    for j in range(ny):
        for i in range(nx):
            p, _, _, ns = king_pixel(i, j, x0, y0, rc2, alpha, sub)
            out[j, i] = p * inv_norm / (ns * ns)
    return out


__all__ = ["MODEL_FLOOR", "SUBSAMPLED", "cash_window", "king_pixel", "psf_pixels"]
