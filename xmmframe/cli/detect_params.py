"""Parameters shared by the source-detection tasks (eboxdetect, esplinemap, emldetect, edetect_chain).

Examples
--------
>>> [p.name for p in (*IMAGE_PARAMS, *BAND_PARAMS)]
['imagesets', 'withexpimage', 'expimagesets', 'pimin', 'pimax']
"""

from __future__ import annotations

from xmmframe.cli.sas_params import Param

#: The counts images and their exposure maps.
IMAGE_PARAMS = (
    Param("imagesets", None, "str", "counts images, one per band and camera (space separated)"),
    Param("withexpimage", True, "bool", "use the exposure maps expimagesets"),
    Param("expimagesets", "", "str", "exposure maps, one per image"),
)

#: The band of each image.
BAND_PARAMS = (
    Param("pimin", "", "str", "lower band edge per image (eV; one value for all; empty: from the image)"),
    Param("pimax", "", "str", "upper band edge per image (eV; one value for all; empty: from the image)"),
)

#: emldetect's extent fit.
EXTENT_PARAMS = (
    Param("fitextent", True, "bool", "fit the source extent (beta model convolved with the PSF)"),
    Param("dmlextmin", 10.0, "float", "smallest extent likelihood EXT_ML of an extended source"),
    Param("minextent", 1.5, "float", "smallest core radius fitted (image pixels)"),
    Param("maxextent", 20.0, "float", "largest core radius fitted (image pixels)"),
)

__all__ = ["BAND_PARAMS", "EXTENT_PARAMS", "IMAGE_PARAMS"]
