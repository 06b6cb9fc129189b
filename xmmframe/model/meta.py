"""Metadata of an event list: headers, columns, time system, sky WCS, GTIs, extensions, macros.

:class:`EventMeta` is immutable.  It keeps every header card of the source file verbatim, in
order (so writing back loses nothing), and offers the facts analysis code needs as typed
metadata (:attr:`EventMeta.metadata`, :mod:`xmmframe.model.metadata`), which ``io/`` reads from
the cards.

Examples
--------
>>> import xmmframe
>>> events = xmmframe.open_events("P0001730201M1S002MIEVLI.FTZ")       # doctest: +SKIP
>>> events.meta.instrument, events.meta.obs_id                          # doctest: +SKIP
('EMOS1', '0001730201')
>>> events.meta.macros["XMMEA_EM"]                                      # doctest: +SKIP
'(FLAG & 0x766ba000) == 0'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

import polars as pl
from astropy.io import fits

from xmmframe.model.gti import GTI
from xmmframe.model.hdu import RawHdu, cards_to_header
from xmmframe.model.metadata import ColumnInfo, EventListMetaData, Observation, SkyAxes, TimeSystem
from xmmframe.model.registry import implementation

if TYPE_CHECKING:
    from astropy.wcs import WCS

_GTI_NAME = re.compile(r"^(STDGTI|GTI)(\d*)$")


@dataclass(frozen=True)
class EventMeta:
    """Immutable metadata of an event list (or of any FITS table scanned as the main table).

    Parameters
    ----------
    hdus : tuple of RawHdu
        Every HDU of the source file, in file order.  The main table's entry holds its
        header cards and no data (the rows live in the LazyFrame).
    table_index : int
        Position of the main table (normally ``EVENTS``) in ``hdus``.
    source : str, optional
        The file this came from.

    Examples
    --------
    >>> from xmmframe import open_events
    >>> meta = open_events("P0001730201M1S002MIEVLI.FTZ").meta                # doctest: +SKIP
    >>> meta.instrument, meta.filter, meta.gtis[1].duration                     # doctest: +SKIP
    """

    hdus: tuple[RawHdu, ...]
    table_index: int = 1
    source: str | None = field(default=None, compare=False)

    # ------------------------------------------------------------------ headers

    @property
    def table(self) -> RawHdu:
        """The main table's HDU (cards only)."""
        return self.hdus[self.table_index]

    @property
    def cards(self) -> tuple[str, ...]:
        """Card images of the main table's header."""
        return self.table.cards

    @property
    def header(self) -> fits.Header:
        """Header of the main table (EVENTS), keyword order and comments kept."""
        return self.table.header

    @property
    def primary_header(self) -> fits.Header:
        """Header of the primary HDU."""
        return self.hdus[0].header

    def keyword(self, name: str, default: Any = None) -> Any:
        """A keyword's value from the main table header, else the primary header, else ``default``."""
        key = name.upper()
        for header in (self.header, self.primary_header):
            if key in header:
                return header[key]
        return default

    def _text(self, name: str) -> str | None:
        value = self.keyword(name)
        return str(value).strip() if value is not None else None

    # ------------------------------------------------------------------ typed metadata

    @cached_property
    def metadata(self) -> EventListMetaData:
        """The typed metadata the headers carry (observation, time system, sky axes, columns, macros)."""
        return implementation("EventMeta.metadata")(self)

    @property
    def observation(self) -> Observation:
        """Telescope, camera, mode, filter and identifiers."""
        return self.metadata.observation

    @property
    def time(self) -> TimeSystem:
        """Reference epoch, time system, TSTART/TSTOP and exposure."""
        return self.metadata.time

    @property
    def instrument(self) -> str | None:
        """INSTRUME: ``EPN``, ``EMOS1`` or ``EMOS2``."""
        return self.observation.instrument

    @property
    def telescope(self) -> str | None:
        """TELESCOP (``XMM``)."""
        return self.observation.telescope

    @property
    def datamode(self) -> str | None:
        """DATAMODE (``IMAGING``, ``TIMING``, ...)."""
        return self.observation.datamode

    @property
    def submode(self) -> str | None:
        """SUBMODE (``PrimeFullWindow``, ...)."""
        return self.observation.submode

    @property
    def filter(self) -> str | None:
        """FILTER (``Thin1``, ``Medium``, ``Thick``, ...)."""
        return self.observation.filter

    @property
    def obs_id(self) -> str | None:
        """OBS_ID."""
        return self.observation.obs_id

    @property
    def expidstr(self) -> str | None:
        """EXPIDSTR, the exposure identifier (``S001``, ``U002``, ...)."""
        return self.observation.expidstr

    @property
    def tstart(self) -> float | None:
        """TSTART in seconds of mission time."""
        return self.time.tstart

    @property
    def tstop(self) -> float | None:
        """TSTOP in seconds of mission time."""
        return self.time.tstop

    @property
    def mjdref(self) -> float:
        """MJDREF (or MJDREFI + MJDREFF); XMM's 50814.0 when absent."""
        return self.time.mjdref

    @property
    def timesys(self) -> str:
        """TIMESYS (``TT`` for XMM)."""
        return self.time.timesys

    @property
    def timeref(self) -> str:
        """TIMEREF (``LOCAL`` until barycentred)."""
        return self.time.timeref

    @property
    def exposure(self) -> float | None:
        """ONTIME of the table header (or EXPOSURE), seconds."""
        return self.time.exposure

    @property
    def calsrc(self) -> str | None:
        """CALSRC: the calibration the file was made with."""
        return self.metadata.calsrc

    # ------------------------------------------------------------------ columns

    @property
    def columns(self) -> dict[str, ColumnInfo]:
        """Per-column metadata by column name, in file order."""
        return self.metadata.columns

    @property
    def column_names(self) -> list[str]:
        """Column names of the main table, in file order."""
        return list(self.columns)

    def column_number(self, name: str) -> int | None:
        """1-based number of a column (case-insensitive), or None."""
        for n, column in enumerate(self.columns, start=1):
            if column.upper() == name.upper():
                return n
        return None

    # ------------------------------------------------------------------ sky coordinates

    @property
    def sky(self) -> SkyAxes | None:
        """The projection of the sky pixel columns X/Y (None without sky axes)."""
        return self.metadata.sky

    @cached_property
    def sky_wcs(self) -> "WCS | None":
        """Tangent-plane WCS of the sky pixel columns X/Y (1-based physical pixels).

        Built from the X/Y columns' ``TCTYP/TCRVL/TCDLT/TCRPX`` keywords, or from
        ``REFXCTYP/REFXCRVL/...`` when those are absent; the celestial frame from
        ``RADECSYS``/``RADESYS`` and ``EQUINOX`` (XMM files say FK5, J2000).  Use origin 1 with astropy:
        ``meta.sky_wcs.all_pix2world(x, y, 1)``.
        """
        return self.sky.wcs() if self.sky is not None else None

    # ------------------------------------------------------------------ other extensions

    @property
    def extension_names(self) -> list[str]:
        """EXTNAMEs of every HDU except the primary and the main table, in file order."""
        return [h.name for i, h in enumerate(self.hdus) if i not in (0, self.table_index)]

    def extension(self, name: str) -> RawHdu:
        """One of the other HDUs, by EXTNAME (case-insensitive)."""
        for i, hdu in enumerate(self.hdus):
            if i != self.table_index and hdu.name == name.upper():
                return hdu
        raise KeyError(f"no extension {name!r}; extensions are {', '.join(self.extension_names)}")

    @cached_property
    def extensions(self) -> dict[str, pl.DataFrame]:
        """Every other binary table (OFFSETS, EXPOSUnn, BADPIXnn, STDGTInn, CALINDEX, ...) as a DataFrame."""
        read_table = implementation("EventMeta.extensions")
        return {
            hdu.name: read_table(hdu)
            for i, hdu in enumerate(self.hdus)
            if i not in (0, self.table_index) and hdu.kind == "BINTABLE"
        }

    @cached_property
    def gtis(self) -> dict[int, GTI]:
        """GTIs by CCD number from ``STDGTInn`` (or ``GTInn``) extensions; key 0 for an unnumbered GTI."""
        result: dict[int, GTI] = {}
        for name, frame in self.extensions.items():
            match = _GTI_NAME.match(name)
            if not match or not {"START", "STOP"} <= {c.upper() for c in frame.columns}:
                continue
            if match.group(1) == "GTI" and "STDGTI" in "".join(self.extension_names) and match.group(2):
                continue  # evselect's GTInnnnn product GTIs; the STDGTInn are the per-CCD ones
            ccd = int(match.group(2)) if match.group(2) and len(match.group(2)) <= 2 else 0
            hdu = self.extension(name)
            ccd = int(hdu.header.get("CCDID", ccd)) if "CCDID" in hdu.header and ccd == 0 else ccd
            result.setdefault(ccd, GTI.from_frame(frame, name))
        return result

    # ------------------------------------------------------------------ selection macros

    @property
    def macros(self) -> dict[str, str]:
        """Selection macros defined in the headers (``XMMEA_EM = '(FLAG & 0x766ba000) == 0'`` ...)."""
        return self.metadata.macros

    # ------------------------------------------------------------------ derivation

    def with_table_cards(self, cards: tuple[str, ...]) -> "EventMeta":
        """A copy whose main-table header is ``cards``."""
        hdus = list(self.hdus)
        hdus[self.table_index] = RawHdu(cards)
        return replace(self, hdus=tuple(hdus))

    def with_keywords(self, **values: Any) -> "EventMeta":
        """A copy with keywords of the main table header set (new ones appended)."""
        header = cards_to_header(self.cards)
        for key, value in values.items():
            header[key.upper()] = value
        return self.with_table_cards(tuple(card.image for card in header.cards))
