"""Ancillary responses of EPIC spectra: SAS ``arfgen``.

``SPECRESP(E) = A(E) * V(E, theta) * T_filter(E) * QE(E) * (1 - f_OOT) * EE(E)``:

* ``A``: on-axis mirror area (``XRTn_XAREAEF``); ``V``: vignetting at the source's off-axis
  angle (point source: the region's centre; the angle from the pointing ``RA_PNT/DEC_PNT``
  projected on the sky pixel grid, or from the DETX/DETY origin for detector regions);
* ``T_filter``: ``FILTERTRANSX`` for the spectrum's ``FILTER``; ``QE``: ``QUANTUMEF`` for its
  pattern selection; ``f_OOT``: the pn out-of-time fraction of the submode (full frame 6.3 %,
  extended full frame 2.3 %, large window 0.16 %, small window 1.1 %; 0 for MOS);
* ``EE`` (point sources, ``modelee``): the King PSF (``XRTn_XPSF``) integrated over the part of
  each annulus around the source that lies in the region, sampled on a 1-arcsec grid;
* extended sources: no EE; ``V`` averaged over the region weighted by a detector map — flat
  (``detmaptype='flat'``) or the events themselves (``detmaptype='dataset'``, events inside
  the region);
* bad pixels and chip gaps (``badpixlocation``): bad pixels and CCD footprints taken from an
  event list (its ``BADPIXnn`` tables and the RAW->DET->sky relation of its own events); the
  PSF/detector-map weight falling on them is removed.

What is read from the spectrum: :class:`~xmmframe.products.context.ProductContext`.

Examples
--------
>>> from xmmframe.products.arf import arfgen
>>> from xmmframe.products.rmf import rmfgen
>>> rmf = rmfgen("PN_spectrum_grp20.fits")                                   # doctest: +SKIP
>>> arf = arfgen("PN_spectrum_grp20.fits", rmf=rmf)                          # doctest: +SKIP
>>> arf.specresp.max()                                                       # doctest: +SKIP
"""

import math
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from xmmframe.ccf.access import Calibration
from xmmframe.errors import XmmframeError
from xmmframe.io.fits_scan import scan_fits
from xmmframe.model.provenance import Provenance
from xmmframe.model.registry import register
from xmmframe.model.responses import Arf, Rmf
from xmmframe.products.ccd_footprints import CcdLayout
from xmmframe.products.context import ProductContext
from xmmframe.products.sky_pixels import PIXEL_ARCSEC

#: pn out-of-time event fraction per submode (XMM handbook), removed from the ARF like arfgen's modelootcorr.
PN_OUT_OF_TIME = {"PRIMEFULLWINDOW": 0.063, "PRIMEFULLWINDOWEXTENDED": 0.023, "PRIMELARGEWINDOW": 0.0016,
                  "PRIMESMALLWINDOW": 0.011}


def _source_position(ctx: ProductContext, source: tuple[float, float] | None) -> tuple[float, float]:
    if source is not None:
        return source
    if ctx.region is not None:
        for shape in _shapes(ctx.region.include):
            if hasattr(shape, "x") and hasattr(shape, "y") and not isinstance(shape.x, tuple):
                return float(shape.x), float(shape.y)
    raise XmmframeError("the spectrum has no region: give the source position (sourcex, sourcey)",
                        ctx.keywords.get("_PATH"))


def _shapes(shapes: Sequence[Any]) -> list[Any]:
    out: list[Any] = []
    for shape in shapes:
        parts = getattr(shape, "shapes", None)
        out.extend(_shapes(parts) if parts else [shape])
    return out


