"""Where the CCDs, their bad pixels and the field of view lie, measured from an event list.

backscale and the bad-pixel part of the responses need to know which points of a region
fall on a working CCD pixel.  SAS takes this from the CCD geometry CCFs and the attitude;
xmmframe measures it from the event list itself, which carries everything needed:

* **CCD footprints**: for each CCD, a least-squares affine map from ``(RAWX, RAWY)`` to the
  region's columns (sky ``X/Y`` or ``DETX/DETY``) is fitted to the CCD's events (at most
  :data:`FIT_EVENTS` per CCD).  Integer RAW values are pixel centres (the positions inside a
  pixel are randomised symmetrically), so pixel ``RAWX = i`` covers ``[i - 0.5, i + 0.5)`` and a
  CCD of ``nx x ny`` pixels (:func:`xmmframe.model.geometry.camera`: MOS 600 x 600, pn 64 x 200)
  covers ``[0.5, nx + 0.5) x [0.5, ny + 0.5)``.  On the real MOS lists of obs 0001730201 the fit
  residuals are those of the sub-pixel randomisation (7 units rms, pixel 22 units), i.e. the map
  is exact to a fraction of a pixel; attitude drifts during an observation are averaged, as
  SAS does with ``useodfatt=no`` (mean attitude).  CCDs without events (switched off) have no
  footprint.
* **Bad pixels**: the ``BADPIXnn`` tables (columns expanded over ``YEXTENT``), placed at the
  fitted position of their pixel centre.  Their area is the nominal pixel size squared in
  0.05-arcsec units (:data:`PIXEL_UNITS`: MOS 1.1" = 22, pn 4.1" = 82), which is what SAS
  subtracts (the SAS BKGRATIO of the EXOD M2 light curves is exactly
  ``(1232 * 100 - 18 * 484) / (1263 * 100)``: 18 bad MOS pixels of 484 units).
* **Field of view**: the envelope of the events around their centroid -- the largest event
  distance in each of a few hundred angular sectors.  This follows any FOV shape (the MOS
  FOV is not a circle) and is exact to a few 0.05" units for a full event list; it is only
  meaningful when the list covers the whole field (e.g. a cleaned event list), not for a list
  already cut to a region.

Examples
--------
>>> from xmmframe.products.ccd_footprints import CcdLayout
>>> layout = CcdLayout.from_events("M1_clean.fits")                            # doctest: +SKIP
>>> layout.on_ccd(np.array([24635.6]), np.array([24158.8])).tolist()          # doctest: +SKIP
[True]
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np
import polars as pl

from xmmframe.ccf.badpix import event_badpixels
from xmmframe.errors import ProductError
from xmmframe.model.events import EventList
from xmmframe.model.geometry import camera

#: Events per CCD used for the RAW -> position fit.
FIT_EVENTS = 50_000
#: Nominal pixel size (0.05-arcsec units) per camera: the bad-pixel area SAS subtracts is its square.
PIXEL_UNITS = {"EPN": 82.0, "EMOS1": 22.0, "EMOS2": 22.0}


@dataclass(frozen=True)
class CcdFootprint:
    """One CCD: ``position = origin + matrix @ (RAWX, RAWY)`` and its size in pixels.

    Examples
    --------
    >>> ccd = CcdFootprint(1, np.array([0.0, 0.0]), np.array([[22.0, 0.0], [0.0, 22.0]]), (600, 600))
    >>> ccd.contains(np.array([11.0, -11.0]), np.array([11.0, 11.0])).tolist()
    [True, False]
    """

    ccd: int
    origin: np.ndarray
    matrix: np.ndarray
    size: tuple[int, int]

    def to_raw(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Continuous RAW coordinates (integer = pixel centre) of positions."""
        inverse = np.linalg.inv(self.matrix)
        dx, dy = np.asarray(x, np.float64) - self.origin[0], np.asarray(y, np.float64) - self.origin[1]
        return inverse[0, 0] * dx + inverse[0, 1] * dy, inverse[1, 0] * dx + inverse[1, 1] * dy

    def to_position(self, rawx: np.ndarray, rawy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positions of RAW coordinates."""
        rx, ry = np.asarray(rawx, np.float64), np.asarray(rawy, np.float64)
        return (self.origin[0] + self.matrix[0, 0] * rx + self.matrix[0, 1] * ry,
                self.origin[1] + self.matrix[1, 0] * rx + self.matrix[1, 1] * ry)

    def contains(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Whether positions fall on this CCD's pixels."""
        rx, ry = self.to_raw(x, y)
        nx, ny = self.size
        return (rx >= 0.5) & (rx < nx + 0.5) & (ry >= 0.5) & (ry < ny + 0.5)

    @property
    def pixel_area(self) -> float:
        """Area of one pixel in the position units (``|det matrix|``)."""
        return float(abs(np.linalg.det(self.matrix)))


@dataclass(frozen=True)
class FieldOfView:
    """The field of view as a star-shaped envelope: a maximum distance per angular sector.

    Examples
    --------
    >>> fov = FieldOfView(0.0, 0.0, np.full(8, 10.0))
    >>> fov.contains(np.array([5.0, 15.0]), np.array([0.0, 0.0])).tolist()
    [True, False]
    """

    x: float
    y: float
    radius: np.ndarray

    def contains(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Whether positions lie inside the envelope."""
        dx, dy = np.asarray(x, np.float64) - self.x, np.asarray(y, np.float64) - self.y
        sector = _sector(dx, dy, self.radius.size)
        return np.hypot(dx, dy) <= self.radius[sector]

    @classmethod
    def from_positions(cls, x: np.ndarray, y: np.ndarray, margin: float = 0.0) -> FieldOfView:
        """The envelope of event positions (``margin`` added to every sector's radius)."""
        if x.size == 0:
            raise ProductError("no events to measure the field of view from")
        cx, cy = float(np.mean(x)), float(np.mean(y))
        sectors = int(np.clip(x.size // 50, 36, 720))
        dx, dy = x - cx, y - cy
        radius = np.zeros(sectors)
        np.maximum.at(radius, _sector(dx, dy, sectors), np.hypot(dx, dy))
        return cls(cx, cy, np.where(radius > 0, radius + margin, 0.0))


def _sector(dx: np.ndarray, dy: np.ndarray, sectors: int) -> np.ndarray:
    angle = np.arctan2(dy, dx)
    return np.minimum(((angle + math.pi) / (2 * math.pi) * sectors).astype(np.int64), sectors - 1)


@dataclass(frozen=True)
class CcdLayout:
    """CCD footprints, bad pixels and field of view of an event list, in one pair of columns.

    Attributes
    ----------
    columns : (str, str)
        The position columns (``("X", "Y")`` or ``("DETX", "DETY")``).
    instrument : str
        ``INSTRUME`` of the event list.
    ccds : tuple of CcdFootprint
        One per CCD with events.
    bad_pixels : polars.DataFrame
        ``CCDID, RAWX, RAWY`` of every bad pixel (unique).
    fov : FieldOfView
        The envelope of the events.
    path : str
        The event list, for messages.
    """

    columns: tuple[str, str]
    instrument: str
    ccds: tuple[CcdFootprint, ...]
    bad_pixels: pl.DataFrame
    fov: FieldOfView
    path: str = ""

    @classmethod
    def from_events(cls, events: EventList | str | os.PathLike[str],
                    columns: tuple[str, str] = ("X", "Y")) -> CcdLayout:
        """Measure the layout from an event list (path or :class:`EventList`).

        Raises
        ------
        ProductError
            When the list lacks ``CCDNR``/``RAWX``/``RAWY`` or the position columns, or has no events.
        """
        from xmmframe.io.events import open_events

        path = os.fspath(events) if isinstance(events, (str, os.PathLike)) else ""
        events = open_events(events) if isinstance(events, (str, os.PathLike)) else events
        names = {c.upper(): c for c in events.meta.column_names}
        needed = ("CCDNR", "RAWX", "RAWY", *columns)
        missing = [c for c in needed if c.upper() not in names]
        if missing:
            raise ProductError(f"the bad-pixel event list lacks the columns {', '.join(missing)}", path or None)
        cx, cy = names[columns[0].upper()], names[columns[1].upper()]
        sample = (
            events.lazy.select(pl.col(names["CCDNR"]).cast(pl.Int64).alias("CCDNR"),
                               pl.col(names["RAWX"]).cast(pl.Float64).alias("RAWX"),
                               pl.col(names["RAWY"]).cast(pl.Float64).alias("RAWY"),
                               pl.col(cx).cast(pl.Float64).alias("_X"), pl.col(cy).cast(pl.Float64).alias("_Y"))
            .drop_nulls()
            .filter(pl.int_range(pl.len()).over("CCDNR") < FIT_EVENTS)
            .collect()
        )
        if sample.height == 0:
            raise ProductError("the bad-pixel event list has no events", path or None)
        instrument = str(events.meta.instrument or "").strip().upper()
        size = _ccd_size(instrument, sample)
        ccds = tuple(_fit_ccd(int(ccd), part, size) for (ccd,), part in sorted(
            sample.group_by(["CCDNR"]), key=lambda item: item[0][0]) if part.height >= 10)
        fov = FieldOfView.from_positions(sample["_X"].to_numpy(), sample["_Y"].to_numpy())
        return cls((columns[0].upper(), columns[1].upper()), instrument, tuple(c for c in ccds if c is not None),
                   _bad_pixels(events), fov, path)

    def on_ccd(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Whether positions fall on a CCD pixel (any CCD; chip gaps and switched-off CCDs excluded)."""
        result = np.zeros(np.shape(x), dtype=bool)
        for ccd in self.ccds:
            result |= ccd.contains(x, y)
        return result

    def working_pixel(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """1.0 where positions fall on a working CCD pixel; 0.0 on a bad pixel, in a chip gap or off the CCDs.

        Examples
        --------
        >>> layout.working_pixel(np.array([24635.6]), np.array([24158.8])).tolist()   # doctest: +SKIP
        [1.0]
        """
        x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
        result = np.zeros(np.shape(x))
        for ccd in self.ccds:
            on = ccd.contains(x, y)
            if not on.any():
                continue
            rx, ry = ccd.to_raw(x[on], y[on])
            ix, iy = np.floor(rx + 0.5).astype(np.int64), np.floor(ry + 0.5).astype(np.int64)
            result[on] = np.where(self._bad_mask(ccd)[ix, iy], 0.0, 1.0)
        return result

    def _bad_mask(self, ccd: CcdFootprint) -> np.ndarray:
        """``mask[RAWX, RAWY]``: True on the CCD's bad pixels (indices 0..size inclusive)."""
        mask = np.zeros((ccd.size[0] + 2, ccd.size[1] + 2), dtype=bool)
        mine = self.bad_pixels.filter(pl.col("CCDID") == ccd.ccd)
        rx, ry = mine["RAWX"].to_numpy().astype(np.int64), mine["RAWY"].to_numpy().astype(np.int64)
        keep = (rx >= 0) & (ry >= 0) & (rx < mask.shape[0]) & (ry < mask.shape[1])
        mask[rx[keep], ry[keep]] = True
        return mask

    @property
    def bad_pixel_area(self) -> float:
        """Area (position units squared) SAS subtracts per bad pixel."""
        units = PIXEL_UNITS.get(self.instrument)
        if units is None:
            units = math.sqrt(np.median([c.pixel_area for c in self.ccds])) if self.ccds else 0.0
        return float(units) ** 2

    def bad_pixel_positions(self) -> tuple[np.ndarray, np.ndarray]:
        """Positions of the centres of the bad pixels of the CCDs with a footprint."""
        xs, ys = [], []
        for ccd in self.ccds:
            mine = self.bad_pixels.filter(pl.col("CCDID") == ccd.ccd)
            if mine.height:
                x, y = ccd.to_position(mine["RAWX"].to_numpy(), mine["RAWY"].to_numpy())
                xs.append(x)
                ys.append(y)
        if not xs:
            return np.zeros(0), np.zeros(0)
        return np.concatenate(xs), np.concatenate(ys)


def _ccd_size(instrument: str, sample: pl.DataFrame) -> tuple[int, int]:
    """Pixels per CCD: the camera's nominal size, else the RAW range the events cover."""
    try:
        return tuple(camera(instrument).shape)  # type: ignore[return-value]
    except (KeyError, ValueError):
        return int(sample["RAWX"].max()), int(sample["RAWY"].max())


def _fit_ccd(ccd: int, part: pl.DataFrame, size: tuple[int, int]) -> CcdFootprint | None:
    design = np.column_stack([np.ones(part.height), part["RAWX"].to_numpy(), part["RAWY"].to_numpy()])
    target = np.column_stack([part["_X"].to_numpy(), part["_Y"].to_numpy()])
    coef, _, rank, _ = np.linalg.lstsq(design, target, rcond=None)
    if rank < 3:
        return None
    return CcdFootprint(ccd, coef[0].copy(), coef[1:].T.copy(), size)


def _bad_pixels(events: EventList) -> pl.DataFrame:
    """The unique bad pixels of the ``BADPIXnn`` extensions (``CCDID, RAWX, RAWY``)."""
    return event_badpixels(events.meta).expanded().unique().sort(["CCDID", "RAWX", "RAWY"])


__all__ = ["FIT_EVENTS", "PIXEL_UNITS", "CcdFootprint", "CcdLayout", "FieldOfView"]
