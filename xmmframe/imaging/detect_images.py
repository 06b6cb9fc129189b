"""The images a source detection works on: counts, exposure and background of each band and camera.

Source detection (SAS ``eboxdetect``/``esplinemap``/``emldetect``) takes one counts image and
one exposure map per energy band and camera, all on one sky grid.  :class:`DetectionImage`
holds one of them with what the PSF fit needs: the band (for the PSF energy), the camera (for
its PSF), the pixel size and the optical axis (for the off-axis angle of the PSF).

The optical axis is the exposure map's ``XCEN``/``YCEN`` (eexpmap writes them), else the image's
pointing (``RA_PNT``/``DEC_PNT``), else the image centre.

Examples
--------
>>> import numpy as np
>>> from astropy.wcs import WCS
>>> wcs = WCS(naxis=2)
>>> wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
>>> wcs.wcs.cdelt = [-4.0 / 3600, 4.0 / 3600]
>>> wcs.wcs.crval, wcs.wcs.crpix = [150.0, 2.2], [32.5, 32.5]
>>> img = DetectionImage(np.zeros((64, 64)), np.full((64, 64), 1000.0), wcs, "EMOS1", (500.0, 2000.0))
>>> round(img.pixel_arcsec, 3), img.axis
(4.0, (31.5, 31.5))
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from astropy.wcs import WCS, WCSCOMPARE_ANCILLARY, FITSFixedWarning

from xmmframe.errors import ParameterError, ProductError
from xmmframe.imaging.mosaic import image_sky_wcs
from xmmframe.imaging.vignetting import band_energy
from xmmframe.model.products import Image

#: Short camera names used in column names (4XMM catalogue style: ``PN_1_RATE``).
CAMERA_CODES = {"EPN": "PN", "EMOS1": "M1", "EMOS2": "M2"}


@dataclass(frozen=True, eq=False)
class DetectionImage:
    """One band of one camera on the detection grid.

    Attributes
    ----------
    counts, exposure : numpy.ndarray
        ``(ny, nx)`` counts and exposure (s, vignetting included) per pixel.
    wcs : astropy.wcs.WCS
        Celestial WCS of the grid (pixel origin 0 in :meth:`WCS.all_pix2world` with origin 0).
    instrument : str
        ``EPN``, ``EMOS1`` or ``EMOS2``.
    band : (float, float)
        PI band (eV).
    axis : (float, float), optional
        Optical axis (0-based pixel x, y); default the grid centre.
    background : numpy.ndarray, optional
        Background counts per pixel (filled by :func:`~xmmframe.imaging.bkgmap.background_map`).
    physical : (float, float, float, float), optional
        ``(LTV1, LTM1_1, LTV2, LTM2_2)``: image pixel = LTV + LTM * sky X/Y (evselect images).
    """

    counts: np.ndarray
    exposure: np.ndarray
    wcs: WCS
    instrument: str
    band: tuple[float, float]
    axis: tuple[float, float] | None = None
    background: np.ndarray | None = None
    physical: tuple[float, float, float, float] | None = None
    cards: tuple[str, ...] = field(default=(), repr=False)

    def __post_init__(self) -> None:
        if self.counts.shape != self.exposure.shape:
            raise ParameterError(f"counts image {self.counts.shape} and exposure map {self.exposure.shape} "
                                 "differ in shape")
        if self.axis is None:
            ny, nx = self.counts.shape
            object.__setattr__(self, "axis", ((nx - 1) / 2.0, (ny - 1) / 2.0))

    @property
    def shape(self) -> tuple[int, int]:
        """``(ny, nx)``."""
        return self.counts.shape  # type: ignore[return-value]

    @property
    def pixel_arcsec(self) -> float:
        """Pixel size (arcsec) along the grid's y axis."""
        scale = np.abs(self.wcs.celestial.pixel_scale_matrix)
        return float(np.sqrt(abs(np.linalg.det(scale)))) * 3600.0

    @property
    def energy_kev(self) -> float:
        """Energy (keV) at which the PSF is taken: the band's centre."""
        return band_energy(*self.band)

    @property
    def camera(self) -> str:
        """Short camera name (``PN``, ``M1``, ``M2``)."""
        return CAMERA_CODES.get(self.instrument.upper(), self.instrument.upper()[:2])

    def with_background(self, background: np.ndarray) -> "DetectionImage":
        """The same image with a background map."""
        return replace(self, background=np.asarray(background, dtype=np.float64))

    def to_sky_xy(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """Sky X/Y (physical) of 0-based image pixels, when the image has a physical WCS."""
        if self.physical is None:
            return None
        ltv1, ltm1, ltv2, ltm2 = self.physical
        return (np.asarray(x) + 1.0 - ltv1) / ltm1, (np.asarray(y) + 1.0 - ltv2) / ltm2


def _axis(image: Image, expmap: Image | None, wcs: WCS) -> tuple[float, float] | None:
    if expmap is not None and expmap.keyword("XCEN") is not None and expmap.keyword("YCEN") is not None:
        return float(expmap.keyword("XCEN")) - 1.0, float(expmap.keyword("YCEN")) - 1.0
    ra, dec = image.keyword("RA_PNT"), image.keyword("DEC_PNT")
    if ra is not None and dec is not None:
        x, y = wcs.all_world2pix(np.array([float(ra)]), np.array([float(dec)]), 0)
        return float(x[0]), float(y[0])
    return None


def _physical(image: Image) -> tuple[float, float, float, float] | None:
    values = [image.keyword(k) for k in ("LTV1", "LTM1_1", "LTV2", "LTM2_2")]
    if any(v is None for v in values) or not values[1] or not values[3]:
        return None
    return tuple(float(v) for v in values)  # type: ignore[return-value]


def _band(image: Image, given: tuple[float, float] | None) -> tuple[float, float]:
    if given is not None:
        return float(given[0]), float(given[1])
    text = str(image.keyword("SLCTEXPR", "") or "")
    found = re.search(r"PI\s+in\s+\[\s*([\d.]+)\s*:\s*([\d.]+)\s*\]", text, re.IGNORECASE)
    if found:
        return float(found.group(1)), float(found.group(2))
    return 500.0, 2000.0


def detection_image(
    image: Image | str | os.PathLike[str],
    expmap: Image | str | os.PathLike[str] | np.ndarray | None = None,
    *,
    band: tuple[float, float] | None = None,
    instrument: str | None = None,
) -> DetectionImage:
    """A counts image and its exposure map as a :class:`DetectionImage`.

    Parameters
    ----------
    image : Image or path
        Counts image with a sky WCS (evselect's).
    expmap : Image, path or array, optional
        Exposure map on the same grid (eexpmap's); default the image's ``EXPOSURE`` where the
        image has counts' support (a flat map: rates then carry no vignetting correction).
    band : (float, float), optional
        PI band (eV); default from the image's ``SLCTEXPR`` (``PI in [lo:hi]``), else 500-2000.
    instrument : str, optional
        Default the image's ``INSTRUME``.

    Raises
    ------
    ProductError
        For an image without sky WCS or an exposure map of another shape.

    Examples
    --------
    >>> img = detection_image("mos1_img.fits", "mos1_expmap.fits")    # doctest: +SKIP
    """
    counts = Image.read(image) if isinstance(image, (str, os.PathLike)) else image
    source = os.fspath(image) if isinstance(image, (str, os.PathLike)) else "the counts image"
    wcs = image_sky_wcs(counts, source)
    emap: Image | None = None
    if isinstance(expmap, (str, os.PathLike)):
        emap = Image.read(expmap)
    elif isinstance(expmap, Image):
        emap = expmap
    if emap is not None:
        exposure = np.asarray(emap.data, dtype=np.float64)
    elif isinstance(expmap, np.ndarray):
        exposure = np.asarray(expmap, dtype=np.float64)
    else:
        value = counts.exposure or counts.keyword("EXPOSURE") or 1.0
        exposure = np.full(counts.data.shape, float(value))
    if exposure.shape != counts.data.shape:
        raise ProductError(f"the exposure map ({exposure.shape[1]} x {exposure.shape[0]}) is not on the grid of "
                           f"{source} ({counts.data.shape[1]} x {counts.data.shape[0]})")
    name = instrument or str(counts.keyword("INSTRUME", "") or (emap.keyword("INSTRUME", "") if emap else "") or "")
    return DetectionImage(np.asarray(counts.data, dtype=np.float64), np.nan_to_num(exposure), wcs,
                          name.strip().upper() or "EPN", _band(counts, band), _axis(counts, emap, wcs),
                          physical=_physical(counts), cards=counts.cards)


def check_grid(images: Sequence[DetectionImage]) -> None:
    """Raise a ParameterError unless all images share one grid (shape and WCS).

    Examples
    --------
    >>> check_grid([])
    Traceback (most recent call last):
    ...
    xmmframe.errors.ParameterError: source detection needs at least one image
    """
    if not images:
        raise ParameterError("source detection needs at least one image")
    first = images[0]
    for n, other in enumerate(images[1:], 2):
        if other.shape != first.shape or not other.wcs.celestial.wcs.compare(first.wcs.celestial.wcs, cmp=WCSCOMPARE_ANCILLARY,
                                                                                tolerance=1e-9):
            raise ParameterError(f"image {n} is not on the grid of image 1 (same size and WCS needed; "
                                 "use mosaic() to put images on one grid)")


__all__ = ["CAMERA_CODES", "DetectionImage", "check_grid", "detection_image"]
