"""Which exposures a run covers: a store's catalogue rows, checked, and the exposures a cone falls on.

A run is described by the store root and catalogue rows (one per exposure), never by event
data: every worker opens its exposure from the store itself.

Examples
--------
>>> import xmmframe
>>> store = xmmframe.open_store("store")                               # doctest: +SKIP
>>> cone_exposures(store, 149.5916, -11.0887, 5 / 60).height          # doctest: +SKIP
6
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import polars as pl

from xmmframe.errors import StoreError
from xmmframe.store import Store, open_store
from xmmframe.store.layout import KEY_COLUMNS, PARTITION_ORDER, exposure_key
from xmmframe.store.query import Cone
from xmmframe.store.sky import cone_cells


@dataclass(frozen=True)
class ExposureSet:
    """The store and the catalogue rows of the exposures a run covers, in run order.

    Attributes
    ----------
    root : str
        The store directory, absolute (what workers open; on a remote Dask cluster it must be
        the same path on every worker, e.g. a shared file system).
    rows : polars.DataFrame
        Catalogue rows (at least ``obs_id``, ``instrume``, ``expid``).
    """

    root: str
    rows: pl.DataFrame

    @property
    def keys(self) -> list[tuple[str, str, str]]:
        """``(obs_id, instrume, expid)`` of every exposure, in order."""
        return list(self.rows.select(KEY_COLUMNS).iter_rows())


def _as_store(store: Store | str | os.PathLike[str]) -> Store:
    return store if isinstance(store, Store) else open_store(store)


def resolve_exposures(source: Any, store: Store | str | os.PathLike[str] | None = None) -> ExposureSet:
    """The exposures of a run from a Store, a store path, or catalogue rows (with ``store``).

    Parameters
    ----------
    source : Store, path or polars.DataFrame
        A store (every exposure in it), or catalogue rows (e.g. ``store.exposures(instrume="EMOS1")``
        or a filter of ``store.catalog()``), which need ``store``.
    store : Store or path, optional
        The store the rows come from.

    Returns
    -------
    ExposureSet

    Raises
    ------
    StoreError
        Rows without ``store``, rows naming exposures the store does not hold, or no exposure.
    """
    if isinstance(source, pl.DataFrame):
        if store is None:
            raise StoreError("catalogue rows need the store they come from: pass store=")
        opened = _as_store(store)
        missing = [name for name in KEY_COLUMNS if name not in source.columns]
        if missing:
            raise StoreError(f"the rows have no {', '.join(missing)} column: give catalogue rows", opened.root)
        known = set(opened.catalog().select(KEY_COLUMNS).iter_rows())
        unknown = [key for key in source.select(KEY_COLUMNS).iter_rows() if key not in known]
        if unknown:
            names = ", ".join(exposure_key(*key) for key in unknown[:5])
            raise StoreError(f"no exposure {names}{' ...' if len(unknown) > 5 else ''} in the store", opened.root)
        rows = source
    else:
        if store is not None:
            raise StoreError("store= is only for catalogue rows; a store was given as the source")
        opened = _as_store(source)
        rows = opened.catalog()
    if rows.height == 0:
        raise StoreError("no exposures to run on", opened.root)
    return ExposureSet(os.path.abspath(opened.root), rows)


def cone_exposures(store: Store, ra: Any, dec: Any, radius: Any, *, margin: float = 0.0) -> pl.DataFrame:
    """Catalogue rows of the exposures with events that can lie within a cone.

    An exposure is kept when the HEALPix cells of its events (the catalogue's ``cells``, order
    ``PARTITION_ORDER``, 0.46 deg) meet the cells the cone touches: every exposure with an event
    in the cone is kept, and an exposure whose events come within a cell of it may be too (its
    products then hold no counts).

    Parameters
    ----------
    store : Store
    ra, dec, radius : float or astropy angle
        Degrees (or angles / quantities).
    margin : float
        Degrees added to the radius for the test (e.g. a background annulus).

    Raises
    ------
    StoreError
        When no exposure of the store covers the cone.

    Examples
    --------
    >>> cone_exposures(store, 149.5916, -11.0887, 0.05)["instrume"].to_list()       # doctest: +SKIP
    ['EMOS1', 'EMOS2', 'EMOS1', 'EMOS2', 'EMOS1', 'EMOS2']
    """
    cone = Cone.of(ra, dec, radius)
    reach = cone.radius + margin
    catalog = store.catalog()
    if reach >= 180.0:
        rows = catalog
    else:
        cells = set(cone_cells(cone.ra, cone.dec, reach, PARTITION_ORDER).tolist())
        keep = [bool(cells.intersection(cell_list or [])) for cell_list in catalog["cells"].to_list()]
        rows = catalog.filter(pl.Series(keep, dtype=pl.Boolean))
    if rows.height == 0:
        raise StoreError(f"no exposure covers the cone RA {cone.ra:.5f} Dec {cone.dec:.5f} radius "
                         f"{cone.radius * 60:.3f} arcmin", store.root)
    return rows

