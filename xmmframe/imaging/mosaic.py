"""Mosaics (SAS ``emosaic``): counts and exposure of several exposures on one sky grid, and their rate.

Each input is put on the output grid (default: the first image's):

* **exposure maps** are sampled at the output pixel centres (nearest input pixel, SAS emosaic's
  ``sampling=point``); on the same grid this is the identity, so a mosaic of maps made on one
  template is their plain sum (how XGA builds its merged exposure maps);
* **counts images** are moved pixel by pixel: each input pixel's counts go to the output pixel
  holding the input pixel's centre, so the total counts are kept.

``rate = counts / exposure`` where the exposure reaches ``min_fraction`` of its maximum, NaN
elsewhere (``mask`` says which pixels).

Examples
--------
>>> from xmmframe.imaging.mosaic import mosaic
>>> merged = mosaic(["m1_img.fits", "m2_img.fits"], ["m1_exp.fits", "m2_exp.fits"])   # doctest: +SKIP
>>> float(merged.counts.sum()), merged.rate.shape                                     # doctest: +SKIP
(28812.0, (512, 512))
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from astropy.wcs import WCS, FITSFixedWarning

from xmmframe.errors import ParameterError, ProductError
from xmmframe.model.products import Image
from xmmframe.io.cards import keyword_cards

ImageLike = Image | str | os.PathLike[str]


@dataclass(frozen=True, eq=False)
class Mosaic:
    """Counts, exposure and rate on one grid.

    Attributes
    ----------
    counts, exposure, rate : numpy.ndarray
        ``(ny, nx)``; ``counts`` is None when no images were given, ``rate`` NaN where masked.
    mask : numpy.ndarray
        True where the exposure reaches ``min_fraction`` of its maximum.
    wcs : astropy.wcs.WCS
        The grid.
    template : Image
        The input whose grid (and keywords) the mosaic takes.
    """

    counts: np.ndarray | None
    exposure: np.ndarray | None
    rate: np.ndarray | None
    mask: np.ndarray
    wcs: WCS
    template: Image

    def exposure_image(self) -> Image:
        """The merged exposure as an :class:`Image` with the grid's WCS keywords."""
        if self.exposure is None:
            raise ProductError("the mosaic has no exposure maps")
        return Image(data=self.exposure.astype(np.float32), exposure=None, cards=_grid_cards(self.template))

    def counts_image(self) -> Image:
        """The merged counts as an :class:`Image`."""
        if self.counts is None:
            raise ProductError("the mosaic has no counts images")
        return Image(data=self.counts, exposure=None, cards=_grid_cards(self.template))

    def rate_image(self) -> Image:
        """The rate (counts/s; 0 where masked) as an :class:`Image`."""
        if self.rate is None:
            raise ProductError("the mosaic needs both counts images and exposure maps for a rate")
        return Image(data=np.nan_to_num(self.rate, nan=0.0), exposure=None,
                     cards=_grid_cards(self.template) + _rate_cards())


def _rate_cards() -> tuple[str, ...]:
    return keyword_cards([("BUNIT", "count/s", "Pixel value unit")])


def _grid_cards(template: Image) -> tuple[str, ...]:
    keep = ("CTYPE", "CRPIX", "CRVAL", "CDELT", "CUNIT", "RADESYS", "RADECSYS", "EQUINOX", "OBS_ID", "OBJECT",
            "TELESCOP", "DATAMODE", "DATE-OBS")
    return tuple(c for c in template.cards if c[:8].strip().rstrip("12") in keep)


def _read(item: ImageLike) -> Image:
    return Image.read(item) if isinstance(item, (str, os.PathLike)) else item


