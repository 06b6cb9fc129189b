"""Where a product lies on the sky pixel grid: positions (degrees) to sky X/Y pixels of its header.

A product's header gives the sky pixel grid of the event list it came from (``REFXCRVL``,
``REFXCRPX``, ``REFXCDLT`` and the Y ones) and the pointing (``RA_PNT``, ``DEC_PNT``);
arfgen and epiclccorr need the source and the optical axis on that grid.

Examples
--------
>>> sky_pixel({"REFXCRVL": 10.0, "REFYCRVL": 20.0}, 10.0, 20.0)
(25921.0, 25921.0)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from xmmframe.errors import XmmframeError

#: Sky pixel size (arcsec) of X/Y and DETX/DETY.
PIXEL_ARCSEC = 0.05


def pointing_pixel(keys: Mapping[str, Any]) -> tuple[float, float]:
    """Sky X/Y pixel of the pointing (``RA_PNT``, ``DEC_PNT``); the reference pixel without them.

    Examples
    --------
    >>> pointing_pixel({"REFXCRPX": 100.0, "REFYCRPX": 200.0})
    (100.0, 200.0)
    """
    if "RA_PNT" not in keys or "REFXCRVL" not in keys:
        return float(keys.get("REFXCRPX", 25921.0)), float(keys.get("REFYCRPX", 25921.0))
    return sky_pixel(keys, float(keys["RA_PNT"]), float(keys["DEC_PNT"]))


def sky_pixel(keys: Mapping[str, Any], ra_deg: float, dec_deg: float) -> tuple[float, float]:
    """Sky X/Y pixel of a position (degrees) on the ``REFX*``/``REFY*`` tangent plane (gnomonic).

    Raises
    ------
    xmmframe.errors.XmmframeError
        When the keywords have no ``REFXCRVL``/``REFYCRVL``.

    Examples
    --------
    >>> sky_pixel({"REFXCRVL": 10.0, "REFYCRVL": 20.0}, 10.0, 20.0)
    (25921.0, 25921.0)
    """
    crpx = float(keys.get("REFXCRPX", 25921.0))
    crpy = float(keys.get("REFYCRPX", 25921.0))
    if "REFXCRVL" not in keys:
        raise XmmframeError("the spectrum has no REFXCRVL/REFYCRVL: cannot place sky coordinates",
                            keys.get("_PATH"))
    ra0, dec0 = math.radians(float(keys["REFXCRVL"])), math.radians(float(keys["REFYCRVL"]))
    ra, dec = math.radians(ra_deg), math.radians(dec_deg)
    cos_c = math.sin(dec0) * math.sin(dec) + math.cos(dec0) * math.cos(dec) * math.cos(ra - ra0)
    xi = math.cos(dec) * math.sin(ra - ra0) / cos_c
    eta = (math.cos(dec0) * math.sin(dec) - math.sin(dec0) * math.cos(dec) * math.cos(ra - ra0)) / cos_c
    cdx = float(keys.get("REFXCDLT", -PIXEL_ARCSEC / 3600))
    cdy = float(keys.get("REFYCDLT", PIXEL_ARCSEC / 3600))
    return crpx + math.degrees(xi) / cdx, crpy + math.degrees(eta) / cdy


__all__ = ["PIXEL_ARCSEC", "pointing_pixel", "sky_pixel"]
