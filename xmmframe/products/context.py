"""Everything a product needs from its event list and selection, and the header cards it carries.

:class:`ProductContext` is built once per evselect call (or product method call): the
resolved selection, the per-CCD good times and exposures under it, the data subspace to
record, and the header cards every product shares — observation facts, time system,
``SLCTEXPR``, DSS, a primary header saying which xmmframe call made the file.

Examples
--------
>>> context = make_context(events, "#XMMEA_EM && PI>10000", task="evselect")       # doctest: +SKIP
>>> context.times.livetime[1]                                                       # doctest: +SKIP
16485.8942642212
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import polars as pl

from xmmframe.errors import ProductError
from xmmframe.io.ogip import REGION_EXTNAME
from xmmframe.model.events import EventList
from xmmframe.model.gti import GTI
from xmmframe.model.meta import EventMeta
from xmmframe.model.products import GtiTable
from xmmframe.io.cards import drop_keywords, keyword_cards, provenance_cards
from xmmframe.model.provenance import Provenance
from xmmframe.select.dss import DataSubspace
from xmmframe.products.exposure import CcdTimes, ccd_times
from xmmframe.select.resolve import RegionShape, ResolvedSelection, resolve_selection

#: Observation keywords copied from the event list to every product table (card images kept).
OBSERVATION_KEYWORDS = ("TELESCOP", "INSTRUME", "FILTER", "DATAMODE", "SUBMODE", "OBS_ID", "EXP_ID", "EXPIDSTR",
                        "OBJECT", "RA_OBJ", "DEC_OBJ", "DATE-OBS", "DATE-END")
#: Time-system keywords copied from the event list.
TIME_SYSTEM_KEYWORDS = ("TIMESYS", "TIMEUNIT", "TIMEREF", "TASSIGN", "CLOCKAPP", "MJDREF", "MJDREFI", "MJDREFF",
                        "TIMEZERO")
#: Primary-header keywords not copied to products (the input's own processing record; also XPROCn, XDALn).
_NOT_COPIED = ("CREATOR", "DATE", "HISTORY", "COMMENT", "CHECKSUM", "DATASUM", "LONGSTRN")


@dataclass(frozen=True)
class ProductContext:
    """An event list and a selection, resolved for making products.

    Attributes
    ----------
    events : EventList
        The input events (unfiltered).
    selection : ResolvedSelection
        The filter, its text, time and region parts.
    times : CcdTimes
        Good times, ONTIME and LIVETIME per CCD under the selection.
    dss : DataSubspace
        The data subspace products record (the input's plus the selection's entries).
    task : str
        The task name recorded in headers (``evselect``, ``spectrum``, ...).
    parameters : tuple of (str, str)
        The parameters recorded in headers.
    command : str, optional
        The command line recorded as ``XPROC0``.
    """

    events: EventList
    selection: ResolvedSelection
    times: CcdTimes
    dss: DataSubspace
    task: str = "evselect"
    parameters: tuple[tuple[str, str], ...] = ()
    command: str | None = None
    _ccd_counts: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def meta(self) -> EventMeta:
        """The input's metadata."""
        return self.events.meta

    def selected(self, columns: Iterable[str] | None = None) -> pl.LazyFrame:
        """The selected events (optionally only some columns), lazily.

        Raises
        ------
        ProductError
            When a product needs a column the events do not have.
        """
        lazy = self.selection.apply(self.events.lazy)
        if columns is None:
            return lazy
        columns = list(dict.fromkeys(columns))
        present = self.events.lazy.collect_schema().names()
        missing = [c for c in columns if c not in present]
        if missing:
            raise ProductError(f"no column {', '.join(missing)} in the events; columns are {', '.join(present)}",
                               self.meta.source)
        return lazy.select(columns)

    # ------------------------------------------------------------------ header cards

    def _copied(self, keys: Iterable[str]) -> tuple[str, ...]:
        cards: list[str] = []
        for key in keys:
            for header_cards in (self.meta.cards, self.meta.hdus[0].cards):
                found = [c for c in header_cards if c[:8].strip() == key]
                if found:
                    cards.append(found[0])
                    break
        return tuple(cards)

    def table_cards(self, regions: str | None = None) -> tuple[str, ...]:
        """Cards every product table carries: observation, SLCTEXPR, time system, DSS."""
        cards = list(self._copied(OBSERVATION_KEYWORDS))
        if self.selection.text:
            cards.extend(keyword_cards([("SLCTEXPR", self.selection.text, "Filtering expression used by evselect")]))
        cards.extend(self._copied(TIME_SYSTEM_KEYWORDS))
        cards.extend(self.dss_with_region(regions).cards())
        return tuple(cards)

    def dss_with_region(self, region_table: str | None) -> DataSubspace:
        """The DSS, with the region entry pointing at ``region_table`` (when there is one)."""
        if region_table is None:
            return self.dss
        entries = tuple(
            replace(e, ref=f":{region_table}") if e.name.upper().startswith("POS(") and not e.ref else e
            for e in self.dss.entries
        )
        return DataSubspace(entries)

    def primary_cards(self) -> tuple[str, ...]:
        """The primary header of a product: the input's observation keywords and how the file was made."""
        primary = self.meta.hdus[0].cards
        processing = {c[:8].strip() for c in primary if c[:8].strip().startswith(("XPROC", "XDAL"))}
        copied = drop_keywords(primary, (*_NOT_COPIED, *processing, "SIMPLE", "BITPIX", "NAXIS", "EXTEND"))
        return copied + provenance_cards(self.provenance)

    @property
    def provenance(self) -> Provenance:
        """The task, command line, input and parameters that make the product."""
        source = os.path.basename(self.meta.source) if self.meta.source else "events"
        return Provenance(self.task, self.command or None, source=source, parameters=self.parameters)

    def history_cards(self) -> tuple[str, ...]:
        """HISTORY cards: the xmmframe call, the input and the parameters."""
        return keyword_cards([("HISTORY", line, "") for line in self.provenance.history])

    def gti_tables(self) -> tuple[GtiTable, ...]:
        """The GTI extensions products carry (the good times in effect, per CCD)."""
        return self.times.tables

    def events_per_ccd(self, frame: pl.DataFrame) -> dict[int, int] | None:
        """Selected events per CCD (the EXPOSURE weights), None without a CCDNR column.

        The counts of the last frame asked about are kept, so the products of one pass
        (spectrum, light curve) count the CCDs once.
        """
        if "CCDNR" not in frame.columns:
            return None
        cached = self._ccd_counts.get("last")
        if cached is not None and cached[0] is frame:
            return dict(cached[1])
        counts = np.bincount(frame["CCDNR"].drop_nulls().to_numpy(), minlength=1)
        result = {ccd: int(n) for ccd, n in enumerate(counts) if n}
        self._ccd_counts["last"] = (frame, result)
        return dict(result)

    def region(self) -> pl.DataFrame | None:
        """The region table a product carries (None without region terms)."""
        return region_frame(self.selection.regions) if self.selection.regions else None

    def product_cards(self) -> dict[str, Any]:
        """The keyword arguments every product gets: table cards, primary cards, GTIs, region."""
        region = self.region()
        return {
            "cards": self.table_cards(REGION_EXTNAME if region is not None else None),
            "primary_cards": self.primary_cards(),
            "gtis": self.gti_tables(),
            "region": region,
        }


