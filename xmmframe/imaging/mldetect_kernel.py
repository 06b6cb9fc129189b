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
def pixel_cash(m: float, n: float) -> tuple[float, float, float]:
    """One pixel's model floored at :data:`MODEL_FLOOR`, its Cash term ``2 (m - n ln m)`` and ``2 (1 - n/m)``
    (the term's derivative in ``m``).

    Examples
    --------
    >>> m, cash, factor = pixel_cash(0.5, 1.0)
    >>> round(cash, 6), factor
    (2.386294, -2.0)
    """
    if m < MODEL_FLOOR:
        m = MODEL_FLOOR
    term = m - (n * np.log(m) if n > 0 else 0.0)
    return m, 2.0 * term, 2.0 * (1.0 - n / m)


@numba.njit(cache=True)
def accumulate(grad: np.ndarray, fisher: np.ndarray, dm: np.ndarray, factor: float, m: float) -> None:
    """Add one pixel's ``factor * dm`` to the gradient and ``dm dm^T / m`` to the Fisher matrix (in place).

    Examples
    --------
    >>> grad, fisher = np.zeros(2), np.zeros((2, 2))
    >>> accumulate(grad, fisher, np.array([1.0, 0.0]), 2.0, 4.0)
    >>> grad.tolist(), fisher.tolist()
    ([2.0, 0.0], [[0.25, 0.0], [0.0, 0.0]])
    """
    npar = dm.size
    for q in range(npar):
        grad[q] += factor * dm[q]
    for q in range(npar):
        if dm[q] == 0.0:
            continue
        for s in range(npar):
            fisher[q, s] += dm[q] * dm[s] / m


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
    grad, fisher, per_image, dm = np.zeros(npar), np.zeros((npar, npar)), np.zeros(nimg), np.zeros(npar)
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
                n = counts[k, j, i]
                m, cash, factor = pixel_cash(m, n)
                per_image[k] += cash
                dm[:] = 0.0
                dm[0] = c * e * px
                dm[1] = c * e * py
                dm[2 + k] = e * p
                accumulate(grad, fisher, dm, factor, m)
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


@numba.njit(cache=True)
def profile_pixel(i: int, j: int, x0: float, y0: float, value: np.ndarray, d_radius: np.ndarray,
                  d_extent: np.ndarray, step: float, sub: int) -> tuple[float, float, float, float, int]:
    """A tabulated radial profile summed over the samples of pixel ``(i, j)`` (as :func:`king_pixel`).

    ``value``, ``d_radius`` and ``d_extent`` hold the profile, its radial derivative and its
    derivative in the extent at radii ``0, step, 2 step, ...`` (linear interpolation; zero beyond).
    Returns ``(sum, d/d x0, d/d y0, d/d extent, ns)``.

    Examples
    --------
    >>> table = np.array([1.0, 0.5, 0.0]); zero = np.zeros(3)
    >>> p, px, py, pe, ns = profile_pixel(0, 0, 0.5, 0.0, table, zero, zero, 1.0, 1)
    >>> float(p), ns
    (0.75, 1)
    """
    p = 0.0
    px = 0.0
    py = 0.0
    pe = 0.0
    last = value.size - 1
    ns = sub if (i - x0) ** 2 + (j - y0) ** 2 < SUBSAMPLED * SUBSAMPLED else 1
    st = 1.0 / ns
    for sj in range(ns):
        dy = j - 0.5 + (sj + 0.5) * st - y0
        for si in range(ns):
            dx = i - 0.5 + (si + 0.5) * st - x0
            r = np.sqrt(dx * dx + dy * dy)
            t = r / step
            n = int(t)
            if n >= last:
                continue
            f = t - n
            p += value[n] * (1.0 - f) + value[n + 1] * f
            pe += d_extent[n] * (1.0 - f) + d_extent[n + 1] * f
            if r > 0.0:
                slope = (d_radius[n] * (1.0 - f) + d_radius[n + 1] * f) / r
                px -= slope * dx
                py -= slope * dy
    return p, px, py, pe, ns


@numba.njit(cache=True)
def cash_window_profile(
    counts: np.ndarray,
    background: np.ndarray,
    exposure: np.ndarray,
    x0: float,
    y0: float,
    source: np.ndarray,
    value: np.ndarray,
    d_radius: np.ndarray,
    d_extent: np.ndarray,
    step: float,
    sub: int,
) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`cash_window` for an extended source: the profile of image ``k`` is tabulated
    (``value[k]`` etc., see :func:`profile_pixel`, normalised to unit integral over the plane).

    Parameters are ``(x0, y0, extent, c_1..c_K)``.

    Examples
    --------
    >>> n = np.zeros((1, 9, 9)); b = np.full((1, 9, 9), 0.1); e = np.ones((1, 9, 9)); t = np.zeros((1, 50))
    >>> value, grad, fisher, per_image = cash_window_profile(n, b, e, 4.0, 4.0, np.array([2.0]), t, t, t, 0.1, 2)
    >>> round(float(value), 6), grad.size
    (16.2, 4)
    """
    nimg, ny, nx = counts.shape
    npar = 3 + nimg
    grad, fisher, per_image, dm = np.zeros(npar), np.zeros((npar, npar)), np.zeros(nimg), np.zeros(npar)
    for k in range(nimg):
        for j in range(ny):
            for i in range(nx):
                e = exposure[k, j, i]
                if e <= 0.0:
                    continue
                p, px, py, pe, ns = profile_pixel(i, j, x0, y0, value[k], d_radius[k], d_extent[k], step, sub)
                scale = 1.0 / (ns * ns)
                c = source[k]
                m = background[k, j, i] + c * e * p * scale
                n = counts[k, j, i]
                m, cash, factor = pixel_cash(m, n)
                per_image[k] += cash
                dm[:] = 0.0
                dm[0] = c * e * px * scale
                dm[1] = c * e * py * scale
                dm[2] = c * e * pe * scale
                dm[3 + k] = e * p * scale
                accumulate(grad, fisher, dm, factor, m)
    return per_image.sum(), grad, fisher, per_image


@numba.njit(cache=True)
def profile_pixels(ny: int, nx: int, x0: float, y0: float, value: np.ndarray, step: float, sub: int) -> np.ndarray:
    """The tabulated profile's fraction in each pixel of a ``(ny, nx)`` window (as :func:`cash_window_profile`).

    Examples
    --------
    >>> float(profile_pixels(3, 3, 1.0, 1.0, np.array([1.0, 1.0, 0.0]), 1.0, 1)[1, 1])
    1.0
    """
    out = np.zeros((ny, nx))
    zero = np.zeros(value.size)
    for j in range(ny):
        for i in range(nx):
            p, _, _, _, ns = profile_pixel(i, j, x0, y0, value, zero, zero, step, sub)
            out[j, i] = p / (ns * ns)
    return out


__all__ = ["MODEL_FLOOR", "SUBSAMPLED", "accumulate", "cash_window", "cash_window_profile", "king_pixel",
           "pixel_cash", "profile_pixel", "profile_pixels", "psf_pixels"]
