"""Exposure maps (SAS ``eexpmap``): the live time, times the mirror vignetting, of every image pixel.

How the map is made (SAS eexpmap's algorithm, with the CCDs from the camera geometry and the rest
measured from the event list):

1. **Good times and live time per CCD**: the GTIs in effect and the ``EXPOSUnn`` frames
   (:mod:`xmmframe.products.exposure`; each frame wholly inside a good interval contributes
   ``FRACEXP * TIMEDEL``, so a CCD's map total equals its ``LIVETInn``).
2. **Attitude steps** (:mod:`xmmframe.imaging.attitude_steps`, parameter ``attrebin``): the
   attitude (ATTHK/ATS) is merged into steps of stable pointing; each frame's live time goes
   to the step its time falls in.
3. **Detector layout** (:class:`~xmmframe.products.ccd_footprints.CcdLayout` in DETX/DETY): CCD
   footprints from the camera geometry (:class:`~xmmframe.model.geometry.Camera`), bad pixels
   (``BADPIXnn``) and the field-of-view envelope measured from the event list; with
   ``mask_neighbours`` (on when the image's selection keeps only ``FLAG == 0``
   events, as SAS decides from the image's selection keywords) the pixels next to a bad pixel
   are masked too.
4. **Detector to sky** (:class:`~xmmframe.imaging.detector_sky.DetectorSky`) for each step, and
   the **vignetting** of the ``XRTn_XAREAEF`` CCF at the band centre
   (:mod:`xmmframe.imaging.vignetting`).
5. **Sum** (:mod:`xmmframe.imaging.expmap_kernel`): every image pixel is sampled at
   ``subpixels x subpixels`` points; each point on a working CCD pixel inside the field adds the
   CCD's live time in each step times the vignetting.  Pixel values are seconds.

Differences from SAS, and where they come from:

* SAS also multiplies by the spatial quantum efficiency and filter transmission relative to
  on-axis (``CAL_getQuantumEfficiency``, ``CAL_getFilterTransmission``); the built-in
  calibration has no spatial QE or filter variation, so they are 1 here.
* The optical axis (vignetting centre) is a built-in constant per camera
  (:data:`~xmmframe.imaging.vignetting.OPTICAL_AXIS`; SAS: calibration files).
* Without ``SAS_CCFPATH`` the MOS vignetting is the built-in one: the radial XRT3 curve (XRT1/XRT2)
  times an azimuthal factor (:data:`~xmmframe.imaging.vignetting.MOS_AZIMUTHAL`) for the RGA
  behind the MOS mirrors.  That factor is the one calibration quantity here **derived from SAS
  maps**: fitted to the 0.5-2 keV SAS 13.5 maps of obs 0201903501 (see
  :mod:`xmmframe.imaging.vignetting`), and checked on the 2-10 keV maps only.  Without it the
  ratio to SAS had a dipole fixed to the telescopes (2 % at 2', 4 % at 5', 10-14 % at 10-12' off
  axis) and 28-34 % of the pixels were within 5 %; with it (and 8 x 8 samples per pixel) 94 %
  (MOS2) and 96.5 % (MOS1) of the 2-10 keV pixels are (99 % within 4' of the axis).  The factor is energy independent; the MOS2 2-10 keV map shows
  its azimuthal term larger at high energy (per-CCD ratios up to +3.4 % / -2.3 % remain there,
  against < 1 % in 0.5-2 keV and for MOS1).  The rest is at CCD borders and the field edge
  (partly exposed pixels) and along single detector columns where SAS has less exposure (columns
  SAS masks that the event list's BADPIXnn do not give).
* On the XGA maps the SAS values on axis are 1 % above the CCD's LIVETInn (9404 s against
  9301.5 s for MOS1 CCD 1); xmmframe's totals are LIVETInn exactly.

Examples
--------
>>> from xmmframe.imaging.expmap import exposure_map
>>> emap = exposure_map("mos1_clean.fits", "mos1_img.fits", pimin=500, pimax=2000,
...                     attitude="P0201903501OBX000ATTTSR0000.FIT")              # doctest: +SKIP
>>> emap.data.shape, emap.exposure                                            # doctest: +SKIP
((512, 512), 9466.79316443205)
>>> emap.write("mos1_expmap.fits")                                            # doctest: +SKIP
"""

