"""Camera geometry: CCD layouts (RAW pixel -> DET camera coordinates) of EPIC pn and MOS.

DETX/DETY are camera coordinates in units of 0.05 arcsec.  Each CCD maps its continuous raw
position ``r = (RAWX - 1 + u, RAWY - 1 + v)`` (``u, v`` in ``[0, 1)``, uniform when positions are
randomised, 0.5 at the pixel centre) to DET by an affine transform ``DET = M r + t``.

MOS1/MOS2: the transforms are fitted to the five real event lists of each camera in
``../shared/refdata`` (the PPS lists ``P0001730201M[12]S00*MIEVLI`` and the XGA clean lists of
three more observations): per CCD a rotation by a multiple of 90 degrees, a pixel size
(22.016 units on the central CCD 1, 22.021-22.024 on the outer ones; 1.1 arcsec) and an offset,
with mean residuals on every CCD and list below 1.5 units and the fitted sizes of the single lists
within 0.001 units of each other.  pn: no real
pn event list is available, so the layout is built from the instrument description: 12 CCDs of
64 x 200 pixels (4.1 arcsec = 82 units), two rows of six with the readout node (RAWY = 1) at the
outer edge, CCDs 1-6 in the upper row and 7-12 (rotated by 180 degrees) in the lower one, with
the optical axis on CCD 4 near its inner edge as on the real camera.  For both cameras the
origin of DET is the optical axis (the real DET origin is about one arcminute from it; this is
a documented simplification shared by the simulator and the processing).  Each camera's DET axes
are turned on the sky by the attitude's position angle plus :attr:`Camera.rotation`: fitted
sky-vs-DET relations of five real PPS MOS lists give 0.0015 deg for MOS1 and 89.709 deg for
MOS2 (MOS2 is mounted at a right angle); pn is assumed aligned with MOS1.

CCD size and RAW limits are two different things, and both are kept here:

* :attr:`Camera.shape` is the imaging area, the pixels events fall on: MOS 600 x 600 (the events
  of the ten real MOS lists in ``../shared/refdata`` span RAWX 1..600, RAWY 1..600), pn 64 x 200.
* :attr:`Camera.raw_limits` are the legal ranges SAS writes as ``TLMIN/TLMAX`` of the RAWX and RAWY
  columns: MOS RAWX -4..605, RAWY 1..602 (the value in every real MOS list, PPS SAS 18, SAS 13.5
  and SAS 20 products alike: the column range covers the CCD's pre-/over-scan columns and rows
  beyond the 600 x 600 imaging pixels), pn RAWX 1..64, RAWY 1..200 (SAS epevents and the SAS user
  guide's pn event-list description; no real pn list is available here).  The earlier
  "RAWY 1..602 versus 600" disagreement is thus no contradiction: 602 is the legal limit, 600 the
  last imaging row.

Integer RAW values are pixel centres: pixel ``RAWX = i`` covers the continuous raw interval
``[i - 1, i)``, i.e. ``[i - 0.5, i + 0.5)`` around the integer; :meth:`Camera.pixel_affine` gives
the transform for integer RAW and :meth:`Camera.corners` the DET corners of a CCD's imaging area.

Examples
--------
>>> from xmmframe.model.geometry import camera
>>> mos1 = camera("EMOS1")
>>> mos1.ccds, mos1.shape
((1, 2, 3, 4, 5, 6, 7), (600, 600))
>>> [round(float(v)) for v in mos1.raw_to_det(1, 300.0, 300.0)]   # centre of CCD 1
[0, 0]
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import polars as pl

#: 0.05 arcsec DET/sky units per arcsec.
UNITS_PER_ARCSEC = 20.0


@dataclass(frozen=True)
class CcdTransform:
    """``DETX = a*rx + b*ry + tx``, ``DETY = c*rx + d*ry + ty`` for one CCD (``rx, ry`` continuous raw)."""

    ccd: int
    a: float
    b: float
    c: float
    d: float
    tx: float
    ty: float


@dataclass(frozen=True)
class Camera:
    """The geometry of one EPIC camera.

    Attributes
    ----------
    instrument : str
        ``EPN``, ``EMOS1`` or ``EMOS2``.
    shape : (int, int)
        Pixels per CCD, ``(nx, ny)`` (RAWX 1..nx, RAWY 1..ny).
    pixel_units : float
        Pixel size in DET units (0.05 arcsec).
    transforms : tuple of CcdTransform
        One per CCD.
    fov_radius : float
        Radius of the field of view in DET units (outside: ``OUT_OF_FOV``).
    raw_limits : ((int, int), (int, int))
        Legal ``(min, max)`` of RAWX and RAWY, the event lists' ``TLMIN/TLMAX`` (see the module text).
    nominal_pixel : float
        The nominal pixel size in DET units (MOS 1.1" = 22, pn 4.1" = 82): its square is the area
        SAS backscale subtracts per bad pixel (the SAS BKGRATIO of the EXOD M2 light curves is
        exactly ``(1232 * 100 - 18 * 484) / (1263 * 100)``: 18 bad MOS pixels of 484 units).
    rotation : float
        Angle (degrees) added to the attitude's position angle to orient this camera's DET axes
        on the sky (MOS1 0, MOS2 89.709 as fitted on real PPS lists; pn 0, assumed).
    """

    instrument: str
    shape: tuple[int, int]
    pixel_units: float
    transforms: tuple[CcdTransform, ...]
    fov_radius: float
    raw_limits: tuple[tuple[int, int], tuple[int, int]]
    nominal_pixel: float
    rotation: float = 0.0

    @property
    def ccds(self) -> tuple[int, ...]:
        """CCD numbers."""
        return tuple(t.ccd for t in self.transforms)

    def transform(self, ccd: int) -> CcdTransform:
        """The transform of one CCD."""
        for t in self.transforms:
            if t.ccd == ccd:
                return t
        raise KeyError(f"{self.instrument} has no CCD {ccd}")

    def raw_to_det(
        self, ccd: int, rx: np.ndarray | float, ry: np.ndarray | float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Continuous raw position (``RAWX - 1 + u``) of one CCD to DET (floats)."""
        t = self.transform(ccd)
        rx, ry = np.asarray(rx, dtype=np.float64), np.asarray(ry, dtype=np.float64)
        return t.a * rx + t.b * ry + t.tx, t.c * rx + t.d * ry + t.ty

    def pixel_affine(self, ccd: int) -> tuple[np.ndarray, np.ndarray]:
        """``(origin, matrix)`` with ``DET = origin + matrix @ (RAWX, RAWY)`` for integer RAW = pixel centre.

        Examples
        --------
        >>> origin, matrix = camera("EMOS1").pixel_affine(1)
        >>> [round(float(v), 2) for v in origin], matrix.tolist()
        ([-6615.71, -6615.61], [[22.0157, 0.0], [0.0, 22.0157]])
        """
        t = self.transform(ccd)
        matrix = np.array([[t.a, t.b], [t.c, t.d]], dtype=np.float64)
        origin = np.array([t.tx, t.ty], dtype=np.float64) - matrix @ np.array([0.5, 0.5])
        return origin, matrix

    def corners(self, ccd: int) -> np.ndarray:
        """DET corners ``(4, 2)`` of one CCD's imaging area (RAW ``0.5 .. n + 0.5``), in order round it.

        Examples
        --------
        >>> camera("EPN").corners(4).round(1).tolist()
        [[-2952.0, 15580.0], [2296.0, 15580.0], [2296.0, -820.0], [-2952.0, -820.0]]
        """
        nx, ny = self.shape
        rx = np.array([0.0, nx, nx, 0.0])
        ry = np.array([0.0, 0.0, ny, ny])
        x, y = self.raw_to_det(ccd, rx, ry)
        return np.column_stack([x, y])

    @property
    def ccd_area(self) -> float:
        """Area of one CCD's imaging pixels in DET units squared (pixels x pixel area).

        Examples
        --------
        >>> camera("EPN").ccd_area == 64 * 200 * 82.0**2
        True
        """
        t = self.transforms[0]
        return float(self.shape[0] * self.shape[1] * abs(t.a * t.d - t.b * t.c))

    def det_to_raw(self, detx: np.ndarray, dety: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """DET positions to ``(ccd, rx, ry)``; ``ccd = 0`` where no CCD is hit (gaps, outside).

        Examples
        --------
        >>> camera("EMOS1").det_to_raw(np.array([0.0]), np.array([0.0]))[0].tolist()
        [1]
        """
        detx = np.asarray(detx, dtype=np.float64)
        dety = np.asarray(dety, dtype=np.float64)
        ccd = np.zeros(detx.shape, dtype=np.int16)
        rx = np.full(detx.shape, np.nan)
        ry = np.full(detx.shape, np.nan)
        nx, ny = self.shape
        for t in self.transforms:
            det = t.a * t.d - t.b * t.c
            x = (t.d * (detx - t.tx) - t.b * (dety - t.ty)) / det
            y = (-t.c * (detx - t.tx) + t.a * (dety - t.ty)) / det
            inside = (x >= 0) & (x < nx) & (y >= 0) & (y < ny) & (ccd == 0)
            ccd[inside] = t.ccd
            rx[inside] = x[inside]
            ry[inside] = y[inside]
        return ccd, rx, ry

    def transform_frame(self) -> pl.DataFrame:
        """The transforms as a small table (CCDNR, A, B, C, D, TX, TY) to join onto events."""
        return pl.DataFrame(
            {
                "CCDNR": [t.ccd for t in self.transforms],
                "_A": [t.a for t in self.transforms],
                "_B": [t.b for t in self.transforms],
                "_C": [t.c for t in self.transforms],
                "_D": [t.d for t in self.transforms],
                "_TX": [t.tx for t in self.transforms],
                "_TY": [t.ty for t in self.transforms],
            },
            schema_overrides={"CCDNR": pl.UInt8},
        )

    def det_limits(self) -> tuple[int, int, int, int]:
        """``(DETX min, DETX max, DETY min, DETY max)`` over all CCD corners (for TLMIN/TLMAX)."""
        nx, ny = self.shape
        xs, ys = [], []
        for t in self.transforms:
            for rx, ry in ((0, 0), (nx, 0), (0, ny), (nx, ny)):
                x, y = self.raw_to_det(t.ccd, rx, ry)
                xs.append(float(x))
                ys.append(float(y))
        return int(np.floor(min(xs))), int(np.ceil(max(xs))), int(np.floor(min(ys))), int(np.ceil(max(ys)))


_MOS_PIXEL = 22.02  # the mean pixel size (DET units), the camera's ``pixel_units``
#: (ccd, rotation, pixel size, tx, ty): rotation 0: DETX ~ +rx, DETY ~ +ry; 90: DETX ~ -ry,
#: DETY ~ +rx; 270: DETX ~ +ry, DETY ~ -rx.  Fitted by least squares (one pixel size and offset
#: per CCD) to the DETX/DETY of all the events of the five real lists of each camera in
#: ``../shared/refdata`` (obs 0001730201 PPS SAS 18, 0201901401/0201903501/0404910601 SAS 13.5);
#: per list the fitted sizes agree to 0.001 units, the offsets to 0.5 units.
_MOS_LAYOUT = {
    "EMOS1": (
        (1, 0, 22.0157, -6604.7, -6604.6),
        (2, 90, 22.0217, 13114.6, -20163.6),
        (3, 90, 22.0212, 19872.7, -6911.6),
        (4, 90, 22.0214, 13178.0, 6419.8),
        (5, 270, 22.0217, -13018.4, 19710.6),
        (6, 270, 22.0218, -19786.6, 6507.7),
        (7, 270, 22.0215, -13132.5, -6855.5),
    ),
    "EMOS2": (
        (1, 0, 22.0174, -6605.1, -6605.2),
        (2, 90, 22.0234, 13245.1, -20019.3),
        (3, 90, 22.0233, 19979.7, -6841.6),
        (4, 90, 22.0230, 13217.8, 6532.4),
        (5, 270, 22.0232, -13190.6, 19778.7),
        (6, 270, 22.0230, -19848.1, 6540.7),
        (7, 270, 22.0235, -13309.3, -6823.7),
    ),
}
_MOS_ROTATION = {"EMOS1": 0.0, "EMOS2": 89.709}
_ROTATIONS = {0: (1, 0, 0, 1), 90: (0, -1, 1, 0), 180: (-1, 0, 0, -1), 270: (0, 1, -1, 0)}

_PN_PIXEL = 82.0
_PN_GAP = 0.5  # pixels between neighbouring CCDs
_PN_AXIS = (3 * (64 + _PN_GAP) + 36.0, 200 + _PN_GAP + 10.0)  # array position of the optical axis


def _mos(instrument: str) -> Camera:
    transforms = []
    for ccd, rotation, size, tx, ty in _MOS_LAYOUT[instrument]:
        a, b, c, d = (v * size for v in _ROTATIONS[rotation])
        transforms.append(CcdTransform(ccd, a, b, c, d, tx, ty))
    return Camera(
        instrument,
        (600, 600),
        _MOS_PIXEL,
        tuple(transforms),
        fov_radius=15.0 * 60 * UNITS_PER_ARCSEC,
        raw_limits=((-4, 605), (1, 602)),
        nominal_pixel=22.0,
        rotation=_MOS_ROTATION[instrument],
    )


def _pn() -> Camera:
    transforms = []
    step = 64 + _PN_GAP
    x0, y0 = _PN_AXIS
    s = _PN_PIXEL
    for ccd in range(1, 13):
        if ccd <= 6:  # upper row, readout (RAWY=1) at the top edge: ay = 400 + gap - ry
            slot = ccd - 1
            ax0, ay0 = slot * step, 400 + _PN_GAP
            a, b, c, d = s, 0.0, 0.0, -s
        else:  # lower row, rotated by 180 degrees: ax = slot*step + 64 - rx, ay = ry
            slot = 12 - ccd
            ax0, ay0 = slot * step + 64, 0.0
            a, b, c, d = -s, 0.0, 0.0, s
        transforms.append(CcdTransform(ccd, a, b, c, d, (ax0 - x0) * s, (ay0 - y0) * s))
    return Camera("EPN", (64, 200), _PN_PIXEL, tuple(transforms), fov_radius=13.75 * 60 * UNITS_PER_ARCSEC,
                  raw_limits=((1, 64), (1, 200)), nominal_pixel=_PN_PIXEL)


@lru_cache(maxsize=None)
def camera(instrument: str) -> Camera:
    """The built-in geometry of ``EPN``, ``EMOS1`` or ``EMOS2`` (also ``PN``, ``M1``, ``M2``)."""
    name = {"PN": "EPN", "M1": "EMOS1", "M2": "EMOS2"}.get(instrument.upper(), instrument.upper())
    if name == "EPN":
        return _pn()
    if name in _MOS_LAYOUT:
        return _mos(name)
    raise KeyError(f"no EPIC camera {instrument!r}")
