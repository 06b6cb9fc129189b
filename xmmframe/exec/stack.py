"""Products of one sky position across every exposure of a store: run per exposure, then combine.

:func:`stack_spectra`, :func:`stack_lightcurves` and :func:`stack_mosaic` find the exposures
that cover a cone (:func:`~xmmframe.exec.exposures.cone_exposures`), run the matching
built-in task of :mod:`xmmframe.exec.tasks` on each with :func:`map_exposures`, and combine
the results with :mod:`xmmframe.products.combine`.  Exposures whose task failed are left out
of the combination and listed in ``run.failures``.

Examples
--------
>>> import xmmframe
>>> from xmmframe.exec import stack_spectra
>>> stack = stack_spectra(xmmframe.open_store("store"), 149.5916, -11.0887, 30 / 3600)   # doctest: +SKIP
>>> stack.tables["EMOS"].write("stack.pha")                                             # doctest: +SKIP
>>> stack.sums["EMOS1"].spectrum.exposure                                               # doctest: +SKIP
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Any

import polars as pl

from xmmframe.errors import ProductError
from xmmframe.exec.exposures import cone_exposures
from xmmframe.exec.runner import MapResult, map_exposures
from xmmframe.exec.tasks import ExposureSpectrum, LightCurveTask, MosaicTask, SpectrumTask
from xmmframe.io.cards import provenance_items, provenance_keywords, set_keywords
from xmmframe.io.fits_write import write_table
from xmmframe.io.ogip import check_output
from xmmframe.model.products import Image, Spectra
from xmmframe.model.provenance import Provenance
from xmmframe.products.combine import (
    MosaicGrid,
    SummedSpectrum,
    lightcurve_table,
    mosaic_image,
    spectra_table,
    sum_spectra,
)
from xmmframe.store import Store
from xmmframe.store.layout import exposure_key


#: How the stacked light curves and mosaics are made (their ``CREATOR``).
STACK_PROVENANCE = Provenance("stack")


def lightcurve_keywords(ra: float, dec: float, radius: float,
                        provenance: Provenance = STACK_PROVENANCE) -> dict[str, object]:
    """The header keywords of a stacked light-curve table (``RATE``): OGIP class, time system, the cone.

    ``CREATOR`` and ``DATE`` come from ``provenance`` (``DATE``: now, ``SOURCE_DATE_EPOCH`` honoured).

    Parameters
    ----------
    ra, dec : float
        Source position (degrees).
    radius : float
        Source radius (degrees).
    provenance : Provenance
        How the table is made.

    Returns
    -------
    dict of str to object

    Examples
    --------
    >>> keys = lightcurve_keywords(149.5916, -11.0887, 0.5 / 60, Provenance("stack", version="0.1.0"))
    >>> keys["HDUCLAS1"], keys["CREATOR"]
    ('LIGHTCURVE', 'xmmframe stack (xmmframe-0.1.0)')
    """
    return {"TELESCOP": "XMM", "HDUCLASS": "OGIP", "HDUCLAS1": "LIGHTCURVE", "TIMESYS": "TT",
            "TIMEUNIT": "s", "MJDREF": 50814.0, "TIMEPIXR": 0.5, "RA_OBJ": ra, "DEC_OBJ": dec,
            "SRC_RAD": radius, **provenance_items(provenance, comments=False)}


def family(instrume: str) -> str:
    """The channel-grid family of an instrument: ``EPN`` or ``EMOS`` (MOS1 and MOS2 share one grid).

    Examples
    --------
    >>> family("EMOS2"), family("EPN")
    ('EMOS', 'EPN')
    """
    return "EMOS" if instrume.upper().startswith("EMOS") else instrume.upper()


def _succeeded(run: MapResult, what: str) -> list[tuple[tuple[str, str, str], Any]]:
    items = list(run.items())
    if not items:
        reasons = "; ".join(str(f) for f in run.failures[:3])
        raise ProductError(f"no {what} could be made from the {run.rows.height} exposures: {reasons}")
    return items


@dataclass(frozen=True, eq=False)
class SpectrumStack:
    """Spectra of one source from many exposures.

    Attributes
    ----------
    run : MapResult
        The per-exposure results (:class:`~xmmframe.exec.tasks.ExposureSpectrum`) and failures.
    tables : dict of str to Spectra
        PHA Type II tables, one per channel grid (``EPN``, ``EMOS``), rows labelled
        ``OBSID_INSTRUME_EXPID`` in catalogue order.
    sums : dict of str to SummedSpectrum
        Per instrument (``EPN``, ``EMOS1``, ``EMOS2``): the summed spectrum and response
        (:func:`~xmmframe.products.combine.sum_spectra`).
    """

    run: MapResult
    tables: dict[str, Spectra]
    sums: dict[str, SummedSpectrum]


def stack_spectra(store: Store, ra: float, dec: float, radius: float, *, selection: str | None = None,
                  background: tuple[float, float] | None = None, **run_options: Any) -> SpectrumStack:
    """Spectra (with RMF/ARF) of a sky circle in every exposure that covers it, tabled and summed.

    Parameters
    ----------
    store : Store
    ra, dec, radius : float
        The source circle (degrees).
    selection : str, optional
        Event selection combined with the region.
    background : (float, float), optional
        Background annulus radii (degrees); summed backgrounds go with the sums.
    **run_options
        ``executor``, ``client``, ``workers``, ``progress`` of :func:`map_exposures`.

    Examples
    --------
    >>> stack = stack_spectra(store, 149.5916, -11.0887, 30 / 3600, workers=2)      # doctest: +SKIP
    """
    rows = cone_exposures(store, ra, dec, radius)
    task = SpectrumTask(float(ra), float(dec), float(radius), selection=selection, background=background)
    run = map_exposures(rows, task, store=store, **run_options)
    items: list[tuple[tuple[str, str, str], ExposureSpectrum]] = _succeeded(run, "spectrum")
    tables: dict[str, Spectra] = {}
    for name in dict.fromkeys(family(key[1]) for key, _ in items):
        chosen = [(key, value) for key, value in items if family(key[1]) == name]
        tables[name] = spectra_table([v.spectrum for _, v in chosen], [exposure_key(*k) for k, _ in chosen])
    sums: dict[str, SummedSpectrum] = {}
    for instrument in dict.fromkeys(key[1] for key, _ in items):
        chosen_values = [value for key, value in items if key[1] == instrument]
        sums[instrument] = sum_spectra(
            [v.spectrum for v in chosen_values], [v.rmf for v in chosen_values],  # type: ignore[misc]
            [v.arf for v in chosen_values],  # type: ignore[misc]
            [v.background for v in chosen_values] if background is not None else None,  # type: ignore[misc]
        )
    return SpectrumStack(run, tables, sums)


@dataclass(frozen=True, eq=False)
class LightCurveStack:
    """Light curves of one position from many exposures: the run and the combined table.

    Attributes
    ----------
    run : MapResult
        The per-exposure results and failures.
    table : polars.DataFrame
        Every bin of every exposure (:func:`~xmmframe.products.combine.lightcurve_table`).
    position : tuple of float
        The cone ``(ra, dec, radius)`` in degrees (``RA_OBJ``, ``DEC_OBJ``, ``SRC_RAD``).
    """

    run: MapResult
    table: pl.DataFrame
    position: tuple[float, float, float]

    def write(self, path: str | os.PathLike[str], overwrite: bool = False,
              provenance: Provenance = STACK_PROVENANCE) -> None:
        """Write the table as the FITS table ``RATE`` (:func:`lightcurve_keywords`), atomically.

        Examples
        --------
        >>> stack_lightcurves(store, 149.5916, -11.0887, 30 / 3600).write("stack_lc.fits")   # doctest: +SKIP
        """
        check_output(path, overwrite)
        write_table(path, self.table, "RATE", lightcurve_keywords(*self.position, provenance=provenance))


def stack_lightcurves(store: Store, ra: float, dec: float, radius: float, *, bin: float = 100.0,
                      selection: str | None = None, **run_options: Any) -> LightCurveStack:
    """Light curves of a sky circle in every exposure that covers it, as one table.

    Examples
    --------
    >>> stack_lightcurves(store, 149.5916, -11.0887, 30 / 3600, bin=500).table        # doctest: +SKIP
    """
    rows = cone_exposures(store, ra, dec, radius)
    run = map_exposures(rows, LightCurveTask(float(ra), float(dec), float(radius), bin=bin, selection=selection),
                        store=store, **run_options)
    items = _succeeded(run, "light curve")
    table = lightcurve_table([curve for _, curve in items], [key for key, _ in items])
    return LightCurveStack(run, table, (float(ra), float(dec), float(radius)))


@dataclass(frozen=True, eq=False)
class MosaicStack:
    """A counts mosaic of many exposures: the run, the grid and the image."""

    run: MapResult
    grid: MosaicGrid
    image: Image

    def write(self, path: str | os.PathLike[str], overwrite: bool = False,
              provenance: Provenance = STACK_PROVENANCE) -> None:
        """Write the mosaic image with the ``CREATOR`` and ``DATE`` of ``provenance``.

        Examples
        --------
        >>> stack_mosaic(store, 149.5916, -11.0887, 0.25).write("mosaic.fits")   # doctest: +SKIP
        """
        stamped = replace(self.image, cards=set_keywords(self.image.cards, provenance_keywords(provenance)))
        stamped.write(path, overwrite=overwrite)


def stack_mosaic(store: Store, ra: float, dec: float, radius: float, *, pixel: float = 4.0 / 3600,
                 selection: str | None = None, **run_options: Any) -> MosaicStack:
    """Counts of every exposure covering a cone on one TAN grid centred on it (``pixel`` in degrees).

    Examples
    --------
    >>> stack_mosaic(store, 149.5916, -11.0887, 0.25, pixel=4 / 3600).image.write("mosaic.fits")   # doctest: +SKIP
    """
    rows = cone_exposures(store, ra, dec, radius)
    grid = MosaicGrid.covering(float(ra), float(dec), float(radius), float(pixel))
    run = map_exposures(rows, MosaicTask(grid, selection=selection), store=store, **run_options)
    items = _succeeded(run, "count map")
    chosen = run.succeeded()
    exposures = [float(v) for v in chosen["ontime"].fill_null(0.0)]
    return MosaicStack(run, grid, mosaic_image([counts for _, counts in items], grid, exposures))