def image_sky_wcs(image: Image, what: str) -> WCS:
    """The celestial WCS of an image, or a :class:`ProductError` naming ``what`` the image is.

    Examples
    --------
    >>> import numpy as np
    >>> from xmmframe.model.products import Image
    >>> image_sky_wcs(Image(np.zeros((2, 2)), ()), "the image")
    Traceback (most recent call last):
    ...
    xmmframe.errors.ProductError: the image has no sky WCS (CTYPE1/2 RA---TAN, DEC--TAN)
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FITSFixedWarning)
            wcs = WCS(image.header).celestial
    except Exception as err:  # noqa: BLE001 - any WCS problem of an input
        raise ProductError(f"{what} has no usable sky WCS: {err}") from None
    if not wcs.has_celestial:
        raise ProductError(f"{what} has no sky WCS (CTYPE1/2 RA---TAN, DEC--TAN)")
    return wcs


def _sample(image: Image, wcs_in: WCS, wcs_out: WCS, shape: tuple[int, int]) -> np.ndarray:
    """The input at the output pixel centres (nearest input pixel; 0 outside the input)."""
    if wcs_in.wcs.compare(wcs_out.wcs) and image.data.shape == shape:
        return image.data.astype(np.float64)
    jj, ii = np.mgrid[0:shape[0], 0:shape[1]]
    ra, dec = wcs_out.all_pix2world(ii.ravel(), jj.ravel(), 0)
    x, y = wcs_in.all_world2pix(ra, dec, 0)
    ix, iy = np.floor(x + 0.5).astype(np.int64), np.floor(y + 0.5).astype(np.int64)
    ny, nx = image.data.shape
    inside = (ix >= 0) & (iy >= 0) & (ix < nx) & (iy < ny)
    out = np.zeros(ix.size)
    out[inside] = image.data[iy[inside], ix[inside]]
    return out.reshape(shape)


def _move(image: Image, wcs_in: WCS, wcs_out: WCS, shape: tuple[int, int]) -> np.ndarray:
    """Each input pixel's counts added to the output pixel holding its centre."""
    if wcs_in.wcs.compare(wcs_out.wcs) and image.data.shape == shape:
        return image.data.astype(np.float64)
    jj, ii = np.mgrid[0:image.data.shape[0], 0:image.data.shape[1]]
    values = image.data.ravel().astype(np.float64)
    ra, dec = wcs_in.all_pix2world(ii.ravel(), jj.ravel(), 0)
    x, y = wcs_out.all_world2pix(ra, dec, 0)
    ix, iy = np.floor(x + 0.5).astype(np.int64), np.floor(y + 0.5).astype(np.int64)
    inside = (ix >= 0) & (iy >= 0) & (ix < shape[1]) & (iy < shape[0]) & (values != 0)
    out = np.zeros(shape[0] * shape[1])
    np.add.at(out, iy[inside] * shape[1] + ix[inside], values[inside])
    return out.reshape(shape)


def mosaic(
    images: Sequence[ImageLike] = (),
    expmaps: Sequence[ImageLike] = (),
    *,
    wcs: WCS | None = None,
    shape: tuple[int, int] | None = None,
    min_fraction: float = 0.1,
    weights: Sequence[float] | None = None,
) -> Mosaic:
    """Counts, exposure and rate of several exposures on one sky grid.

    Parameters
    ----------
    images : sequence of Image or path
        Counts images (may be empty).
    expmaps : sequence of Image or path
        Exposure maps (may be empty; one per image when both are given).
    wcs : astropy.wcs.WCS, optional
        The output grid; default the first input's (then ``shape`` is its shape).
    shape : (int, int), optional
        ``(ny, nx)`` of the output grid when ``wcs`` is given.
    min_fraction : float
        Pixels with less than this fraction of the largest exposure get no rate.
    weights : sequence of float, optional
        A factor per exposure map (e.g. an instrument's relative effective area).

    Returns
    -------
    Mosaic
        Counts, exposure and rate images on the output grid, and the mask of pixels with a rate.

    Raises
    ------
    ParameterError
        For no inputs, mismatched counts, bad ``min_fraction``, or ``wcs`` without ``shape``.
    ProductError
        For an input without a sky WCS.

    Examples
    --------
    >>> merged = mosaic(expmaps=["pn_exp.fits", "m1_exp.fits"], weights=[3.47, 1.0])     # doctest: +SKIP
    """
    image_list = [_read(i) for i in images]
    map_list = [_read(m) for m in expmaps]
    if not image_list and not map_list:
        raise ParameterError("mosaic needs at least one image or exposure map")
    if image_list and map_list and len(image_list) != len(map_list):
        raise ParameterError(f"{len(image_list)} images but {len(map_list)} exposure maps: give one map per image")
    if not 0.0 <= min_fraction <= 1.0:
        raise ParameterError(f"min_fraction must lie in 0..1, not {min_fraction}")
    if weights is not None and len(weights) != len(map_list):
        raise ParameterError(f"{len(weights)} weights for {len(map_list)} exposure maps")
    template = (image_list or map_list)[0]
    if wcs is None:
        out_wcs, out_shape = image_sky_wcs(template, "the first input"), template.data.shape
    else:
        if shape is None:
            if wcs.pixel_shape is None:
                raise ParameterError("a WCS for the mosaic needs shape=(ny, nx)")
            shape = (int(wcs.pixel_shape[1]), int(wcs.pixel_shape[0]))
        out_wcs, out_shape = wcs.celestial, (int(shape[0]), int(shape[1]))
    counts = None
    if image_list:
        counts = np.zeros(out_shape)
        for n, image in enumerate(image_list, 1):
            counts += _move(image, image_sky_wcs(image, f"image {n}"), out_wcs, out_shape)
    exposure = None
    if map_list:
        exposure = np.zeros(out_shape)
        for n, emap in enumerate(map_list, 1):
            factor = 1.0 if weights is None else float(weights[n - 1])
            exposure += factor * _sample(emap, image_sky_wcs(emap, f"exposure map {n}"), out_wcs, out_shape)
    mask = (exposure >= min_fraction * exposure.max()) & (exposure > 0) if exposure is not None else np.ones(
        out_shape, bool)
    rate = None
    if counts is not None and exposure is not None:
        rate = np.full(out_shape, np.nan)
        rate[mask] = counts[mask] / exposure[mask]
    return Mosaic(counts, exposure, rate, mask, out_wcs, template)


__all__ = ["Mosaic", "mosaic"]
