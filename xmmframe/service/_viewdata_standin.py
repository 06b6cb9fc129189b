"""Viewer payloads used until :mod:`xmmframe.service.viewdata` is available (same signatures).

Examples
--------
>>> image_payload                                                    # doctest: +ELLIPSIS
<function image_payload at ...>
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from xmmframe.model.events import EventList
from xmmframe.products.gti_from_rate import flare_gti


def image_payload(events: EventList, *, bin: float = 80, band: tuple[float, float] = (500, 10000)) -> dict[str, Any]:
    """Counts image of X/Y in sky pixels, row-major, row 0 the lowest Y."""
    frame = (events.lazy.filter(pl.col("PI").is_between(band[0], band[1]) & pl.col("X").is_not_null())
             .select(pl.col("X").cast(pl.Float64), pl.col("Y").cast(pl.Float64)).collect())
    x, y = frame["X"].to_numpy(), frame["Y"].to_numpy()
    if x.size == 0:
        return {"nx": 0, "ny": 0, "xmin": 0.0, "ymin": 0.0, "bin": float(bin), "data": []}
    xmin, ymin = float(np.floor(x.min())), float(np.floor(y.min()))
    nx, ny = int((x.max() - xmin) // bin) + 1, int((y.max() - ymin) // bin) + 1
    i, j = ((x - xmin) // bin).astype(np.int64), ((y - ymin) // bin).astype(np.int64)
    counts = np.bincount(j * nx + i, minlength=nx * ny).astype(float)
    return {"nx": nx, "ny": ny, "xmin": xmin, "ymin": ymin, "bin": float(bin), "data": counts.tolist()}


def lightcurve_payload(events: EventList, *, timebin: float = 100, threshold: float | None = None) -> dict[str, Any]:
    """The flare light curve (high-energy single events) and its threshold."""
    screening = flare_gti(events, threshold, bin=timebin)
    curve = screening.lightcurve
    time, rate = np.asarray(curve.time, float), np.asarray(curve.rate, float)
    return {"time": [float(t) for t in time], "rate": [float(r) for r in np.nan_to_num(rate)],
            "binsize": float(timebin), "threshold": float(screening.threshold), "band": "10-12 keV singles",
            "tstart": float(events.meta.tstart or 0.0), "tstop": float(events.meta.tstop or 0.0)}
