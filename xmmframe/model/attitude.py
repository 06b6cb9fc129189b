"""Spacecraft attitude history: the pointing (RA, Dec) of the optical axis and the position angle over time.

Two sources exist: the ODF attitude file ``*SCX00000ATS.FIT`` (records ``VALTIME`` UTC string,
``VALDUR`` seconds, ``VIEWRA`` ``HH:MM:SS.ss``, ``VIEWDECL`` ``+DD:MM:SS.s``, ``ASTPOS`` degrees;
Data Files Handbook table 26) and the attitude housekeeping written by SAS ``atthkgen``
(``ATTHK``: ``TIME``, ``AHFRA``, ``AHFDEC``, ``AHFPA`` every second).  Both become an
:class:`Attitude`: sample times with the attitude valid from each sample to the next (a step
function, the same rule in the simulator and the processing).  ``ASTPOS`` and ``AHFPA`` are the
same angle (checked on real files: ``PA_PNT`` of a PPS list is the median of ``AHFPA``).

Examples
--------
>>> import numpy as np
>>> from xmmframe.model.attitude import Attitude
>>> att = Attitude(np.array([0.0, 10.0]), np.array([10.0, 10.001]), np.array([-5.0, -5.0]),
...                np.array([90.0, 90.0]), stop=20.0)
>>> att.at(np.array([5.0, 15.0]))[0].tolist()
[10.0, 10.001]
>>> att.median_pointing(0.0, 20.0)
(10.0, -5.0, 90.0)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from xmmframe.model.mission_time import mission_seconds


@dataclass(frozen=True, eq=False)
class Attitude:
    """Attitude samples: from ``time[i]`` until ``time[i+1]`` (the last until ``stop``) the optical
    axis points at ``(ra[i], dec[i])`` (degrees) with position angle ``pa[i]`` (degrees).

    Attributes
    ----------
    time, ra, dec, pa : numpy.ndarray
        Sorted sample times (mission seconds) and the attitude from each.
    stop : float
        End of validity of the last sample.
    source : str
        ``ATS`` (ODF) or ``AHF`` (atthkgen housekeeping).
    """

    time: np.ndarray
    ra: np.ndarray
    dec: np.ndarray
    pa: np.ndarray
    stop: float
    source: str = field(default="ATS")

    def __post_init__(self) -> None:
        if self.time.size == 0:
            raise ValueError("an attitude history needs at least one sample")
        if np.any(np.diff(self.time) < 0):
            raise ValueError("attitude sample times must be sorted")

    @classmethod
    def from_ats(cls, frame: pl.DataFrame) -> "Attitude":
        """Build from the rows of an ODF ``ATS`` table (VALTIME, VALDUR, VIEWRA, VIEWDECL, ASTPOS)."""
        frame = frame.sort("VALTIME")
        start = mission_seconds(frame["VALTIME"].str.strip_chars().to_numpy())
        duration = frame["VALDUR"].cast(pl.Float64).to_numpy()
        ra = 15.0 * sexagesimal(frame["VIEWRA"])
        dec = sexagesimal(frame["VIEWDECL"])
        pa = frame["ASTPOS"].cast(pl.Float64).to_numpy()
        return cls(start, ra, dec, pa, float(start[-1] + duration[-1]), "ATS")

    @classmethod
    def from_atthk(cls, frame: pl.DataFrame) -> "Attitude":
        """Build from the rows of an atthkgen ``ATTHK`` table (TIME, AHFRA, AHFDEC, AHFPA)."""
        frame = frame.sort("TIME")
        time = frame["TIME"].to_numpy().astype(np.float64)
        step = float(np.median(np.diff(time))) if time.size > 1 else 1.0
        return cls(
            time,
            frame["AHFRA"].to_numpy().astype(np.float64),
            frame["AHFDEC"].to_numpy().astype(np.float64),
            frame["AHFPA"].to_numpy().astype(np.float64),
            float(time[-1] + step),
            "AHF",
        )

    def index(self, times: np.ndarray) -> np.ndarray:
        """Sample index valid at each time (clipped to the first/last sample outside the history)."""
        idx = np.searchsorted(self.time, np.asarray(times, dtype=np.float64), side="right") - 1
        return np.clip(idx, 0, self.time.size - 1)

    def at(self, times: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(ra, dec, pa)`` arrays at the given times."""
        idx = self.index(times)
        return self.ra[idx], self.dec[idx], self.pa[idx]

    def covers(self, tstart: float, tstop: float) -> bool:
        """Whether the history covers ``[tstart, tstop]``."""
        return bool(self.time[0] <= tstart and self.stop >= tstop)

    def median_pointing(self, tstart: float, tstop: float) -> tuple[float, float, float]:
        """Time-weighted medians of RA, Dec and PA over ``[tstart, tstop]`` (``AVRG_PNT = 'MEDIAN'``)."""
        lo = self.time
        hi = np.append(self.time[1:], self.stop)
        weight = np.clip(np.minimum(hi, tstop) - np.maximum(lo, tstart), 0.0, None)
        if not np.any(weight > 0):
            weight = np.ones_like(lo)
        return (
            _weighted_median(self.ra, weight),
            _weighted_median(self.dec, weight),
            _weighted_median(self.pa, weight),
        )

    def lookup_exprs(self, time: str | pl.Expr = "TIME") -> tuple[pl.Expr, pl.Expr, pl.Expr]:
        """Polars expressions of (RA, Dec, PA) in degrees at each event time (binary search, no loop)."""
        col = pl.col(time) if isinstance(time, str) else time
        idx = (pl.lit(pl.Series(self.time)).search_sorted(col, side="right").cast(pl.Int64) - 1).clip(
            0, self.time.size - 1
        )
        return tuple(pl.lit(pl.Series(values)).gather(idx) for values in (self.ra, self.dec, self.pa))  # type: ignore[return-value]


