"""Background maps for source detection: a source-masked, exposure-normalised smooth map (``esplinemap`` equivalent).

SAS ``esplinemap`` fits a 2-D spline to the counts image with the sources of the local-mode box
list cut out ("cheese"), using the exposure map.  xmmframe makes the documented equivalent
with a normalised convolution, which needs no choice of spline nodes and never goes negative:

1. **cheese mask**: every pixel within ``scut`` of the PSF of a box-detected source is cut
   out (the radius where the source's PSF brightness, from its box rate, falls below
   ``scut`` times the local background brightness, at least ``min_radius`` arcsec);
2. **background rate** ``G * (counts x mask) / G * (exposure x mask)`` with ``G`` a Gaussian of
   ``smoothing`` arcsec (default 60"), so the vignetting and the CCD gaps of the exposure
   map are divided out locally;
3. **background map** = that rate x the exposure map (counts per pixel; 0 where there is no
   exposure).  Where the mask leaves a hole wider than the Gaussian the rate is taken from
   a Gaussian four times as wide (computed on a 4 times coarser grid).

Examples
--------
>>> import numpy as np
>>> from astropy.wcs import WCS
>>> from xmmframe.imaging.detect_images import DetectionImage
>>> wcs = WCS(naxis=2)
>>> wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
>>> wcs.wcs.cdelt = [-4.0 / 3600, 4.0 / 3600]
>>> wcs.wcs.crval, wcs.wcs.crpix = [150.0, 2.2], [64.5, 64.5]
>>> counts = np.random.default_rng(2).poisson(0.2, (128, 128)).astype(float)
>>> img = DetectionImage(counts, np.full((128, 128), 1e4), wcs, "EPN", (500.0, 2000.0))
>>> bkg = background_map(img)
>>> round(float(bkg.mean()), 1)
0.2
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy.ndimage import gaussian_filter, zoom

from xmmframe.ccf.access import Calibration
from xmmframe.ccf.psf import KingPsf
from xmmframe.errors import ProductError
from xmmframe.imaging.detect_images import DetectionImage
from xmmframe.model.products import Image

#: Gaussian sigma (arcsec) of the background smoothing.
SMOOTHING = 60.0


def _coarse_smooth(values: np.ndarray, sigma: float, factor: int = 4) -> np.ndarray:
    """A wide Gaussian smoothing computed on a grid ``factor`` times coarser and interpolated back."""
    ny, nx = values.shape
    py, px = -ny % factor, -nx % factor
    blocks = np.pad(values, ((0, py), (0, px))).reshape((ny + py) // factor, factor, (nx + px) // factor, factor)
    coarse = gaussian_filter(blocks.sum(axis=(1, 3)) / factor**2, sigma / factor, mode="constant")
    fine = zoom(coarse, factor, order=1, grid_mode=True, mode="nearest")
    return fine[:ny, :nx]


def cut_radius(
    psf: KingPsf,
    energy_kev: float,
    source_counts: float,
    background: float,
    pixel_arcsec: float,
    *,
    scut: float = 0.005,
    min_radius: float = 15.0,
    max_radius: float = 180.0,
) -> float:
    """Radius (arcsec) where a source's PSF brightness falls below ``scut`` times the background.

    ``source_counts`` are the source's counts, ``background`` the background counts per pixel.

    Examples
    --------
    >>> from xmmframe.ccf.access import Calibration
    >>> psf = Calibration.builtin_set().psf("EPN")
    >>> faint = cut_radius(psf, 1.0, 20.0, 0.1, 4.0)
    >>> bright = cut_radius(psf, 1.0, 20000.0, 0.1, 4.0)
    >>> bool(15.0 <= faint < bright <= 180.0)
    True
    """
    radii = np.linspace(0.0, max_radius, 361)
    brightness = max(float(source_counts), 0.0) * psf.surface_brightness(radii, energy_kev) * pixel_arcsec**2
    outside = np.nonzero(brightness < scut * max(float(background), 1e-12))[0]
    radius = float(radii[outside[0]]) if outside.size else max_radius
    return min(max(radius, min_radius), max_radius)


def cheese_mask(
    image: DetectionImage,
    sources: pl.DataFrame | None,
    *,
    scut: float = 0.005,
    min_radius: float = 15.0,
    max_radius: float = 180.0,
    calibration: Calibration | None = None,
    level: float | None = None,
) -> np.ndarray:
    """True where no source is: pixels outside the cut-out circles of ``sources``.

    Parameters
    ----------
    image : DetectionImage
        The grid (and its PSF).
    sources : polars.DataFrame, optional
        ``X_IMA``, ``Y_IMA`` (1-based pixels) and ``RATE`` (counts/s summed over the images the rate
        was measured in) of each source (a box list).
    scut : float
        Cut where the PSF brightness falls to ``scut`` of the background brightness ``level``.
    min_radius, max_radius : float
        Bounds of the cut radius (arcsec).
    level : float, optional
        Background (counts per pixel); default the median over exposed pixels.
    """
    mask = np.ones(image.shape, bool)
    if sources is None or sources.height == 0:
        return mask
    cal = calibration if calibration is not None else Calibration.builtin_set()
    psf = cal.psf(image.instrument)
    exposed = image.exposure > 0
    if level is None:
        level = float(np.mean(image.counts[exposed])) if exposed.any() else 0.0
    pix = image.pixel_arcsec
    expo = float(np.median(image.exposure[exposed])) if exposed.any() else 0.0
    ny, nx = image.shape
    for x, y, rate in sources.select("X_IMA", "Y_IMA", "RATE").iter_rows():
        r = cut_radius(psf, image.energy_kev, float(rate) * expo, level, pix, scut=scut, min_radius=min_radius,
                       max_radius=max_radius) / pix
        i0, i1 = int(max(np.floor(x - 1 - r), 0)), int(min(np.ceil(x - 1 + r) + 1, nx))
        j0, j1 = int(max(np.floor(y - 1 - r), 0)), int(min(np.ceil(y - 1 + r) + 1, ny))
        if i0 >= i1 or j0 >= j1:
            continue
        yy, xx = np.mgrid[j0:j1, i0:i1]
        mask[j0:j1, i0:i1] &= (xx - (x - 1)) ** 2 + (yy - (y - 1)) ** 2 > r * r
    return mask


def background_map(
    image: DetectionImage,
    sources: pl.DataFrame | None = None,
    *,
    smoothing: float = SMOOTHING,
    scut: float = 0.005,
    calibration: Calibration | None = None,
) -> np.ndarray:
    """Background counts per pixel of one image: the source-masked smoothed rate times its exposure.

    Parameters
    ----------
    image : DetectionImage
        Counts and exposure.
    sources : polars.DataFrame, optional
        Sources to cut out (a box list: ``X_IMA``, ``Y_IMA``, ``RATE``); none: smooth everything.
    smoothing : float
        Gaussian sigma (arcsec).
    scut : float
        See :func:`cheese_mask`.

    Returns
    -------
    numpy.ndarray
        ``(ny, nx)`` expected background counts per pixel.

    Examples
    --------
    >>> bkg = background_map(image, box_list)            # doctest: +SKIP
    """
    mask = cheese_mask(image, sources, scut=scut, calibration=calibration) & (image.exposure > 0)
    sigma = max(smoothing / image.pixel_arcsec, 0.5)
    weight = np.where(mask, image.exposure, 0.0)
    counts = np.where(mask, image.counts, 0.0)
    top = gaussian_filter(counts, sigma, mode="constant")
    bottom = gaussian_filter(weight, sigma, mode="constant")
    wide_top, wide_bottom = _coarse_smooth(counts, 4 * sigma), _coarse_smooth(weight, 4 * sigma)
    full = gaussian_filter(np.where(image.exposure > 0, image.exposure, 0.0), sigma, mode="constant")
    with np.errstate(divide="ignore", invalid="ignore"):
        near = np.where(bottom > 0, top / bottom, 0.0)
        wide = np.where(wide_bottom > 0, wide_top / wide_bottom, 0.0)
    # a hole in the mask wider than the Gaussian: the wide Gaussian's rate
    rate = np.where(bottom < 0.2 * full, wide, near)
    return np.where(image.exposure > 0, np.nan_to_num(rate) * image.exposure, 0.0)


def background_image(image: DetectionImage, background: np.ndarray) -> Image:
    """A background map as an :class:`~xmmframe.model.products.Image` on the counts image's grid and keywords
    (esplinemap's ``bkgimageset``), in double precision so that map-mode detection from the file
    equals the one from memory.

    Examples
    --------
    >>> background_image(image, background_map(image, box_list)).write("bkg.fits")   # doctest: +SKIP
    """
    if background.shape != image.shape:
        raise ProductError(f"the background map ({background.shape[1]} x {background.shape[0]}) is not on the "
                           f"image's grid ({image.shape[1]} x {image.shape[0]})")
    return Image(data=np.asarray(background, dtype=np.float64), exposure=None, cards=tuple(image.cards))


__all__ = ["SMOOTHING", "background_image", "background_map", "cheese_mask", "cut_radius"]
