"""The gnomonic (TAN) projection: standard coordinates about a reference position and back.

Shared by everything that places events on the sky: attitude and sky coordinates of the event
lists, the simulator, and the event store's per-event RA/DEC.

Examples
--------
>>> import numpy as np
>>> ra, dec = tangent_to_sky(np.array([0.0]), np.array([0.0]), np.array([10.0]), np.array([-30.0]))
>>> round(float(ra[0]), 9), round(float(dec[0]), 9)
(10.0, -30.0)
"""

from __future__ import annotations

import numpy as np


def tangent_to_sky(
    xi: np.ndarray, eta: np.ndarray, ra0: np.ndarray, dec0: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Standard coordinates (radians) about (ra0, dec0) (degrees) to (ra, dec) degrees (gnomonic)."""
    a0, d0 = np.deg2rad(ra0), np.deg2rad(dec0)
    denom = np.cos(d0) - eta * np.sin(d0)
    ra = a0 + np.arctan2(xi, denom)
    dec = np.arctan2(np.sin(d0) + eta * np.cos(d0), np.hypot(xi, denom))
    return np.mod(np.rad2deg(ra), 360.0), np.rad2deg(dec)


def sky_to_tangent(
    ra: np.ndarray, dec: np.ndarray, ra0: np.ndarray, dec0: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(ra, dec) degrees to standard coordinates (radians) about (ra0, dec0) (gnomonic)."""
    a, d = np.deg2rad(ra), np.deg2rad(dec)
    a0, d0 = np.deg2rad(ra0), np.deg2rad(dec0)
    cosc = np.sin(d0) * np.sin(d) + np.cos(d0) * np.cos(d) * np.cos(a - a0)
    xi = np.cos(d) * np.sin(a - a0) / cosc
    eta = (np.cos(d0) * np.sin(d) - np.sin(d0) * np.cos(d) * np.cos(a - a0)) / cosc
    return xi, eta
