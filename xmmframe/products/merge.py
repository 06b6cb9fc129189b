"""Concatenate event lists of one instrument into one (SAS ``merge`` / ``evlistcomb``-style).

SAS ``merge`` (0.15) takes two exposures and writes one event list: "the individual blocks
(e.g. EVENTS) are merged in time order, as are the other relevant extensions (e.g. EXPOSUnn,
STDGTI, GTI)"; "merge individual columns only when they exist in both datasets"; for event
lists of different pointings "the sky coordinates are deprojected and reprojected again onto a
common sky position (given either by the user ... ra and dec, or ... the mean of the two input
pointings), and new WCS attributes are calculated"; lists of different modes are refused, a
different INSTRUME or FILTER gives a warning, and lists of different observations need
``mergedifferentobs=yes``.  :func:`merge_events` does the same for any number of lists:

* **Rows**: the columns every list has (in the earliest list's order), rows sorted by TIME (a
  stable sort: events of one frame keep their order, the earliest list's first).
* **Sky coordinates**: when the X/Y reference points (``TCRVL`` of X/Y) differ, every list's
  X/Y go to sky through its own WCS and back to pixels (rounded, as X/Y are integers) on the
  tangent plane at the mean of the reference points (or ``ra``/``dec``), which become the new
  ``TCRVL``/``REFXCRVL``/``REFYCRVL`` (and RA_PNT/DEC_PNT keep the earliest list's pointing).
* **Good times, per CCD**: the union of the good times in effect in every list (its data
  subspace's GTI tables, else ``STDGTInn``), written as ``STDGTInn``; the lists' own
  evselect ``GTIcccnn`` tables and the data-subspace TIME entries pointing at them are not
  carried over (the union holds them).  ``ONTIMEnn`` = the union's length, ``LIVETInn`` = the
  sum of the lists' ``LIVETInn``; ``ONTIME``/``LIVETIME`` those of the reference CCD (the
  earliest list's).  GTIs of different lists must not overlap (two exposures cannot share a
  frame); an overlap is an error.
* **Other extensions**: ``EXPOSUnn`` rows concatenated in TIME order (header ONTIME/LIVETIME/
  TSTART/TSTOP updated), ``BADPIXnn`` the union of the rows, ``OFFSETS``, ``CALINDEX`` and any
  other extension the earliest list's.
* **Keywords**: ``TSTART``/``DATE-OBS`` of the earliest list, ``TSTOP``/``DATE-END`` of the
  latest; ``OBS_ID``, ``EXPIDSTR`` and the rest are the earliest list's; ``CREATOR`` (and
  ``XPROC0`` from the command line) say xmmframe merge made the file, and HISTORY cards name
  every input (file, observation, exposure, TSTART-TSTOP).

Examples
--------
>>> import xmmframe
>>> a = xmmframe.open_events("mos1S001.fits")                   # doctest: +SKIP
>>> b = xmmframe.open_events("mos1U002.fits")                   # doctest: +SKIP
>>> merged = merge_events([a, b])                                # doctest: +SKIP
>>> merged.write_fits("mos1_merged.fits")                        # doctest: +SKIP
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import polars as pl

from xmmframe.errors import MergeWarning, ProductError
from xmmframe.io.fits_write import TableHdu, encode_table, set_card_value
from xmmframe.io.ogip import gti_hdu
from xmmframe.model.events import EventList
from xmmframe.model.gti import GTI
from xmmframe.model.hdu import RawHdu
from xmmframe.model.meta import EventMeta
from xmmframe.io.cards import keyword_cards, provenance_keywords, set_keywords
from xmmframe.io.dss import without_dss
from xmmframe.model.products import GtiTable
from xmmframe.model.provenance import Provenance
from xmmframe.select.dss import DataSubspace
from xmmframe.products.exposure import ccd_times


def _text(meta: EventMeta, key: str) -> str:
    value = meta.keyword(key)
    return str(value).strip() if value is not None else ""


def _check(lists: Sequence[EventList], merge_different_obs: bool) -> None:
    first = lists[0].meta
    for other in lists[1:]:
        meta = other.meta
        where = meta.source or "an event list"
        if _text(meta, "DATAMODE") != _text(first, "DATAMODE"):
            raise ProductError(f"event lists of different modes cannot be merged "
                               f"({_text(first, 'DATAMODE')} and {_text(meta, 'DATAMODE')})", where)
        if _text(meta, "OBS_ID") != _text(first, "OBS_ID") and not merge_different_obs:
            raise ProductError(f"the event lists are of different observations ({_text(first, 'OBS_ID')} and "
                               f"{_text(meta, 'OBS_ID')}): set merge_different_obs (mergedifferentobs=yes)", where)
        for key in ("INSTRUME", "FILTER", "SUBMODE"):
            if _text(meta, key) != _text(first, key):
                warnings.warn(f"merging event lists of different {key} ({_text(first, key)} and {_text(meta, key)})",
                              MergeWarning, stacklevel=3)


def _xy_numbers(meta: EventMeta, columns: list[str]) -> tuple[int, int] | None:
    names = [c.upper() for c in columns]
    if "X" not in names or "Y" not in names:
        return None
    return meta.column_number("X"), meta.column_number("Y")


def _reference(meta: EventMeta) -> tuple[float, float] | None:
    numbers = _xy_numbers(meta, meta.column_names)
    if numbers is None or None in numbers:
        return None
    ra, dec = meta.keyword(f"TCRVL{numbers[0]}"), meta.keyword(f"TCRVL{numbers[1]}")
    return (float(ra), float(dec)) if ra is not None and dec is not None else None


def _frames(lists: Sequence[EventList], columns: list[str], target: tuple[float, float] | None) -> pl.LazyFrame:
    parts = []
    for index, events in enumerate(lists):
        lazy = events.lazy.select(columns)
        reference = _reference(events.meta)
        if target is not None and reference is not None and reference != target:
            frame = lazy.collect()
            x, y = _reproject(events.meta, frame["X"].to_numpy(), frame["Y"].to_numpy(), target)
            lazy = frame.with_columns(pl.Series("X", x).cast(frame["X"].dtype),
                                      pl.Series("Y", y).cast(frame["Y"].dtype)).lazy()
        parts.append(lazy.with_columns(pl.lit(index, dtype=pl.Int32).alias("_LIST")))
    return pl.concat(parts, how="vertical").sort(["TIME", "_LIST"], maintain_order=True).drop("_LIST")


def _reproject(meta: EventMeta, x: np.ndarray, y: np.ndarray, target: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    wcs = meta.sky_wcs
    if wcs is None:
        raise ProductError("cannot reproject X/Y: the event list has no sky WCS", meta.source)
    new = wcs.deepcopy()
    new.wcs.crval = list(target)
    ra, dec = wcs.all_pix2world(x.astype(np.float64), y.astype(np.float64), 1)
    nx, ny = new.all_world2pix(ra, dec, 1)
    return np.rint(nx), np.rint(ny)


def _union_gtis(lists: Sequence[EventList]) -> tuple[dict[int, GTI], dict[int, float], int | None]:
    gtis: dict[int, GTI] = {}
    livetime: dict[int, float] = {}
    reference = None
    for index, events in enumerate(lists):
        times = ccd_times(events.meta)
        if index == 0:
            reference = times.reference_ccd
        for ccd, gti in times.by_ccd.items():
            if ccd in gtis and (gtis[ccd] & gti).duration > 0:
                raise ProductError(f"the good times of CCD {ccd} overlap between the event lists "
                                   "(the same exposure twice?)", events.meta.source)
            gtis[ccd] = gtis[ccd] | gti if ccd in gtis else gti
            livetime[ccd] = livetime.get(ccd, 0.0) + times.livetime.get(ccd, 0.0)
    return gtis, livetime, reference


def _table_cards(cards: tuple[str, ...], values: dict[str, Any]) -> tuple[str, ...]:
    out = []
    for card in cards:
        key = card[:8].strip()
        out.append(set_card_value(card, values[key]) if key in values and card[8:10] == "= " else card)
    return tuple(out)


def _merged_extensions(lists: Sequence[EventList], gtis: dict[int, GTI], livetime: dict[int, float],
                       time_cards: tuple[str, ...]) -> list[RawHdu]:
    first = lists[0].meta
    dss_tables = set()
    for events in lists:
        dss_tables |= set(DataSubspace.from_header(events.meta.header).time_tables().values())
    out: list[RawHdu] = []
    written_gti: set[int] = set()
    for index, hdu in enumerate(first.hdus):
        name = hdu.name
        if index in (0, first.table_index):
            out.append(hdu)
            continue
        if name in dss_tables:
            continue
        if name.startswith("STDGTI") and name[6:].isdigit():
            ccd = int(name[6:])
            if ccd in gtis:
                out.append(encode_table(gti_hdu(GtiTable(name, gtis[ccd], ccd), time_cards)))
                written_gti.add(ccd)
            continue
        frames = [e.meta.extensions[name] for e in lists if name in e.meta.extension_names]
        if name.startswith(("EXPOSU", "BADPIX")) and name[6:].isdigit() and len(frames) > 1:
            try:
                joined = pl.concat(frames, how="vertical")
            except pl.exceptions.PolarsError as err:
                raise ProductError(f"the {name} extensions of the event lists differ: {err}") from None
            if name.startswith("EXPOSU"):
                joined = joined.sort("TIME", maintain_order=True)
                ccd = int(name[6:])
                cards = _table_cards(hdu.cards, {
                    "TSTART": float(joined["TIME"].min()),
                    "TSTOP": max(float(e.meta.extension(name).header.get("TSTOP", 0.0))
                                 for e in lists if name in e.meta.extension_names),
                    **({"ONTIME": gtis[ccd].duration, "LIVETIME": livetime[ccd]} if ccd in gtis else {})})
            else:
                joined = joined.unique(maintain_order=True)
                cards = hdu.cards
            out.append(encode_table(TableHdu(cards, joined)))
            continue
        out.append(hdu)
    for ccd in sorted(set(gtis) - written_gti):
        out.append(encode_table(gti_hdu(GtiTable(f"STDGTI{ccd:02d}", gtis[ccd], ccd), time_cards)))
    return out


def merge_events(
    lists: Sequence[EventList],
    *,
    ra: float | None = None,
    dec: float | None = None,
    merge_different_obs: bool = False,
    command: str | None = None,
) -> EventList:
    """Concatenate event lists of one instrument and mode into one, in TIME order (SAS merge).

    Parameters
    ----------
    lists : sequence of EventList
        Two or more event lists (any order: they are taken in order of TSTART).
    ra, dec : float, optional
        Sky reference point (degrees) of the merged X/Y when the lists' reference points
        differ (default: their mean).
    merge_different_obs : bool
        Allow lists of different observations (SAS ``mergedifferentobs``).
    command : str, optional
        The command line, recorded as ``XPROC0``.

    Returns
    -------
    EventList
        The merged list (lazy rows; extensions and headers as the module docstring says).

    Raises
    ------
    xmmframe.errors.ProductError
        Fewer than two lists, different modes, different observations without
        ``merge_different_obs``, overlapping good times, or no common TIME column.

    Examples
    --------
    >>> merged = merge_events([events_s001, events_u002])              # doctest: +SKIP
    >>> merged.meta.gtis[1].duration                                   # doctest: +SKIP
    """
    if len(lists) < 2:
        raise ProductError(f"merging needs at least two event lists, got {len(lists)}")
    lists = sorted(lists, key=lambda e: float(e.meta.tstart if e.meta.tstart is not None else math.inf))
    _check(lists, merge_different_obs)
    first = lists[0].meta
    common = [c for c in lists[0].columns if all(c in e.columns for e in lists[1:])]
    if "TIME" not in common:
        raise ProductError("the event lists have no common TIME column")
    references = [r for r in (_reference(e.meta) for e in lists) if r is not None]
    target = None
    if references and (len(set(references)) > 1 or ra is not None or dec is not None):
        target = (float(ra) if ra is not None else float(np.mean([r[0] for r in references])),
                  float(dec) if dec is not None else float(np.mean([r[1] for r in references])))
    lazy = _frames(lists, common, target)
    gtis, livetime, reference = _union_gtis(lists)

    cards, at = without_dss(first.cards)
    dss = DataSubspace.from_header(first.header).without("TIME")
    cards = tuple(cards[:at]) + dss.cards() + tuple(cards[at:])
    last = max(lists, key=lambda e: float(e.meta.tstop if e.meta.tstop is not None else -math.inf)).meta
    items: list[tuple[str, Any, str]] = [
        ("TSTART", first.tstart, "Date of first event"), ("TSTOP", last.tstop, "Date of last event")]
    if last.keyword("DATE-END") is not None:
        items.append(("DATE-END", last.keyword("DATE-END"), "End date of observation"))
    items += [(f"ONTIME{c:02d}", g.duration, "Sum of GTIs for a particular CCD") for c, g in sorted(gtis.items())]
    items += [(f"LIVETI{c:02d}", livetime[c], "Livetime for a particular CCD") for c in sorted(gtis)]
    if reference is not None and reference in gtis:
        items += [("ONTIME", gtis[reference].duration, "Sum of GTIs for a particular CCD"),
                  ("LIVETIME", livetime[reference], "Livetime for a particular CCD")]
    if target is not None:
        xn, yn = _xy_numbers(first, first.column_names)
        items += [(f"TCRVL{xn}", target[0], "merge: common sky reference"),
                  (f"TCRVL{yn}", target[1], "merge: common sky reference")]
        if first.keyword("REFXCRVL") is not None:
            items += [("REFXCRVL", target[0], "merge: common sky reference"),
                      ("REFYCRVL", target[1], "merge: common sky reference")]
    names = ", ".join(os.path.basename(e.meta.source) if e.meta.source else "events" for e in lists)
    made = Provenance("merge", command, source=names)
    made_by = provenance_keywords(made)
    cards = set_keywords(cards, [*items, *made_by])
    history = [*made.history] + [
        f"merge: {_text(e.meta, 'OBS_ID')} {_text(e.meta, 'INSTRUME')} {_text(e.meta, 'EXPIDSTR')} "
        f"{e.meta.tstart}-{e.meta.tstop}" for e in lists]
    cards = cards + keyword_cards([("HISTORY", line, "") for line in history])
    extensions = _merged_extensions(lists, gtis, livetime, cards)
    extensions[first.table_index] = RawHdu(cards)
    primary = extensions[0]
    extensions[0] = RawHdu(set_keywords(primary.cards, made_by), primary.data)
    meta = replace(first, hdus=tuple(extensions), source=None)
    return EventList(lazy, meta)