def _inside(ctx: ProductContext, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Whether points (in the region's columns) are in the region (everything without a region)."""
    if ctx.region is None:
        return np.ones(x.shape, dtype=bool)
    return ctx.region.contains(x, y)


def _ring_fractions(ctx: ProductContext, centre: tuple[float, float], rmax: float, step: float,
                    good: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """Fraction of each annulus ``[r_k, r_k + step)`` arcsec around ``centre`` inside the region (and good)."""
    n = int(math.ceil(rmax / step))
    offsets = (np.arange(-n, n) + 0.5) * step
    dx, dy = np.meshgrid(offsets, offsets)
    x = centre[0] + dx / PIXEL_ARCSEC
    y = centre[1] + dy / PIXEL_ARCSEC
    radius = np.hypot(dx, dy)
    ring = np.minimum((radius / step).astype(np.int64), n)
    weight = _inside(ctx, x, y).astype(np.float64)
    if good is not None:
        weight *= good(x, y)
    total = np.bincount(ring.ravel(), minlength=n + 1)[:n]
    kept = np.bincount(ring.ravel(), weights=weight.ravel(), minlength=n + 1)[:n]
    edges = np.arange(n + 1) * step
    return edges, np.where(total > 0, kept / np.maximum(total, 1), 0.0)


def _region_ee(ctx: ProductContext, cal: Calibration, energy: np.ndarray, centre: tuple[float, float],
               theta: float, good: Any = None) -> np.ndarray:
    """Encircled-energy fraction of the region for a point source at ``centre`` (all energies)."""
    psf = cal.psf(ctx.instrument)
    edges, fraction = _ring_fractions(ctx, centre, psf.ee_norm, 1.0, good)
    fine = np.concatenate([np.linspace(0.0, 1.0, 11)[:-1], edges[1:]])
    cumulative = psf.encircled_energy(fine[None, :], energy[:, None], theta)
    at_edges = np.concatenate([cumulative[:, :1] * 0, cumulative[:, 10:]], axis=1)
    inner = fraction[0] * cumulative[:, 10] if fraction.size else 0.0
    rings = np.diff(at_edges, axis=1)[:, 1:] @ fraction[1:] if fraction.size > 1 else 0.0
    return np.clip(inner + rings, 0.0, 1.0)


def _detector_map_thetas(ctx: ProductContext, events: str | os.PathLike[str] | None,
                         axis: tuple[float, float], good: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """Off-axis angles (arcmin) and weights of an extended source's detector map.

    The weights keep the fraction of the map on good pixels (so their sum is the good
    fraction, not 1) when ``good`` is given for a flat map; a dataset map's events already
    avoid bad pixels.
    """
    if events is not None:
        cx, cy = ctx.region_columns or ("X", "Y")
        lazy = scan_fits(events).select(pl.col(cx).cast(pl.Float64), pl.col(cy).cast(pl.Float64))
        if ctx.region is not None:
            lazy = lazy.filter(ctx.region.to_expr())
        frame = lazy.collect()
        if frame.height == 0:
            raise XmmframeError("no events of the detector map fall in the spectrum's region", events)
        x, y = frame[cx].to_numpy(), frame[cy].to_numpy()
        weight = np.ones(x.size)
    else:
        if ctx.region is None:
            raise XmmframeError("an extended-source ARF needs the spectrum's region or a detector map")
        extent = _region_extent(ctx)
        grid = np.linspace(-1.0, 1.0, 201)
        gx, gy = np.meshgrid(extent[0] + grid * extent[2], extent[1] + grid * extent[2])
        keep = _inside(ctx, gx, gy)
        x, y = gx[keep], gy[keep]
        if x.size == 0:
            raise XmmframeError("the spectrum's region is empty")
        weight = good(x, y) if good is not None else np.ones(x.size)
    theta = np.hypot(x - axis[0], y - axis[1]) * PIXEL_ARCSEC / 60.0
    bins = np.minimum((theta / 0.1).astype(np.int64), 400)
    weights = np.bincount(bins, weights=weight, minlength=401)
    centres = (np.arange(401) + 0.5) * 0.1
    keep = weights > 0
    total = weight.size if (events is None and good is not None) else weights.sum()
    return centres[keep], weights[keep] / total


def _region_extent(ctx: ProductContext) -> tuple[float, float, float]:
    """Centre and half size of a box holding the region's include shapes."""
    xs, ys, sizes = [], [], []
    for shape in _shapes(ctx.region.include):
        if hasattr(shape, "x") and hasattr(shape, "y"):
            xs.append(float(shape.x))
            ys.append(float(shape.y))
            radii = [float(getattr(shape, n)) for n in ("r", "r2", "r1", "a", "b", "xhalf", "yhalf", "a2", "b2")
                     if hasattr(shape, n)]
            sizes.append(max(radii) * (math.sqrt(2) if hasattr(shape, "xhalf") else 1.0) if radii else 0.0)
    if not xs:
        raise XmmframeError("cannot find the extent of the spectrum's region")
    return float(np.mean(xs)), float(np.mean(ys)), max(sizes) + max(np.ptp(xs), np.ptp(ys))


@register("Spectrum.arf")
def arfgen(
    spectrum: Any,
    rmf: Rmf | None = None,
    calibration: Calibration | None = None,
    extended: bool = False,
    detmap_events: str | os.PathLike[str] | None = None,
    source: tuple[float, float] | None = None,
    modelee: bool = True,
    badpixlocation: str | os.PathLike[str] | None = None,
    patterns: Sequence[int] | None = None,
) -> Arf:
    """The ancillary response of a spectrum.

    Parameters
    ----------
    spectrum : path, Spectrum, mapping or ProductContext
        The spectrum (its region, filter, patterns, pointing).
    rmf : Rmf, optional
        Energy grid (``withrmfset=yes``); default the REDIST CCF's grid.
    calibration : Calibration, optional
        Default: ``Calibration.open`` for the spectrum's date.
    extended : bool
        ``extendedsource=yes``: vignetting averaged over a detector map, no EE.
    detmap_events : path, optional
        ``detmaptype=dataset``: the event list whose events (inside the region) weight the map;
        default a flat map over the region.
    source : (float, float), optional
        Point-source position in the region's columns; default the region's centre.
    modelee : bool
        Apply the encircled-energy fraction of the region (point sources).
    badpixlocation : path, optional
        Event list whose bad pixels and CCD footprints are removed from the region.
    patterns : sequence of int, optional
        Pattern selection; default from the spectrum's DSS.

    Examples
    --------
    >>> arf = arfgen("PN_spectrum_grp20.fits")                                  # doctest: +SKIP
    >>> arf.keywords["CALSRC"]                                                   # doctest: +SKIP
    'xmmframe-builtin'
    """
    ctx = ProductContext.from_any(spectrum)
    cal = ctx.calibration(calibration)
    camera = ctx.instrument
    if rmf is not None:
        energ_lo, energ_hi = rmf.energ_lo, rmf.energ_hi
    else:
        redist = cal.redistribution(camera)
        energ_lo, energ_hi = redist.energ_lo, redist.energ_hi
    energy = 0.5 * (energ_lo + energ_hi)
    mirror = cal.mirror_area(camera)
    chosen = patterns if patterns is not None else ctx.patterns
    response = (mirror.on_axis_area(energy) * cal.filter_transmission(camera).transmission(ctx.filter, energy)
                * cal.quantum_efficiency(camera).efficiency(energy, chosen))
    if camera == "EPN":
        response *= 1.0 - PN_OUT_OF_TIME.get(ctx.submode, 0.0)
    axis = ctx.axis_pixel()
    good = _good_pixel_function(badpixlocation, ctx) if badpixlocation is not None else None
    if extended:
        thetas, weights = _detector_map_thetas(ctx, detmap_events, axis, good)
        response *= mirror.vignetting_factor(energy[:, None], thetas[None, :]) @ weights
    else:
        centre = _source_position(ctx, source)
        theta = float(np.hypot(centre[0] - axis[0], centre[1] - axis[1]) * PIXEL_ARCSEC / 60.0)
        response *= mirror.vignetting_factor(energy, theta)
        if modelee and (ctx.region is not None or good is not None):
            response *= _region_ee(ctx, cal, energy, centre, theta, good)
    keywords = ctx.response_keywords(cal, Provenance("arfgen"))
    return Arf(np.asarray(energ_lo, np.float64), np.asarray(energ_hi, np.float64), response, keywords)


def _good_pixel_function(events: str | os.PathLike[str], ctx: ProductContext):  # noqa: ANN202
    """``good(x, y)``: 1 on a working pixel of a CCD, 0 on a bad pixel or off the CCDs (chip gaps),
    from the CCD layout of the event list (:class:`~xmmframe.products.ccd_footprints.CcdLayout`)."""
    return CcdLayout.from_events(events, ctx.region_columns or ("X", "Y")).working_pixel
