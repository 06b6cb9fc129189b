"""XMM-Newton mission time: seconds since 1998-01-01T00:00:00 TT (``MJDREF = 50814.0``, ``TIMESYS = 'TT'``).

ODF text records (summary file start/end times, attitude ``VALTIME``) and the ``DATE-OBS``
keywords are UTC calendar strings; event, frame and attitude-housekeeping ``TIME`` columns are
mission seconds.  The conversion goes through astropy (UTC -> TT, leap seconds included); a real
check: ``DATE-OBS = '2004-05-09T13:00:16.000'`` of an atthkgen file is its first ``TIME`` value
200494880.184.

Examples
--------
>>> from xmmframe.model.mission_time import mission_seconds, utc_string
>>> round(float(mission_seconds("2004-05-09T13:00:16")), 3)
200494880.184
>>> utc_string(200494880.184)
'2004-05-09T13:00:16.000'
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from astropy.time import Time, TimeDelta

#: MJD (TT) of XMM's time origin.
MJDREF = 50814.0
_EPOCH = Time(MJDREF, format="mjd", scale="tt")


def mission_seconds(utc: str | Sequence[str] | np.ndarray) -> np.ndarray:
    """Mission seconds (TT since 1998.0) of UTC ISO strings (``yyyy-mm-ddThh:mm:ss[.fff]``).

    Examples
    --------
    >>> mission_seconds(["1998-01-01T00:00:00"]).round(3).tolist()
    [63.184]
    """
    values = np.atleast_1d(np.asarray(utc, dtype=str))
    seconds = (Time(list(values), format="isot", scale="utc") - _EPOCH).sec
    return np.asarray(seconds, dtype=np.float64).reshape(np.shape(utc))


def utc_string(seconds: float, precision: int = 3) -> str:
    """The UTC ISO string of a mission time (the form of ``DATE-OBS``).

    Examples
    --------
    >>> utc_string(0.0)
    '1997-12-31T23:58:56.816'
    """
    time = Time((_EPOCH + TimeDelta(float(seconds), format="sec")).utc, precision=precision)
    return str(time.isot)


def utc_strings(seconds: np.ndarray, precision: int = 0) -> list[str]:
    """UTC ISO strings of many mission times at once (vectorised).

    Examples
    --------
    >>> utc_strings(np.array([200494880.184, 200494881.184]))
    ['2004-05-09T13:00:16', '2004-05-09T13:00:17']
    """
    time = _EPOCH + TimeDelta(np.asarray(seconds, dtype=np.float64), format="sec")
    return [str(s) for s in Time(time.utc, precision=precision).isot]
