"""Light-curve corrections of epiclccorr: exposure, background subtraction, relative and absolute corrections.

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

The pieces :func:`xmmframe.products.epiclccorr.epiclccorr` puts together: FRACEXP of an
existing curve (:func:`curve_fracexp`, within the curve's own good times), the background area
ratio as backscale computes it (:func:`region_area_ratio`), the bins with exposure as GTIs
(:func:`exposed_gti`), the absolute factor ``C`` (:func:`lightcurve_absolute_correction`) and
the subtraction and relative corrections themselves (:func:`correct_lightcurve`).

Examples
--------
>>> src = events.lightcurve(2.604, selection="(X,Y) in CIRCLE(24635.6,24158.8,200)", fracexp=True)  # doctest: +SKIP
>>> bkg = events.lightcurve(2.604, selection="(X,Y) in CIRCLE(23290.1,27609.7,200)", fracexp=True)  # doctest: +SKIP
>>> net = correct_lightcurve(src, bkg)                                                              # doctest: +SKIP
"""

from __future__ import annotations

import math
import os
from dataclasses import replace
from typing import Any

import numpy as np
import polars as pl

from xmmframe.ccf.access import Calibration
from xmmframe.errors import CalibrationError, ProductError
from xmmframe.io.cards import set_keywords
from xmmframe.io.events import open_events
from xmmframe.io.ogip import read_lightcurve
from xmmframe.model.events import EventList
from xmmframe.model.gti import GTI
from xmmframe.model.products import GtiTable, LightCurve
from xmmframe.model.responses import Rmf
from xmmframe.products.arf import arfgen
from xmmframe.products.backscale import spectrum_area, spectrum_region
from xmmframe.products.binning import Axis
from xmmframe.products.ccd_footprints import CcdLayout
from xmmframe.products.exposure import CcdTimes, current_gti_tables, fracexp_curve
from xmmframe.products.context import ProductContext
from xmmframe.select.dss import DataSubspace
from xmmframe.select.region import Region


def open_event_list(events: EventList | str | os.PathLike[str]) -> EventList:
    """``events`` itself when it is an event list, else the event list of that file."""
    return events if isinstance(events, EventList) else open_events(events)


def geometric_area(region: pl.DataFrame | None) -> float | None:
    """The geometric area of a product's region table, in its columns' units squared.

    This is the area of the shapes in the plane (:meth:`xmmframe.select.Region.area`: exact
    for one shape, a fine-grid count for several), with no CCD gap, bad pixel or field of
    view removed and no backscale lattice: the default background-to-source ratio of
    :func:`correct_lightcurve` when no event list is at hand.  BACKSCAL and epiclccorr's
    ``BKGRATIO`` use :func:`~xmmframe.products.backscale.exposed_area` instead, the area on
    exposed detector pixels.  None without a region or for an unbounded one.

    Examples
    --------
    >>> geometric_area(pl.DataFrame({"SHAPE": ["CIRCLE"], "X": [0.0], "Y": [0.0], "R": [[2.0, 0.0]]}))
    12.566370614359172
    """
    if region is None or region.height == 0:
        return None
    area = Region.from_frame(region).area()
    return area if math.isfinite(area) else None


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
                src_area, bkg_area = geometric_area(source.region), geometric_area(background.region)
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


def curve_gti_tables(curve: LightCurve, events: EventList) -> tuple[GtiTable, ...]:
    """The per-CCD good times of a curve: its own GTI tables (by its DSS), else the event list's."""
    by_name = {t.name.upper(): t for t in curve.gtis}
    refs = DataSubspace.from_header(curve.header).time_tables()
    tables = tuple(GtiTable(by_name[name].name, by_name[name].gti, ccd) for ccd, name in refs.items()
                   if name in by_name)
    if tables:
        return tables
    own = tuple(t for t in curve.gtis if t.ccd is not None)
    return own if own else current_gti_tables(events.meta)


def region_events_per_ccd(curve: LightCurve, events: EventList) -> dict[int, int]:
    """Events of the list inside the curve's region, per CCD (all events without a region)."""
    lazy = events.lazy
    if curve.region is not None and curve.region.height:
        region, _, _ = spectrum_region(curve)
        lazy = lazy.filter(region.to_expr(events.meta))
    counts = lazy.group_by("CCDNR").agg(pl.len().alias("N")).collect()
    return {int(c): int(n) for c, n in zip(counts["CCDNR"].to_list(), counts["N"].to_list())}


def curve_fracexp(curve: LightCurve, events: EventList | str | os.PathLike[str]) -> np.ndarray:
    """Exposed fraction of each bin of an existing curve (epiclccorr's FRACEXP).

    Examples
    --------
    >>> curve_fracexp(LightCurve.read("src.lc"), "M1_clean.fits")[:3]          # doctest: +SKIP
    """
    events = open_event_list(events)
    axis = Axis(curve.tstart, curve.timedel, len(curve))
    if not np.allclose(axis.centres(), curve.time, rtol=0, atol=1e-6 * max(1.0, curve.timedel)):
        raise ProductError("the light curve's TIME column is not on a regular grid from TSTART")
    times = CcdTimes(curve_gti_tables(curve, events), {}, {})
    return fracexp_curve(events.meta, times, axis, region_events_per_ccd(curve, events))


