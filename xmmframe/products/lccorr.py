"""Light-curve corrections of epiclccorr: background subtraction and the relative corrections.

epiclccorr's output (``refdata/exod/*/lcurve_100_M1_1/*_lccorr_2.604.lc``) satisfies, bin by
bin and to float32 precision:

* ``FRACEXP`` = exposed fraction of the bin (frames' live fraction within the good times;
  :func:`xmmframe.products.exposure.fracexp_curve`, used by ``lightcurve(fracexp=True)``);
* ``BACKV = B / FRACEXP_b / BKGRATIO`` and ``BACKE = sigma_B / FRACEXP_b / BKGRATIO``, with
  ``B`` the background rate and ``BKGRATIO`` the background-to-source area ratio;
* ``RATE = (S / FRACEXP - BACKV) * C`` and ``ERROR = sqrt((sigma_S / FRACEXP)^2 + BACKE^2) * C``,
  NaN where FRACEXP is 0.

``C`` gathers the *absolute* corrections (vignetting, PSF encircled energy, bad pixels, QE and
filter transmission, from an arfgen-like response): it needs calibration files and is taken
here as a parameter (default 1, no absolute correction).  ``BKGRATIO`` in SAS comes from the
region areas net of bad pixels and chip gaps (backscale); the default here is the ratio of the
geometric areas of the two curves' regions when both carry one, else 1.

Examples
--------
>>> src = events.lightcurve(2.604, selection="(X,Y) in CIRCLE(24635.6,24158.8,200)", fracexp=True)  # doctest: +SKIP
>>> bkg = events.lightcurve(2.604, selection="(X,Y) in CIRCLE(23290.1,27609.7,200)", fracexp=True)  # doctest: +SKIP
>>> net = correct_lightcurve(src, bkg)                                                              # doctest: +SKIP
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import polars as pl

from xmmframe.errors import ProductError
from xmmframe.model.products import LightCurve
from xmmframe.io.cards import set_keywords


def region_area(region: pl.DataFrame | None) -> float | None:
    """Geometric area (in the region columns' units squared) of a product's region table.

    Circles, annuli and ellipses (the shapes products record); None for other shapes or no region.

    Examples
    --------
    >>> region_area(pl.DataFrame({"SHAPE": ["CIRCLE"], "R": [[2.0, 0.0]]}))
    12.566370614359172
    """
    if region is None or region.height == 0:
        return None
    total = 0.0
    for shape, radii in zip(region["SHAPE"].to_list(), region["R"].to_list()):
        r = list(radii) if isinstance(radii, (list, tuple)) or hasattr(radii, "__len__") else [radii, 0.0]
        shape = str(shape).upper()
        if shape == "CIRCLE":
            total += math.pi * r[0] ** 2
        elif shape == "ANNULUS":
            total += math.pi * (r[1] ** 2 - r[0] ** 2)
        elif shape == "ELLIPSE":
            total += math.pi * r[0] * r[1]
        else:
            return None
    return total


def _check_same_bins(a: LightCurve, b: LightCurve) -> None:
    if len(a) != len(b) or a.timedel != b.timedel or not np.allclose(a.time, b.time, rtol=0, atol=1e-6):
        raise ProductError("source and background light curves must have the same bins (start, size, number)")


def correct_lightcurve(
    source: LightCurve,
    background: LightCurve | None = None,
    *,
    area_ratio: float | None = None,
    absolute: float = 1.0,
) -> LightCurve:
    """Background-subtracted, exposure-corrected light curve (epiclccorr's relative corrections).

    Parameters
    ----------
    source : LightCurve
        The source curve, with FRACEXP (``lightcurve(..., fracexp=True)``); without FRACEXP every
        bin counts as fully exposed.
    background : LightCurve, optional
        A background curve on the same bins (with its own FRACEXP).
    area_ratio : float, optional
        Background area / source area (``BKGRATIO``); default from the regions, else 1.
    absolute : float
        Absolute correction factor ``C`` (1: none applied).

    Returns
    -------
    LightCurve
        ``HDUCLAS2 = 'NET'`` (``TOTAL`` without background) with RATE, ERROR, FRACEXP, BACKV, BACKE.
    """
    fracexp = source.fracexp if source.fracexp is not None else np.ones(len(source))
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(fracexp > 0, source.rate / fracexp, np.nan)
        error = np.where(fracexp > 0, source.error / fracexp, np.nan)
        backv = backe = None
        ratio = 1.0
        if background is not None:
            _check_same_bins(source, background)
            if area_ratio is None:
                src_area, bkg_area = region_area(source.region), region_area(background.region)
                area_ratio = bkg_area / src_area if src_area and bkg_area else 1.0
            ratio = float(area_ratio)
            bfrac = background.fracexp if background.fracexp is not None else np.ones(len(background))
            backv = np.where(bfrac > 0, background.rate / bfrac / ratio, np.nan)
            backe = np.where(bfrac > 0, background.error / bfrac / ratio, np.nan)
            rate = rate - backv
            error = np.sqrt(error**2 + backe**2)
    cards = set_keywords(source.cards, [
        ("DEADAPP", True, "Dead time correction applied?"),
        ("VIGNAPP", absolute != 1.0, "Vignetting correction applied?"),
        ("BKGRATIO", ratio if background is not None else None, "Ratio of BKG to SRC collection areas"),
    ])
    return replace(
        source, rate=rate * absolute, error=error * absolute, counts=None, fracexp=fracexp, backv=backv,
        backe=backe, hduclas2="NET" if background is not None else "TOTAL", column="RATE", cards=cards,
    )


__all__ = ["correct_lightcurve", "region_area"]
