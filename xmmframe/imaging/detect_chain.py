"""The source-detection chain (SAS ``edetect_chain``): box detection, background maps, PSF fit.

1. sliding-box detection in local mode (:func:`~xmmframe.imaging.boxdetect.box_detect`,
   ``likemin``, 15 by default) gives the sources to cut out of the background;
2. a background map per image (:func:`~xmmframe.imaging.bkgmap.background_map`);
3. sliding-box detection in map mode against those maps (candidates down to ``box_likemin``);
4. maximum-likelihood PSF fit of the candidates in all images at once
   (:func:`~xmmframe.imaging.mldetect.ml_detect`, sources with ``DET_ML >= mlmin`` kept);
5. the :class:`~xmmframe.imaging.srclist.SourceList`.

Examples
--------
>>> from xmmframe.imaging.detect_chain import detect_sources
>>> from xmmframe.imaging.detect_images import detection_image
>>> images = [detection_image("m1_img.fits", "m1_exp.fits"), detection_image("m2_img.fits", "m2_exp.fits")]  # doctest: +SKIP
>>> result = detect_sources(images, mlmin=10)                                   # doctest: +SKIP
>>> result.sources.write("emllist.fits")                                         # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from xmmframe.ccf.access import Calibration
from xmmframe.imaging.bkgmap import SMOOTHING, background_map
from xmmframe.imaging.boxdetect import box_detect
from xmmframe.imaging.detect_images import DetectionImage, check_grid
from xmmframe.imaging.mldetect import ExtentFit, ml_detect
from xmmframe.imaging.srclist import SourceList, source_list


@dataclass(frozen=True, eq=False)
class DetectionResult:
    """What the chain made: both box lists, the images with their background maps, the sources."""

    local_list: pl.DataFrame
    map_list: pl.DataFrame
    images: tuple[DetectionImage, ...]
    sources: SourceList


def detect_sources(
    images: Sequence[DetectionImage],
    *,
    likemin: float = 15.0,
    box_likemin: float = 5.0,
    mlmin: float = 10.0,
    boxsize: int = 5,
    nruns: int = 3,
    smoothing: float = SMOOTHING,
    scut: float = 0.005,
    ecut: float = 0.8,
    calibration: Calibration | None = None,
    command: str | None = None,
    extent: ExtentFit | None = None,
) -> DetectionResult:
    """Detect and fit the sources of counts images with their exposure maps (SAS edetect_chain).

    Parameters
    ----------
    images : sequence of DetectionImage
        One per band and camera, on one grid (:func:`~xmmframe.imaging.detect_images.detection_image`).
    likemin : float
        Box likelihood of the local-mode sources cut out of the background.  Lower values
        cut out noise peaks too, and a background without its upward fluctuations is biased
        low (by 25 % at 8-14' off axis in a 10 ks MOS field with ``likemin=8``).
    box_likemin : float
        Box likelihood of the map-mode candidates passed to the fit.
    mlmin : float
        Smallest fitted ``DET_ML`` kept.
    boxsize, nruns : int
        Box detection (see :func:`~xmmframe.imaging.boxdetect.box_detect`).
    smoothing, scut : float
        Background map (see :func:`~xmmframe.imaging.bkgmap.background_map`).
    ecut : float
        PSF fraction inside the fit window.
    calibration : Calibration, optional
        PSF calibration (default: the built-in set).
    command : str, optional
        Recorded as ``XPROC0`` of the source list.
    extent : ExtentFit, optional
        Fit the sources' extent too (SAS ``fitextent=yes``).

    Returns
    -------
    DetectionResult

    Examples
    --------
    >>> len(detect_sources(images).sources)                # doctest: +SKIP
    42
    """
    check_grid(images)
    cal = calibration if calibration is not None else Calibration.builtin_set()
    local = box_detect(images, boxsize=boxsize, likemin=likemin, nruns=nruns, calibration=cal)
    total = total_counts(images)
    with_bkg = tuple(img.with_background(image_background(img, local, total, smoothing=smoothing, scut=scut,
                                                          calibration=cal)) for img in images)
    candidates = box_detect(with_bkg, boxsize=boxsize, likemin=box_likemin, nruns=nruns, usemap=True,
                            calibration=cal)
    fitted = ml_detect(with_bkg, candidates, mlmin=mlmin, ecut=ecut, calibration=cal, extent=extent)
    return DetectionResult(local, candidates, with_bkg,
                           source_list(fitted, with_bkg, scut=scut, calibration=cal, command=command,
                                       task="edetect_chain"))


def total_counts(images: Sequence[DetectionImage]) -> float:
    """The counts of all images together (a box list's rates are shared out in this proportion).

    Examples
    --------
    >>> total_counts(images)                                # doctest: +SKIP
    5321.0
    """
    return sum(float(i.counts.sum()) for i in images)


def image_background(
    image: DetectionImage,
    box_list: pl.DataFrame | None,
    total: float | None = None,
    *,
    smoothing: float = SMOOTHING,
    scut: float = 0.005,
    calibration: Calibration | None = None,
) -> np.ndarray:
    """The background map of one image of a detection (SAS esplinemap), the box list's sources cut out.

    The box list's rates are of all the images it was detected on; each image cuts the sources
    with its share of them: ``RATE`` times the image's counts over ``total`` (the images' counts
    together, :func:`total_counts`; default: the image's own, i.e. the list's rates as they are).

    Examples
    --------
    >>> bkg = image_background(images[0], local_list, total_counts(images))   # doctest: +SKIP
    """
    sources = box_list
    if box_list is not None and total is not None:
        fraction = float(image.counts.sum()) / total if total > 0 else 1.0
        sources = box_list.with_columns(pl.col("RATE") * fraction)
    return background_map(image, sources, smoothing=smoothing, scut=scut, calibration=calibration)


__all__ = ["DetectionResult", "detect_sources", "image_background", "total_counts"]
