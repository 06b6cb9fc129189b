"""Where the CCDs, their bad pixels and the field of view of an event list lie.

backscale, the bad-pixel part of the responses and the exposure maps need to know which points
of a region fall on a working CCD pixel.  SAS takes this from the CCD geometry CCFs and the
attitude; xmmframe takes the CCDs from the camera geometry (:class:`xmmframe.model.geometry.Camera`,
the single source of CCD sizes, RAW limits and RAW -> DET transforms) and measures from the event
list only what that geometry lacks:

* **CCD footprints** (:meth:`CcdLayout.from_camera`): each CCD's ``(RAWX, RAWY) -> DETX/DETY``
  transform is the camera's (:meth:`~xmmframe.model.geometry.Camera.pixel_affine`; integer RAW
  values are pixel centres, so a CCD of ``nx x ny`` pixels -- MOS 600 x 600, pn 64 x 200 -- covers
  ``[0.5, nx + 0.5) x [0.5, ny + 0.5)``).  On the ten real MOS lists in ``../shared/refdata``
  the camera's DET position of each event's pixel is within 1.5 units (pixel 22 units) of the
  list's DETX/DETY on every CCD.  CCDs without events (switched off) have no footprint.
* **Detector to sky**: the camera geometry has no boresight and the event list no attitude
  history here, so for a layout in sky ``X/Y`` one affine ``DET -> (X, Y)`` is fitted by least
  squares to the events (at most :data:`FIT_EVENTS` per CCD), which averages attitude drifts
  as SAS does with ``useodfatt=no`` (mean attitude).  This is the per-event refit that remains
  for a known camera; a DETX/DETY layout needs none.
* **Fallback, per-CCD refit**: where the built-in geometry does not describe the list -- an
  instrument without a built-in camera, a list without DETX/DETY, or a list whose DETX/DETY the
  camera does not reproduce within half a pixel on some CCD (real pn lists: the built-in pn layout
  is the instrument description with the DET origin on the optical axis, not fitted to a real pn
  list) -- each CCD's ``RAW -> position`` affine map is fitted to its events instead
  (:data:`FIT_EVENTS` per CCD; on the real MOS lists exact to a fraction of a pixel).
* **Bad pixels**: the ``BADPIXnn`` tables (columns expanded over ``YEXTENT``), placed at the
  position of their pixel centre.  Their area is the square of the camera's nominal pixel size
  (:attr:`~xmmframe.model.geometry.Camera.nominal_pixel`, :data:`PIXEL_UNITS`: MOS 22, pn 82
  units of 0.05"), which is what SAS subtracts.
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
from xmmframe.io.events import open_events
from xmmframe.model.events import EventList
from xmmframe.model.geometry import Camera, camera

#: Events per CCD used for the position fits (DET -> sky, or RAW -> position in the fallback).
FIT_EVENTS = 50_000
#: Nominal pixel size (0.05-arcsec units) per camera: the bad-pixel area SAS subtracts is its square.
PIXEL_UNITS = {name: camera(name).nominal_pixel for name in ("EPN", "EMOS1", "EMOS2")}
#: Largest median distance (in pixels) on any CCD between the events' DETX/DETY and the camera's
#: DET of their RAW pixel for the camera geometry to be used (else the per-CCD refit).
CAMERA_TOLERANCE = 0.5


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

    @property
    def corners(self) -> np.ndarray:
        """Positions ``(4, 2)`` of the corners of the CCD's pixels (RAW ``0.5 .. n + 0.5``), round it."""
        nx, ny = self.size
        x, y = self.to_position(np.array([0.5, nx + 0.5, nx + 0.5, 0.5]),
                                np.array([0.5, 0.5, ny + 0.5, ny + 0.5]))
        return np.column_stack([x, y])

    @classmethod
    def from_camera(cls, cam: Camera, ccd: int, to_position: np.ndarray | None = None) -> CcdFootprint:
        """One CCD of a camera, in DETX/DETY or, with the ``(2, 3)`` affine ``to_position``, in other columns.

        Examples
        --------
        >>> ccd = CcdFootprint.from_camera(camera("EMOS1"), 1)
        >>> ccd.size, round(ccd.pixel_area, 2), ccd.contains(np.array([0.0]), np.array([0.0])).tolist()
        ((600, 600), 484.69, [True])
        """
        origin, matrix = cam.pixel_affine(ccd)
        if to_position is not None:
            linear = np.asarray(to_position, np.float64)[:, :2]
            origin = linear @ origin + np.asarray(to_position, np.float64)[:, 2]
            matrix = linear @ matrix
        return cls(ccd, origin, matrix, cam.shape)


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
    def from_camera(cls, cam: Camera, columns: tuple[str, str] = ("DETX", "DETY"),
                    to_position: np.ndarray | None = None, ccds: tuple[int, ...] | None = None,
                    bad_pixels: pl.DataFrame | None = None, fov: FieldOfView | None = None,
                    path: str = "") -> CcdLayout:
        """The layout given by the camera geometry.

        Parameters
        ----------
        cam : Camera
            The camera (:func:`xmmframe.model.geometry.camera`).
        columns : (str, str)
            The position columns of the layout.
        to_position : numpy.ndarray, optional
            ``(2, 3)`` affine map DET -> ``columns`` (e.g. DET -> sky ``X/Y`` for an attitude);
            none: the layout is in DETX/DETY.
        ccds : tuple of int, optional
            The CCDs in use (default: all of the camera's).
        bad_pixels : polars.DataFrame, optional
            ``CCDID, RAWX, RAWY`` of the bad pixels (default: none).
        fov : FieldOfView, optional
            The field of view (default: the camera's circle of ``fov_radius`` about DET 0, 0).
        path : str
            The event list, for messages.

        Examples
        --------
        >>> layout = CcdLayout.from_camera(camera("EPN"))
        >>> len(layout.ccds), layout.on_ccd(np.array([0.0, 0.0]), np.array([0.0, -840.0])).tolist()  # gap
        (12, [True, False])
        """
        affine = None if to_position is None else np.asarray(to_position, np.float64)
        used = cam.ccds if ccds is None else ccds
        footprints = tuple(CcdFootprint.from_camera(cam, ccd, affine) for ccd in used)
        if bad_pixels is None:
            bad_pixels = pl.DataFrame(schema={"CCDID": pl.Int64, "RAWX": pl.Int64, "RAWY": pl.Int64})
        if fov is None:
            scale = 1.0 if affine is None else math.sqrt(abs(np.linalg.det(affine[:, :2])))
            centre = (0.0, 0.0) if affine is None else (float(affine[0, 2]), float(affine[1, 2]))
            fov = FieldOfView(centre[0], centre[1], np.full(360, cam.fov_radius * scale))
        columns = (columns[0].upper(), columns[1].upper())
        return cls(columns, cam.instrument, footprints, bad_pixels, fov, path)

    @classmethod
    def from_events(cls, events: EventList | str | os.PathLike[str],
                    columns: tuple[str, str] = ("X", "Y")) -> CcdLayout:
        """The layout of an event list (path or :class:`EventList`) in the given position columns.

        The CCD footprints come from the camera geometry (:meth:`from_camera`), placed on the sky
        by a DET -> sky fit to the events for sky columns; the per-CCD refit is used only where
        the camera does not describe the list (see the module text).  Bad pixels come from the
        list's ``BADPIXnn`` extensions and the field of view from the events' envelope.

        Raises
        ------
        ProductError
            When the list lacks ``CCDNR``/``RAWX``/``RAWY`` or the position columns, or has no events.
        """
        path = os.fspath(events) if isinstance(events, (str, os.PathLike)) else ""
        events = open_events(events) if isinstance(events, (str, os.PathLike)) else events
        names = {c.upper(): c for c in events.meta.column_names}
        needed = ("CCDNR", "RAWX", "RAWY", *columns)
        missing = [c for c in needed if c.upper() not in names]
        if missing:
            raise ProductError(f"the bad-pixel event list lacks the columns {', '.join(missing)}", path or None)
        cx, cy = names[columns[0].upper()], names[columns[1].upper()]
        det = tuple(names.get(c) for c in ("DETX", "DETY"))
        extra = [] if None in det else [pl.col(det[0]).cast(pl.Float64).alias("_DX"),
                                        pl.col(det[1]).cast(pl.Float64).alias("_DY")]
        sample = (
            events.lazy.select(pl.col(names["CCDNR"]).cast(pl.Int64).alias("CCDNR"),
                               pl.col(names["RAWX"]).cast(pl.Float64).alias("RAWX"),
                               pl.col(names["RAWY"]).cast(pl.Float64).alias("RAWY"),
                               pl.col(cx).cast(pl.Float64).alias("_X"),
                               pl.col(cy).cast(pl.Float64).alias("_Y"), *extra)
            .drop_nulls()
            .filter(pl.int_range(pl.len()).over("CCDNR") < FIT_EVENTS)
            .collect()
        )
        if sample.height == 0:
            raise ProductError("the bad-pixel event list has no events", path or None)
        instrument = str(events.meta.instrument or "").strip().upper()
        groups = sorted(sample.group_by(["CCDNR"]), key=lambda item: item[0][0])
        parts = [(int(ccd), part) for (ccd,), part in groups if part.height >= 10]
        fov = FieldOfView.from_positions(sample["_X"].to_numpy(), sample["_Y"].to_numpy())
        bad = _bad_pixels(events)
        cam = _camera_of(instrument)
        if cam is not None and extra and _camera_describes(cam, parts):
            used = tuple(ccd for ccd, _ in parts)
            if (columns[0].upper(), columns[1].upper()) == ("DETX", "DETY"):
                return cls.from_camera(cam, columns, None, used, bad, fov, path)
            to_position = _fit_det_to_position(cam, parts)
            if to_position is not None:
                return cls.from_camera(cam, columns, to_position, used, bad, fov, path)
        size = tuple(cam.shape) if cam is not None else (int(sample["RAWX"].max()), int(sample["RAWY"].max()))
        ccds = tuple(_fit_ccd(ccd, part, size) for ccd, part in parts)  # type: ignore[arg-type]
        return cls((columns[0].upper(), columns[1].upper()), instrument, tuple(c for c in ccds if c is not None),
                   bad, fov, path)

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


