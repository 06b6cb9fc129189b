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

import polars as pl

from xmmframe.ccf.access import Calibration
from xmmframe.imaging.bkgmap import SMOOTHING, background_map
from xmmframe.imaging.boxdetect import box_detect
from xmmframe.imaging.detect_images import DetectionImage, check_grid
from xmmframe.imaging.mldetect import ml_detect
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
    with_bkg = tuple(img.with_background(background_map(img, _share(local, images, img), smoothing=smoothing,
                                                        scut=scut, calibration=cal)) for img in images)
    candidates = box_detect(with_bkg, boxsize=boxsize, likemin=box_likemin, nruns=nruns, usemap=True,
                            calibration=cal)
    fitted = ml_detect(with_bkg, candidates, mlmin=mlmin, ecut=ecut, calibration=cal)
    return DetectionResult(local, candidates, with_bkg,
                           source_list(fitted, with_bkg, scut=scut, calibration=cal, command=command,
                                       task="edetect_chain"))


def _share(box_list: pl.DataFrame, images: Sequence[DetectionImage], image: DetectionImage) -> pl.DataFrame:
    """The box list with each rate scaled to this image's share of the counts (for its cut radii)."""
    total = sum(float(i.counts.sum()) for i in images)
    fraction = float(image.counts.sum()) / total if total > 0 else 1.0 / len(images)
    return box_list.with_columns(pl.col("RATE") * fraction)


__all__ = ["DetectionResult", "detect_sources"]
