"""Built-in per-exposure products for :func:`xmmframe.exec.map_exposures`.

Each is a small frozen dataclass whose ``__call__(events, row)`` makes one exposure's product,
so it pickles by value and runs on any executor.  Sky regions are given in RA/Dec (degrees)
and placed on each exposure through its own sky WCS, so one task serves every exposure.

* :class:`SpectrumTask` - source spectrum in a sky circle, with RMF, ARF, BACKSCAL and an
  optional background annulus (:class:`ExposureSpectrum`);
* :class:`LightCurveTask` - light curve in a sky circle;
* :class:`ImageTask` - the exposure's own evselect-style sky image;
* :class:`MosaicTask` - counts on a common sky grid (:class:`~xmmframe.products.combine.MosaicGrid`);
* :class:`FlareTask` - soft-proton flare screening (:func:`xmmframe.products.flare_gti`).

Examples
--------
>>> task = SpectrumTask(149.5916, -11.0887, 30 / 3600, selection="PATTERN<=12")
>>> task.source_expression(25921.0, 25921.0, 360.0)
'(PATTERN<=12) && ((X,Y) in circle(25921,25921,360))'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from xmmframe.errors import ProductError
from xmmframe.model.events import EventList
from xmmframe.model.products import Image, LightCurve, Spectrum
from xmmframe.model.responses import Arf, Rmf
from xmmframe.products.combine import MosaicGrid, mosaic_counts
from xmmframe.products.gti_from_rate import FlareScreening, flare_gti
from xmmframe.select import Annulus, Circle
from xmmframe.store.sky import pixels_to_sky


def sky_to_pixels(events: EventList, ra: float, dec: float, radius: float) -> tuple[float, float, float]:
    """Sky X/Y pixel of a position and a radius (degrees) in pixels, through the exposure's X/Y WCS."""
    wcs = events.meta.sky_wcs
    if wcs is None:
        raise ProductError("the exposure has no sky WCS of X/Y: cannot place a sky region", events.meta.source)
    x, y = (float(v) for v in wcs.all_world2pix(ra, dec, 1))
    if not (np.isfinite(x) and np.isfinite(y)):
        raise ProductError(f"RA {ra:g} Dec {dec:g} is not on the sky plane of this exposure "
                           f"(pointing {wcs.wcs.crval[0]:g} {wcs.wcs.crval[1]:g})", events.meta.source)
    return x, y, radius / abs(float(wcs.wcs.cdelt[1]))


def _and(selection: str | None, shape: str) -> str:
    return f"({selection}) && ({shape})" if selection else shape


@dataclass(frozen=True, eq=False)
class ExposureSpectrum:
    """One exposure's spectrum of a source and what goes with it.

    Attributes
    ----------
    spectrum : Spectrum
        Source spectrum (BACKSCAL from the region's area when ``backscale`` was asked).
    rmf, arf : Rmf, Arf or None
        Its responses (None when not asked).
    background : Spectrum or None
        Background spectrum in the annulus, when one was given.
    """

    spectrum: Spectrum
    rmf: Rmf | None = None
    arf: Arf | None = None
    background: Spectrum | None = None


