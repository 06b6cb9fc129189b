"""What the browser viewer is given: an exposure's counts image and its flare light curve as JSON.

The viewer (``static/viewer.js``, shared by the web service's exposure page and the Jupyter
widget :mod:`xmmframe.interactive`) draws regions on a counts image and brushes good times on the
flare light curve.  Both sides call the two functions here, so the page and the widget show the
same numbers:

* :func:`image_payload` bins the events with the library's image code (evselect's pixel
  convention, :meth:`xmmframe.EventList.image`) over the part of the sky X/Y grid that has
  events.  ``data[j*nx + i]`` counts the events with ``xmin + i*bin <= X < xmin + (i+1)*bin``
  and likewise in Y; row 0 is the lowest Y (drawn at the bottom, as ds9 does).  ``xmin`` is a
  pixel *edge*, half a unit below the first integer X the pixel holds, so that the centre of
  pixel ``i`` is at physical ``xmin + (i + 0.5)*bin``, where ds9 puts it for the same image.
* :func:`lightcurve_payload` is :func:`xmmframe.products.flare_gti`'s diagnostic curve (pn:
  single events of PI 10000-12000, MOS: PI > 10000, standard flag masks) and its default
  threshold; the viewer's starting GTI is "RATE <= threshold" with tabgtigen's rule (each good
  bin contributes ``[start, start + binsize)``), the GTI :func:`~xmmframe.products.flare_gti`
  returns.

Why a canvas viewer of our own rather than JS9: JS9 needs a server-side helper for anything
beyond display and ships as dozens of files (and a large WebAssembly build of CFITSIO); the
viewer only has to draw one binned image, a light curve and a few shapes in physical
coordinates, which one small JavaScript file does offline, with no build step, in the service
page and in the notebook widget alike.

Examples
--------
A tiny MOS1 event list, 2000 events over a 400 x 300 patch of sky pixels:

>>> import os, tempfile
>>> import numpy as np
>>> from astropy.io import fits
>>> import xmmframe
>>> rng = np.random.default_rng(1)
>>> n = 2000
>>> columns = [fits.Column("TIME", "D", array=np.sort(rng.uniform(0, 1000, n))),
...            fits.Column("X", "J", array=rng.integers(1000, 1400, n)),
...            fits.Column("Y", "J", array=rng.integers(2000, 2300, n)),
...            fits.Column("PI", "I", array=rng.integers(200, 12000, n)),
...            fits.Column("PATTERN", "B", array=np.zeros(n, np.uint8)),
...            fits.Column("FLAG", "J", array=np.zeros(n, np.int32))]
>>> table = fits.BinTableHDU.from_columns(columns, name="EVENTS")
>>> table.header.update(INSTRUME="EMOS1", TSTART=0.0, TSTOP=1000.0,
...                     TLMIN2=1, TLMAX2=51840, TLMIN3=1, TLMAX3=51840)
>>> path = os.path.join(tempfile.mkdtemp(), "events.fits")
>>> fits.HDUList([fits.PrimaryHDU(), table]).writeto(path)
>>> events = xmmframe.open_events(path)
>>> image = image_payload(events, bin=80)
>>> image["nx"], image["ny"], image["xmin"], image["ymin"], len(image["data"])
(6, 5, 960.5, 1920.5, 30)
>>> curve = lightcurve_payload(events, timebin=100)
>>> curve["time"][:3], curve["binsize"], curve["threshold"], curve["band"]
([0.0, 100.0, 200.0], 100.0, 0.35, '>10 keV singles')
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import polars as pl

from xmmframe.errors import ProductError
from xmmframe.model.events import EventList
from xmmframe.products.gti_from_rate import FlareScreening, flare_gti

#: The energy band of the flare curve, as the viewer labels it, per instrument family.
FLARE_BANDS = {"EPN": "10-12 keV singles", "EMOS": ">10 keV singles"}


def _grid_start(events: EventList, column: str) -> float:
    """The first value of the column's binning grid (TLMIN, as evselect bins; 1 without TLMIN)."""
    info = events.meta.columns.get(column)
    return float(info.tlmin) if info is not None and info.tlmin is not None else 1.0


