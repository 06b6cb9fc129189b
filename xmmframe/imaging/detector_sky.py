"""Where a detector position (DETX, DETY) lands on the sky (X, Y) for a given attitude.

SAS takes this from the boresight and camera geometry CCFs.  xmmframe measures it from the
event list, which carries both coordinates of every event, and the attitude history:

    ``(X, Y) = P(t) + R(pa(t) - pa0) @ (M @ (DETX, DETY) + b)``

where ``P(t)`` is the pointing at the event's time in sky pixels (gnomonic projection about
the event list's sky reference), ``R`` the rotation by the position-angle change from the
reference ``pa0`` (in X/Y, with X growing westwards, an increase of the position angle turns
the detector counter-clockwise), and ``M`` (2x2) and ``b`` the camera orientation, scale and
boresight offset, fitted by least squares to (at most :data:`FIT_EVENTS`) events.  On the
XGA MOS lists the residuals are the randomisation within a pixel (1.7 sky units rms).

Examples
--------
>>> frame = DetectorSky.from_events(events, attitude)             # doctest: +SKIP
>>> frame.sky_to_det_affine(steps).shape                          # doctest: +SKIP
(1, 2, 3)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from xmmframe.errors import ProductError
from xmmframe.imaging.attitude_steps import AttitudeSteps
from xmmframe.model.attitude import Attitude
from xmmframe.model.events import EventList
from xmmframe.model.projection import sky_to_tangent

#: Events used for the fit.
FIT_EVENTS = 200_000


@dataclass(frozen=True)
class DetectorSky:
    """The fitted detector-to-sky relation of one event list (see the module text).

    Attributes
    ----------
    matrix : numpy.ndarray
        ``M`` (2x2): sky units per detector unit at the reference position angle.
    offset : numpy.ndarray
        ``b`` (2,): sky position of DETX = DETY = 0 relative to the pointing.
    reference_pa : float
        ``pa0`` (degrees).
    crval, crpix, cdelt : tuple of float
        The sky pixel frame (X, Y) of the event list.
    """

    matrix: np.ndarray
    offset: np.ndarray
    reference_pa: float
    crval: tuple[float, float]
    crpix: tuple[float, float]
    cdelt: tuple[float, float]

    def pointing_xy(self, ra: np.ndarray, dec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sky pixel position of pointing directions (degrees)."""
        xi, eta = sky_to_tangent(np.asarray(ra, np.float64), np.asarray(dec, np.float64), self.crval[0], self.crval[1])
        return (self.crpix[0] + np.rad2deg(xi) / self.cdelt[0], self.crpix[1] + np.rad2deg(eta) / self.cdelt[1])

    def det_to_sky_affine(self, ra: np.ndarray, dec: np.ndarray, pa: np.ndarray) -> np.ndarray:
        """``(n, 2, 3)`` affine maps DET -> sky X/Y for attitudes ``(ra, dec, pa)``."""
        px, py = self.pointing_xy(ra, dec)
        angle = np.deg2rad(np.asarray(pa, np.float64) - self.reference_pa)
        c, s = np.cos(angle), np.sin(angle)
        rot = np.stack([np.stack([c, -s], -1), np.stack([s, c], -1)], -2)  # (n, 2, 2)
        linear = rot @ self.matrix
        shift = (rot @ self.offset) + np.stack([px, py], -1)
        return np.concatenate([linear, shift[..., None]], axis=-1)

    def sky_to_det_affine(self, steps: AttitudeSteps) -> np.ndarray:
        """``(n, 2, 3)`` affine maps sky X/Y -> DET, one per attitude step."""
        forward = self.det_to_sky_affine(steps.ra, steps.dec, steps.pa)
        inverse = np.linalg.inv(forward[:, :, :2])
        shift = -np.einsum("nij,nj->ni", inverse, forward[:, :, 2])
        return np.concatenate([inverse, shift[..., None]], axis=-1)

    @classmethod
    def from_events(cls, events: EventList, attitude: Attitude) -> DetectorSky:
        """Fit the relation to an event list's TIME, DETX, DETY, X, Y and the attitude.

        Raises
        ------
        ProductError
            When a column or the sky reference is missing, or the fit is degenerate.
        """
        meta = events.meta
        names = {c.upper(): c for c in meta.column_names}
        missing = [c for c in ("TIME", "DETX", "DETY", "X", "Y") if c not in names]
        if missing:
            raise ProductError(f"the event list lacks the columns {', '.join(missing)} needed to place the "
                               "detector on the sky", meta.source or None)
        wcs = meta.sky_wcs
        if wcs is None:
            raise ProductError("the event list has no sky reference (TCRVLn / REFXCRVL keywords)", meta.source or None)
        sample = (events.lazy.select([pl.col(names[c]).cast(pl.Float64).alias(c) for c in ("TIME", "DETX", "DETY",
                                                                                          "X", "Y")])
                  .drop_nulls().head(FIT_EVENTS).collect())
        if sample.height < 10:
            raise ProductError("too few events to place the detector on the sky", meta.source or None)
        crval = (float(wcs.wcs.crval[0]), float(wcs.wcs.crval[1]))
        crpix = (float(wcs.wcs.crpix[0]), float(wcs.wcs.crpix[1]))
        cdelt = (float(wcs.wcs.cdelt[0]), float(wcs.wcs.cdelt[1]))
        ra, dec, pa = attitude.at(sample["TIME"].to_numpy())
        reference_pa = float(np.median(pa))
        probe = cls(np.eye(2), np.zeros(2), reference_pa, crval, crpix, cdelt)
        px, py = probe.pointing_xy(ra, dec)
        angle = -np.deg2rad(pa - reference_pa)
        c, s = np.cos(angle), np.sin(angle)
        dx, dy = sample["X"].to_numpy() - px, sample["Y"].to_numpy() - py
        u, v = c * dx - s * dy, s * dx + c * dy
        design = np.column_stack([sample["DETX"].to_numpy(), sample["DETY"].to_numpy(), np.ones(sample.height)])
        coef, _, rank, _ = np.linalg.lstsq(design, np.column_stack([u, v]), rcond=None)
        if rank < 3:
            raise ProductError("the events do not span the detector (degenerate DET -> sky fit)", meta.source or None)
        return cls(coef[:2].T.copy(), coef[2].copy(), reference_pa, crval, crpix, cdelt)


__all__ = ["FIT_EVENTS", "DetectorSky"]