from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from astropy.wcs import WCS, FITSFixedWarning

from xmmframe.ccf.access import BUILTIN_CALSRC, Calibration
from xmmframe.errors import ParameterError, ProductError
from xmmframe.imaging.attitude_steps import AttitudeSteps, attitude_steps
from xmmframe.imaging.detector_sky import DetectorSky
from xmmframe.imaging.expmap_kernel import accumulate
from xmmframe.imaging.vignetting import (
    DET_ARCMIN,
    OPTICAL_AXIS,
    azimuthal_coefficients,
    band_energy,
    vignetting_table,
)
from xmmframe.io.events import open_events
from xmmframe.io.cards import keyword_cards, provenance_keywords
from xmmframe.io.odf_directory import read_attitude
from xmmframe.model.attitude import Attitude
from xmmframe.model.events import EventList
from xmmframe.model.flags import PN_FLAGS
from xmmframe.model.products import Image
from xmmframe.model.provenance import Provenance
from xmmframe.products.ccd_footprints import CcdLayout, FieldOfView
from xmmframe.products.exposure import CcdTimes, ccd_times, frame_live, frame_table

#: Keywords copied from the event list into the map (those SAS eexpmap writes).
COPIED_KEYWORDS = ("INSTRUME", "TELESCOP", "DATAMODE", "FILTER", "OBS_MODE", "OBS_ID", "EXP_ID", "OBJECT", "RA_PNT",
                   "DEC_PNT", "PA_PNT", "SUBMODE", "RADECSYS", "EQUINOX", "DATE-OBS", "DATE-END", "OBSERVER",
                   "EXPIDSTR")
#: The OUT_OF_FOV FLAG bit (the same for pn and MOS).
OUT_OF_FOV = PN_FLAGS["OUT_OF_FOV"]
#: Angular sectors of the field-of-view envelope.
FOV_SECTORS = 180
#: Template-image WCS keywords carried into the map (sky and physical).
_WCS_KEY = re.compile(r"^((CTYPE|CRPIX|CRVAL|CDELT|CUNIT|CROTA)\d+L?|LT[VM]\d(_\d)?|(PC|CD)\d_\d|WCSNAMEL?|WCSAXESL?)$")


@dataclass(frozen=True, eq=False)
class ExposureMap(Image):
    """An exposure map: seconds per pixel (float32) on a template image's grid, with its WCS in ``cards``.

    ``exposure`` is the largest per-CCD ONTIME (SAS's ``EXPOSURE``); :meth:`write` gives the FITS
    file SAS eexpmap writes (primary array and keywords, no extensions).
    """

    def __repr__(self) -> str:
        return f"ExposureMap({self.data.shape[1]}x{self.data.shape[0]}, max {float(self.data.max()):.1f} s)"


@dataclass(frozen=True)
class _Grid:
    """Pixel centres of the template in the coordinates the map is computed in."""

    px: np.ndarray
    py: np.ndarray
    jacobian: np.ndarray
    wcs: WCS
    cards: tuple[str, ...]
    detector: bool


