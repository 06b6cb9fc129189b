"""Imaging tasks: exposure maps, mosaics, source detection and pile-up diagnostics.

These answer "how long was each sky pixel exposed, where are the sources, is this source
piled up" for the images of :mod:`xmmframe.products` (SAS ``eexpmap``, ``emosaic``,
``eboxdetect``/``esplinemap``/``emldetect`` and ``epatplot``).

Examples
--------
>>> from xmmframe.imaging import exposure_map, mosaic
>>> emap = exposure_map("mos1_clean.fits", "mos1_img.fits", attitude="att.fits")   # doctest: +SKIP
"""

from xmmframe.imaging.detect_chain import DetectionResult, detect_sources
from xmmframe.imaging.detect_images import DetectionImage, detection_image
from xmmframe.imaging.expmap import ExposureMap, exposure_map
from xmmframe.imaging.mosaic import Mosaic, mosaic
from xmmframe.imaging.srclist import SourceList

__all__ = ["DetectionImage", "DetectionResult", "ExposureMap", "Mosaic", "SourceList", "detect_sources",
           "detection_image", "exposure_map", "mosaic"]