def _camera_of(instrument: str) -> Camera | None:
    try:
        return camera(instrument)
    except (KeyError, ValueError):
        return None


def _camera_describes(cam: Camera, parts: list[tuple[int, pl.DataFrame]]) -> bool:
    """Whether the camera's DET of the events' RAW pixels matches their DETX/DETY on every CCD.

    The test is the median offset per axis, within :data:`CAMERA_TOLERANCE` pixels.
    """
    if not parts:
        return False
    for ccd, part in parts:
        if ccd not in cam.ccds:
            return False
        origin, matrix = cam.pixel_affine(ccd)
        rx, ry = part["RAWX"].to_numpy(), part["RAWY"].to_numpy()
        dx = part["_DX"].to_numpy() - (origin[0] + matrix[0, 0] * rx + matrix[0, 1] * ry)
        dy = part["_DY"].to_numpy() - (origin[1] + matrix[1, 0] * rx + matrix[1, 1] * ry)
        if max(abs(float(np.median(dx))), abs(float(np.median(dy)))) > CAMERA_TOLERANCE * cam.pixel_units:
            return False
    return True


def _fit_det_to_position(cam: Camera, parts: list[tuple[int, pl.DataFrame]]) -> np.ndarray | None:
    """The ``(2, 3)`` affine DET -> position fitted to the events (DET: the camera's, of their RAW pixel)."""
    dets, targets = [], []
    for ccd, part in parts:
        origin, matrix = cam.pixel_affine(ccd)
        raw = np.column_stack([part["RAWX"].to_numpy(), part["RAWY"].to_numpy()])
        dets.append(raw @ matrix.T + origin)
        targets.append(np.column_stack([part["_X"].to_numpy(), part["_Y"].to_numpy()]))
    det = np.concatenate(dets)
    design = np.column_stack([det, np.ones(det.shape[0])])
    coef, _, rank, _ = np.linalg.lstsq(design, np.concatenate(targets), rcond=None)
    if rank < 3:
        return None
    return coef.T.copy()


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


__all__ = ["CAMERA_TOLERANCE", "FIT_EVENTS", "PIXEL_UNITS", "CcdFootprint", "CcdLayout", "FieldOfView"]