def region_area_ratio(source: LightCurve, background: LightCurve,
                      events: EventList | str | os.PathLike[str] | None) -> float | None:
    """Background area over source area as backscale computes them (None without both regions)."""
    if source.region is None or background.region is None or not source.region.height:
        return None
    layout = CcdLayout.from_events(events, spectrum_region(source)[1]) if events is not None else None
    src = spectrum_area(source, withbadpixcorr=layout is not None, layout=layout)
    bkg = spectrum_area(background, withbadpixcorr=layout is not None, layout=layout)
    if src.backscal <= 0:
        raise ProductError("the source region has no area on the detector")
    return bkg.backscal / src.backscal


def exposed_gti(curve: LightCurve, name: str) -> GtiTable:
    """The bins with exposure (``FRACEXP > 0``) as good time intervals on the bin edges (SAS's SRC_GTIS).

    Examples
    --------
    >>> curve = LightCurve(np.array([0.5, 1.5, 2.5]), np.zeros(3), np.zeros(3), 1.0, 0.0, 3.0,
    ...                    fracexp=np.array([0.2, 0.0, 1.0]))
    >>> exposed_gti(curve, "SRC_GTIS").gti.intervals
    [(0.0, 1.0), (2.0, 3.0)]
    """
    exposed = np.concatenate([[0], (np.nan_to_num(curve.fracexp) > 0).astype(np.int8), [0]])
    change = np.diff(exposed)
    first, last = np.nonzero(change == 1)[0], np.nonzero(change == -1)[0]
    return GtiTable(name, GTI(curve.tstart + first * curve.timedel, curve.tstart + last * curve.timedel), None)


def lightcurve_absolute_correction(
    curve: Any,
    calibration: Calibration | None = None,
    badpixlocation: str | os.PathLike[str] | None = None,
    step_kev: float = 0.05,
) -> float:
    """epiclccorr's absolute correction factor ``C`` of a light curve (``applyabsolutecorrections=yes``).

    ``C`` turns the rate in the curve's region into the rate of the whole source on axis:
    the ratio of the on-axis, whole-PSF, defect-free response to the response of the region
    (arfgen's: vignetting, encircled energy, bad pixels and chip gaps), both summed over the
    curve's band (``CHANMIN``..``CHANMAX`` PI eV, default 0.2-12 keV) on a ``step_kev`` grid
    (epiclccorr samples at 50 eV), i.e. for a flat photon spectrum.  QE and filter cancel.
    Give the result to :func:`correct_lightcurve` as ``absolute``.

    Parameters
    ----------
    curve : LightCurve, path or mapping
        The source light curve (its header keywords and region).
    calibration : Calibration, optional
        Default: ``Calibration.open`` for the curve's date.
    badpixlocation : path, optional
        Event list for the bad-pixel and chip-gap correction.
    step_kev : float
        Energy sampling (keV).

    Examples
    --------
    >>> from xmmframe.io.ogip import read_lightcurve
    >>> src = read_lightcurve("J173442-323451_lc_2.604_src.lc")               # doctest: +SKIP
    >>> correct_lightcurve(src, bkg, absolute=lightcurve_absolute_correction(src))   # doctest: +SKIP
    """
    ctx = ProductContext.from_any(read_lightcurve(curve) if isinstance(curve, (str, os.PathLike)) else curve)
    low = float(ctx.keywords.get("CHANMIN", 200.0)) / 1000.0
    high = float(ctx.keywords.get("CHANMAX", 12000.0)) / 1000.0
    count = max(1, int(round((high - low) / step_kev)))
    edges = np.linspace(low, high, count + 1)
    grid = Rmf(edges[:-1], edges[1:], np.zeros(count, np.int64), np.zeros(count + 1, np.int64), np.zeros(0, np.int64),
               np.zeros(0, np.int64), np.zeros(count + 1, np.int64), np.zeros(0, np.float32), np.zeros(0), np.zeros(0))
    cal = ctx.calibration(calibration)
    actual = arfgen(ctx, rmf=grid, calibration=cal, badpixlocation=badpixlocation)
    ideal = arfgen(ctx, rmf=grid, calibration=cal, source=ctx.axis_pixel(), modelee=False)
    total = float(np.sum(actual.specresp))
    if total <= 0:
        raise CalibrationError("the light curve's region has no effective area", ctx.keywords.get("_PATH"))
    return float(np.sum(ideal.specresp)) / total


__all__ = ["correct_lightcurve", "curve_fracexp", "curve_gti_tables", "exposed_gti", "lightcurve_absolute_correction",
           "geometric_area", "region_area_ratio", "region_events_per_ccd"]
