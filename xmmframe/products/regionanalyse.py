"""Centre a point-source region and choose its signal-to-noise optimal radius (SAS eregionanalyse).

SAS ``eregionanalyse`` takes a source region (``srcexp``) and a background region (``backexp``,
or a surface brightness ``backval`` in counts per arcsec²), returns the centroid of the source
region's counts (``xcentroid``/``ycentroid``) and the radius of the circle about it that gives the
best signal-to-noise ratio (``optradius``), and prints ``SASCIRCLE: (X,Y) in CIRCLE(x,y,r)``.
Its documented optimisation (SAS 6.5 to 21, "Algorithm") is::

    TOTAL = counts in the source region corrected for its encircled energy fraction
    for R = 1 .. 300 arcsec:
        S = TOTAL * EEF(R)       (PSF of the camera at the source position, 1.5 keV)
        B = background per arcsec² * pi R²
        S/N = S / sqrt(S + B)    -> keep the R with the largest S/N

:func:`optimise_source_region` does this on an event list:

* **Centroid**: the mean X/Y of the events in the source region; the region is moved to it and
  the mean taken again until it moves less than ``tolerance`` pixels (at most
  ``max_iterations`` times).  SAS documents the centroid as that of the counts in the source
  region without saying how often it is recomputed; the iteration is funtools ``funcen``'s
  (which the tests use as the peer).
* **Background**: the events in the background region divided by its area on the detector
  (BACKSCAL's grid: chip gaps, bad pixels and the outside of the field of view left out, as
  :func:`~xmmframe.products.backscale.exposed_area` computes it, when the event list has
  ``CCDNR``/``RAWX``/``RAWY``; the geometric area otherwise).  Without a background region the
  surface brightness is ``backval`` (SAS's default 0).
* **Radius**, ``method="psf"`` (SAS's algorithm above): the source region's net counts
  (counts minus background) divided by its encircled energy fraction -- a circle's own EEF,
  for another shape the EEF of the circle of the same area (SAS: "only implemented for
  circular source regions") -- times the King PSF's EEF of each trial radius, from the
  calibration's ``XRTn_XPSF`` at 1.5 keV and the off-axis angle of the centroid (from
  ``RA_PNT``/``DEC_PNT``).  With the built-in calibration the PSF is the built-in King profile.
* **Radius**, ``method="counts"``: the same S/N measured on the events themselves: for each
  trial radius the events within it, ``N``, give ``S = N - B`` and ``S/N = S / sqrt(N)``.  This
  needs no PSF model, and is what a scan of radii over the events finds.

Trial radii are SAS's 1 to 300 arcsec in steps of 1 arcsec (``radii`` to change them).

Examples
--------
>>> import xmmframe
>>> events = xmmframe.open_events("P0001730201M1S002MIEVLI.FTZ")            # doctest: +SKIP
>>> best = optimise_source_region(events, "circle(24635.6,24158.8,400)",
...                               "annulus(24635.6,24158.8,1000,2000)",
...                               selection="#XMMEA_EM && PATTERN<=12 && PI in [500:10000]")  # doctest: +SKIP
>>> best.ds9, round(best.snr, 1)                                              # doctest: +SKIP
('circle(24754.39,24050.62,860)', 83.1)
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import polars as pl

from xmmframe.ccf.access import Calibration
from xmmframe.errors import ProductError
from xmmframe.model.events import EventList
from xmmframe.model.gti import GTI
from xmmframe.products.backscale import exposed_area
from xmmframe.products.ccd_footprints import CcdLayout
from xmmframe.select.region import Region, SkyShape
from xmmframe.select.shapes.base import Complement, Intersection, Shape, Union, format_number
from xmmframe.select.shapes.circular import Circle
from xmmframe.select.shapes.polygonal import Polygon

#: SAS's trial radii: 1 to 300 arcsec in steps of 1 arcsec.
RADII_ARCSEC = np.arange(1.0, 301.0, 1.0)
#: Photon energy (keV) of the PSF used for the encircled energy, as SAS.
PSF_ENERGY_KEV = 1.5
#: Sky pixel size (arcsec) of EPIC X/Y.
PIXEL_ARCSEC = 0.05
#: Centroid iterations stop when the region moves less than this (pixels) ...
TOLERANCE = 0.01
#: ... or after this many iterations.
MAX_ITERATIONS = 50
METHODS = ("psf", "counts")


@dataclass(frozen=True)
class RegionAnalysis:
    """The centred, signal-to-noise optimal source circle.

    Attributes
    ----------
    x, y : float
        Centroid of the source region's events (sky X/Y pixels; ``xcentroid``/``ycentroid``).
    radius : float
        Optimal circle radius (pixels; ``optradius``).
    snr : float
        Signal-to-noise ratio at ``radius`` (by ``method``).
    counts : int
        Events within the optimal circle.
    background_counts : float
        Background expected within the optimal circle (surface brightness x area).
    ds9 : str
        The optimal circle as ds9 text in physical coordinates, ``circle(x,y,r)``.
    input_x, input_y : float
        Centre of the source region as given (of its first shape with a centre).
    iterations : int
        Centroid iterations made.
    region_counts : int
        Events in the source region once centred (``srccnts``).
    background_density : float
        Background surface brightness (counts per pixel²).
    background_region_counts : int
        Events in the background region (0 without one).
    background_area : float
        Area of the background region (pixels², after chip gaps and bad pixels).
    encircled_energy : float
        PSF encircled-energy fraction of the optimal circle (``method="psf"``; NaN otherwise).
    theta : float
        Off-axis angle of the centroid (arcmin).
    method : str
        ``psf`` or ``counts``.
    radii, snrs : numpy.ndarray
        The trial radii (pixels) and their S/N.

    Examples
    --------
    >>> best = RegionAnalysis(100.0, 200.0, 300.0, 12.5, 180, 24.0, "circle(100,200,300)")
    >>> best.sas, best.radius_arcsec
    ('(X,Y) in CIRCLE(100,200,300)', 15.0)
    """

    x: float
    y: float
    radius: float
    snr: float
    counts: int
    background_counts: float
    ds9: str
    input_x: float = math.nan
    input_y: float = math.nan
    iterations: int = 0
    region_counts: int = 0
    background_density: float = 0.0
    background_region_counts: int = 0
    background_area: float = 0.0
    encircled_energy: float = math.nan
    theta: float = 0.0
    method: str = "psf"
    radii: np.ndarray | None = None
    snrs: np.ndarray | None = None

    @property
    def radius_arcsec(self) -> float:
        """The optimal radius in arcsec."""
        return self.radius * PIXEL_ARCSEC

    @property
    def net_counts(self) -> float:
        """``counts - background_counts`` in the optimal circle."""
        return self.counts - self.background_counts

    @property
    def sas(self) -> str:
        """The optimal circle as a SAS selection (eregionanalyse's ``SASCIRCLE``)."""
        return f"(X,Y) in CIRCLE({_number(self.x)},{_number(self.y)},{_number(self.radius)})"

    @property
    def region(self) -> Region:
        """The optimal circle as a :class:`~xmmframe.select.Region`."""
        return Region((Circle(self.x, self.y, self.radius),), source=self.ds9)


def _number(value: float) -> str:
    return format_number(round(float(value), 2))


# ---------------------------------------------------------------------------- regions


def as_region(spec: str | Shape | Region, events: EventList | None, what: str = "region") -> Region:
    """A source or background region given as ds9 text, a shape or a Region, on physical X/Y.

    Examples
    --------
    >>> as_region("circle(100,200,30)", None).to_sas()
    '((X,Y) in circle(100,200,30))'
    """
    if isinstance(spec, str):
        region = Region.from_ds9(spec, source=what)
    elif isinstance(spec, Region):
        region = spec
    elif isinstance(spec, Shape):
        region = Region((spec,), source=what)
    else:
        raise TypeError(f"the {what} must be ds9 text, a shape or a Region, not {type(spec).__name__}")
    if not region.include:
        raise ProductError(f"the {what} has no include shape: {spec}")
    if any(isinstance(s, SkyShape) for s in region.include + region.exclude):
        region = region.to_physical(events.meta if events is not None else None)
    return region


def translate(shape: Shape, dx: float, dy: float) -> Shape:
    """The shape moved by ``(dx, dy)``.

    Examples
    --------
    >>> translate(Circle(1.0, 2.0, 3.0), 10.0, 20.0).to_sas()
    '(X,Y) in circle(11,22,3)'
    """
    if isinstance(shape, Polygon):
        return replace(shape, vertices=tuple((x + dx, y + dy) for x, y in shape.vertices))
    if isinstance(shape, (Intersection, Union)):
        return replace(shape, shapes=tuple(translate(s, dx, dy) for s in shape.shapes))
    if isinstance(shape, Complement):
        return replace(shape, shape=translate(shape.shape, dx, dy))
    if hasattr(shape, "x") and hasattr(shape, "y"):
        return replace(shape, x=shape.x + dx, y=shape.y + dy)  # type: ignore[call-arg]
    raise ProductError(f"cannot move a {type(shape).__name__} to the centroid")


def _centre(region: Region) -> tuple[float, float]:
    for shape in region.include:
        while isinstance(shape, (Intersection, Union)):
            shape = shape.shapes[0]
        if isinstance(shape, Polygon):
            xs, ys = zip(*shape.vertices)
            return float(np.mean(xs)), float(np.mean(ys))
        if hasattr(shape, "x") and hasattr(shape, "y"):
            return float(shape.x), float(shape.y)
    return math.nan, math.nan


def centroid(x: np.ndarray, y: np.ndarray, region: Region, *, tolerance: float = TOLERANCE,
             max_iterations: int = MAX_ITERATIONS) -> tuple[float, float, Region, int]:
    """Iterated centroid: mean position of the points in the region, the region moved there, repeated.

    Returns ``(x, y, moved region, iterations)``; the include *and* exclude shapes move together.

    Raises
    ------
    ProductError
        When the region holds no point.

    Examples
    --------
    >>> x, y = np.array([10.0, 12.0, 50.0]), np.array([0.0, 0.0, 0.0])
    >>> centroid(x, y, Region((Circle(9.0, 0.0, 5.0),)))[:2]
    (11.0, 0.0)
    """
    inside = region.contains(x, y)
    if not inside.any():
        raise ProductError(f"the source region {region} holds no event")
    cx, cy = float(x[inside].mean()), float(y[inside].mean())
    ox, oy = _centre(region)
    iterations = 0
    while iterations < max_iterations:
        dx, dy = (cx - ox, cy - oy) if math.isfinite(ox) else (0.0, 0.0)
        region = replace(region, include=tuple(translate(s, dx, dy) for s in region.include),
                         exclude=tuple(translate(s, dx, dy) for s in region.exclude))
        ox, oy = cx, cy
        iterations += 1
        inside = region.contains(x, y)
        if not inside.any():
            raise ProductError(f"the source region {region} holds no event once moved to the centroid")
        cx, cy = float(x[inside].mean()), float(y[inside].mean())
        if math.hypot(cx - ox, cy - oy) < tolerance:
            break
    return cx, cy, region, iterations


# ---------------------------------------------------------------------------- the optimisation


def _positions(events: EventList) -> tuple[np.ndarray, np.ndarray]:
    names = {c.upper(): c for c in events.columns}
    if "X" not in names or "Y" not in names:
        raise ProductError("the event list has no X/Y columns", events.meta.source)
    frame = (events.lazy.select(pl.col(names["X"]).cast(pl.Float64).alias("X"),
                                pl.col(names["Y"]).cast(pl.Float64).alias("Y"))
             .drop_nulls().filter(pl.col("X").is_not_nan() & pl.col("Y").is_not_nan()).collect())
    return frame["X"].to_numpy(), frame["Y"].to_numpy()


def _layout(events: EventList) -> CcdLayout | None:
    names = {c.upper() for c in events.columns}
    if not {"CCDNR", "RAWX", "RAWY", "X", "Y"} <= names:
        return None
    return CcdLayout.from_events(events)


def _area(region: Region, layout: CcdLayout | None) -> float:
    return float(exposed_area(region, ("X", "Y"), layout).backscal)


def _off_axis(events: EventList, x: float, y: float) -> float:
    wcs = events.meta.sky_wcs
    ra, dec = events.meta.keyword("RA_PNT"), events.meta.keyword("DEC_PNT")
    if wcs is None or ra is None or dec is None:
        return 0.0
    px, py = (float(v) for v in wcs.all_world2pix(float(ra), float(dec), 1))
    return math.hypot(x - px, y - py) * PIXEL_ARCSEC / 60.0


def _psf_eef(events: EventList, calibration: Calibration | None, theta: float):  # noqa: ANN202
    cal = calibration
    if cal is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cal = Calibration.open(observation_date=events.meta.keyword("DATE-OBS"))
    instrument = events.meta.instrument
    if not instrument:
        raise ProductError("the event list has no INSTRUME: cannot choose the PSF", events.meta.source)
    psf = cal.psf(instrument)
    return lambda radius_arcsec: psf.encircled_energy(np.asarray(radius_arcsec, dtype=np.float64),
                                                      PSF_ENERGY_KEV, theta)


def optimise_source_region(
    events: EventList,
    source: str | Shape | Region,
    background: str | Shape | Region | None = None,
    *,
    selection: str | pl.Expr | GTI | Shape | None = None,
    backval: float = 0.0,
    method: str = "psf",
    radii: np.ndarray | None = None,
    calibration: Calibration | None = None,
    tolerance: float = TOLERANCE,
    max_iterations: int = MAX_ITERATIONS,
) -> RegionAnalysis:
    """Centroid a source region and find the circle radius of best signal-to-noise (SAS eregionanalyse).

    Parameters
    ----------
    events : EventList
        The event list (any selection already applied, or given as ``selection``).
    source : str, Shape or Region
        The source region: ds9 text in physical coordinates (``'circle(24635.6,24158.8,400)'``)
        or with a sky frame (``'fk5; circle(263.65,-32.58,20")'``), or an xmmframe shape/region.
    background : str, Shape or Region, optional
        The background region (same forms); without it ``backval`` is the background.
    selection : str, polars.Expr, GTI or shape, optional
        Events to use (a SAS expression such as ``'#XMMEA_EM && PATTERN<=12 && PI in [500:2000]'``).
    backval : float
        Background surface brightness in counts per arcsec² when there is no background region
        (SAS ``backval``, default 0).
    method : {'psf', 'counts'}
        ``psf``: SAS's algorithm (source counts spread by the PSF's encircled energy);
        ``counts``: the S/N measured on the events within each trial radius.
    radii : numpy.ndarray, optional
        Trial radii in arcsec (default :data:`RADII_ARCSEC`, 1 to 300 in steps of 1).
    calibration : Calibration, optional
        For the PSF (default: ``Calibration.open`` for the observation date).
    tolerance, max_iterations
        Centroid convergence (pixels) and iteration limit.

    Returns
    -------
    RegionAnalysis

    Raises
    ------
    xmmframe.errors.ProductError
        When the source region holds no event, or no source counts above the background
        (``method="psf"``), or the method is unknown.
    xmmframe.errors.RegionFileError
        When a ds9 region cannot be read.

    Examples
    --------
    >>> best = optimise_source_region(events, "circle(27200,27400,600)", "annulus(27200,27400,1500,3000)")  # doctest: +SKIP
    >>> best.x, best.y, best.radius, best.snr                                                       # doctest: +SKIP
    """
    if method not in METHODS:
        raise ProductError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    trial = np.asarray(RADII_ARCSEC if radii is None else radii, dtype=np.float64)
    if trial.ndim != 1 or trial.size == 0 or not np.all(trial > 0):
        raise ProductError("the trial radii must be a non-empty list of positive numbers (arcsec)")
    source_region = as_region(source, events, "source region")
    background_region = as_region(background, events, "background region") if background is not None else None
    layout = _layout(events)
    chosen = events.filter(selection) if selection is not None else events
    x, y = _positions(chosen)
    ix, iy = _centre(source_region)
    cx, cy, centred, iterations = centroid(x, y, source_region, tolerance=tolerance,
                                           max_iterations=max_iterations)
    region_counts = int(centred.contains(x, y).sum())

    if background_region is not None:
        back_counts = int(background_region.contains(x, y).sum())
        back_area = _area(background_region, layout)
        if back_area <= 0:
            raise ProductError(f"the background region {background_region} has no area on the detector")
        density = back_counts / back_area
    else:
        back_counts, back_area = 0, 0.0
        density = float(backval) * PIXEL_ARCSEC**2

    theta = _off_axis(events, cx, cy)
    radius_pix = trial / PIXEL_ARCSEC
    background_in = density * math.pi * radius_pix**2
    distance = np.sort(np.hypot(x - cx, y - cy))
    within = np.searchsorted(distance, radius_pix, side="right")
    eef = None
    if method == "psf":
        eef_of = _psf_eef(events, calibration, theta)
        source_area = _area(centred, layout)
        shape = centred.include[0]
        if len(centred.include) == 1 and not centred.exclude and isinstance(shape, Circle):
            source_radius = abs(shape.r)
        else:
            source_radius = math.sqrt(max(source_area, 0.0) / math.pi)
        net = region_counts - density * source_area
        source_eef = float(eef_of(source_radius * PIXEL_ARCSEC))
        if net <= 0 or source_eef <= 0:
            raise ProductError(f"the source region {centred} holds no counts above the background "
                               f"({region_counts} events, {density * source_area:.1f} expected from the background)")
        signal = net / source_eef * eef_of(trial)
        eef = eef_of(trial)
        snrs = signal / np.sqrt(signal + background_in)
    else:
        signal = within - background_in
        with np.errstate(divide="ignore", invalid="ignore"):
            snrs = np.where(within > 0, signal / np.sqrt(np.maximum(within, 1)), 0.0)
    best = int(np.argmax(snrs))
    radius = float(radius_pix[best])
    ds9 = f"circle({_number(cx)},{_number(cy)},{_number(radius)})"
    return RegionAnalysis(
        x=cx, y=cy, radius=radius, snr=float(snrs[best]), counts=int(within[best]),
        background_counts=float(background_in[best]), ds9=ds9, input_x=ix, input_y=iy, iterations=iterations,
        region_counts=region_counts, background_density=float(density), background_region_counts=back_counts,
        background_area=float(back_area), encircled_energy=float(eef[best]) if eef is not None else math.nan,
        theta=float(theta), method=method, radii=radius_pix, snrs=np.asarray(snrs, dtype=np.float64),
    )
