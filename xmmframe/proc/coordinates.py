"""RAW -> DET -> sky (attcalc): the camera frame turned by the attitude, projected on the sky grid.

DET offsets (0.05 arcsec units) from the optical axis become standard coordinates at the
instantaneous pointing ``(ra_t, dec_t)`` rotated by the position angle ``pa_t``::

    xi  =  cos(pa) * DETX + sin(pa) * DETY        (east)
    eta = -sin(pa) * DETX + cos(pa) * DETY        (north)

This convention is fitted on real PPS lists (``X - CRPIX = -cos(PA_PNT) DETX - sin(PA_PNT) DETY``
to 1e-4 for MOS1/MOS2 of 0001730201 and MOS1 of 0201901401).  The point is de-projected from
the tangent plane at the instantaneous pointing and projected again (gnomonic, ``RA---TAN``)
about the reference ``(RA_PNT, DEC_PNT)``; the sky pixels are 0.05 arcsec with
``REFXCRPX = REFYCRPX = 25921`` (``X`` grows to the west: ``REFXCDLT < 0``), as in PPS lists, and
are rounded to the nearest integer.

Examples
--------
>>> import numpy as np
>>> from xmmframe.proc.coordinates import SkyGrid, det_to_sky
>>> grid = SkyGrid(263.657916666667, -32.556)
>>> x, y = det_to_sky(np.array([0.0]), np.array([0.0]), grid.ra, grid.dec, 93.66, grid)
>>> round(float(x[0]), 6), round(float(y[0]), 6)
(25921.0, 25921.0)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from xmmframe.model.projection import sky_to_tangent, tangent_to_sky

#: Radians per 0.05 arcsec DET/sky unit.
UNIT_RAD = np.deg2rad(0.05 / 3600.0)
#: Reference pixel and legal range of PPS sky coordinates.
SKY_CRPIX = 25921.0
SKY_LMIN, SKY_LMAX = 1, 51840


@dataclass(frozen=True)
class SkyGrid:
    """The sky pixel grid of an event list: tangent point (degrees), reference pixel, 0.05 arcsec pixels."""

    ra: float
    dec: float
    crpix: float = SKY_CRPIX

    @property
    def cdelt(self) -> float:
        """Pixel size in degrees."""
        return 0.05 / 3600.0

    def wcs_keywords(self) -> dict[str, tuple[object, str]]:
        """The ``REFX*``/``REFY*`` keywords of a PPS event list header."""
        return {
            "REFXCTYP": ("RA---TAN", "WCS Coord. type: RA tangent plane projection"),
            "REFXCRPX": (int(self.crpix), "WCS axis reference pixel of projected image"),
            "REFXCRVL": (self.ra, "[deg] WCS coord. at X axis ref. pixel"),
            "REFXCDLT": (-self.cdelt, "[deg/pix] WCS X increment at ref. pixel"),
            "REFXLMIN": (SKY_LMIN, "WCS minimum legal QPOE projected image X axis v"),
            "REFXLMAX": (SKY_LMAX, "WCS maximum legal QPOE projected image X axis v"),
            "REFXCUNI": ("deg", "WCS Physical units of X axis"),
            "REFYCTYP": ("DEC--TAN", "WCS Coord. type: DEC tangent plane projection"),
            "REFYCRPX": (int(self.crpix), "WCS axis reference pixel of projected image"),
            "REFYCRVL": (self.dec, "[deg] WCS coord. at Y axis ref. pixel"),
            "REFYCDLT": (self.cdelt, "[deg/pix] WCS Y increment at ref. pixel"),
            "REFYLMIN": (SKY_LMIN, "WCS minimum legal QPOE projected image Y axis v"),
            "REFYLMAX": (SKY_LMAX, "WCS maximum legal QPOE projected image Y axis v"),
            "REFYCUNI": ("deg", "WCS Physical units of Y axis"),
        }


# ------------------------------------------------------------------------------------- numpy


def det_to_radec(
    detx: np.ndarray, dety: np.ndarray, ra_t: np.ndarray, dec_t: np.ndarray, pa_t: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """DET (0.05 arcsec units) to (ra, dec) degrees for pointing (ra_t, dec_t) and position angle pa_t."""
    pa = np.deg2rad(pa_t)
    xi = (np.cos(pa) * detx + np.sin(pa) * dety) * UNIT_RAD
    eta = (-np.sin(pa) * detx + np.cos(pa) * dety) * UNIT_RAD
    return tangent_to_sky(xi, eta, ra_t, dec_t)


def radec_to_det(
    ra: np.ndarray, dec: np.ndarray, ra_t: np.ndarray, dec_t: np.ndarray, pa_t: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(ra, dec) degrees to DET (0.05 arcsec units) for a pointing: the inverse of :func:`det_to_radec`."""
    xi, eta = sky_to_tangent(ra, dec, ra_t, dec_t)
    xi, eta = xi / UNIT_RAD, eta / UNIT_RAD
    pa = np.deg2rad(pa_t)
    return np.cos(pa) * xi - np.sin(pa) * eta, np.sin(pa) * xi + np.cos(pa) * eta


def radec_to_sky(ra: np.ndarray, dec: np.ndarray, grid: SkyGrid) -> tuple[np.ndarray, np.ndarray]:
    """(ra, dec) degrees to continuous sky pixels (X, Y) of ``grid`` (1-based, like FITS)."""
    xi, eta = sky_to_tangent(ra, dec, grid.ra, grid.dec)
    return grid.crpix - xi / UNIT_RAD, grid.crpix + eta / UNIT_RAD


def det_to_sky(
    detx: np.ndarray, dety: np.ndarray, ra_t: np.ndarray, dec_t: np.ndarray, pa_t: np.ndarray, grid: SkyGrid
) -> tuple[np.ndarray, np.ndarray]:
    """DET to continuous sky pixels (numpy reference of :func:`sky_exprs`)."""
    ra, dec = det_to_radec(detx, dety, ra_t, dec_t, pa_t)
    return radec_to_sky(ra, dec, grid)


# ------------------------------------------------------------------------------------- polars


def sky_exprs(
    detx: pl.Expr, dety: pl.Expr, ra_t: pl.Expr, dec_t: pl.Expr, pa_t: pl.Expr, grid: SkyGrid
) -> tuple[pl.Expr, pl.Expr]:
    """Polars expressions of continuous sky X, Y from DET columns and per-event attitude (degrees)."""
    pa = pa_t.radians()
    xi = (pa.cos() * detx + pa.sin() * dety) * UNIT_RAD
    eta = (-pa.sin() * detx + pa.cos() * dety) * UNIT_RAD
    a0, d0 = ra_t.radians(), dec_t.radians()
    denom = d0.cos() - eta * d0.sin()
    ra = a0 + pl.arctan2(xi, denom)
    dec = pl.arctan2(d0.sin() + eta * d0.cos(), (xi * xi + denom * denom).sqrt())
    ar, dr = np.deg2rad(grid.ra), np.deg2rad(grid.dec)
    delta = ra - ar
    cosc = np.sin(dr) * dec.sin() + np.cos(dr) * dec.cos() * delta.cos()
    xi_r = dec.cos() * delta.sin() / cosc
    eta_r = (np.cos(dr) * dec.sin() - np.sin(dr) * dec.cos() * delta.cos()) / cosc
    return grid.crpix - xi_r / UNIT_RAD, grid.crpix + eta_r / UNIT_RAD
