"""Inputs shared by the source-detection tasks (eboxdetect, esplinemap, emldetect, edetect_chain).

Image lists are space-separated words (``imagesets='m1.fits m2.fits'``); ``pimin``/``pimax``
give one band per image (eV; one value for all; empty: each image's own ``SLCTEXPR``).

Examples
--------
>>> from xmmframe.cli.sas_params import Param, parse_parameters
>>> values = parse_parameters("eboxdetect", ["imagesets=a.fits b.fits", "pimin=500", "pimax=2000"],
...                           (Param("imagesets", None), Param("pimin", ""), Param("pimax", "")))
>>> words(values, "imagesets"), bands("eboxdetect", values, 2)
(['a.fits', 'b.fits'], [(500.0, 2000.0), (500.0, 2000.0)])
"""

from __future__ import annotations

import contextlib
import shlex
import warnings
from collections.abc import Iterator, Sequence

import numpy as np

from xmmframe.cli.sas_params import SasArguments
from xmmframe.errors import CalibrationWarning, ParameterError
from xmmframe.imaging.detect_images import DetectionImage, detection_image
from xmmframe.model.products import Image


def words(values: SasArguments, name: str) -> list[str]:
    """The space-separated words of a parameter."""
    return shlex.split(str(values[name] or ""))


def bands(task: str, values: SasArguments, count: int) -> list[tuple[float, float] | None]:
    """One ``(pimin, pimax)`` per image from ``pimin``/``pimax`` (None where both are empty)."""
    lows, highs = words(values, "pimin"), words(values, "pimax")
    if not lows and not highs:
        return [None] * count
    if len(lows) == 1:
        lows = lows * count
    if len(highs) == 1:
        highs = highs * count
    if len(lows) != count or len(highs) != count:
        raise ParameterError(f"{task}: give one pimin and pimax per image ({count}) or one for all")
    try:
        return [(float(a), float(b)) for a, b in zip(lows, highs, strict=True)]
    except ValueError:
        raise ParameterError(f"{task}: pimin/pimax must be numbers, not {values['pimin']!r}/"
                             f"{values['pimax']!r}") from None


def exposure_maps(task: str, values: SasArguments, images: Sequence[str], name: str = "expimagesets"
                  ) -> list[str | None]:
    """The exposure maps, one per image (None each without ``withexpimage``)."""
    if not values["withexpimage"]:
        return [None] * len(images)
    maps = words(values, name)
    if len(maps) != len(images):
        raise ParameterError(f"{task}: give one exposure map per image in {name} ({len(images)} images, "
                             f"{len(maps)} maps), or withexpimage=no")
    return list(maps)


@contextlib.contextmanager
def builtin_calibration_quiet() -> Iterator[None]:
    """Silence the warning that the built-in calibration (the PSF) is used, as edetect_chain does."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        yield


def read_images(images: Sequence[str], maps: Sequence[str | Image | None],
                band_list: Sequence[tuple[float, float] | None]) -> list[DetectionImage]:
    """The :class:`~xmmframe.imaging.detect_images.DetectionImage` of each counts image and exposure map."""
    with builtin_calibration_quiet():
        return [detection_image(image, emap, band=band) for image, emap, band in zip(images, maps, band_list,
                                                                                      strict=True)]


def with_backgrounds(task: str, images: Sequence[DetectionImage], paths: Sequence[str], name: str = "bkgimagesets"
                     ) -> list[DetectionImage]:
    """The images with the background maps read from ``paths`` (one per image, on the image's grid)."""
    if len(paths) != len(images):
        raise ParameterError(f"{task}: give one background map per image in {name} ({len(images)} images, "
                             f"{len(paths)} maps)")
    out = []
    for image, path in zip(images, paths, strict=True):
        data = np.asarray(Image.read(path).data, dtype=np.float64)
        if data.shape != image.shape:
            raise ParameterError(f"{task}: background map {path} ({data.shape[1]} x {data.shape[0]}) is not on the "
                                 f"image's grid ({image.shape[1]} x {image.shape[0]})")
        out.append(image.with_background(data))
    return out


__all__ = ["bands", "builtin_calibration_quiet", "exposure_maps", "read_images", "with_backgrounds", "words"]