@dataclass(frozen=True)
class SpectrumTask:
    """The spectrum of a sky circle in one exposure, with RMF and ARF.

    Parameters
    ----------
    ra, dec, radius : float
        The source circle (degrees).
    selection : str, optional
        Event selection combined with the region (e.g. ``#XMMEA_EM && PATTERN<=12``); it goes
        into the data subspace, so the responses use its patterns.
    background : (float, float), optional
        Inner and outer radii (degrees) of a background annulus around the source.
    rmf, arf : bool
        Make the RMF / ARF (the ARF on the RMF's energy grid when both).
    backscale : bool
        Set BACKSCAL of the spectra from their regions' areas (SAS backscale).
    channel_bin : int
        PI values per channel.

    Examples
    --------
    >>> run = map_exposures(store, SpectrumTask(149.5916, -11.0887, 30 / 3600))   # doctest: +SKIP
    """

    ra: float
    dec: float
    radius: float
    selection: str | None = None
    background: tuple[float, float] | None = None
    rmf: bool = True
    arf: bool = True
    backscale: bool = True
    channel_bin: int = 5

    def source_expression(self, x: float, y: float, r: float) -> str:
        """The selection of the source events given the circle in sky pixels."""
        return _and(self.selection, Circle(x, y, r).to_sas())

    def __call__(self, events: EventList, row: dict[str, Any] | None = None) -> ExposureSpectrum:
        x, y, r = sky_to_pixels(events, self.ra, self.dec, self.radius)
        spectrum = events.spectrum(self.channel_bin, selection=self.source_expression(x, y, r))
        if self.backscale:
            spectrum = spectrum.backscale(events)
        rmf = spectrum.rmf() if self.rmf else None
        arf = spectrum.arf(rmf=rmf) if self.arf else None
        background = None
        if self.background is not None:
            inner, outer = (value / self.radius * r for value in self.background)
            background = events.spectrum(self.channel_bin,
                                         selection=_and(self.selection, Annulus(x, y, inner, outer).to_sas()))
            if self.backscale:
                background = background.backscale(events)
        return ExposureSpectrum(spectrum, rmf, arf, background)


@dataclass(frozen=True)
class LightCurveTask:
    """The light curve of a sky circle in one exposure (RATE/ERROR, evselect layout).

    Examples
    --------
    >>> run = map_exposures(store, LightCurveTask(149.5916, -11.0887, 30 / 3600, bin=500))   # doctest: +SKIP
    """

    ra: float
    dec: float
    radius: float
    bin: float = 100.0
    selection: str | None = None

    def __call__(self, events: EventList, row: dict[str, Any] | None = None) -> LightCurve:
        x, y, r = sky_to_pixels(events, self.ra, self.dec, self.radius)
        return events.lightcurve(self.bin, selection=_and(self.selection, Circle(x, y, r).to_sas()))


@dataclass(frozen=True)
class ImageTask:
    """The exposure's sky image on its own X/Y grid (SAS evselect ``withimageset``).

    Examples
    --------
    >>> run = map_exposures(store, ImageTask(bin=80, selection="PI in [500:2000]"))     # doctest: +SKIP
    """

    bin: float = 80.0
    selection: str | None = None

    def __call__(self, events: EventList, row: dict[str, Any] | None = None) -> Image:
        return events.image(bin=self.bin, selection=self.selection)


@dataclass(frozen=True)
class MosaicTask:
    """One exposure's counts on a common sky grid: an int64 array of the grid's shape.

    Each event's RA/Dec comes from its X/Y through the exposure's sky WCS (as the store
    computes it at ingest); positions off the grid are dropped.

    Examples
    --------
    >>> grid = MosaicGrid.covering(149.5916, -11.0887, radius=0.25, pixel=4 / 3600)     # doctest: +SKIP
    >>> run = map_exposures(store, MosaicTask(grid))                                     # doctest: +SKIP
    """

    grid: MosaicGrid
    selection: str | None = None

    def __call__(self, events: EventList, row: dict[str, Any] | None = None) -> np.ndarray:
        chosen = events.filter(self.selection) if self.selection else events
        frame = chosen.select("X", "Y").collect()
        wcs = events.meta.sky_wcs
        if wcs is None:
            raise ProductError("the exposure has no sky WCS of X/Y: cannot place it on the mosaic",
                               events.meta.source)
        x = frame["X"].cast(float).fill_null(np.nan).to_numpy()
        y = frame["Y"].cast(float).fill_null(np.nan).to_numpy()
        ra, dec = pixels_to_sky(wcs, x, y)
        return mosaic_counts(ra, dec, self.grid)


@dataclass(frozen=True)
class FlareTask:
    """Soft-proton flare screening of one exposure (the instrument's default recipe).

    Examples
    --------
    >>> run = map_exposures(store, FlareTask())                                          # doctest: +SKIP
    >>> [s.gti.duration for s in run.values()]                                           # doctest: +SKIP
    """

    threshold: float | None = None
    bin: float = 100.0
    selection: str | None = None

    def __call__(self, events: EventList, row: dict[str, Any] | None = None) -> FlareScreening:
        return flare_gti(events, threshold=self.threshold, bin=self.bin, selection=self.selection)