def exposure_map(
    events: EventList | str | os.PathLike[str],
    image_or_wcs: Image | WCS | str | os.PathLike[str],
    *,
    pimin: float = 500.0,
    pimax: float = 2000.0,
    energy_band: tuple[float, float] | None = None,
    attitude: Attitude | str | os.PathLike[str] | None = None,
    withvignetting: bool = True,
    withdetcoords: bool = False,
    attrebin: float = 4.0,
    subpixels: int = 8,
    mask_neighbours: bool | None = None,
    optical_axis: tuple[float, float] | None = None,
    azimuthal_vignetting: bool = True,
    shape: tuple[int, int] | None = None,
    calibration: Calibration | None = None,
    command: str | None = None,
) -> ExposureMap:
    """The exposure map of an event list on an image's grid (SAS eexpmap).

    Parameters
    ----------
    events : EventList or path
        The (cleaned) event list: gives the good times, frames, bad pixels and CCD layout.
    image_or_wcs : Image, astropy WCS or path
        The template grid: an image (evselect's, sky X/Y or DETX/DETY) or a celestial WCS
        (then ``shape = (ny, nx)`` is needed unless the WCS has ``pixel_shape``).
    pimin, pimax : float
        Energy band (PI, eV) for the vignetting; ``energy_band=(lo, hi)`` in keV instead.
    attitude : Attitude or path, optional
        Attitude history (atthkgen ATTHK or ODF ATS file).  Without it the event list's
        ``RA_PNT/DEC_PNT/PA_PNT`` is used throughout.
    withvignetting : bool
        Multiply by the mirror vignetting.
    withdetcoords : bool
        The template is a DETX/DETY image (no attitude projection).
    attrebin : float
        Largest pointing change (arcsec) within an attitude step.
    subpixels : int
        Sample points per pixel along each axis (8: a bad column one RAW pixel wide, 1.1", is
        sampled in a 4.35" sky pixel well enough that 94-97 % of the MOS pixels are within 5 % of
        SAS's exact pixelisation, against 93-95 % with 4).
    mask_neighbours : bool, optional
        Also mask the pixels next to bad pixels; default: when the template image's
        ``SLCTEXPR`` requires ``FLAG == 0``.
    optical_axis : (float, float), optional
        Vignetting centre in DETX/DETY; default :data:`~xmmframe.imaging.vignetting.OPTICAL_AXIS`
        of the camera (the DET origin for an unknown one).
    azimuthal_vignetting : bool
        With the built-in calibration, multiply the MOS vignetting by its azimuthal factor
        (:data:`~xmmframe.imaging.vignetting.MOS_AZIMUTHAL`); False: the radial curve alone.
    calibration : Calibration, optional
        Default: ``Calibration.open`` for the observation date (built-in set without SAS_CCF/SAS_CCFPATH).
    command : str, optional
        The command line, recorded as ``XPROC0``.

    Returns
    -------
    ExposureMap
        The map (seconds per pixel) on the template's grid, with its WCS and SAS's keywords;
        ``.write(path)`` writes it as eexpmap does.

    Raises
    ------
    ProductError, ParameterError
        For an event list without the columns or tables needed, an unusable template, or bad
        parameters (each naming the file or parameter).

    Examples
    --------
    >>> emap = exposure_map(events, image, attitude=attitude, pimin=2000, pimax=10000)   # doctest: +SKIP
    """
    if energy_band is not None:
        pimin, pimax = 1000.0 * energy_band[0], 1000.0 * energy_band[1]
    energy = band_energy(pimin, pimax)
    if subpixels < 1:
        raise ParameterError(f"subpixels must be at least 1, not {subpixels}")
    events = open_events(events) if isinstance(events, (str, os.PathLike)) else events
    meta = events.meta
    template = Image.read(image_or_wcs) if isinstance(image_or_wcs, (str, os.PathLike)) else image_or_wcs
    grid = _grid(template, events, withdetcoords, shape)
    times = ccd_times(meta)
    if not times.tables:
        raise ProductError("the event list has no GTI tables (STDGTInn) to take the exposure from",
                           meta.source or None)
    layout = CcdLayout.from_events(events, ("DETX", "DETY"))
    fov = field_of_view(events)
    if isinstance(attitude, (str, os.PathLike)):
        attitude = read_attitude(os.fspath(attitude))
    tstart = min(float(t.gti.start[0]) for t in times.tables if len(t.gti))
    tstop = max(float(t.gti.stop[-1]) for t in times.tables if len(t.gti))
    if attitude is None:
        attitude = _pointing_attitude(events, tstart, tstop)
    steps = attitude_steps(attitude, tstart, tstop, attrebin)
    live = _step_livetime(meta, times, layout, steps)
    if grid.detector:
        affines = np.array([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
        live = live.sum(axis=1, keepdims=True)
        frame = None
    else:
        frame = DetectorSky.from_events(events, attitude)
        affines = frame.sky_to_det_affine(steps)
    if mask_neighbours is None:
        mask_neighbours = _requires_flag_zero(template)
    mirror = None
    cal = None
    if withvignetting:
        cal = calibration if calibration is not None else Calibration.open(observation_date=_date(meta))
        mirror = cal.mirror_area(str(meta.instrument or "").strip())
    vig_step, vig = vignetting_table(mirror, energy)
    builtin = cal is not None and cal.calsrc == BUILTIN_CALSRC and azimuthal_vignetting
    azimuth = azimuthal_coefficients(str(meta.instrument or ""), builtin)
    if optical_axis is None:
        optical_axis = OPTICAL_AXIS.get(str(meta.instrument or "").strip().upper(), (0.0, 0.0))
    ccd_affine, ccd_size, masked = _ccd_arrays(layout, mask_neighbours)
    out = np.zeros(grid.px.shape)
    accumulate(grid.px, grid.py, grid.jacobian, int(subpixels), np.ascontiguousarray(affines, np.float64),
               ccd_affine, ccd_size, masked, np.ascontiguousarray(live), float(fov.x), float(fov.y),
               np.ascontiguousarray(fov.radius, np.float64), float(optical_axis[0]), float(optical_axis[1]),
               DET_ARCMIN, vig_step, vig, azimuth, out)
    cards = _cards(meta, grid, frame, steps, optical_axis, attitude, cal, command, mask_neighbours, pimin, pimax,
                   withvignetting, withdetcoords, attrebin)
    return ExposureMap(data=out.astype(np.float32), exposure=times.max_ontime, cards=cards)


# ---------------------------------------------------------------------- inputs


def _date(meta: Any) -> str | None:
    value = meta.keyword("DATE-OBS")
    return str(value)[:19] if value else None


def _pointing_attitude(events: EventList, tstart: float, tstop: float) -> Attitude:
    meta = events.meta
    values = [meta.keyword(k) for k in ("RA_PNT", "DEC_PNT", "PA_PNT")]
    if any(v is None for v in values):
        raise ProductError("no attitude given and the event list has no RA_PNT/DEC_PNT/PA_PNT",
                           meta.source or None)
    return Attitude(np.array([tstart]), *(np.array([float(v)]) for v in values), stop=tstop, source="PNT")


def field_of_view(events: EventList, sectors: int = FOV_SECTORS) -> FieldOfView:
    """The field of view in DETX/DETY: per angular sector the largest event distance from the centroid.

    Events flagged ``OUT_OF_FOV`` are left out.  As :class:`~xmmframe.products.ccd_footprints.FieldOfView` but with fewer, fuller sectors
    (:data:`FOV_SECTORS`), each taking the largest radius of itself and its two neighbours, so that
    the envelope of a cleaned list reaches the field edge to a fraction of a detector pixel
    (the nearest-event shortfall of a sector with few events is what leaves the edge short).

    Examples
    --------
    >>> fov = field_of_view(events)                            # doctest: +SKIP
    >>> fov.contains(np.array([0.0]), np.array([0.0])).tolist()   # doctest: +SKIP
    [True]
    """
    names = {c.upper(): c for c in events.meta.column_names}
    lazy = events.lazy
    if "FLAG" in names:  # events flagged outside the field (raw lists) do not mark it
        lazy = lazy.filter((pl.col(names["FLAG"]).cast(pl.Int64) & OUT_OF_FOV) == 0)
    frame = lazy.select(pl.col(names["DETX"]).cast(pl.Float64), pl.col(names["DETY"]).cast(pl.Float64)
                        ).drop_nulls().collect()
    x, y = frame[:, 0].to_numpy(), frame[:, 1].to_numpy()
    if x.size == 0:
        raise ProductError("no events to measure the field of view from", events.meta.source or None)
    cx, cy = float(np.mean(x)), float(np.mean(y))
    dx, dy = x - cx, y - cy
    sector = np.minimum(((np.arctan2(dy, dx) + np.pi) / (2 * np.pi) * sectors).astype(np.int64), sectors - 1)
    radius = np.zeros(sectors)
    np.maximum.at(radius, sector, np.hypot(dx, dy))
    radius = np.maximum(radius, np.maximum(np.roll(radius, 1), np.roll(radius, -1)))
    return FieldOfView(cx, cy, radius)


def _grid(template: Image | WCS, events: EventList, detector: bool, shape: tuple[int, int] | None) -> _Grid:
    """Pixel centres of the template in sky X/Y (or DETX/DETY for ``detector``)."""
    if isinstance(template, WCS):
        wcs, cards = template, tuple(str(c.image) for c in template.to_header().cards)
        if shape is None and template.pixel_shape is not None:
            shape = (int(template.pixel_shape[1]), int(template.pixel_shape[0]))
        if shape is None:
            raise ParameterError("a WCS template needs shape=(ny, nx)")
    else:
        header = template.header
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FITSFixedWarning)
                wcs = WCS(header)
        except Exception as err:  # noqa: BLE001 - any WCS problem of the template
            raise ProductError(f"the template image has no usable WCS: {err}") from None
        cards = tuple(c for c in template.cards if _WCS_KEY.match(c[:8].strip()))
        shape = template.data.shape
    ny, nx = int(shape[0]), int(shape[1])
    if ny < 1 or nx < 1 or ny * nx > (1 << 26):
        raise ParameterError(f"template image of {nx} x {ny} pixels cannot be used")
    ctype = [str(t).upper() for t in wcs.wcs.ctype]
    celestial = wcs.has_celestial
    if detector and (celestial or not ctype[0].startswith("DETX")):
        raise ProductError(f"withdetcoords=yes needs a DETX/DETY image (the template's axes are {', '.join(ctype)})")
    if not detector and not celestial:
        raise ProductError(f"the template image has no sky WCS (axes {', '.join(ctype)}); for a DETX/DETY image "
                           "use withdetcoords=yes")
    jj, ii = np.mgrid[0:ny, 0:nx].astype(np.float64)
    a, b = wcs.all_pix2world(ii.ravel(), jj.ravel(), 0)
    if detector:
        px, py = a.reshape(ny, nx), b.reshape(ny, nx)
    else:
        sky = events.meta.sky_wcs
        if sky is None:
            raise ProductError("the event list has no sky reference (TCRVLn / REFXCRVL keywords)",
                               events.meta.source or None)
        x, y = sky.all_world2pix(a, b, 1)
        px, py = x.reshape(ny, nx), y.reshape(ny, nx)
    ci, cj = min(nx // 2, nx - 2), min(ny // 2, ny - 2)
    if nx > 1 and ny > 1:
        jac = np.array([px[cj, ci + 1] - px[cj, ci], px[cj + 1, ci] - px[cj, ci],
                        py[cj, ci + 1] - py[cj, ci], py[cj + 1, ci] - py[cj, ci]])
    else:
        jac = np.zeros(4)
    return _Grid(np.ascontiguousarray(px), np.ascontiguousarray(py), jac, wcs, cards, detector)


def _requires_flag_zero(template: Image | WCS) -> bool:
    if isinstance(template, WCS):
        return False
    text = str(template.keyword("SLCTEXPR", "") or "").replace(" ", "").upper()
    return "FLAG==0" in text or "FLAG.EQ.0" in text


def _step_livetime(meta: Any, times: CcdTimes, layout: CcdLayout, steps: AttitudeSteps) -> np.ndarray:
    """``(CCDs of the layout, steps)``: each CCD's live time in each attitude step."""
    by_ccd = times.by_ccd
    edges = steps.edges
    live = np.zeros((len(layout.ccds), len(steps)))
    for row, ccd in enumerate(layout.ccds):
        gti = by_ccd.get(ccd.ccd)
        if gti is None or not len(gti):
            continue
        frames = frame_table(meta, ccd.ccd)
        if frames is not None and frames.height:
            time, value = frame_live(frames, gti)
            index = np.clip(np.searchsorted(edges, time, side="right") - 1, 0, len(steps) - 1)
            live[row] = np.bincount(index, weights=value, minlength=len(steps))
        else:
            fraction = times.livetime.get(ccd.ccd, 0.0) / times.ontime[ccd.ccd] if times.ontime.get(ccd.ccd) else 1.0
            overlap = np.clip(np.minimum(gti.stop[None, :], steps.stop[:, None])
                              - np.maximum(gti.start[None, :], steps.start[:, None]), 0.0, None).sum(axis=1)
            live[row] = overlap * fraction
    return live


def _ccd_arrays(layout: CcdLayout, neighbours: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """DET -> RAW affine maps, sizes and masked RAW pixels of the layout's CCDs."""
    n = len(layout.ccds)
    if n == 0:
        raise ProductError("no CCD with events to make an exposure map from", layout.path or None)
    big = max(max(c.size) for c in layout.ccds) + 2
    affine = np.zeros((n, 2, 3))
    size = np.zeros((n, 2), np.int64)
    masked = np.zeros((n, big, big), np.uint8)
    for row, ccd in enumerate(layout.ccds):
        inverse = np.linalg.inv(ccd.matrix)
        affine[row, :, :2] = inverse
        affine[row, :, 2] = -inverse @ ccd.origin
        size[row] = ccd.size
        bad = layout.bad_pixels.filter(pl.col("CCDID") == ccd.ccd)
        rx, ry = bad["RAWX"].to_numpy().astype(np.int64), bad["RAWY"].to_numpy().astype(np.int64)
        shifts = ((0, 0), (1, 0), (-1, 0), (0, 1), (0, -1)) if neighbours else ((0, 0),)
        for sx, sy in shifts:
            x, y = rx + sx, ry + sy
            keep = (x >= 0) & (y >= 0) & (x < big) & (y < big)
            masked[row, x[keep], y[keep]] = 1
    return affine, size, masked


# ---------------------------------------------------------------------- header


def _cards(meta: Any, grid: _Grid, frame: DetectorSky | None, steps: AttitudeSteps, axis: tuple[float, float],
           attitude: Attitude, cal: Calibration | None, command: str | None, neighbours: bool, pimin: float,
           pimax: float, withvignetting: bool, withdetcoords: bool, attrebin: float) -> tuple[str, ...]:
    items: list[tuple[str, Any, str]] = list(provenance_keywords(Provenance("eexpmap", command)))
    for key in COPIED_KEYWORDS:
        value = meta.keyword(key)
        if value is not None:
            items.append((key, value, ""))
    items.append(("CONTENT", "EPIC EXPOSURE MAP", "Content of file"))
    xcen, ycen = _axis_pixel(grid, frame, steps, axis)
    items += [("XCEN", xcen, "[X pos. of opt. axis]"), ("YCEN", ycen, "[Y pos. of opt. axis]"),
              ("ATT_SRC", attitude.source, "Source of attitude data (AHF|ATS|PNT)"),
              ("PIMIN", float(pimin), "[eV] lower end of the energy band"),
              ("PIMAX", float(pimax), "[eV] upper end of the energy band"),
              ("WITHVIG", bool(withvignetting), "vignetting applied"),
              ("DETCOORD", bool(withdetcoords), "map in detector coordinates"),
              ("ATTREBIN", float(attrebin), "[arcsec] attitude rebinning accuracy"),
              ("NATTSTEP", len(steps), "attitude steps summed"),
              ("BADNEIGH", bool(neighbours), "neighbours of bad pixels masked")]
    if cal is not None and cal.calsrc == BUILTIN_CALSRC:
        items.append(("CALSRC", BUILTIN_CALSRC, "built-in calibration (not for publication)"))
    return keyword_cards(items) + grid.cards


def _axis_pixel(grid: _Grid, frame: DetectorSky | None, steps: AttitudeSteps,
                axis: tuple[float, float]) -> tuple[float, float]:
    """Image pixel (1-based) of the optical axis at the median step."""
    if frame is None:
        x, y = grid.wcs.all_world2pix(np.array([axis[0]]), np.array([axis[1]]), 1)
        return float(np.round(x[0], 3)), float(np.round(y[0], 3))
    k = len(steps) // 2
    forward = frame.det_to_sky_affine(steps.ra[k:k + 1], steps.dec[k:k + 1], steps.pa[k:k + 1])[0]
    sx, sy = forward[:, :2] @ np.asarray(axis, np.float64) + forward[:, 2]
    # sky X/Y -> template pixel: nearest grid point, refined linearly
    d = (grid.px - sx) ** 2 + (grid.py - sy) ** 2
    j, i = np.unravel_index(np.argmin(d), d.shape)
    jac = grid.jacobian.reshape(2, 2)
    di, dj = np.linalg.solve(jac, np.array([sx - grid.px[j, i], sy - grid.py[j, i]])) if np.linalg.det(jac) else (0, 0)
    return float(np.round(i + 1 + di, 3)), float(np.round(j + 1 + dj, 3))


__all__ = ["COPIED_KEYWORDS", "FOV_SECTORS", "ExposureMap", "exposure_map", "field_of_view"]