def _weighted_median(values: np.ndarray, weight: np.ndarray) -> float:
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weight[order])
    k = int(np.searchsorted(cumulative, 0.5 * cumulative[-1]))
    return float(values[order][min(k, values.size - 1)])


def sexagesimal(column: pl.Series) -> np.ndarray:
    """``[+-]DD:MM:SS.s`` strings to decimal (vectorised; the unit is whatever DD is in).

    Examples
    --------
    >>> sexagesimal(pl.Series(["17:34:38.00", "-32:33:21.6"])).round(6).tolist()
    [17.577222, -32.556]
    """
    text = column.str.strip_chars()
    negative = text.str.starts_with("-").to_numpy()
    parts = text.str.strip_chars_start("+-").str.split_exact(":", 2).struct.unnest()
    degrees = parts[:, 0].cast(pl.Float64).to_numpy()
    minutes = parts[:, 1].cast(pl.Float64).fill_null(0.0).to_numpy()
    seconds = parts[:, 2].cast(pl.Float64).fill_null(0.0).to_numpy()
    value = degrees + minutes / 60.0 + seconds / 3600.0
    return np.where(negative, -value, value)


def format_sexagesimal(values: np.ndarray, decimals: int, sign: bool) -> list[str]:
    """Decimal values to ``DD:MM:SS.s`` strings, ``decimals`` digits of seconds (``+`` shown if ``sign``).

    Examples
    --------
    >>> format_sexagesimal(np.array([17.577222222, -32.556]), 2, True)
    ['+17:34:38.00', '-32:33:21.60']
    """
    values = np.asarray(values, dtype=np.float64)
    scale = 10**decimals
    total = np.round(np.abs(values) * 3600.0 * scale).astype(np.int64)
    whole, fraction = np.divmod(total, scale)
    degrees, rest = np.divmod(whole, 3600)
    minutes, seconds = np.divmod(rest, 60)
    signs = np.where(values < 0, "-", "+" if sign else "")
    return [
        f"{s}{d:02d}:{m:02d}:{sec:02d}.{f:0{decimals}d}"
        for s, d, m, sec, f in zip(signs, degrees, minutes, seconds, fraction, strict=True)
    ]
