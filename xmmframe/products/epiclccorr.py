"""SAS epiclccorr on existing light curves: exposure, background and absolute corrections together.

epiclccorr takes a source light curve, optionally a background curve on the same bins, and the
event list both were made from, and writes the corrected source rate.  The pieces:

* ``FRACEXP`` of each curve, from the event list's frames (``EXPOSUnn``) within the curve's
  own good times (the GTI tables its data subspace refers to, one per CCD), CCDs weighted by
  the events of the curve's region (:func:`curve_fracexp`, the same computation as
  ``lightcurve(fracexp=True)``);
* ``BKGRATIO``: the background region's area over the source region's, both computed as SAS
  backscale does (:mod:`xmmframe.products.backscale`, bad pixels and chip gaps from the event
  list), else the geometric ratio of the regions;
* the absolute factor ``C`` (``applyabsolutecorrections``):
  :func:`xmmframe.products.responses.lightcurve_absolute_correction`;
* the relative corrections and the background subtraction:
  :func:`xmmframe.products.lccorr.correct_lightcurve`.

The output follows the SAS file: ``RATE`` table (TIME, RATE, ERROR, FRACEXP, BACKV, BACKE),
``SRC_GTIS`` and ``BKG_GTIS`` tables (the runs of bins with ``FRACEXP > 0``, on the bin edges,
as in the SAS file), the source region, and the source's data subspace without its TIME entry.

Examples
--------
>>> from xmmframe.products.epiclccorr import epiclccorr
>>> net = epiclccorr("J173442-323451_lc_2.604_src.lc", "M1_clean.fits",
...                  background="J173442-323451_lc_2.604_bgd.lc", absolute=True)    # doctest: +SKIP
>>> net.keyword("BKGRATIO")                                                          # doctest: +SKIP
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from typing import Any

import numpy as np
import polars as pl

from xmmframe.errors import ProductError
from xmmframe.model.events import EventList
from xmmframe.model.gti import GTI
from xmmframe.model.products import GtiTable, LightCurve
from xmmframe.io.cards import drop_keywords, set_keywords
from xmmframe.products.binning import Axis
from xmmframe.products.dss import DataSubspace
from xmmframe.products.exposure import CcdTimes, current_gti_tables, fracexp_curve

_DSS_KEY = re.compile(r"^(\d*DS(TYP|VAL|UNI|FORM|REF)\d+|MTYPE\d+|MFORM\d+)$")


def _read_curve(curve: LightCurve | str | os.PathLike[str]) -> LightCurve:
    return curve if isinstance(curve, LightCurve) else LightCurve.read(curve)


def _open(events: EventList | str | os.PathLike[str]) -> EventList:
    from xmmframe.io.events import open_events

    return events if isinstance(events, EventList) else open_events(events)


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
    from xmmframe.products.backscale import spectrum_region

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
    events = _open(events)
    axis = Axis(curve.tstart, curve.timedel, len(curve))
    if not np.allclose(axis.centres(), curve.time, rtol=0, atol=1e-6 * max(1.0, curve.timedel)):
        raise ProductError("the light curve's TIME column is not on a regular grid from TSTART")
    times = CcdTimes(curve_gti_tables(curve, events), {}, {})
    return fracexp_curve(events.meta, times, axis, region_events_per_ccd(curve, events))


def region_area_ratio(source: LightCurve, background: LightCurve,
                      events: EventList | str | os.PathLike[str] | None) -> float | None:
    """Background area over source area as backscale computes them (None without both regions)."""
    from xmmframe.products.backscale import spectrum_area, spectrum_region
    from xmmframe.products.ccd_layout import CcdLayout

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


def _output_cards(source: LightCurve) -> tuple[str, ...]:
    from xmmframe.io.ogip import REGION_EXTNAME

    dss = DataSubspace.from_header(source.header).without("TIME")
    dss = DataSubspace(tuple(replace(e, ref=f":{REGION_EXTNAME}") if e.name.upper().startswith("POS(") else e
                             for e in dss.entries))
    keys = {c[:8].strip() for c in source.cards if _DSS_KEY.match(c[:8].strip())}
    return drop_keywords(source.cards, keys) + dss.cards()


def epiclccorr(
    source: LightCurve | str | os.PathLike[str],
    events: EventList | str | os.PathLike[str],
    background: LightCurve | str | os.PathLike[str] | None = None,
    *,
    absolute: bool = False,
    calibration: Any = None,
    area_ratio: float | None = None,
) -> LightCurve:
    """The corrected source light curve (SAS epiclccorr).

    Parameters
    ----------
    source, background : LightCurve or path
        The source curve and the background curve on the same bins (``withbkgset``).
    events : EventList or path
        The event list the curves were made from (``eventlist``): frames, good times, bad
        pixels and CCD outlines.
    absolute : bool
        Apply the absolute corrections (``applyabsolutecorrections``); the bad-pixel part needs
        ``events`` as a path.
    calibration : Calibration, optional
        For the absolute corrections (default: the built-in set or SAS_CCF/SAS_CCFPATH).
    area_ratio : float, optional
        ``BKGRATIO`` to use instead of the backscale areas.

    Returns
    -------
    LightCurve
        ``HDUCLAS2 = 'NET'`` with a background, ``'TOTAL'`` without.
    """
    from xmmframe.products.lccorr import correct_lightcurve
    from xmmframe.products.responses import lightcurve_absolute_correction

    path = os.fspath(events) if isinstance(events, (str, os.PathLike)) else None
    events = _open(events)
    src = _read_curve(source)
    src = replace(src, fracexp=curve_fracexp(src, events))
    gtis = [exposed_gti(src, "SRC_GTIS")]
    bkg = None
    if background is not None:
        bkg = _read_curve(background)
        bkg = replace(bkg, fracexp=curve_fracexp(bkg, events))
        gtis.append(exposed_gti(bkg, "BKG_GTIS"))
        if area_ratio is None:
            area_ratio = region_area_ratio(src, bkg, events)
    factor, calsrc = 1.0, None
    if absolute:
        if calibration is None:
            from xmmframe.ccf.access import Calibration

            date = src.keyword("DATE-OBS")
            calibration = Calibration.open(observation_date=str(date)[:19] if date else None)
        factor = lightcurve_absolute_correction(src, calibration, badpixlocation=path)
        calsrc = calibration.calsrc
    net = correct_lightcurve(src, bkg, area_ratio=area_ratio, absolute=factor)
    cards = set_keywords(_output_cards(net), [("ABSCORR", factor, "Absolute correction factor applied to RATE"),
                                              ("CALSRC", calsrc, "Calibration used for the absolute correction")])
    return replace(net, cards=cards, gtis=tuple(gtis))


__all__ = ["curve_fracexp", "curve_gti_tables", "epiclccorr", "exposed_gti", "region_area_ratio", "region_events_per_ccd"]
