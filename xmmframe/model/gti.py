"""Good time intervals (GTIs): sorted, merged, half-open ``[START, STOP)`` intervals.

Examples
--------
>>> from xmmframe.model.gti import GTI
>>> a = GTI([0.0, 20.0], [10.0, 30.0])
>>> b = GTI([5.0], [25.0])
>>> a.intersection(b).duration
10.0
>>> a.union(b).intervals
[(0.0, 30.0)]
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from xmmframe.errors import GtiError
from xmmframe.model.registry import implementation


def check_bounds(start: np.ndarray, stop: np.ndarray, path: str, table: str = "") -> None:
    """Refuse a GTI table with a NaN or infinite bound, or a row whose START is after its STOP.

    Such a row is a damaged file, not an empty interval (``START == STOP`` is one, and is
    dropped); dropping it silently would select the wrong events.

    Raises
    ------
    xmmframe.errors.GtiError
        Naming the file, the table and the first bad row (1-based).
    """
    start, stop = np.asarray(start, dtype=np.float64), np.asarray(stop, dtype=np.float64)
    where = f"table {table}, " if table else ""
    finite = np.isfinite(start) & np.isfinite(stop)
    if not finite.all():
        row = int(np.flatnonzero(~finite)[0])
        raise GtiError(f"{where}row {row + 1}: START = {start[row]}, STOP = {stop[row]} is not a finite interval", path)
    backwards = start > stop
    if backwards.any():
        row = int(np.flatnonzero(backwards)[0])
        raise GtiError(f"{where}row {row + 1}: START = {float(start[row])!r} is after STOP = {float(stop[row])!r}", path)


@dataclass(frozen=True, eq=False)
class GTI:
    """A set of good time intervals, normalised on construction.

    Intervals are sorted and overlapping or touching intervals are merged; empty
    intervals (STOP <= START) are dropped.  Membership is ``START <= t < STOP``.

    Parameters
    ----------
    start, stop : array-like of float
        Interval bounds in seconds (XMM mission time).
    name : str, optional
        Where the GTI came from (e.g. the FITS EXTNAME ``STDGTI01``).

    Examples
    --------
    >>> gti = GTI([0.0, 5.0, 20.0], [10.0, 8.0, 30.0])    # the second interval lies in the first
    >>> gti.start.tolist(), gti.stop.tolist(), gti.duration
    ([0.0, 20.0], [10.0, 30.0], 20.0)
    """

    start: np.ndarray
    stop: np.ndarray
    name: str = field(default="")

    def __init__(self, start: Iterable[float], stop: Iterable[float], name: str = "") -> None:
        lo = np.asarray(list(start) if not isinstance(start, np.ndarray) else start, dtype=np.float64)
        hi = np.asarray(list(stop) if not isinstance(stop, np.ndarray) else stop, dtype=np.float64)
        if lo.shape != hi.shape or lo.ndim != 1:
            raise ValueError("GTI start and stop must be 1-D arrays of the same length")
        keep = hi > lo
        lo, hi = lo[keep], hi[keep]
        order = np.argsort(lo, kind="stable")
        lo, hi = lo[order], hi[order]
        if lo.size > 1:
            running = np.maximum.accumulate(hi)
            new = np.concatenate(([True], lo[1:] > running[:-1]))
            hi = np.maximum.reduceat(hi, np.flatnonzero(new))
            lo = lo[new]
        object.__setattr__(self, "start", lo)
        object.__setattr__(self, "stop", hi)
        object.__setattr__(self, "name", name)

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_frame(cls, frame: pl.DataFrame, name: str = "") -> "GTI":
        """Build from a table with START and STOP columns (any case)."""
        cols = {c.upper(): c for c in frame.columns}
        return cls(frame[cols["START"]].to_numpy(), frame[cols["STOP"]].to_numpy(), name)

    @classmethod
    def read(cls, path: str, hdu: int | str | None = None) -> "GTI":
        """Read a GTI extension (default: the first binary table, e.g. ``STDGTI``).

        Examples
        --------
        >>> gti = GTI.read("M1_gti.fits")          # doctest: +SKIP
        >>> len(gti)                               # doctest: +SKIP
        10
        """
        return implementation("GTI.read")(path, hdu)

    @classmethod
    def empty(cls) -> "GTI":
        """A GTI with no intervals."""
        return cls(np.zeros(0), np.zeros(0))

    # ------------------------------------------------------------------ properties

    def __len__(self) -> int:
        return int(self.start.size)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, GTI)
            and np.array_equal(self.start, other.start)
            and np.array_equal(self.stop, other.stop)
        )

    def __repr__(self) -> str:
        return f"GTI({len(self)} intervals, {self.duration:.3f} s{', ' + self.name if self.name else ''})"

    @property
    def duration(self) -> float:
        """Total good time in seconds (the ONTIME of this GTI)."""
        return float(np.sum(self.stop - self.start))

    @property
    def intervals(self) -> list[tuple[float, float]]:
        """The intervals as a list of ``(start, stop)`` tuples."""
        return list(zip(self.start.tolist(), self.stop.tolist()))

    def to_frame(self) -> pl.DataFrame:
        """START/STOP table (Float64)."""
        return pl.DataFrame({"START": self.start, "STOP": self.stop})

    # ------------------------------------------------------------------ algebra

    def union(self, other: "GTI") -> "GTI":
        """Times good in either GTI."""
        return GTI(np.concatenate((self.start, other.start)), np.concatenate((self.stop, other.stop)))

    def complement(self, tmin: float = -np.inf, tmax: float = np.inf) -> "GTI":
        """Times not in this GTI, within ``[tmin, tmax)``."""
        lo = np.concatenate(([tmin], self.stop))
        hi = np.concatenate((self.start, [tmax]))
        return GTI(np.clip(lo, tmin, tmax), np.clip(hi, tmin, tmax))

    def intersection(self, other: "GTI") -> "GTI":
        """Times good in both GTIs."""
        if not len(self) or not len(other):
            return GTI.empty()
        lo = min(self.start[0], other.start[0])
        hi = max(self.stop[-1], other.stop[-1])
        return self.complement(lo, hi).union(other.complement(lo, hi)).complement(lo, hi)

    def __or__(self, other: "GTI") -> "GTI":
        return self.union(other)

    def __and__(self, other: "GTI") -> "GTI":
        return self.intersection(other)

    def contains(self, times: np.ndarray) -> np.ndarray:
        """Boolean mask of ``START <= t < STOP`` for an array of times (binary search, no Python loop)."""
        t = np.asarray(times, dtype=np.float64)
        idx = np.searchsorted(self.start, t, side="right") - 1
        inside = idx >= 0
        inside[inside] = t[inside] < self.stop[idx[inside]]
        return inside

    def expr(self, column: str | pl.Expr = "TIME") -> pl.Expr:
        """Polars expression true where the time column lies in a good interval.

        The lookup is an ``search_sorted`` on the interval starts, so it runs in the
        Polars engine without per-row Python.
        """
        col = pl.col(column) if isinstance(column, str) else column
        if not len(self):
            return col.is_null() & pl.lit(False)  # all false, one value per row
        starts = pl.Series("start", self.start)
        stops = pl.Series("stop", self.stop)
        idx = pl.lit(starts).search_sorted(col, side="right").cast(pl.Int64) - 1
        stop_at = pl.lit(stops).gather(idx.clip(0, len(self) - 1))
        return (idx >= 0) & (col < stop_at)
