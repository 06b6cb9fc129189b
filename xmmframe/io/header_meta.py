"""Reading typed metadata (:mod:`xmmframe.model.metadata`) from FITS header cards.

:func:`event_list_metadata` implements ``EventMeta.metadata``: the observation, time system, sky
axes of X/Y, per-column metadata, selection macros, calibration source and provenance of an event
list, read from its main table's header (then the primary header).  :func:`product_metadata`
implements ``Product.metadata`` likewise for spectra, light curves and images.

Examples
--------
>>> from xmmframe.io.cards import keyword_cards
>>> from xmmframe.model.hdu import RawHdu
>>> from xmmframe.model.meta import EventMeta
>>> primary = RawHdu(keyword_cards([("SIMPLE", True, ""), ("INSTRUME", "EMOS1", ""), ("MJDREF", 50814.0, "")]))
>>> table = RawHdu(keyword_cards([("XTENSION", "BINTABLE", ""), ("EXTNAME", "EVENTS", ""),
...                                ("TSTART", 1.0e8, ""), ("TSTOP", 1.0001e8, "")]))
>>> metadata = event_list_metadata(EventMeta((primary, table)))
>>> metadata.observation.instrument, metadata.time.elapsed
('EMOS1', 10000.0)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from astropy.io import fits

from xmmframe.io.dss import read_dss
from xmmframe.model.meta import EventMeta
from xmmframe.model.metadata import (
    XMM_MJDREF,
    ColumnInfo,
    EventListMetaData,
    Observation,
    ProductMetaData,
    SkyAxes,
    TimeSystem,
)
from xmmframe.model.products import Product
from xmmframe.model.provenance import Provenance
from xmmframe.model.registry import register

#: ``CREATOR`` of the files xmmframe writes (:attr:`Provenance.creator`).
_CREATOR = re.compile(r"^xmmframe (?P<task>\S+) \(xmmframe-(?P<version>[^)]+)\)$")
#: Keywords that carry a selection macro (``#XMMEA_EM`` in selection expressions).
_MACRO = re.compile(r"^XMMEA_[A-Z0-9]+$")


class _Keywords:
    """Keyword look-up in the main header, then the primary header (``EventMeta.keyword``, ``Product.keyword``)."""

    def __init__(self, keyword: Callable[..., Any]) -> None:
        self.get = keyword

    def text(self, name: str) -> str | None:
        value = self.get(name)
        return str(value).strip() if value is not None else None

    def number(self, name: str) -> float | None:
        value = self.get(name)
        return float(value) if value is not None else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def observation(keys: _Keywords) -> Observation:
    """The :class:`Observation` keywords."""
    return Observation(**{name: keys.text(key) for name, key in (
        ("telescope", "TELESCOP"), ("instrument", "INSTRUME"), ("datamode", "DATAMODE"), ("submode", "SUBMODE"),
        ("filter", "FILTER"), ("obs_id", "OBS_ID"), ("expidstr", "EXPIDSTR"),
        ("target", "OBJECT"))})


def time_system(keys: _Keywords) -> TimeSystem:
    """The :class:`TimeSystem` keywords (MJDREF, else MJDREFI + MJDREFF, else XMM's epoch)."""
    if keys.get("MJDREF") is not None:
        mjdref = float(keys.get("MJDREF"))
    elif keys.get("MJDREFI") is not None:
        mjdref = float(keys.get("MJDREFI")) + float(keys.get("MJDREFF", 0.0))
    else:
        mjdref = XMM_MJDREF
    exposure = next((float(keys.get(k)) for k in ("ONTIME", "EXPOSURE") if keys.get(k) is not None), None)
    return TimeSystem(mjdref=mjdref, timesys=keys.text("TIMESYS") or "TT", timeref=keys.text("TIMEREF") or "LOCAL",
                      tstart=keys.number("TSTART"), tstop=keys.number("TSTOP"), exposure=exposure)


def columns(header: fits.Header) -> dict[str, ColumnInfo]:
    """Per-column metadata of a binary table header, in file order."""
    result: dict[str, ColumnInfo] = {}
    for n in range(1, int(header.get("TFIELDS", 0)) + 1):
        name = str(header.get(f"TTYPE{n}", f"COL{n}")).strip()
        tnull = header.get(f"TNULL{n}")
        result[name] = ColumnInfo(
            name=name,
            tform=str(header.get(f"TFORM{n}", "")).strip(),
            unit=str(header[f"TUNIT{n}"]).strip() if f"TUNIT{n}" in header else None,
            tlmin=_number(header.get(f"TLMIN{n}")),
            tlmax=_number(header.get(f"TLMAX{n}")),
            tnull=tnull if isinstance(tnull, int) and not isinstance(tnull, bool) else None,
            comment=header.comments[f"TTYPE{n}"] if f"TTYPE{n}" in header else "",
        )
    return result


def sky_axes(keys: _Keywords, table: fits.Header, names: list[str]) -> SkyAxes | None:
    """The projection of the X/Y columns.

    From the X/Y columns' ``TCTYP/TCRVL/TCDLT/TCRPX`` keywords, or from ``REFXCTYP/REFXCRVL/...``
    when those are absent; the celestial frame from ``RADECSYS``/``RADESYS`` and ``EQUINOX`` (XMM
    files say FK5, J2000).  None when neither set is complete.
    """
    upper = [name.upper() for name in names]
    nx = upper.index("X") + 1 if "X" in upper else None
    ny = upper.index("Y") + 1 if "Y" in upper else None
    if nx and ny and f"TCRVL{nx}" in table and f"TCRVL{ny}" in table:
        values = {what: [table.get(f"T{what}{n}") for n in (nx, ny)] for what in ("CTYP", "CRVL", "CDLT", "CRPX")}
    elif keys.get("REFXCRVL") is not None:
        values = {what: [keys.get(f"REF{axis}{what}") for axis in ("X", "Y")] for what in ("CTYP", "CRVL", "CDLT", "CRPX")}
    else:
        return None
    if any(v is None for v in values["CRVL"] + values["CDLT"] + values["CRPX"]):
        return None
    ctype = tuple(str(v or "").strip() or default for v, default in zip(values["CTYP"], ("RA---TAN", "DEC--TAN")))
    frame = keys.get("RADESYS") or keys.get("RADECSYS")
    equinox = keys.get("EQUINOX")
    return SkyAxes(
        crval=tuple(float(v) for v in values["CRVL"]),  # type: ignore[arg-type]
        cdelt=tuple(float(v) for v in values["CDLT"]),  # type: ignore[arg-type]
        crpix=tuple(float(v) for v in values["CRPX"]),  # type: ignore[arg-type]
        ctype=ctype,  # type: ignore[arg-type]
        radesys=str(frame).strip() if frame else None,
        equinox=float(equinox) if isinstance(equinox, (int, float)) and not isinstance(equinox, bool) else None,
    )


def macros(table: fits.Header, primary: fits.Header) -> dict[str, str]:
    """Selection macros of the headers (``XMMEA_EM = '(FLAG & 0x766ba000) == 0'`` ...), primary first."""
    result: dict[str, str] = {}
    for header in (primary, table):
        for key, value in header.items():
            if _MACRO.match(key) and isinstance(value, str):
                result[key] = value.strip()
    return result


def provenance(keys: _Keywords) -> Provenance | None:
    """How xmmframe made the file, from ``CREATOR``, ``XPROC0`` and ``DATE``; None for other programs' files.

    Examples
    --------
    >>> made = provenance(_Keywords({"CREATOR": "xmmframe rmfgen (xmmframe-0.1.0)", "DATE": "2023-11-14T22:13:20"}.get))
    >>> made.task, made.version, made.date
    ('rmfgen', '0.1.0', '2023-11-14T22:13:20')
    >>> provenance(_Keywords({"CREATOR": "evselect (evselect-3.68)"}.get)) is None
    True
    """
    made = creator_provenance(keys.text("CREATOR"))
    if made is None:
        return None
    return replace(made, command=keys.text("XPROC0"), date=keys.text("DATE"))


def creator_provenance(creator: str | None) -> Provenance | None:
    """The task and version a ``CREATOR`` of xmmframe names; None for other programs' (or no) ``CREATOR``.

    Examples
    --------
    >>> creator_provenance("xmmframe rmfgen (xmmframe-0.1.0)")
    Provenance(task='rmfgen', command=None, version='0.1.0', source=None, parameters=(), date=None)
    >>> creator_provenance("rmfgen (rmfgen-2.8.4) [xmmsas_20210526_1931-20.0.0]") is None
    True
    """
    match = _CREATOR.match((creator or "").strip())
    return Provenance(match["task"], version=match["version"]) if match else None


@register("EventMeta.metadata")
def event_list_metadata(meta: EventMeta) -> EventListMetaData:
    """The typed metadata of an event list, read from its headers.

    Parameters
    ----------
    meta : EventMeta
        The event list's header cards.

    Returns
    -------
    EventListMetaData
    """
    table, primary = meta.header, meta.primary_header
    keys = _Keywords(meta.keyword)
    found = columns(table)
    return EventListMetaData(observation=observation(keys), time=time_system(keys),
                             sky=sky_axes(keys, table, list(found)), columns=found,
                             macros=macros(table, primary), calsrc=keys.text("CALSRC"), provenance=provenance(keys),
                             dss=read_dss(table))


@register("Product.metadata")
def product_metadata(product: Product) -> ProductMetaData:
    """The typed metadata of a spectrum, light curve or image, read from its header cards.

    Parameters
    ----------
    product : Product
        The product (its main and primary header cards).

    Returns
    -------
    ProductMetaData

    Examples
    --------
    >>> import numpy as np
    >>> from xmmframe.io.cards import keyword_cards
    >>> from xmmframe.model.products import Spectrum
    >>> spec = Spectrum(channel=np.arange(2), counts=np.array([1, 2]), exposure=10.0,
    ...                 cards=keyword_cards([("INSTRUME", "EPN", ""), ("SLCTEXPR", "PATTERN<=4", "")]))
    >>> spec.metadata.observation.instrument, spec.metadata.selection
    ('EPN', 'PATTERN<=4')
    """
    keys = _Keywords(product.keyword)
    return ProductMetaData(observation=observation(keys), time=time_system(keys), selection=keys.text("SLCTEXPR"),
                           calsrc=keys.text("CALSRC"), provenance=provenance(keys), dss=read_dss(product.cards))
