"""Light curves in evselect's layout.

Rules reproduced exactly from the SAS 20 rate sets of ``refdata/exod/0001730201``:

* bins of ``timedel`` start at ``tmin`` (default: the event list's ``TSTART``); there are
  ``ceil((tmax - tmin) / timedel)`` of them (``tmax`` default ``TSTOP``); event t falls in bin
  ``floor((t - tmin) / timedel)``;
* ``TIME`` is the bin centre computed as ``(tmin + k*timedel) + timedel/2``;
* ``RATE = N / timedel``, ``ERROR = sqrt(N) / timedel``; ``TSTART``/``TSTOP`` are ``tmin``/``tmax``;
* ``EXPOSURE`` is the event-weighted per-CCD live time; ``CHANMIN``/``CHANMAX`` the energy
  column's legal range narrowed by the selection, ``CHANTYPE`` its name.

SAS does not write ``TIMEPIXR``; xmmframe writes ``TIMEPIXR = 0.5`` (which is what readers
assume when it is missing).  With ``fracexp=True`` a ``FRACEXP`` column gives the exposed
fraction of each bin (good times x frame live fraction, epiclccorr's relative correction).

Examples
--------
>>> import xmmframe
>>> events = xmmframe.open_events("P0001730201M1S002MIEVLI.FTZ")                  # doctest: +SKIP
>>> curve = events.lightcurve(bin=100, selection="#XMMEA_EM && (PI>10000) && (PATTERN==0)")  # doctest: +SKIP
>>> len(curve), curve.rate.max()                                                  # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import polars as pl

from xmmframe.errors import ProductError
from xmmframe.model.events import EventList
from xmmframe.model.gti import GTI
from xmmframe.model.options import LightCurveOptions
from xmmframe.model.products import LightCurve
from xmmframe.io.cards import keyword_cards
from xmmframe.model.registry import register
from xmmframe.products.binning import Axis, histogram
from xmmframe.products.context import ProductContext
from xmmframe.products.exposure import fracexp_curve


def time_axis(context: ProductContext, timedel: float, tmin: float | None = None, tmax: float | None = None) -> Axis:
    """The light-curve bins: from ``tmin`` (default TSTART) covering ``tmax`` (default TSTOP).

    Raises
    ------
    ProductError
        For a bin size that is not positive, or no time range.
    """
    if not timedel > 0:
        raise ProductError(f"time bin size must be positive, got {timedel}")
    start = context.meta.tstart if tmin is None else float(tmin)
    stop = context.meta.tstop if tmax is None else float(tmax)
    if start is None or stop is None:
        raise ProductError("the event list has no TSTART/TSTOP; give tmin and tmax")
    if stop <= start:
        raise ProductError(f"empty time range {start}..{stop}")
    nbins = max(1, math.ceil((stop - start) / timedel))
    if nbins > 1 << 31:
        raise ProductError(f"{nbins} time bins of {timedel} s are too many")
    return Axis(start, float(timedel), nbins)


def _channel_cards(context: ProductContext, energy_column: str) -> tuple[str, ...]:
    info = context.meta.columns.get(energy_column)
    low = info.tlmin if info is not None else None
    high = info.tlmax if info is not None else None
    sel_low, sel_high = context.dss.value_range(energy_column)
    low = sel_low if sel_low is not None and (low is None or sel_low > low) else low
    high = sel_high if sel_high is not None and (high is None or sel_high < high) else high
    return keyword_cards([
        ("DEADAPP", False, "Dead time correction applied?"),
        ("VIGNAPP", False, "Vignetting correction applied?"),
        ("CHANMIN", float(low) if low is not None else None, "Minimum value of the energy column"),
        ("CHANMAX", float(high) if high is not None else None, "Maximum value of the energy column"),
        ("CHANTYPE", energy_column.upper(), "Name of energy column used"),
    ])


def lightcurve_from_frame(frame: pl.DataFrame, context: ProductContext, options: LightCurveOptions) -> LightCurve:
    """The light curve of already selected events (``frame`` has the time column and CCDNR)."""
    axis = time_axis(context, options.bin, options.tmin, options.tmax)
    counts = histogram(frame[options.time_column].to_numpy(), axis)
    weights = context.events_per_ccd(frame)
    exposure = context.times.weighted_livetime(weights)
    timedel = axis.width
    product = context.product_cards()
    product["cards"] = product["cards"] + _channel_cards(context, options.energy_column)
    return LightCurve(
        time=axis.centres(),
        rate=counts / timedel,
        error=np.sqrt(counts) / timedel,
        timedel=timedel,
        tstart=axis.origin,
        tstop=float(options.tmax) if options.tmax is not None else float(context.meta.tstop),
        counts=counts,
        fracexp=fracexp_curve(context.meta, context.times, axis, weights) if options.fracexp else None,
        exposure=exposure,
        column="RATE" if options.rate else "COUNTS",
        **product,
    )


@register("EventList.lightcurve")
def make_lightcurve(
    events: EventList,
    selection: Any = None,
    *,
    options: LightCurveOptions | Mapping[str, Any] | float | None = None,
    gti: GTI | None = None,
    **fields: Any,
) -> LightCurve:
    """Bin the (selected) events in time; see :meth:`EventList.lightcurve`.

    ``options`` (a :class:`~xmmframe.model.options.LightCurveOptions`, a mapping of its fields or
    the bin size) and ``**fields`` build the LightCurveOptions
    (:meth:`~xmmframe.model.options.ProductOptions.build`).
    """
    options = LightCurveOptions.build(options, **fields)
    context = ProductContext.from_events(events, selection, gti, task="lightcurve", parameters=options.history())
    columns = [options.time_column] + (["CCDNR"] if "CCDNR" in events.meta.columns else [])
    frame = context.selected(columns).collect()
    return lightcurve_from_frame(frame, context, options)


__all__ = ["lightcurve_from_frame", "make_lightcurve", "time_axis"]
