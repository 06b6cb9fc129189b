"""What a product is made from, or says about itself: :class:`ProductContext`.

One context serves both directions:

* **making products** (:meth:`ProductContext.from_events`, once per evselect call or product
  method call): the events, the resolved selection, the per-CCD good times and exposures
  under it, the data subspace to record, and the header cards every product shares —
  observation facts, time system, ``SLCTEXPR``, DSS, a primary header saying which xmmframe
  call made the file;
* **reading a product** for what comes after it (rmfgen, arfgen, backscale, epiclccorr read
  what they need from the spectrum or light curve, as SAS does: :meth:`ProductContext.from_file`,
  :meth:`~ProductContext.from_product`, :meth:`~ProductContext.from_keywords`): instrument,
  filter, observation date, submode, channel grid (``DETCHANS``, ``TLMIN1``,
  ``SPECDELT``/``SPECVAL``/``SPECPIX``: channel ``k`` holds PI ``origin + k*SPECDELT`` ...
  ``+SPECDELT-1`` eV with ``origin = SPECVAL - (SPECDELT-1)/2 - SPECPIX*SPECDELT``), the
  pattern selection (DSS ``PATTERN`` entry, e.g. ``':4'``) and the extraction region (the
  ``REGnnnnn`` table the DSS ``POS(X,Y)`` or ``DET(DETX,DETY)`` entry refers to).

Examples
--------
>>> ctx = ProductContext.from_keywords({"INSTRUME": "EMOS1", "DETCHANS": 800, "FILTER": "Thick"})
>>> ctx.instrument, ctx.channel_width
('EMOS1', 15.0)
>>> context = ProductContext.from_events(events, "#XMMEA_EM && PI>10000")            # doctest: +SKIP
>>> context.times.livetime[1]                                                       # doctest: +SKIP
16485.8942642212
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import polars as pl

from xmmframe.ccf.access import Calibration, instrument_name
from xmmframe.ccf.quantumef import parse_pattern_range
from xmmframe.errors import ProductError, XmmframeError
from xmmframe.io.cards import drop_keywords, keyword_cards, provenance_cards
from xmmframe.io.ogip import REGION_EXTNAME
from xmmframe.io.responses import read_spectrum_keywords
from xmmframe.model.events import EventList
from xmmframe.model.gti import GTI
from xmmframe.model.hdu import cards_to_header
from xmmframe.model.meta import EventMeta
from xmmframe.model.products import GtiTable
from xmmframe.model.provenance import Provenance
from xmmframe.products.exposure import CcdTimes, ccd_times
from xmmframe.products.sky_pixels import pointing_pixel
from xmmframe.select.dss import DataSubspace
from xmmframe.select.region import Region
from xmmframe.select.resolve import ResolvedSelection, resolve_selection

#: Observation keywords copied from the event list to every product table (card images kept).
OBSERVATION_KEYWORDS = ("TELESCOP", "INSTRUME", "FILTER", "DATAMODE", "SUBMODE", "OBS_ID", "EXP_ID", "EXPIDSTR",
                        "OBJECT", "RA_OBJ", "DEC_OBJ", "DATE-OBS", "DATE-END")
#: Time-system keywords copied from the event list.
TIME_SYSTEM_KEYWORDS = ("TIMESYS", "TIMEUNIT", "TIMEREF", "TASSIGN", "CLOCKAPP", "MJDREF", "MJDREFI", "MJDREFF",
                        "TIMEZERO")
#: Primary-header keywords not copied to products (the input's own processing record; also XPROCn, XDALn).
_NOT_COPIED = ("CREATOR", "DATE", "HISTORY", "COMMENT", "CHECKSUM", "DATASUM", "LONGSTRN")
#: PI (eV) per channel by camera when a spectrum says neither SPECDELT nor a known DETCHANS.
_DEFAULT_BIN = {"EPN": 5, "EMOS1": 15, "EMOS2": 15}


@dataclass(frozen=True)
class ProductContext:
    """An event list and a selection resolved for making products, or a product read for its keywords.

    Attributes
    ----------
    keywords : dict
        Header keywords, upper case (a product's primary and main extension, the extension's
        win; an event list's primary and EVENTS headers).
    region : Region or None
        The extraction region (:class:`xmmframe.select.Region`).
    region_columns : (str, str) or None
        Columns the region applies to (``("X", "Y")`` or ``("DETX", "DETY")``).
    events : EventList or None
        The input events (unfiltered); None for a context read from a product.
    selection : ResolvedSelection
        The filter, its text, time and region parts.
    times : CcdTimes or None
        Good times, ONTIME and LIVETIME per CCD under the selection.
    dss : DataSubspace
        The data subspace products record (the input's plus the selection's entries).
    task : str
        The task name recorded in headers (``evselect``, ``spectrum``, ...).
    parameters : tuple of (str, str)
        The parameters recorded in headers.
    command : str, optional
        The command line recorded as ``XPROC0``.

    Examples
    --------
    >>> ctx = ProductContext.from_keywords({"INSTRUME": "EPN", "DETCHANS": 4096, "DSTYP1": "PATTERN",
    ...                                     "DSVAL1": ":4", "FILTER": "Medium"})
    >>> ctx.instrument, ctx.channel_width, ctx.origin, sorted(ctx.patterns)
    ('EPN', 5.0, 0.0, [0, 1, 2, 3, 4])
    """

    keywords: dict[str, Any] = field(default_factory=dict)
    region: Region | None = None
    region_columns: tuple[str, str] | None = None
    events: EventList | None = None
    selection: ResolvedSelection = ResolvedSelection()
    times: CcdTimes | None = None
    dss: DataSubspace = DataSubspace()
    task: str = "evselect"
    parameters: tuple[tuple[str, str], ...] = ()
    command: str | None = None
    _ccd_counts: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    # ------------------------------------------------------------------ constructors

    @classmethod
    def from_events(
        cls,
        events: EventList,
        selection: Any = None,
        gti: GTI | None = None,
        task: str = "evselect",
        parameters: Mapping[str, Any] | None = None,
        command: str | None = None,
        base_dir: str | os.PathLike[str] | None = None,
    ) -> ProductContext:
        """Resolve a selection against an event list for making products.

        Parameters
        ----------
        events : EventList
            The input events.
        selection : str, polars.Expr, GTI, shape or None
            The selection (see :func:`~xmmframe.select.resolve.resolve_selection`).
        gti : GTI, optional
            An extra time selection.
        task : str
            The task recorded in headers.
        parameters : mapping, optional
            Parameters recorded in headers (None values are left out).
        command : str, optional
            The command line recorded as ``XPROC0``.
        base_dir : str or path-like, optional
            Directory of relative file names in the selection.

        Examples
        --------
        >>> context = ProductContext.from_events(events, pl.col("PI") > 10000, task="lightcurve")   # doctest: +SKIP
        """
        chosen = resolve_selection(events, selection, gti, base_dir)
        times = ccd_times(events.meta, chosen.time_gti)
        header = events.meta.header
        dss = DataSubspace.from_header(header).with_entries(*chosen.entries)
        if times.changed:
            dss = dss.with_time_tables({t.ccd: t.name for t in times.tables if t.ccd is not None})
        params = tuple((k, _show(v)) for k, v in (parameters or {}).items() if v is not None)
        keywords = _header_keywords(events.meta.hdus[0].cards, events.meta.cards)
        region = chosen.region
        columns = _upper(region.column_pair) if region is not None else None
        return cls(keywords, region, columns, events, chosen, times, dss, task, params, command)

    @classmethod
    def from_keywords(cls, keywords: Mapping[str, Any], region: Region | None = None,
                      region_columns: tuple[str, str] | None = None) -> ProductContext:
        """From a keyword mapping (e.g. an astropy Header or a dict) and optionally a region.

        Examples
        --------
        >>> ProductContext.from_keywords({"instrume": "EMOS2 "}).instrument
        'EMOS2'
        """
        return cls({str(k).upper(): (v.strip() if isinstance(v, str) else v) for k, v in dict(keywords).items()},
                   region, region_columns)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> ProductContext:
        """From an OGIP spectrum file; its region table is read through the DSS reference.

        Examples
        --------
        >>> ProductContext.from_file("PN_spectrum_grp20.fits").region_columns       # doctest: +SKIP
        ('X', 'Y')
        """
        keys = read_spectrum_keywords(path)
        region, columns = None, None
        entry = _region_entry(keys)
        if entry is not None:
            block = entry[1].lstrip(":").split("[")[0]
            if block.upper() in [e.upper() for e in keys["_EXTENSIONS"]]:
                region = Region.read(path, block)
                columns = _upper(region.column_pair)
        return cls(keys, region, columns)

    @classmethod
    def from_product(cls, product: Any) -> ProductContext:
        """From an xmmframe product (:class:`~xmmframe.model.products.Spectrum`, ``LightCurve``: anything
        with header cards and a region table).

        Examples
        --------
        >>> ProductContext.from_product(Spectrum.read("src.pha")).detchans          # doctest: +SKIP
        800
        """
        keys = _header_keywords(product.primary_cards, product.cards)
        if hasattr(product, "channel_bin"):
            keys.update({"DETCHANS": int(np.size(product.channel)), "TLMIN1": int(np.min(product.channel)),
                         "SPECDELT": product.channel_bin, "SPECPIX": 0,
                         "SPECVAL": product.channel_min + (product.channel_bin - 1) / 2})
        region, columns = None, None
        if product.region is not None and product.region.height:
            region = Region.from_frame(product.region)
            columns = _upper(region.column_pair)
        return cls.from_keywords(keys, region, columns)

    @classmethod
    def from_any(cls, source: Any) -> ProductContext:
        """A context from a path, a product, a keyword mapping or a context (returned as it is).

        Raises
        ------
        xmmframe.errors.XmmframeError
            For anything else.

        Examples
        --------
        >>> ProductContext.from_any({"INSTRUME": "EPN"}).instrument
        'EPN'
        """
        if isinstance(source, ProductContext):
            return source
        if isinstance(source, (str, os.PathLike)):
            return cls.from_file(source)
        if hasattr(source, "cards") and hasattr(source, "region"):
            return cls.from_product(source)
        if isinstance(source, Mapping) or hasattr(source, "keys"):
            return cls.from_keywords(source)
        raise XmmframeError(f"cannot read a spectrum from {type(source).__name__}")

    # ------------------------------------------------------------------ what a product says about itself

    @property
    def instrument(self) -> str:
        """``EPN``, ``EMOS1`` or ``EMOS2``."""
        return instrument_name(str(self.keywords.get("INSTRUME", "")))

    @property
    def filter(self) -> str:
        """The ``FILTER`` keyword."""
        return str(self.keywords.get("FILTER", "UNKNOWN"))

    @property
    def date_obs(self) -> str | None:
        """``DATE-OBS`` (ISO), if known."""
        value = self.keywords.get("DATE-OBS")
        return str(value)[:19] if value else None

    @property
    def submode(self) -> str:
        """``SUBMODE`` (upper case)."""
        return str(self.keywords.get("SUBMODE", "")).upper()

    @property
    def detchans(self) -> int:
        """Number of channels."""
        if "DETCHANS" not in self.keywords:
            raise XmmframeError("the spectrum has no DETCHANS keyword", self.keywords.get("_PATH"))
        return int(self.keywords["DETCHANS"])

    @property
    def first_channel(self) -> int:
        """Number of the first channel (``TLMIN1``, 0 for XMM)."""
        return int(self.keywords.get("TLMIN1", 0))

    @property
    def channel_width(self) -> float:
        """PI (eV) per channel: ``SPECDELT``, else 20480/DETCHANS (pn 5, MOS 800 ch: 15)."""
        if "SPECDELT" in self.keywords:
            return float(self.keywords["SPECDELT"])
        if self.detchans in (4096, 2400):
            return 5.0
        if self.detchans == 800:
            return 15.0
        return float(_DEFAULT_BIN.get(self.instrument, 5))

    @property
    def origin(self) -> float:
        """PI (eV) of the lower edge of the first channel."""
        width = self.channel_width
        if "SPECVAL" in self.keywords:
            return float(self.keywords["SPECVAL"]) - (width - 1) / 2 - float(self.keywords.get("SPECPIX", 0)) * width
        return self.first_channel * width

    @property
    def patterns(self) -> frozenset[int] | None:
        """Patterns selected (intersection of the DSS PATTERN entries), or None when unfiltered."""
        chosen: frozenset[int] | None = None
        for key, value in self.keywords.items():
            if key.startswith("DSTYP") and str(value).strip().upper() == "PATTERN":
                text = self.keywords.get("DSVAL" + key[5:], "")
                selection = parse_pattern_range(str(text))
                chosen = selection if chosen is None else chosen & selection
        return chosen

    def axis_pixel(self) -> tuple[float, float]:
        """Position of the optical axis in the region's columns (pointing for X/Y, origin for DETX/DETY)."""
        if self.region_columns and self.region_columns[0].upper().startswith("DET"):
            return 0.0, 0.0
        return pointing_pixel(self.keywords)

    def calibration(self, calibration: Calibration | None = None) -> Calibration:
        """``calibration`` when given, else :meth:`Calibration.open` for the observation date."""
        return calibration if calibration is not None else Calibration.open(observation_date=self.date_obs)

    def response_keywords(self, cal: Calibration, provenance: Provenance) -> dict[str, Any]:
        """The keywords a response of this product carries (telescope, camera, filter, creator, CALSRC)."""
        keys: dict[str, Any] = {"TELESCOP": "XMM", "INSTRUME": self.instrument, "FILTER": self.filter,
                                "CREATOR": provenance.creator, "CALSRC": cal.calsrc}
        for key in ("OBS_ID", "DATE-OBS"):
            if key in self.keywords:
                keys[key] = self.keywords[key]
        return keys

    # ------------------------------------------------------------------ the events of a product being made

    @property
    def meta(self) -> EventMeta:
        """The input's metadata.

        Raises
        ------
        ProductError
            For a context read from a product (it has no event list).
        """
        if self.events is None:
            raise ProductError("this context was read from a product and has no event list",
                               self.keywords.get("_PATH"))
        return self.events.meta

    def selected(self, columns: Iterable[str] | None = None) -> pl.LazyFrame:
        """The selected events (optionally only some columns), lazily.

        Raises
        ------
        ProductError
            When a product needs a column the events do not have.
        """
        events = self.events
        if events is None:
            raise ProductError("this context was read from a product and has no event list",
                               self.keywords.get("_PATH"))
        lazy = self.selection.apply(events.lazy)
        if columns is None:
            return lazy
        columns = list(dict.fromkeys(columns))
        present = events.lazy.collect_schema().names()
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
        """The GTI extensions products carry (the good times in effect, per CCD; none read from a product)."""
        return self.times.tables if self.times is not None else ()

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

    def region_table(self) -> pl.DataFrame | None:
        """The region table a product carries (None without region terms), in single precision."""
        region = self.selection.region
        return region.to_frame(pl.Float32) if region is not None else None

    def product_cards(self) -> dict[str, Any]:
        """The keyword arguments every product gets: table cards, primary cards, GTIs, region."""
        region = self.region_table()
        return {
            "cards": self.table_cards(REGION_EXTNAME if region is not None else None),
            "primary_cards": self.primary_cards(),
            "gtis": self.gti_tables(),
            "region": region,
        }


def _header_keywords(*headers: Iterable[str]) -> dict[str, Any]:
    """Keyword values of headers given as cards (later headers win; no COMMENT or HISTORY)."""
    keys: dict[str, Any] = {}
    for cards in headers:
        for card in cards_to_header(tuple(cards)).cards:
            if card.keyword not in ("", "COMMENT", "HISTORY"):
                keys[card.keyword] = card.value
    return keys


def _upper(columns: tuple[str, str]) -> tuple[str, str]:
    return columns[0].upper(), columns[1].upper()


def _region_entry(keys: Mapping[str, Any]) -> tuple[str, str] | None:
    """The DSS region entry (``POS(X,Y)``, ``DET(DETX,DETY)``) and the table it refers to."""
    for key, value in keys.items():
        if key.startswith("DSTYP") and str(value).upper().startswith(("POS(", "DET(")):
            ref = keys.get("DSREF" + key[5:])
            if ref:
                return str(value), str(ref)
    return None


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, pl.Expr):
        return "<polars expression>"
    return str(value)


__all__ = ["OBSERVATION_KEYWORDS", "ProductContext"]
