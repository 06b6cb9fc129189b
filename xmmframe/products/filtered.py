"""The filtered event list (evselect ``withfilteredset``): selected rows, every extension kept.

What changes (as SAS 20 does for ``refdata/exod/*/M{1,2}_clean.fits``):

* rows: only the selected events (``keepfilteroutput=yes`` or ``destruct=yes``), or all events
  with the selection result in a flag column (``flagcolumn``, or bit ``flagbit`` of it);
* a time selection adds one ``GTIcccnn`` table per CCD (the CCD's good times intersected with
  it) and, with ``filterexposure``, drops the ``EXPOSUnn`` frames outside them;
* ``updateexposure`` rewrites ``ONTIMEnn``/``LIVETInn`` (rules in
  :mod:`xmmframe.products.exposure`) and ``ONTIME``/``LIVETIME`` (the values of the same CCD
  as before: CCD 1 for MOS);
* ``writedss`` rewrites the data subspace (new entries appended, the TIME entry last and
  pointing at the new GTI tables) and ``SLCTEXPR``; a HISTORY record is added to the primary header.

Examples
--------
>>> result = xmmframe.evselect(events, "#XMMEA_EM && gti(M1_gti.fits,TIME) && (PATTERN<=12)",
...                            filtered="M1_clean.fits")                        # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from xmmframe.io.fits_write import TableHdu, encode_table
from xmmframe.io.ogip import REGION_EXTNAME, gti_hdu, region_hdu
from xmmframe.model.events import EventList
from xmmframe.model.hdu import RawHdu
from xmmframe.model.meta import EventMeta
from xmmframe.io.cards import set_keywords
from xmmframe.io.dss import without_dss
from xmmframe.products.context import ProductContext
from xmmframe.products.exposure import filter_frames, frame_table


def events_cards(context: ProductContext, write_dss: bool = True, update_exposure: bool = True) -> tuple[str, ...]:
    """The EVENTS header of the filtered list."""
    cards = context.meta.cards
    if write_dss:
        kept, at = without_dss(cards)
        region = REGION_EXTNAME if context.selection.regions else None
        cards = tuple(kept[:at]) + context.dss_with_region(region).cards() + tuple(kept[at:])
    items: list[tuple[str, Any, str]] = []
    if context.selection.text:
        items.append(("SLCTEXPR", context.selection.text, "Filtering expression used by evselect"))
    times = context.times
    if update_exposure and times.ontime:
        items += [(f"ONTIME{c:02d}", v, "Sum of GTIs for a particular CCD") for c, v in sorted(times.ontime.items())]
        items += [(f"LIVETI{c:02d}", v, "Livetime for a particular CCD") for c, v in sorted(times.livetime.items())]
        ref = times.reference_ccd
        if ref is not None and ref in times.ontime:
            items += [("ONTIME", times.ontime[ref], "Sum of GTIs for a particular CCD"),
                      ("LIVETIME", times.livetime[ref], "Livetime for a particular CCD")]
    return set_keywords(cards, items)


def _extension_hdus(context: ProductContext, filter_exposure: bool) -> list[RawHdu]:
    meta = context.meta
    times = context.times
    hdus = list(meta.hdus)
    if times.changed and filter_exposure:
        by_ccd = times.by_ccd
        for i, hdu in enumerate(hdus):
            if i != meta.table_index and hdu.name.startswith("EXPOSU") and hdu.name[6:].isdigit():
                ccd = int(hdu.name[6:])
                frames = frame_table(meta, ccd)
                if frames is not None and ccd in by_ccd:
                    kept = filter_frames(meta.extensions[hdu.name], by_ccd[ccd])
                    hdus[i] = encode_table(TableHdu(hdu.cards, kept))
    if times.changed:
        hdus += [encode_table(gti_hdu(table, meta.cards)) for table in times.tables]
    region = context.region_table()
    if region is not None:
        columns = context.selection.regions[0].columns
        hdus.append(encode_table(region_hdu(region, f"{columns[0]},{columns[1]}")))
    hdus[0] = RawHdu(hdus[0].cards + context.history_cards(), hdus[0].data)
    return hdus


def flag_rows(frame: pl.DataFrame, selected: pl.Series, flag_column: str = "EVFLAG", flag_bit: int = -1) -> pl.DataFrame:
    """All rows with the selection result recorded: a 0/1 column, or bit ``flag_bit`` set in ``flag_column``.

    Examples
    --------
    >>> flag_rows(pl.DataFrame({"PI": [1, 2]}), pl.Series([True, False]))["EVFLAG"].to_list()
    [1, 0]
    """
    if flag_bit < 0:
        return frame.with_columns(selected.cast(pl.UInt8).alias(flag_column))
    dtype = frame.schema[flag_column] if flag_column in frame.columns else pl.Int32
    values = frame[flag_column].to_numpy().astype(np.int64) if flag_column in frame.columns else np.zeros(
        frame.height, dtype=np.int64)
    values[selected.to_numpy()] |= 1 << flag_bit
    # wrap into the column's type (bit 31 of an int32 FLAG is its sign bit)
    stored = values.astype(np.dtype(str(dtype).lower()))
    return frame.with_columns(pl.Series(flag_column, stored, dtype=dtype))


def filtered_events(
    frame: pl.DataFrame,
    context: ProductContext,
    *,
    update_exposure: bool = True,
    filter_exposure: bool = True,
    write_dss: bool = True,
) -> EventList:
    """The filtered event list: ``frame`` (the rows to write) with the updated metadata.

    Parameters
    ----------
    frame : polars.DataFrame
        The events to write (the selected rows, or all rows with a flag column).
    context : ProductContext
        The input and the resolved selection.
    update_exposure, filter_exposure, write_dss : bool
        SAS ``updateexposure``, ``filterexposure``, ``writedss``.
    """
    meta = context.meta
    hdus = _extension_hdus(context, filter_exposure)
    hdus[meta.table_index] = RawHdu(events_cards(context, write_dss, update_exposure))
    new_meta = EventMeta(tuple(hdus), meta.table_index, source=None)
    return EventList(frame.lazy(), new_meta)


__all__ = ["events_cards", "filtered_events", "flag_rows"]