def image_payload(
    events: EventList,
    *,
    bin: float = 80,
    band: tuple[float, float] | None = (500, 10000),
    xcolumn: str = "X",
    ycolumn: str = "Y",
) -> dict[str, Any]:
    """The counts image of an exposure for the viewer, over the part of the sky grid with events.

    Parameters
    ----------
    events : EventList
        The exposure's events.
    bin : float
        Sky pixels per image pixel.
    band : (float, float), optional
        PI range in eV kept (inclusive, as ``PI in [lo:hi]``); None keeps every event.
    xcolumn, ycolumn : str
        The columns binned (sky ``X``/``Y``, the physical coordinates regions are drawn in).

    Returns
    -------
    dict
        ``{"nx", "ny", "xmin", "ymin", "bin", "data"}``: ``data[j*nx + i]`` counts the events with
        ``xmin + i*bin <= X < xmin + (i+1)*bin`` and ``ymin + j*bin <= Y < ymin + (j+1)*bin``.
        The pixels are those of ``events.image(bin=bin)`` (evselect's grid from TLMIN), cut to the
        pixels that hold the selected events.

    Raises
    ------
    ProductError
        When no event is in the band.

    Examples
    --------
    >>> payload = image_payload(xmmframe.open_events("M1_clean.fits"), bin=80)   # doctest: +SKIP
    >>> payload["nx"] * payload["ny"] == len(payload["data"])                    # doctest: +SKIP
    True
    """
    selection = None if band is None else f"PI in [{band[0]:g}:{band[1]:g}]"
    selected = events if selection is None else events.filter(selection)
    bounds = selected.lazy.select(
        pl.col(xcolumn).min().alias("x0"), pl.col(xcolumn).max().alias("x1"),
        pl.col(ycolumn).min().alias("y0"), pl.col(ycolumn).max().alias("y1"),
    ).collect().row(0)
    if any(value is None for value in bounds):
        raise ProductError(f"no events with {selection} to make an image of", events.meta.source)
    ranges = []
    for column, low, high in ((xcolumn, bounds[0], bounds[1]), (ycolumn, bounds[2], bounds[3])):
        origin = _grid_start(events, column)
        first = origin + math.floor((float(low) - origin + 0.5) / bin) * bin
        ranges.append((first, max(float(high), first)))
    image = events.image(bin=bin, x_range=ranges[0], y_range=ranges[1], xcolumn=xcolumn, ycolumn=ycolumn,
                         selection=selection)
    ny, nx = image.data.shape
    return {
        "nx": int(nx),
        "ny": int(ny),
        "xmin": ranges[0][0] - 0.5,
        "ymin": ranges[1][0] - 0.5,
        "bin": float(bin),
        "data": np.asarray(image.data, dtype=np.float64).ravel().tolist(),
    }


def lightcurve_payload(
    events: EventList,
    *,
    timebin: float = 100,
    threshold: float | None = None,
) -> dict[str, Any]:
    """The flare light curve of an exposure and the default rate threshold, for the viewer.

    Parameters
    ----------
    events : EventList
        A pn or MOS exposure (INSTRUME picks the band and the default threshold).
    timebin : float
        Bin size in seconds.
    threshold : float, optional
        Rate threshold in count/s (default :func:`~xmmframe.products.flare_gti`'s: 0.4 pn, 0.35 MOS).

    Returns
    -------
    dict
        ``{"time": bin starts, "rate": count/s, "binsize", "threshold", "band", "tstart", "tstop"}``
        of the curve :func:`~xmmframe.products.flare_gti` screens.

    Examples
    --------
    >>> payload = lightcurve_payload(xmmframe.open_events("M1_clean.fits"))      # doctest: +SKIP
    >>> payload["band"], payload["threshold"]                                    # doctest: +SKIP
    ('>10 keV singles', 0.35)
    """
    return screening_payload(flare_gti(events, threshold=threshold, bin=timebin), events.meta.instrument)


def screening_payload(screening: FlareScreening, instrument: str | None) -> dict[str, Any]:
    """The payload of :func:`lightcurve_payload` from a flare screening already made.

    Parameters
    ----------
    screening : FlareScreening
        The result of :func:`~xmmframe.products.flare_gti`.
    instrument : str
        INSTRUME of the events (``EPN``, ``EMOS1``, ``EMOS2``), naming the band.

    Returns
    -------
    dict
        As :func:`lightcurve_payload`.

    Examples
    --------
    >>> screening = flare_gti(xmmframe.open_events("M1_clean.fits"))      # doctest: +SKIP
    >>> screening_payload(screening, "EMOS1")["band"]                     # doctest: +SKIP
    '>10 keV singles'
    """
    curve = screening.lightcurve
    family = "EMOS" if (instrument or "").upper().startswith("EMOS") else "EPN"
    starts = curve.tstart + curve.timedel * np.arange(len(curve.rate))
    return {
        "time": starts.tolist(),
        "rate": np.asarray(curve.rate, dtype=np.float64).tolist(),
        "binsize": float(curve.timedel),
        "threshold": float(screening.threshold),
        "band": FLARE_BANDS[family],
        "tstart": float(curve.tstart),
        "tstop": float(curve.tstop),
    }


__all__ = ["FLARE_BANDS", "image_payload", "lightcurve_payload", "screening_payload"]
