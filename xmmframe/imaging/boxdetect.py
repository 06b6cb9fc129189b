"""Sliding-box source detection (SAS ``eboxdetect``), in local and map mode.

A box of ``boxsize x boxsize`` pixels slides over the (summed) counts of all bands and
cameras.  At each position the counts ``n`` in the box are compared with the background ``mu``
expected there:

* **local mode**: ``mu`` from the ring between the box and a box three times as wide, scaled by
  the ratio of exposures (box / ring), so the background follows the vignetting;
* **map mode**: ``mu`` is the sum of the background maps (:mod:`xmmframe.imaging.bkgmap`) in the
  box.

The detection likelihood is ``L = -ln P(N >= n | mu)`` of a Poisson count (SAS's ``LIKE``; the
regularised lower incomplete gamma function ``P(n, mu)``).  Local maxima with ``L >= likemin``
become candidates; a candidate closer than one box (the smaller of the two boxes) to a more likely one is dropped (the
sequential part, a numba kernel).  With ``nruns > 1`` the search is repeated with boxes of
twice and four times the size (as eboxdetect does, for sources broader than the PSF core) and
the candidates of all runs merged.  Each candidate's position is the background-subtracted
centroid of the counts in its box; its rate is ``(n - mu) / exposure / EEF``, ``EEF`` being the
PSF fraction (King profile) inside the box.

Examples
--------
>>> import numpy as np
>>> from astropy.wcs import WCS
>>> from xmmframe.imaging.detect_images import DetectionImage
>>> wcs = WCS(naxis=2)
>>> wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
>>> wcs.wcs.cdelt = [-4.0 / 3600, 4.0 / 3600]
>>> wcs.wcs.crval, wcs.wcs.crpix = [150.0, 2.2], [32.5, 32.5]
>>> counts = np.random.default_rng(1).poisson(0.05, (64, 64)).astype(float)
>>> counts[30:33, 40:43] += 8
>>> found = box_detect([DetectionImage(counts, np.full((64, 64), 1e3), wcs, "EMOS1", (500.0, 2000.0))])
>>> [round(v) for v in found.select("X_IMA", "Y_IMA").row(0)]
[42, 32]
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numba
import numpy as np
import polars as pl
from scipy.ndimage import maximum_filter
from scipy.special import gammainc, gammaln

from xmmframe.ccf.access import Calibration
from xmmframe.errors import ParameterError
from xmmframe.imaging.detect_images import DetectionImage, check_grid

#: Columns of a box-detection list (positions 1-based image pixels).
BOX_COLUMNS = ("X_IMA", "Y_IMA", "BOX_CTS", "BG_CTS", "LIKE", "BOX_SIZE", "RATE", "EXPOSURE")


def box_sums(values: np.ndarray, half: int) -> np.ndarray:
    """Sum of ``values`` in the ``(2 half + 1)``-pixel square box around every pixel (zero outside).

    Examples
    --------
    >>> box_sums(np.ones((4, 4)), 1)[0].tolist()
    [4.0, 6.0, 6.0, 4.0]
    """
    ny, nx = values.shape
    padded = np.zeros((ny + 2 * half + 1, nx + 2 * half + 1))
    padded[half + 1:half + 1 + ny, half + 1:half + 1 + nx] = values
    table = padded.cumsum(axis=0).cumsum(axis=1)
    size = 2 * half + 1
    return table[size:, size:] - table[:-size, size:] - table[size:, :-size] + table[:-size, :-size]


def poisson_likelihood(counts: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """``-ln P(N >= n | mu)`` of Poisson counts (0 where ``n`` is 0 or ``mu`` is not positive).

    Where ``P`` underflows the leading term of the tail is used.

    Examples
    --------
    >>> round(float(poisson_likelihood(np.array([3.0]), np.array([0.5]))[0]), 4)
    4.2414
    """
    n = np.asarray(counts, dtype=np.float64)
    mu = np.asarray(expected, dtype=np.float64)
    out = np.zeros(np.broadcast(n, mu).shape)
    ok = (n > 0) & (mu > 0)
    n, mu = np.broadcast_to(n, out.shape)[ok], np.broadcast_to(mu, out.shape)[ok]
    with np.errstate(divide="ignore"):
        p = gammainc(n, mu)
        tail = -(n * np.log(mu) - mu - gammaln(n + 1.0) - np.log(np.clip(1.0 - mu / (n + 1.0), 1e-12, None)))
        out[ok] = np.where(p > 1e-250, -np.log(np.maximum(p, 1e-300)), tail)
    return out


@numba.njit(cache=True)
def suppress(x: np.ndarray, y: np.ndarray, like: np.ndarray, distance: np.ndarray) -> np.ndarray:
    """Keep candidates in order of decreasing likelihood unless a kept one lies within the smaller of their ``distance``."""
    order = np.argsort(-like)
    keep = np.zeros(x.size, np.bool_)
    kept = np.empty(x.size, np.int64)
    nkept = 0
    for k in range(order.size):
        i = order[k]
        ok = True
        for m in range(nkept):
            j = kept[m]
            d = min(distance[i], distance[j])
            if (x[i] - x[j]) ** 2 + (y[i] - y[j]) ** 2 < d * d:
                ok = False
                break
        if ok:
            keep[i] = True
            kept[nkept] = i
            nkept += 1
    return keep


def _box_eef(images: Sequence[DetectionImage], size: int, cal: Calibration) -> float:
    """Exposure-weighted PSF fraction in a box of ``size`` pixels (on axis; circle of the box's area)."""
    radius = size * images[0].pixel_arcsec / math.sqrt(math.pi)
    weights = np.array([float(i.exposure.max()) for i in images])
    eef = np.array([float(cal.psf(i.instrument).encircled_energy(radius, i.energy_kev)) for i in images])
    return float(np.sum(weights * eef) / max(np.sum(weights), 1e-30))


def _run(counts: np.ndarray, exposure: np.ndarray, background: np.ndarray | None, half: int,
         likemin: float) -> pl.DataFrame:
    box_n = box_sums(counts, half)
    box_e = box_sums(exposure, half)
    if background is None:
        outer = 3 * half + 1
        ring_n = box_sums(counts, outer) - box_n
        ring_e = box_sums(exposure, outer) - box_e
        with np.errstate(divide="ignore", invalid="ignore"):
            mu = np.where(ring_e > 0, ring_n * box_e / ring_e, 0.0)
        mu = np.maximum(mu, 1e-3 * np.where(box_e > 0, 1.0, 0.0))  # an empty ring still expects something
    else:
        mu = box_sums(background, half)
    like = poisson_likelihood(box_n, mu)
    peaks = (like >= likemin) & (like == maximum_filter(like, size=3, mode="constant")) & (box_n > mu)
    jj, ii = np.nonzero(peaks)
    return pl.DataFrame({"i": ii, "j": jj, "n": box_n[jj, ii], "mu": mu[jj, ii], "like": like[jj, ii],
                         "size": np.full(ii.size, 2 * half + 1), "expo": box_e[jj, ii]},
                        schema={"i": pl.Int64, "j": pl.Int64, "n": pl.Float64, "mu": pl.Float64,
                                "like": pl.Float64, "size": pl.Int64, "expo": pl.Float64})


def _centroids(counts: np.ndarray, background: np.ndarray | None, found: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    ny, nx = counts.shape
    xs, ys = np.zeros(found.height), np.zeros(found.height)
    for k, (i, j, size) in enumerate(found.select("i", "j", "size").iter_rows()):
        h = size // 2
        j0, j1, i0, i1 = max(j - h, 0), min(j + h + 1, ny), max(i - h, 0), min(i + h + 1, nx)
        cut = counts[j0:j1, i0:i1]
        if background is not None:
            cut = cut - background[j0:j1, i0:i1]
        cut = np.clip(cut, 0.0, None)
        total = cut.sum()
        if total <= 0:
            xs[k], ys[k] = i, j
            continue
        yy, xx = np.mgrid[j0:j1, i0:i1]
        xs[k], ys[k] = float((cut * xx).sum() / total), float((cut * yy).sum() / total)
    return xs, ys


def box_detect(
    images: Sequence[DetectionImage],
    *,
    boxsize: int = 5,
    likemin: float = 8.0,
    nruns: int = 3,
    usemap: bool = False,
    calibration: Calibration | None = None,
) -> pl.DataFrame:
    """Sliding-box detection on the sum of the images (SAS eboxdetect).

    Parameters
    ----------
    images : sequence of DetectionImage
        Bands and cameras on one grid; with ``usemap`` each needs its ``background``.
    boxsize : int
        Detection box (pixels; odd sizes are centred, an even size is taken as the next odd one).
    likemin : float
        Smallest likelihood ``-ln P`` kept.
    nruns : int
        Box sizes ``boxsize * 2**k`` for ``k < nruns``.
    usemap : bool
        Map mode (background from the images' background maps) instead of local mode.
    calibration : Calibration, optional
        PSF for the box's encircled energy (default the built-in set).

    Returns
    -------
    polars.DataFrame
        One row per candidate, most likely first: :data:`BOX_COLUMNS` (``X_IMA``/``Y_IMA`` 1-based
        image pixels, ``BOX_CTS``/``BG_CTS`` summed over the images, ``RATE`` counts/s summed).

    Raises
    ------
    ParameterError
        For no images, images on different grids, bad box parameters, or map mode without maps.

    Examples
    --------
    >>> candidates = box_detect(images, usemap=True, likemin=5)           # doctest: +SKIP
    """
    check_grid(images)
    if boxsize < 1 or nruns < 1:
        raise ParameterError(f"boxsize ({boxsize}) and nruns ({nruns}) must be at least 1")
    if usemap and any(i.background is None for i in images):
        raise ParameterError("map mode (usemap=yes) needs a background map for every image")
    counts = np.sum([i.counts for i in images], axis=0)
    exposure = np.sum([i.exposure for i in images], axis=0)
    background = np.sum([i.background for i in images], axis=0) if usemap else None
    runs = [_run(counts, exposure, background, (boxsize * 2**k) // 2, likemin) for k in range(nruns)]
    found = pl.concat(runs)
    if found.height:
        keep = suppress(found["i"].to_numpy().astype(np.float64), found["j"].to_numpy().astype(np.float64),
                        found["like"].to_numpy(), found["size"].to_numpy().astype(np.float64))
        found = found.filter(pl.Series(keep)).sort("like", descending=True)
    xs, ys = _centroids(counts, background, found)
    cal = calibration if calibration is not None else Calibration.builtin_set()
    eef_of = {size: _box_eef(images, size, cal) for size in set(found["size"].to_list())}
    eef = np.array([eef_of[s] for s in found["size"].to_list()])
    npix = found["size"].to_numpy().astype(np.float64) ** 2
    mean_expo = np.where(npix > 0, found["expo"].to_numpy() / np.maximum(npix, 1), 0.0) / max(len(images), 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(mean_expo > 0, (found["n"].to_numpy() - found["mu"].to_numpy()) / mean_expo
                        / np.maximum(eef, 1e-3), 0.0)
    return pl.DataFrame({"X_IMA": xs + 1.0, "Y_IMA": ys + 1.0, "BOX_CTS": found["n"].to_numpy(),
                         "BG_CTS": found["mu"].to_numpy(), "LIKE": found["like"].to_numpy(),
                         "BOX_SIZE": found["size"].to_numpy(), "RATE": rate, "EXPOSURE": mean_expo},
                        schema={"X_IMA": pl.Float64, "Y_IMA": pl.Float64, "BOX_CTS": pl.Float64,
                                "BG_CTS": pl.Float64, "LIKE": pl.Float64, "BOX_SIZE": pl.Int64,
                                "RATE": pl.Float64, "EXPOSURE": pl.Float64})


__all__ = ["BOX_COLUMNS", "box_detect", "box_sums", "poisson_likelihood", "suppress"]
