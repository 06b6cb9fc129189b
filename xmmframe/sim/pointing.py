"""Simulated attitude: the nominal pointing with a slow wobble, as ODF attitude records.

Records start every ``step`` whole UTC seconds (``VALTIME`` has one-second resolution) and are
valid for ``step`` seconds.  The wobble is a sum of two sinusoids per axis (amplitude in arcsec)
plus a tiny position-angle drift.  RA and Dec are stored as sexagesimal strings (RA to 0.01 s of
time, Dec to 0.1 arcsec) and PA as a 4-byte float: the simulator projects photons with the
attitude *as written* (re-read with :meth:`Attitude.from_ats`), so processing sees exactly the
truth.

Examples
--------
>>> import numpy as np
>>> from xmmframe.sim.pointing import simulate_attitude
>>> table, att = simulate_attitude(150.0, 2.2, 72.0, "2006-05-27T10:00:00", 600.0, 5, 1.5, "0999990101",
...                                np.random.default_rng(0))
>>> table.height, att.source
(121, 'ATS')
"""

from __future__ import annotations

import numpy as np
import polars as pl

from xmmframe.model.attitude import Attitude, format_sexagesimal
from xmmframe.model.mission_time import mission_seconds
from xmmframe.model.projection import tangent_to_sky
from xmmframe.sim.constituents import attitude_table


def simulate_attitude(
    ra: float,
    dec: float,
    pa: float,
    start_utc: str,
    duration: float,
    step: int,
    wobble: float,
    obs_id: str,
    rng: np.random.Generator,
) -> tuple[pl.DataFrame, Attitude]:
    """ATS records from ``start_utc`` (whole seconds) over ``duration`` seconds, and their attitude."""
    t0 = float(mission_seconds(start_utc))
    time = t0 + step * np.arange(int(duration // step) + 1)
    phase = rng.random(4) * 2 * np.pi
    periods = rng.uniform(800.0, 2000.0, 2)
    rel = time - t0
    dx = wobble * (
        np.sin(2 * np.pi * rel / periods[0] + phase[0]) + 0.3 * np.sin(2 * np.pi * rel / 97.0 + phase[1])
    )
    dy = wobble * (
        np.sin(2 * np.pi * rel / periods[1] + phase[2]) + 0.3 * np.sin(2 * np.pi * rel / 131.0 + phase[3])
    )
    r, d = tangent_to_sky(
        np.deg2rad(dx / 3600.0), np.deg2rad(dy / 3600.0), np.full(time.size, ra), np.full(time.size, dec)
    )
    angle = pa + 0.002 * np.sin(2 * np.pi * rel / 3000.0)
    table = attitude_table(
        time,
        float(step),
        format_sexagesimal(r / 15.0, 2, False),
        format_sexagesimal(d, 1, True),
        angle,
        obs_id,
    )
    return table, Attitude.from_ats(table)