def region_frame(regions: tuple[RegionShape, ...]) -> pl.DataFrame:
    """The ``REGnnnnn`` table rows (SHAPE, X, Y, R, ROTANG, COMPONENT) of region terms."""
    xs, ys, rs, angles, shapes = [], [], [], [], []
    for region in regions:
        args = list(region.args)
        shapes.append(region.shape.upper())
        xs.append(args[0] if args else 0.0)
        ys.append(args[1] if len(args) > 1 else 0.0)
        radii = args[2:4] if region.shape.lower() in ("annulus", "ellipse") else args[2:3]
        rs.append((radii + [0.0, 0.0])[:2])
        angles.append(args[4] if len(args) > 4 else 0.0)
    return pl.DataFrame({
        "SHAPE": pl.Series(shapes, dtype=pl.String),
        "X": pl.Series(xs, dtype=pl.Float32),
        "Y": pl.Series(ys, dtype=pl.Float32),
        "R": pl.Series(rs, dtype=pl.Array(pl.Float32, 2)),
        "ROTANG": pl.Series(angles, dtype=pl.Float32),
        "COMPONENT": pl.Series([i + 1 for i in range(len(regions))], dtype=pl.UInt8),
    })


def make_context(
    events: EventList,
    selection: Any = None,
    gti: GTI | None = None,
    task: str = "evselect",
    parameters: dict[str, Any] | None = None,
    command: str | None = None,
    base_dir: str | os.PathLike[str] | None = None,
) -> ProductContext:
    """Resolve a selection against an event list for making products.

    Examples
    --------
    >>> context = make_context(events, pl.col("PI") > 10000, task="lightcurve")   # doctest: +SKIP
    """
    chosen = resolve_selection(events, selection, gti, base_dir)
    times = ccd_times(events.meta, chosen.time_gti)
    dss = DataSubspace.from_header(events.meta.header).with_entries(*chosen.entries)
    if times.changed:
        dss = dss.with_time_tables({t.ccd: t.name for t in times.tables if t.ccd is not None})
    params = tuple((k, _show(v)) for k, v in (parameters or {}).items() if v is not None)
    return ProductContext(events, chosen, times, dss, task, params, command)


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, pl.Expr):
        return "<polars expression>"
    return str(value)


__all__ = ["OBSERVATION_KEYWORDS", "ProductContext", "make_context", "region_frame"]
