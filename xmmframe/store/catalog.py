"""The store catalogue: one row per exposure, and the facts of an exposure that go into it.

Columns (``CATALOG_SCHEMA``): the exposure's ``obs_id``, ``instrume``, ``expid``; ``datamode``,
``submode``, ``filter``, ``object``; the pointing ``ra_pnt``, ``dec_pnt``, ``pa_pnt`` (degrees);
``tstart``, ``tstop`` (mission seconds, TT), ``mjd_start``, ``mjd_stop``; ``ontime`` and
``livetime`` (seconds: the header's ONTIME/LIVETIME, else the largest per-CCD ONTIMEnn/LIVETInn);
``events``; the sky ``cells`` (HEALPix order ``PARTITION_ORDER``, nested) holding its events with
the number of events and the file of each (``cell_events``, ``files``, relative to the store
root); ``ra_min``..``dec_max`` of its events; the ``header`` file; the ``source`` file ingested;
the ``xmmframe_version`` and ``ingested`` time (UTC) of the ingest.

Examples
--------
>>> import xmmframe
>>> store = xmmframe.open_store("store")                                  # doctest: +SKIP
>>> store.catalog().select("obs_id", "instrume", "expid", "events", "ontime")  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import polars as pl

from xmmframe._version import __version__
from xmmframe.model.meta import EventMeta

CATALOG_SCHEMA = {
    "obs_id": pl.String, "instrume": pl.String, "expid": pl.String,
    "datamode": pl.String, "submode": pl.String, "filter": pl.String, "object": pl.String,
    "ra_pnt": pl.Float64, "dec_pnt": pl.Float64, "pa_pnt": pl.Float64,
    "tstart": pl.Float64, "tstop": pl.Float64, "mjd_start": pl.Float64, "mjd_stop": pl.Float64,
    "ontime": pl.Float64, "livetime": pl.Float64, "events": pl.Int64,
    "cells": pl.List(pl.Int64), "cell_events": pl.List(pl.Int64), "files": pl.List(pl.String),
    "ra_min": pl.Float64, "ra_max": pl.Float64, "dec_min": pl.Float64, "dec_max": pl.Float64,
    "header": pl.String, "source": pl.String, "xmmframe_version": pl.String,
    "ingested": pl.Datetime("us", "UTC"),
}

_PER_CCD = {"ONTIME": re.compile(r"^ONTIME\d\d$"), "LIVETIME": re.compile(r"^LIVETI\d\d$")}


def _float(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def exposure_time(meta: EventMeta, keyword: str) -> float | None:
    """ONTIME or LIVETIME of an exposure: the header keyword, else the largest per-CCD value."""
    value = _float(meta.keyword(keyword))
    if value is not None:
        return value
    per_ccd = [_float(card.value) for card in meta.header.cards if _PER_CCD[keyword].match(card.keyword)]
    values = [v for v in per_ccd if v is not None]
    return max(values) if values else None


def catalog_row(meta: EventMeta, *, key: tuple[str, str, str], events: int, cells: list[int],
                cell_events: list[int], files: list[str], bounds: tuple[float | None, ...],
                header: str, source: str) -> dict[str, Any]:
    """The catalogue row of one ingested exposure."""
    tstart, tstop = meta.tstart, meta.tstop
    mjd = [meta.mjdref + t / 86400.0 if t is not None else None for t in (tstart, tstop)]
    row: dict[str, Any] = {
        "obs_id": key[0], "instrume": key[1], "expid": key[2],
        "datamode": meta.datamode, "submode": meta.submode, "filter": meta.filter,
        "object": meta.observation.target,
        "ra_pnt": _float(meta.keyword("RA_PNT")), "dec_pnt": _float(meta.keyword("DEC_PNT")),
        "pa_pnt": _float(meta.keyword("PA_PNT")),
        "tstart": tstart, "tstop": tstop, "mjd_start": mjd[0], "mjd_stop": mjd[1],
        "ontime": exposure_time(meta, "ONTIME"), "livetime": exposure_time(meta, "LIVETIME"),
        "events": events, "cells": cells, "cell_events": cell_events, "files": files,
        "ra_min": bounds[0], "ra_max": bounds[1], "dec_min": bounds[2], "dec_max": bounds[3],
        "header": header, "source": source, "xmmframe_version": __version__,
        "ingested": dt.datetime.now(dt.timezone.utc),
    }
    return row


def catalog_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """Catalogue rows as a DataFrame with the catalogue's column types, sorted by exposure."""
    frame = pl.DataFrame(rows, schema=CATALOG_SCHEMA) if rows else pl.DataFrame(schema=CATALOG_SCHEMA)
    return frame.sort("obs_id", "instrume", "expid")
