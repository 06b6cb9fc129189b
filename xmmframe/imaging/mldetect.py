"""Maximum-likelihood PSF fit of source candidates (SAS ``emldetect``).

Each candidate of a box list is fitted in a window around it, simultaneously in every band and
camera: a common position and one count rate per image, the model being the background map
plus the sources fitted before it (so close pairs are fitted one after the other, brightest
first) plus the source's PSF times the exposure map.  The PSF is the calibration's King
profile (``XRTn_XPSF``; built-in set without ``SAS_CCFPATH``) of each camera at the band's
centre energy and the candidate's off-axis angle, integrated over the pixel.  The fit
minimises the Cash statistic ``C = 2 sum(m - n ln m)`` (kernel:
:mod:`xmmframe.imaging.mldetect_kernel`) by Fisher scoring within bounds.

**Detection likelihood** (SAS's definition): with ``dC = C_null - C_best`` (null hypothesis: no
source, the model is the background alone), ``DET_ML = -ln P`` where ``P = Q(nu/2, dC/2)`` is the
probability of the null hypothesis, ``Q`` the regularised upper incomplete gamma function and
``nu`` the number of fitted parameters (2 for the position plus one rate per image).  Per
image (band or camera) the same with that image's ``dC`` and ``nu = 3``.

**Errors** from the inverse of the Fisher matrix of ``ln L`` at the best fit: ``RADEC_ERR`` =
``sqrt(sigma_x^2 + sigma_y^2)`` (arcsec; SAS adds no systematic error), ``RATE_ERR`` per image.

**Rates** are counts/s of the whole PSF (normalised within the PSF's ``EE_NORM`` radius,
300") at the exposure map's exposure: vignetting-corrected when the map includes vignetting,
as SAS's are.  ``RATE`` is the sum over the cameras of each camera's rate summed over bands
(the 4XMM ``EP_..._RATE`` convention).

Candidates are fitted smallest box first, most likely first within a box size; a fit that
converges within ``min_separation`` of a source already accepted, or with no counts, is
dropped.  Further passes refit every accepted source with all the others in the model (so a
source fitted early is not biased by a neighbour found later), until a pass drops none.

**Extent** (``fitextent``, as SAS's ``extentmodel=beta``): each source is also fitted as the PSF
convolved with a beta model of core radius ``rc`` (:mod:`xmmframe.imaging.extent`), between
``minextent`` and ``maxextent`` pixels, in a window of at least ``2 maxextent`` pixels half-size
(the point fit uses the same window so that the two are compared on the same pixels).  The
likelihood of extent is ``EXT_ML = (C_point - C_extended) / 2`` (SAS's ``L = C/2``); a source
with ``EXT_ML >= dmlextmin`` keeps the extended fit (``EXT`` = ``rc`` in arcsec, ``EXT_ERR`` from
the Fisher matrix of the extended fit), the others keep the point fit (``EXT`` = ``EXT_ERR`` = 0).
With ``fitextent`` the fit has one more free parameter: ``DET_ML`` takes ``nu = 3 + n`` (SAS).

Examples
--------
>>> from xmmframe.imaging.mldetect import ml_detect
>>> sources = ml_detect(images, box_list, mlmin=10)                 # doctest: +SKIP
>>> sources.select("RA", "DEC", "RATE", "DET_ML").head(3)           # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy.special import gammaincc, gammaln

from xmmframe.ccf.access import Calibration
from xmmframe.errors import ParameterError
from xmmframe.imaging.detect_images import DetectionImage, check_grid
from xmmframe.imaging.extent import ExtentModel
from xmmframe.imaging.mldetect_kernel import cash_window, cash_window_profile, profile_pixels, psf_pixels

#: PSF samples per pixel along each axis.
SUBPIXELS = 3
#: A fitted source's model is subtracted from its neighbours' fits out to the radius holding this PSF fraction.
MODEL_EEF = 0.97
#: Candidates whose rates alone (at the box position) reach less than this fraction of ``mlmin`` are not fitted.
SCREEN = 0.3
#: Most refit passes (a pass that drops no source ends them).
REFIT_PASSES = 4
#: Core radii (in steps between ``minextent`` and ``maxextent``) tried before the extended fit starts.
EXTENT_STARTS = 4
#: Step halvings of the extended fit's Fisher scoring before an iteration gives up.
HALVINGS = 8


@dataclass(frozen=True)
class ExtentFit:
    """Settings of the extent fit (SAS emldetect ``fitextent``, ``dmlextmin``, ``minextent``, ``maxextent``).

    Extents are core radii of the beta model in image pixels.

    Examples
    --------
    >>> ExtentFit().maxextent
    20.0
    """

    dmlextmin: float = 10.0
    minextent: float = 1.5
    maxextent: float = 20.0

    def __post_init__(self) -> None:
        if not 0 < self.minextent < self.maxextent:
            raise ParameterError(f"emldetect: need 0 < minextent < maxextent, not {self.minextent:g} and "
                                 f"{self.maxextent:g}")


def detection_likelihood(delta_c: np.ndarray | float, dof: int) -> np.ndarray:
    """``-ln Q(dof/2, dC/2)``: SAS's detection likelihood of a Cash-statistic improvement.

    Where ``Q`` underflows the leading term of its asymptotic series is used.

    Examples
    --------
    >>> round(float(detection_likelihood(20.0, 3)), 3)
    8.681
    >>> bool(detection_likelihood(3000.0, 4) > 1400)
    True
    """
    x = np.maximum(np.asarray(delta_c, dtype=np.float64), 0.0) / 2.0
    a = dof / 2.0
    with np.errstate(divide="ignore"):
        q = gammaincc(a, x)
        asymptotic = -((a - 1.0) * np.log(np.maximum(x, 1e-300)) - x - gammaln(a))
        return np.where(q > 1e-250, -np.log(np.maximum(q, 1e-300)), asymptotic)


@dataclass(frozen=True)
class _Window:
    j0: int
    j1: int
    i0: int
    i1: int

    def cut(self, array: np.ndarray) -> np.ndarray:
        return array[self.j0:self.j1, self.i0:self.i1]


@dataclass(frozen=True)
class _Psf:
    rc2: np.ndarray       # per image, pixels^2
    alpha: np.ndarray
    inv_norm: np.ndarray  # per image: pixel area / (integral within EE_NORM), in pixel units


def _psf(images: Sequence[DetectionImage], cal: Calibration, x: float, y: float) -> _Psf:
    rc2, alpha, inv = [], [], []
    for img in images:
        pix = img.pixel_arcsec
        theta = math.hypot(x - img.axis[0], y - img.axis[1]) * pix / 60.0  # type: ignore[index]
        model = cal.psf(img.instrument)
        rc, a = (float(v) for v in model.parameters(img.energy_kev, theta))
        rc_pix = rc / pix
        total = math.pi * rc_pix**2 / (a - 1.0) * (1.0 - (1.0 + (model.ee_norm / rc) ** 2) ** (1.0 - a))
        rc2.append(rc_pix**2)
        alpha.append(a)
        inv.append(1.0 / total)
    return _Psf(np.array(rc2), np.array(alpha), np.array(inv))


def _fit_radius(images: Sequence[DetectionImage], cal: Calibration, ecut: float) -> int:
    """Window half-size (pixels): the radius holding ``ecut`` of the on-axis PSF, 4..60 pixels."""
    radii = np.linspace(1.0, 200.0, 400)
    best = 0.0
    for img in images:
        ee = cal.psf(img.instrument).encircled_energy(radii, img.energy_kev)
        above = np.nonzero(ee >= ecut)[0]
        best = max(best, (radii[above[0]] if above.size else radii[-1]) / img.pixel_arcsec)
    return int(np.clip(np.ceil(best), 4, 60))


def ml_detect(
    images: Sequence[DetectionImage],
    candidates: pl.DataFrame,
    *,
    mlmin: float = 10.0,
    ecut: float = 0.8,
    min_separation: float = 15.0,
    nmaxfit: int | None = None,
    calibration: Calibration | None = None,
    extent: ExtentFit | None = None,
) -> pl.DataFrame:
    """PSF fit of each candidate in all images at once (SAS emldetect).

    Parameters
    ----------
    images : sequence of DetectionImage
        Bands and cameras on one grid, each with its ``background`` map.
    candidates : polars.DataFrame
        A box list (:func:`~xmmframe.imaging.boxdetect.box_detect`): ``X_IMA``, ``Y_IMA`` (1-based),
        ``LIKE``, ``RATE``; fitted in order of decreasing ``LIKE``.
    mlmin : float
        Smallest ``DET_ML`` kept.
    ecut : float
        Fit window: the radius holding this fraction of the PSF (SAS ``ecut``).
    min_separation : float
        A fit ending closer than this (arcsec) to a source already kept is a duplicate.
    nmaxfit : int, optional
        Fit at most this many candidates.
    calibration : Calibration, optional
        PSF calibration (default: the built-in set).
    extent : ExtentFit, optional
        Fit the source extent too (SAS ``fitextent=yes``); default: point sources only.

    Returns
    -------
    polars.DataFrame
        One row per source, most likely first: ``X_IMA``, ``Y_IMA`` (1-based), ``X_IMA_ERR``,
        ``Y_IMA_ERR`` (pixels), ``RA``, ``DEC`` (deg), ``RADEC_ERR`` (arcsec), ``RATE``,
        ``RATE_ERR`` (counts/s), ``DET_ML``, ``SCTS`` (source counts), ``BG_MAP`` (background counts
        per pixel at the source), ``EXT``, ``EXT_ERR`` (arcsec), ``EXT_ML``, ``OFFAX`` (arcmin) and per
        image ``k`` (1-based)
        ``RATE_k``, ``RATE_ERR_k``, ``DET_ML_k``, ``SCTS_k`` and ``DC_k`` (the image's ``C_null - C_best``).

    Raises
    ------
    ParameterError
        For images without background maps or on different grids.
    """
    check_grid(images)
    if any(i.background is None for i in images):
        raise ParameterError("emldetect needs a background map for every image (bkgimagesets)")
    cal = calibration if calibration is not None else Calibration.builtin_set()
    fitter = _Fitter(images, cal, _fit_radius(images, cal, ecut), _fit_radius(images, cal, MODEL_EEF), extent,
                     mlmin)
    separation = min_separation / images[0].pixel_arcsec
    # smallest boxes first (point sources), most likely first within a box size
    ordered = candidates.sort(["BOX_SIZE", "LIKE"], descending=[False, True]) if "BOX_SIZE" in candidates.columns \
        else candidates.sort("LIKE", descending=True)
    if nmaxfit is not None:
        ordered = ordered.head(nmaxfit)
    fits: list[_Fit] = []
    for cx, cy in ordered.select("X_IMA", "Y_IMA").iter_rows():
        fit = fitter.fit(float(cx) - 1.0, float(cy) - 1.0, screen=SCREEN * mlmin)
        if fit is None or fit.det_ml < mlmin or _near(fit, fits, separation):
            continue
        fits.append(fit)
        fitter.add(fit, 1.0)
    # further passes: each source refitted with all the others in the model, until none is dropped
    refined = fits
    for _ in range(REFIT_PASSES):
        previous, refined = refined, []
        for fit in previous:
            fitter.add(fit, -1.0)
            again = fitter.fit(fit.x, fit.y)
            if again is None or again.det_ml < mlmin or _near(again, refined, separation):
                continue
            refined.append(again)
            fitter.add(again, 1.0)
        if len(refined) == len(previous):
            break
    return _table([f.row for f in refined], images)


def _near(fit: "_Fit", others: Sequence["_Fit"], distance: float) -> bool:
    return any((fit.x - o.x) ** 2 + (fit.y - o.y) ** 2 < distance**2 for o in others)


@dataclass(frozen=True)
class _Fit:
    x: float               # 0-based image pixel
    y: float
    det_ml: float
    counts: np.ndarray     # source counts per image at the window's reference exposure
    ref: np.ndarray
    window: _Window
    psf: _Psf
    row: dict[str, float]
    profile: np.ndarray | None = None  # extended sources: the tabulated profile per image


class _Fitter:
    """Fits one source at a time against the background plus the sources added so far."""

    def __init__(self, images: Sequence[DetectionImage], cal: Calibration, half: int, model_half: int,
                 extent: ExtentFit | None = None, mlmin: float = 0.0) -> None:
        self.images = images
        self.mlmin = mlmin  # sources fitted as points below this DET_ML are not fitted as extended
        self.cal = cal
        self.extent = extent
        self.profiles: ExtentModel | None = None
        if extent is not None:  # one window for the point and the extended fit, wide enough for the extent
            half = min(max(half, model_half, int(math.ceil(2 * extent.maxextent))), 60)
            model_half = max(model_half, half)
            self.profiles = ExtentModel(half * math.sqrt(2.0) + 2.0, extent.minextent)
        self.half = half
        self.model_half = model_half
        self.counts = np.stack([i.counts for i in images])
        self.background = np.stack([i.background for i in images])  # type: ignore[misc]
        self.models = np.zeros_like(self.background)

    def add(self, fit: _Fit, sign: float) -> None:
        """Add (``sign`` 1) or remove (-1) a fitted source's model counts."""
        h = self.model_half
        ci, cj = int(round(fit.x)), int(round(fit.y))
        full_y, full_x = self.images[0].shape
        win = _Window(max(cj - h, 0), min(cj + h + 1, full_y), max(ci - h, 0), min(ci + h + 1, full_x))
        ny, nx = win.j1 - win.j0, win.i1 - win.i0
        for k, img in enumerate(self.images):
            if fit.profile is not None and self.profiles is not None:
                shape = profile_pixels(ny, nx, fit.x - win.i0, fit.y - win.j0, fit.profile[k], _step(self.profiles),
                                       SUBPIXELS)
            else:
                shape = psf_pixels(ny, nx, fit.x - win.i0, fit.y - win.j0, float(fit.psf.rc2[k]),
                                   float(fit.psf.alpha[k]), float(fit.psf.inv_norm[k]), SUBPIXELS)
            self.models[k, win.j0:win.j1, win.i0:win.i1] += sign * fit.counts[k] * win.cut(img.exposure) / fit.ref[k] \
                * shape

    def fit(self, x: float, y: float, screen: float = 0.0) -> _Fit | None:
        """The best fit of a source starting at ``(x, y)`` (0-based pixels); None without exposure or counts.

        With ``screen``, a candidate whose rates fitted at the start position give a detection
        likelihood below ``screen`` is not fitted further (None).
        """
        images, half = self.images, self.half
        nimg = len(images)
        ny, nx = images[0].shape
        ci, cj = int(round(x)), int(round(y))
        win = _Window(max(cj - half, 0), min(cj + half + 1, ny), max(ci - half, 0), min(ci + half + 1, nx))
        if win.j1 - win.j0 < 3 or win.i1 - win.i0 < 3:
            return None
        n_w = np.ascontiguousarray(self.counts[:, win.j0:win.j1, win.i0:win.i1])
        b_w = np.ascontiguousarray(np.clip(self.background[:, win.j0:win.j1, win.i0:win.i1]
                                           + self.models[:, win.j0:win.j1, win.i0:win.i1], 0.0, None))
        e_raw = np.stack([win.cut(i.exposure) for i in images])
        ref = np.array([max(float(e.max()), 1e-30) for e in e_raw])
        if not (e_raw > 0).any():
            return None
        e_w = np.ascontiguousarray(e_raw / ref[:, None, None])
        psf = _psf(images, self.cal, x, y)

        def point(theta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
            return _cash(n_w, b_w, e_w, psf, theta)

        excess = np.clip((n_w - b_w).sum(axis=(1, 2)), 1.0, None)
        start = np.concatenate([[x - win.i0, y - win.j0], excess])
        size = (win.i1 - win.i0, win.j1 - win.j0)
        lower = np.array([max(start[0] - half / 2, -0.5), max(start[1] - half / 2, -0.5)] + [0.0] * nimg)
        upper = np.array([min(start[0] + half / 2, size[0] - 0.5), min(start[1] + half / 2, size[1] - 0.5)]
                         + [np.inf] * nimg)
        if screen > 0:  # rates alone at the start position: hopeless candidates are not fitted
            fixed_lo, fixed_hi = lower.copy(), upper.copy()
            fixed_lo[:2] = fixed_hi[:2] = start[:2]
            trial = _fisher_scoring(point, start, fixed_lo, fixed_hi, iterations=4, tolerance=0.01)
            c_trial = point(trial)[0]
            c_zero = point(np.concatenate([trial[:2], np.zeros(nimg)]))[0]
            if float(detection_likelihood(c_zero - c_trial, 2 + nimg)) < screen:
                return None
        theta = _fisher_scoring(point, start, lower, upper)
        c_best, _, fisher, per_best = point(theta)
        _, _, _, per_null = point(np.concatenate([theta[:2], np.zeros(nimg)]))
        scts = theta[2:]
        if scts.sum() <= 0:
            return None
        cov = _covariance(fisher)
        ext = ext_err = ext_ml = 0.0
        profile = None
        dof = 2 + nimg + (1 if self.extent is not None else 0)
        if self.extent is not None and self.profiles is not None \
                and detection_likelihood(per_null.sum() - c_best, dof) >= self.mlmin:
            extended = _ExtendedFit(self.profiles, self.extent, n_w, b_w, e_w, psf)
            outcome = extended.compare(theta, c_best, lower, upper)
            ext_ml = outcome.ext_ml
            if outcome.theta is not None:
                theta, c_best, per_best, cov = outcome.theta, outcome.cash, outcome.per_image, outcome.covariance
                ext, ext_err, profile = outcome.extent, outcome.extent_err, outcome.profile
                scts = theta[2:]
        fx, fy = float(theta[0]) + win.i0, float(theta[1]) + win.j0
        det_ml = float(detection_likelihood(per_null.sum() - c_best, dof))
        rate = scts / ref
        rate_err = np.sqrt(np.clip(np.diag(cov)[2:], 0.0, None)) / ref
        pix = images[0].pixel_arcsec
        jj, ii = min(max(int(round(fy)), 0), ny - 1), min(max(int(round(fx)), 0), nx - 1)
        row: dict[str, float] = {
            "X_IMA": fx + 1.0, "Y_IMA": fy + 1.0,
            "X_IMA_ERR": float(np.sqrt(max(cov[0, 0], 0.0))), "Y_IMA_ERR": float(np.sqrt(max(cov[1, 1], 0.0))),
            "DET_ML": det_ml, "SCTS": float(scts.sum()), "BG_MAP": float(self.background[:, jj, ii].sum()),
            "EXT": ext * pix, "EXT_ERR": ext_err * pix, "EXT_ML": ext_ml,
            "OFFAX": math.hypot(fx - images[0].axis[0], fy - images[0].axis[1]) * pix / 60.0,  # type: ignore[index]
        }
        row["RADEC_ERR"] = math.hypot(row["X_IMA_ERR"], row["Y_IMA_ERR"]) * pix
        for k in range(nimg):
            delta = float(max(per_null[k] - per_best[k], 0.0))
            row[f"RATE_{k + 1}"] = float(rate[k])
            row[f"RATE_ERR_{k + 1}"] = float(rate_err[k])
            row[f"DET_ML_{k + 1}"] = float(detection_likelihood(delta, 3))
            row[f"SCTS_{k + 1}"] = float(scts[k])
            row[f"DC_{k + 1}"] = delta
        return _Fit(fx, fy, det_ml, scts.copy(), ref, win, psf, row, profile)


def _cash(n_w: np.ndarray, b_w: np.ndarray, e_w: np.ndarray, psf: _Psf, theta: np.ndarray
          ) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    return cash_window(n_w, b_w, e_w, float(theta[0]), float(theta[1]), np.ascontiguousarray(theta[2:]), psf.rc2,
                       psf.alpha, psf.inv_norm, SUBPIXELS)


def _step(model: ExtentModel) -> float:
    return float(model.radii[1] - model.radii[0])


@dataclass(frozen=True)
class _Extent:
    """The outcome of an extent fit: ``EXT_ML`` and, for an extended source, the fit (else None)."""

    ext_ml: float
    theta: np.ndarray | None = None      # x, y, counts per image
    cash: float = 0.0
    per_image: np.ndarray | None = None
    covariance: np.ndarray | None = None
    extent: float = 0.0                  # core radius, pixels
    extent_err: float = 0.0
    profile: np.ndarray | None = None


class _ExtendedFit:
    """The fit of one source as the PSF convolved with a beta model, in the point fit's window."""

    def __init__(self, model: ExtentModel, settings: ExtentFit, n_w: np.ndarray, b_w: np.ndarray, e_w: np.ndarray,
                 psf: _Psf) -> None:
        self.model, self.settings = model, settings
        self.n_w, self.b_w, self.e_w = n_w, b_w, e_w
        self.transforms = model.psf_transforms(psf.rc2, psf.alpha, psf.inv_norm)
        self._cache: dict[float, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def tables(self, extent: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if extent not in self._cache:
            self._cache = {extent: self.model.convolved(self.transforms, extent)}
        return self._cache[extent]

    def cash(self, theta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
        value, d_radius, d_extent = self.tables(float(theta[2]))
        return cash_window_profile(self.n_w, self.b_w, self.e_w, float(theta[0]), float(theta[1]),
                                   np.ascontiguousarray(theta[3:]), value, d_radius, d_extent, _step(self.model),
                                   SUBPIXELS)

    def compare(self, point: np.ndarray, c_point: float, lower: np.ndarray, upper: np.ndarray) -> "_Extent":
        """The extended fit against the point fit ``point`` (Cash ``c_point``): EXT_ML, and the extended
        fit's values (position and counts as the point fit's, extent, covariance) where it is kept."""
        theta, c_ext, fisher, per_image = self.fit(point, lower, upper)
        ext_ml = max(c_point - c_ext, 0.0) / 2.0
        if ext_ml < self.settings.dmlextmin or theta[3:].sum() <= 0:
            return _Extent(ext_ml)
        cov = _covariance(fisher)
        keep = [0, 1, *range(3, theta.size)]
        extent = float(theta[2])
        return _Extent(ext_ml, theta[keep], c_ext, per_image, cov[np.ix_(keep, keep)], extent,
                       float(np.sqrt(max(cov[2, 2], 0.0))), self.tables(extent)[0])

    def fit(self, point: np.ndarray, lower: np.ndarray, upper: np.ndarray
            ) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
        """Best ``(x, y, rc, counts...)`` from the point fit ``point``, with its C, Fisher matrix and C per image.

        The rates are first fitted at fixed position for :data:`EXTENT_STARTS` core radii; the
        best starts the full fit.
        """
        s = self.settings
        lo = np.concatenate([lower[:2], [s.minextent], lower[2:]])
        hi = np.concatenate([upper[:2], [s.maxextent], upper[2:]])
        best: tuple[float, np.ndarray] | None = None
        for rc in np.geomspace(s.minextent, s.maxextent, EXTENT_STARTS):
            start = np.concatenate([point[:2], [rc], point[2:]])
            fixed_lo, fixed_hi = lo.copy(), hi.copy()
            fixed_lo[:3] = fixed_hi[:3] = start[:3]
            trial = _fisher_scoring(self.cash, start, fixed_lo, fixed_hi, iterations=3, tolerance=0.01,
                                    halvings=HALVINGS)
            value = self.cash(trial)[0]
            if best is None or value < best[0]:
                best = (value, trial)
        assert best is not None
        theta = _fisher_scoring(self.cash, best[1], lo, hi, iterations=20, tolerance=1e-3,
                                halvings=HALVINGS)
        value, _, fisher, per_image = self.cash(theta)
        return theta, value, fisher, per_image


def _fisher_scoring(cash: Callable[[np.ndarray], tuple[float, np.ndarray, np.ndarray, np.ndarray]],
                    start: np.ndarray, lower: np.ndarray, upper: np.ndarray, iterations: int = 50,
                    tolerance: float = 1e-4, halvings: int = 30) -> np.ndarray:
    """Minimise the Cash statistic ``cash(theta)`` by Fisher scoring (Newton steps with the expected Hessian)
    within bounds.

    Each step solves ``F d = -grad C / 2``, is clipped to the bounds and halved until ``C`` decreases
    (at most ``halvings`` times);
    the fit stops when ``C`` changes by less than ``tolerance``.
    """
    theta = np.clip(start, lower, upper)
    value, grad, fisher, _ = cash(theta)
    for _ in range(iterations):
        regular = fisher + np.diag(np.where(np.diag(fisher) > 0, 1e-9 * np.diag(fisher), 1.0))
        try:
            step = np.linalg.solve(regular, -0.5 * grad)
        except np.linalg.LinAlgError:
            break
        improved = False
        for _ in range(halvings):
            trial = np.clip(theta + step, lower, upper)
            t_value, t_grad, t_fisher, _ = cash(trial)
            if t_value <= value:
                improved = True
                break
            step = step / 2.0
        if not improved:
            break
        change = value - t_value
        theta, value, grad, fisher = trial, t_value, t_grad, t_fisher
        if change < tolerance:
            break
    return theta


def _covariance(fisher: np.ndarray) -> np.ndarray:
    active = np.diag(fisher) > 0
    cov = np.zeros_like(fisher)
    if active.any():
        sub = fisher[np.ix_(active, active)]
        try:
            cov[np.ix_(active, active)] = np.linalg.inv(sub)
        except np.linalg.LinAlgError:
            cov[np.ix_(active, active)] = np.linalg.pinv(sub)
    return cov


def _table(rows: list[dict[str, float]], images: Sequence[DetectionImage]) -> pl.DataFrame:
    nimg = len(images)
    per_image = [f"{name}_{k + 1}" for k in range(nimg) for name in ("RATE", "RATE_ERR", "DET_ML", "SCTS", "DC")]
    columns = ["X_IMA", "Y_IMA", "X_IMA_ERR", "Y_IMA_ERR", "RADEC_ERR", "DET_ML", "SCTS", "BG_MAP", "EXT", "EXT_ERR",
               "EXT_ML", "OFFAX", *per_image]
    frame = pl.DataFrame({c: [r[c] for r in rows] for c in columns}, schema={c: pl.Float64 for c in columns})
    ra, dec = images[0].wcs.celestial.all_pix2world(frame["X_IMA"].to_numpy() - 1.0,
                                                    frame["Y_IMA"].to_numpy() - 1.0, 0) if frame.height else (
        np.zeros(0), np.zeros(0))
    rate = sum((frame[f"RATE_{k + 1}"] for k in range(nimg)), pl.Series(np.zeros(frame.height)))
    var = sum((frame[f"RATE_ERR_{k + 1}"] ** 2 for k in range(nimg)), pl.Series(np.zeros(frame.height)))
    frame = frame.with_columns(pl.Series("RA", np.asarray(ra, np.float64)), pl.Series("DEC", np.asarray(dec, np.float64)),
                               pl.Series("RATE", rate.to_numpy()), pl.Series("RATE_ERR", np.sqrt(var.to_numpy())))
    return frame.sort("DET_ML", descending=True)


__all__ = ["EXTENT_STARTS", "MODEL_EEF", "SCREEN", "SUBPIXELS", "ExtentFit", "detection_likelihood", "ml_detect"]
