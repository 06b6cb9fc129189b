"""The extended-source model of the PSF fit: the King PSF convolved with a beta model.

SAS emldetect (``fitextent=yes``, ``extentmodel=beta``) fits an extended source as the PSF
convolved with ``S(r) = (1 + r^2/rc^2)^(-3 beta + 1/2)`` with ``beta = 2/3``, i.e.
``(1 + r^2/rc^2)^-1.5``; the fitted core radius ``rc`` is the source extent ``EXT``.

Both profiles are circular, so their convolution is a Hankel transform (2-D Fourier transform
of a radial function):

* the beta model normalised to unit integral has the transform ``exp(-k rc)``;
* the King profile ``(1 + r^2/a^2)^-alpha`` has ``2 pi a^(alpha+1) (k/2)^(alpha-1) K_(alpha-1)(k a) / Gamma(alpha)``
  (``K`` the modified Bessel function of the second kind), ``pi a^2 / (alpha - 1)`` at ``k = 0``;
* the convolved profile is ``f(r) = 1/(2 pi) int k J0(k r) P(k) exp(-k rc) dk``, and its
  derivatives in ``r`` (``-k J1``) and ``rc`` (``-k``) follow under the integral.  The
  integrals are trapezoid sums with the Euler-Maclaurin end correction at ``k = 0`` (without
  it the sum is short by ``dk^2 P(0) / (24 pi)`` at every radius, which matters in the wings).

The PSF keeps the point-source fit's normalisation (unit integral within ``EE_NORM``), so an
extended source's counts are on the same scale as a point source's.  The profile is tabulated
at radii ``0, STEP, 2 STEP, ...`` pixels for the kernel
(:func:`~xmmframe.imaging.mldetect_kernel.cash_window_profile`).

Examples
--------
>>> import numpy as np
>>> model = ExtentModel(max_radius=30.0, min_extent=1.0)
>>> value, d_radius, d_extent = model.profile(np.array([1.0]), np.array([1.5]), np.array([0.5 / np.pi]), 3.0)
>>> r = model.radii
>>> round(float(np.trapezoid(2 * np.pi * r * value[0], r)), 2)    # the tails beyond 30 pixels are missing
0.87
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import gamma, j0, j1, kv

#: Radial step (pixels) of the tabulated profiles.
STEP = 0.1
#: Largest ``k rc`` of the transform's ``exp(-k rc)`` factor integrated (``exp(-15)`` is negligible).
K_EXTENT = 15.0


class ExtentModel:
    """Tabulates PSF-convolved beta profiles out to ``max_radius`` pixels for extents of ``min_extent`` and more.

    Parameters
    ----------
    max_radius : float
        Largest radius tabulated (pixels): the fit window's half diagonal.
    min_extent : float
        Smallest core radius fitted (pixels); sets the highest spatial frequency integrated.
    """

    def __init__(self, max_radius: float, min_extent: float) -> None:
        if min_extent <= 0 or max_radius <= 0:
            raise ValueError("ExtentModel needs positive max_radius and min_extent")
        self.radii = np.arange(0.0, max_radius + 2 * STEP, STEP)
        dk = math.pi / (4.0 * max_radius)
        k = np.arange(0.0, K_EXTENT / min_extent + dk, dk)
        weights = np.full(k.size, dk)
        weights[0] = weights[-1] = dk / 2.0
        self.k = k
        self._dk = dk
        self._kw = k * weights / (2.0 * math.pi)
        kr = np.outer(self.radii, k)
        self._j0 = j0(kr)
        self._kj1 = -j1(kr) * k

    def psf_transform(self, rc2: float, alpha: float, inv_norm: float) -> np.ndarray:
        """The Hankel transform of the King PSF ``inv_norm (1 + r^2/rc2)^-alpha`` at :attr:`k`."""
        a = math.sqrt(rc2)
        out = np.empty(self.k.size)
        out[0] = math.pi * rc2 / (alpha - 1.0)
        kk = self.k[1:]
        with np.errstate(under="ignore"):
            out[1:] = 2.0 * math.pi * a ** (alpha + 1.0) * (kk / 2.0) ** (alpha - 1.0) * kv(alpha - 1.0, kk * a) \
                / gamma(alpha)
        return np.nan_to_num(out) * inv_norm

    def profile(self, rc2: np.ndarray, alpha: np.ndarray, inv_norm: np.ndarray, extent: float
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Profiles of the PSFs of each image convolved with a beta model of core radius ``extent`` (pixels).

        Returns ``(value, d value/d r, d value/d extent)``, each ``(images, radii)``, per unit
        source counts and pixel area.
        """
        return self.convolved(self.psf_transforms(rc2, alpha, inv_norm), extent)

    def psf_transforms(self, rc2: np.ndarray, alpha: np.ndarray, inv_norm: np.ndarray) -> np.ndarray:
        """:meth:`psf_transform` of each image, ``(images, k)``."""
        return np.stack([self.psf_transform(float(r), float(a), float(n)) for r, a, n in zip(rc2, alpha, inv_norm,
                                                                                           strict=True)])

    def convolved(self, transforms: np.ndarray, extent: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`profile` from the PSFs' transforms (:meth:`psf_transforms`)."""
        nimg = transforms.shape[0]
        w = (self._kw * np.exp(-self.k * extent))[:, None] * transforms.T
        both = self._j0 @ np.concatenate([w, -self.k[:, None] * w], axis=1)
        # Euler-Maclaurin end correction of the trapezoid rule at k = 0, where the integrand's slope is P(0) / (2 pi)
        value = np.ascontiguousarray(both[:, :nimg].T) + self._dk**2 / (24.0 * math.pi) * transforms[:, :1]
        d_extent = np.ascontiguousarray(both[:, nimg:].T)
        d_radius = np.ascontiguousarray((self._kj1 @ w).T)
        return value, d_radius, d_extent


__all__ = ["K_EXTENT", "STEP", "ExtentModel"]
