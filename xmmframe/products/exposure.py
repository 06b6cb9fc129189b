"""Exposure bookkeeping per CCD: good times in effect, ONTIME, LIVETIME, frame live fractions.

Rules (each checked against real SAS products in ``refdata/exod/0001730201``):

* **Good times in effect** for CCD ``n`` are the GTI table the event list's data subspace
  points to (``DSTYPi = 'TIME'``, ``DSREFi`` / ``kDSREFi``), else ``STDGTInn``.  A further
  time selection (``gti(file,TIME)``, a :class:`~xmmframe.model.gti.GTI`) is intersected with
  each of them; the result is stored in new ``GTIcccnn`` tables as evselect does.
* ``ONTIMEnn`` is the total length of CCD n's good times.
* ``LIVETInn`` (SAS ``updateexposure``) is the sum of ``FRACEXP * TIMEDEL`` over the frames of
  ``EXPOSUnn`` that lie wholly in one good interval, frame ``[TIME - TIMEDEL/2, TIME + TIMEDEL/2)``
  counted when ``START <= frame start`` and ``frame end < STOP`` (strictly), the product
  ``FRACEXP * TIMEDEL`` taken in float32 as stored.  This reproduces the PPS and the SAS 20
  values of every MOS CCD of obs 0001730201 to the last digit written (1e-15 relative).  Without an EXPOSUnn
  table the dead-time fraction ``LIVETInn/ONTIMEnn`` of the header is kept.
* ``filterexposure`` keeps the EXPOSUnn rows whose TIME lies in the new good times.
* Spectra and light curves: ``EXPOSURE`` = the LIVETInn averaged with weights = selected events
  per CCD (exact when the events come from one CCD, e.g. a point source: 11807.1423120499 for
  the EXOD M1 source curves; the M1/M2 rate curves over all CCDs agree to 5e-7 relative).
  Images: ``EXPOSURE`` = the largest ONTIMEnn.
* Light-curve ``FRACEXP`` (epiclccorr's relative correction) of a bin is
  ``sum over frames of FRACEXP * |frame & bin & GTI| / TIMEDEL`` (matches epiclccorr to 4e-8),
  averaged over CCDs with the same event weights.

Examples
--------
>>> from xmmframe.products.exposure import ccd_times
>>> times = ccd_times(events.meta)                               # doctest: +SKIP
>>> times.ontime[1], times.livetime[1]                           # doctest: +SKIP
(16650.6420090646, 16485.8942642212)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import polars as pl

from xmmframe.model.gti import GTI
from xmmframe.model.meta import EventMeta
from xmmframe.model.products import GtiTable
from xmmframe.products.binning import Axis, interval_histogram
from xmmframe.select.dss import DataSubspace

_PRODUCT_GTI = re.compile(r"^GTI(\d{3})(\d{2})$")


@dataclass(frozen=True)
class CcdTimes:
    """Good times, ONTIME and LIVETIME of each CCD under a time selection.

    Attributes
    ----------
    tables : tuple of GtiTable
        The good times of each CCD (named as the product will write them).
    ontime, livetime : dict
        Seconds per CCD.
    reference_ccd : int or None
        The CCD whose ONTIME/LIVETIME the header's ONTIME/LIVETIME repeat.
    changed : bool
        Whether a new time selection was applied (new GTI tables).
    """

    tables: tuple[GtiTable, ...]
    ontime: dict[int, float]
    livetime: dict[int, float]
    reference_ccd: int | None = None
    changed: bool = False

    @property
    def by_ccd(self) -> dict[int, GTI]:
        """The good times by CCD number."""
        return {t.ccd: t.gti for t in self.tables if t.ccd is not None}

    def weighted_livetime(self, events_per_ccd: dict[int, int] | None, default: float | None = None) -> float | None:
        """The SAS spectrum/rate-set EXPOSURE: LIVETInn averaged with weights = events per CCD."""
        weights = {ccd: n for ccd, n in (events_per_ccd or {}).items() if n and ccd in self.livetime}
        if not weights:
            return default if default is not None else (
                self.livetime.get(self.reference_ccd) if self.reference_ccd is not None else None
            )
        total = sum(weights.values())
        return float(sum(n * self.livetime[ccd] for ccd, n in weights.items()) / total)

    @property
    def max_ontime(self) -> float | None:
        """The image EXPOSURE: the largest ONTIMEnn."""
        return max(self.ontime.values()) if self.ontime else None


def current_gti_tables(meta: EventMeta) -> tuple[GtiTable, ...]:
    """The per-CCD GTI tables in effect for an event list (data-subspace references, else STDGTInn)."""
    dss = DataSubspace.from_header(meta.header)
    tables: list[GtiTable] = []
    for ccd, name in dss.time_tables().items():
        if name in meta.extensions:
            tables.append(GtiTable(name, GTI.from_frame(meta.extensions[name], name), ccd))
    if tables:
        return tuple(tables)
    return tuple(GtiTable(gti.name or f"STDGTI{ccd:02d}", gti, ccd) for ccd, gti in sorted(meta.gtis.items()))


def _header_times(meta: EventMeta, prefix: str) -> dict[int, float]:
    header = meta.header
    values: dict[int, float] = {}
    for key in header:
        if key.startswith(prefix) and key[len(prefix):].isdigit() and len(key) == len(prefix) + 2:
            values[int(key[len(prefix):])] = float(header[key])
    return values


def frame_table(meta: EventMeta, ccd: int) -> pl.DataFrame | None:
    """The frames of one CCD (``EXPOSUnn``: TIME, TIMEDEL, FRACEXP), or None.

    A table without a TIMEDEL column gets the header TIMEDEL (or ``FRMTIME`` ms) as a constant.
    """
    name = f"EXPOSU{ccd:02d}"
    frame = meta.extensions.get(name)
    if frame is None or not {"TIME", "FRACEXP"} <= set(frame.columns):
        return None
    if "TIMEDEL" not in frame.columns:
        header = meta.extension(name).header
        if "TIMEDEL" in header:
            timedel = float(header["TIMEDEL"])
        elif "FRMTIME" in header:
            timedel = float(header["FRMTIME"]) / 1000.0
        else:
            timedel = float(np.median(np.diff(frame["TIME"].to_numpy()))) if frame.height > 1 else 0.0
        frame = frame.with_columns(pl.lit(timedel).alias("TIMEDEL"))
    return frame


def _frame_bounds(frames: pl.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    time = frames["TIME"].to_numpy().astype(np.float64)
    half = frames["TIMEDEL"].to_numpy().astype(np.float64) / 2
    return time - half, time + half, frames["FRACEXP"].to_numpy().astype(np.float64)


def frame_livetime(frames: pl.DataFrame, gti: GTI) -> float:
    """Sum of ``FRACEXP * TIMEDEL`` over frames lying wholly in one good interval (SAS updateexposure).

    Examples
    --------
    >>> frames = pl.DataFrame({"TIME": [1.0, 3.0], "TIMEDEL": [2.0, 2.0], "FRACEXP": [0.5, 1.0]})
    >>> frame_livetime(frames, GTI([0.0], [4.5]))
    3.0
    """
    return float(np.sum(frame_live(frames, gti)[1]))


def frame_live(frames: pl.DataFrame, gti: GTI) -> tuple[np.ndarray, np.ndarray]:
    """``(TIME, FRACEXP * TIMEDEL)`` of each frame, the live time 0 for frames not wholly in one good interval.

    The terms of :func:`frame_livetime` (their sum is ``LIVETInn``), for splitting a CCD's live
    time between time bins (e.g. attitude steps of an exposure map).

    Examples
    --------
    >>> frames = pl.DataFrame({"TIME": [1.0, 3.0], "TIMEDEL": [2.0, 2.0], "FRACEXP": [0.5, 1.0]})
    >>> frame_live(frames, GTI([0.0], [3.5]))[1].tolist()
    [1.0, 0.0]
    """
    time = frames["TIME"].to_numpy().astype(np.float64) if frames.height else np.zeros(0)
    if not len(gti) or not frames.height:
        return time, np.zeros(time.size)
    lo, hi, frac = _frame_bounds(frames)
    index = np.searchsorted(gti.start, lo, side="right") - 1
    inside = (index >= 0) & (hi < gti.stop[np.clip(index, 0, None)])
    # The product is taken in the stored precision (float32 for EXPOSUnn), as SAS does: this
    # reproduces LIVETInn to the last digit written.
    live = (frames["FRACEXP"].to_numpy() * frames["TIMEDEL"].to_numpy()).astype(np.float64)
    return time, np.where(inside, live, 0.0)


def filter_frames(frames: pl.DataFrame, gti: GTI) -> pl.DataFrame:
    """The frames whose TIME lies in ``gti`` (SAS ``filterexposure``)."""
    return frames.filter(gti.expr("TIME"))


def _new_suffix(meta: EventMeta) -> int:
    used = [int(m.group(2)) for name in meta.extension_names if (m := _PRODUCT_GTI.match(name))]
    return max(used, default=0) + 1


def ccd_times(meta: EventMeta, time_gti: GTI | None = None) -> CcdTimes:
    """Per-CCD good times, ONTIME and LIVETIME of an event list, after an optional time selection.

    Parameters
    ----------
    meta : EventMeta
        The event list's metadata (headers, GTI and EXPOSUnn extensions).
    time_gti : GTI, optional
        A time selection applied on top of the event list's good times.
    """
    current = current_gti_tables(meta)
    header_on = _header_times(meta, "ONTIME")
    header_live = _header_times(meta, "LIVETI")
    if time_gti is None:
        tables = current
    else:
        suffix = _new_suffix(meta)
        tables = tuple(
            GtiTable(f"GTI{i:03d}{suffix:02d}", table.gti & time_gti, table.ccd) for i, table in enumerate(current)
        )
    ontime: dict[int, float] = {}
    livetime: dict[int, float] = {}
    for table in tables:
        if table.ccd is None:
            continue
        ccd = table.ccd
        ontime[ccd] = table.gti.duration
        if time_gti is None and ccd in header_live:
            livetime[ccd] = header_live[ccd]
            continue
        frames = frame_table(meta, ccd)
        if frames is not None:
            livetime[ccd] = frame_livetime(frames, table.gti)
        elif ccd in header_live and header_on.get(ccd):
            livetime[ccd] = header_live[ccd] * ontime[ccd] / header_on[ccd]
        else:
            livetime[ccd] = ontime[ccd]
    if not tables and meta.keyword("ONTIME") is not None:  # no GTI tables at all: trust the header
        ontime = dict(header_on)
        livetime = dict(header_live)
    return CcdTimes(tables, ontime, livetime, _reference_ccd(meta, header_on, ontime), changed=time_gti is not None)


def _reference_ccd(meta: EventMeta, header_on: dict[int, float], ontime: dict[int, float]) -> int | None:
    """The CCD whose values the header ONTIME/LIVETIME repeat (CCD 1 for MOS PPS lists), else the lowest."""
    total = meta.keyword("ONTIME")
    if total is not None:
        for ccd, value in sorted(header_on.items()):
            if abs(value - float(total)) < 1e-9 * max(1.0, abs(value)):
                return ccd
    return min(ontime) if ontime else None


def fracexp_curve(meta: EventMeta, times: CcdTimes, axis: Axis, events_per_ccd: dict[int, int] | None) -> np.ndarray:
    """Exposed fraction of each bin of ``axis``: frame live fractions within the good times.

    Per CCD: ``sum over frames of FRACEXP * |frame & bin & GTI| / width``; CCDs are averaged with
    weights = events per CCD (all CCDs with good times, equally, when there are no events).
    Without an EXPOSUnn table a CCD counts as fully live during its good times.
    """
    by_ccd = times.by_ccd
    weights = {ccd: n for ccd, n in (events_per_ccd or {}).items() if n and ccd in by_ccd}
    if not weights:
        weights = {ccd: 1 for ccd in by_ccd}
    if not weights:
        return np.ones(axis.n)
    total = np.zeros(axis.n)
    for ccd, weight in weights.items():
        gti = by_ccd[ccd]
        frames = frame_table(meta, ccd)
        if frames is not None and frames.height:
            lo, hi, frac = _frame_bounds(frames)
        else:
            lo, hi, frac = gti.start, gti.stop, np.ones(len(gti))
        total += weight * interval_histogram(lo, hi, frac, axis, gti.start, gti.stop) / axis.width
    return total / sum(weights.values())


__all__ = ["CcdTimes", "ccd_times", "current_gti_tables", "filter_frames", "fracexp_curve", "frame_live", "frame_livetime",
           "frame_table"]
