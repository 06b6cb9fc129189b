"""The HATS side of an event store: ``properties`` and ``partition_info.csv`` from the catalogue.

The event files are already laid out as a HATS catalogue (see :mod:`xmmframe.store.layout`):
one directory per HEALPix cell at ``PARTITION_ORDER`` (``hats_npix_suffix = /``), each event
with its ``_healpix_29`` index, ``RA`` and ``DEC``.  Ingest rewrites these two small files after
every commit, so ``lsdb.read_hats(STORE)`` always opens the events of the catalogue.

Examples
--------
>>> import lsdb                                                         # doctest: +SKIP
>>> events = lsdb.read_hats("store")                                    # doctest: +SKIP
>>> events.cone_search(263.66, -32.55, 60).compute()                   # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from xmmframe._version import __version__
from xmmframe.store import layout


def partition_cells(catalog: pl.DataFrame) -> list[int]:
    """Every sky cell with events in the store, sorted."""
    if catalog.height == 0:
        return []
    return sorted(int(c) for c in catalog["cells"].explode().drop_nulls().unique())


def partition_info_text(catalog: pl.DataFrame) -> str:
    """``partition_info.csv``: one ``Norder,Npix`` line per cell."""
    lines = ["Norder,Npix", *(f"{layout.PARTITION_ORDER},{cell}" for cell in partition_cells(catalog))]
    return "\n".join(lines) + "\n"


def properties_text(catalog: pl.DataFrame, name: str) -> str:
    """The HATS ``properties`` file of the store's events."""
    cells = partition_cells(catalog)
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%MUTC")
    values = {
        "obs_collection": name or "events",
        "dataproduct_type": "object",
        "hats_nrows": int(catalog["events"].sum()) if catalog.height else 0,
        "hats_col_ra": layout.RA_COLUMN,
        "hats_col_dec": layout.DEC_COLUMN,
        "hats_col_healpix": layout.INDEX_COLUMN,
        "hats_col_healpix_order": layout.INDEX_ORDER,
        "hats_npix_suffix": "/",
        "hats_order": layout.PARTITION_ORDER,
        "moc_sky_fraction": f"{len(cells) / (12 * 4**layout.PARTITION_ORDER):.6f}",
        "hats_builder": f"xmmframe v{__version__}",
        "hats_creation_date": now,
        "hats_version": "v1.0",
    }
    return "#HATS catalog\n" + "".join(f"{key}={value}\n" for key, value in values.items())
