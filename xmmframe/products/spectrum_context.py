"""What the responses of a spectrum need to know about it: :class:`SpectrumContext`.

rmfgen and arfgen read what they need from the spectrum, as SAS does: instrument, filter, observation date,
submode, channel grid (``DETCHANS``, ``TLMIN1``, ``SPECDELT``/``SPECVAL``/``SPECPIX``: channel
``k`` holds PI ``origin + k*SPECDELT`` ... ``+SPECDELT-1`` eV with
``origin = SPECVAL - (SPECDELT-1)/2 - SPECPIX*SPECDELT``), the pattern selection (DSS
``PATTERN`` entry, e.g. ``':4'``) and the extraction region (the ``REGnnnnn`` table the DSS
``POS(X,Y)`` or ``DET(DETX,DETY)`` entry refers to).  The calibration comes from a
:class:`~xmmframe.ccf.access.Calibration` (real CCFs or the built-in set).  Where the
spectrum lies on the sky pixel grid (:func:`sky_pixel`, :func:`pointing_pixel`) is here too.

Examples
--------
>>> ctx = SpectrumContext.from_keywords({"INSTRUME": "EMOS1", "DETCHANS": 800, "FILTER": "Thick"})
>>> ctx.instrument, ctx.channel_width
('EMOS1', 15.0)
"""

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from xmmframe.ccf.access import Calibration, instrument_name
from xmmframe.ccf.quantumef import parse_pattern_range
from xmmframe.errors import XmmframeError
from xmmframe.io.regions import read_region_table, region_table_from_frame
from xmmframe.io.responses import read_spectrum_keywords
from xmmframe.model.hdu import cards_to_header
from xmmframe.model.provenance import Provenance
from xmmframe.select.region import Region

#: Sky pixel size (arcsec) of X/Y and DETX/DETY.
PIXEL_ARCSEC = 0.05
_DEFAULT_BIN = {"EPN": 5, "EMOS1": 15, "EMOS2": 15}


@dataclass(frozen=True)
class SpectrumContext:
    """What responses need to know about a spectrum.

    Attributes
    ----------
    keywords : dict
        Primary and SPECTRUM header keywords (the SPECTRUM extension's win).
    region : Region or None
        The extraction region (``xmmframe.select.region.Region``).
    region_columns : (str, str) or None
        Columns the region applies to (``("X", "Y")`` or ``("DETX", "DETY")``).

    Examples
    --------
    >>> ctx = SpectrumContext.from_keywords({"INSTRUME": "EPN", "DETCHANS": 4096, "DSTYP1": "PATTERN",
    ...                                      "DSVAL1": ":4", "FILTER": "Medium"})
    >>> ctx.instrument, ctx.channel_width, ctx.origin, sorted(ctx.patterns)
    ('EPN', 5.0, 0.0, [0, 1, 2, 3, 4])
    """

    keywords: dict[str, Any]
    region: Any = None
    region_columns: tuple[str, str] | None = None

    @classmethod
    def from_keywords(cls, keywords: Mapping[str, Any], region: Any = None,
                      region_columns: tuple[str, str] | None = None) -> "SpectrumContext":
        """From a keyword mapping (e.g. an astropy Header or a dict)."""
        return cls({str(k).upper(): (v.strip() if isinstance(v, str) else v) for k, v in dict(keywords).items()},
                   region, region_columns)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> "SpectrumContext":
        """From an OGIP spectrum file; its region table is read through the DSS reference."""
        keys = read_spectrum_keywords(path)
        region, columns = None, None
        entry = _region_entry(keys)
        if entry is not None:
            name, ref = entry
            block = ref.lstrip(":").split("[")[0]
            if block.upper() in [e.upper() for e in keys["_EXTENSIONS"]]:
                region, columns = _read_region(os.fspath(path), block)
        return cls(keys, region, columns)

    @classmethod
    def from_spectrum(cls, spectrum: Any) -> "SpectrumContext":
        """From an xmmframe :class:`~xmmframe.model.products.Spectrum` (or any product with cards and region)."""
        keys: dict[str, Any] = {}
        for cards in (spectrum.primary_cards, spectrum.cards):
            for card in cards_to_header(tuple(cards)).cards:
                if card.keyword not in ("", "COMMENT", "HISTORY"):
                    keys[card.keyword] = card.value
        if hasattr(spectrum, "channel_bin"):
            keys.update({"DETCHANS": int(np.size(spectrum.channel)), "TLMIN1": int(np.min(spectrum.channel)),
                         "SPECDELT": spectrum.channel_bin, "SPECPIX": 0,
                         "SPECVAL": spectrum.channel_min + (spectrum.channel_bin - 1) / 2})
        region, columns = (None, None)
        if spectrum.region is not None and spectrum.region.height:
            region, columns = _region_from_frame(spectrum.region)
        return cls.from_keywords(keys, region, columns)

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


def _region_entry(keys: Mapping[str, Any]) -> tuple[str, str] | None:
    for key, value in keys.items():
        if key.startswith("DSTYP") and str(value).upper().startswith(("POS(", "DET(")):
            ref = keys.get("DSREF" + key[5:])
            if ref:
                return str(value), str(ref)
    return None


def _read_region(path: str, block: str) -> tuple[Any, tuple[str, str]]:
    table = read_region_table(path, block)
    columns = tuple(c.upper() for c in table.position_columns)
    return Region.read(path, block), (columns[0], columns[1])


def _region_from_frame(frame: pl.DataFrame) -> tuple[Any, tuple[str, str]]:
    columns = region_table_from_frame(frame).position_columns
    return Region.from_frame(frame), (columns[0].upper(), columns[1].upper())


def spectrum_context(spectrum: Any) -> SpectrumContext:
    """A :class:`SpectrumContext` from a path, a keyword mapping, a Spectrum or a context."""
    if isinstance(spectrum, SpectrumContext):
        return spectrum
    if isinstance(spectrum, (str, os.PathLike)):
        return SpectrumContext.from_file(spectrum)
    if hasattr(spectrum, "channel_bin") and hasattr(spectrum, "cards"):
        return SpectrumContext.from_spectrum(spectrum)
    if isinstance(spectrum, Mapping) or hasattr(spectrum, "keys"):
        return SpectrumContext.from_keywords(spectrum)
    raise XmmframeError(f"cannot read a spectrum from {type(spectrum).__name__}")


def response_calibration(calibration: Calibration | None, ctx: SpectrumContext) -> Calibration:
    return calibration if calibration is not None else Calibration.open(observation_date=ctx.date_obs)


def response_keywords(ctx: SpectrumContext, cal: Calibration, provenance: Provenance) -> dict[str, Any]:
    keys: dict[str, Any] = {"TELESCOP": "XMM", "INSTRUME": ctx.instrument, "FILTER": ctx.filter,
                            "CREATOR": provenance.creator, "CALSRC": cal.calsrc}
    for key in ("OBS_ID", "DATE-OBS"):
        if key in ctx.keywords:
            keys[key] = ctx.keywords[key]
    return keys


def pointing_pixel(keys: Mapping[str, Any]) -> tuple[float, float]:
    """Sky X/Y pixel of the pointing (``RA_PNT``, ``DEC_PNT``); the reference pixel without them."""
    if "RA_PNT" not in keys or "REFXCRVL" not in keys:
        return float(keys.get("REFXCRPX", 25921.0)), float(keys.get("REFYCRPX", 25921.0))
    return sky_pixel(keys, float(keys["RA_PNT"]), float(keys["DEC_PNT"]))


def sky_pixel(keys: Mapping[str, Any], ra_deg: float, dec_deg: float) -> tuple[float, float]:
    """Sky X/Y pixel of a position (degrees) on the ``REFX*``/``REFY*`` tangent plane (gnomonic).

    Examples
    --------
    >>> sky_pixel({"REFXCRVL": 10.0, "REFYCRVL": 20.0}, 10.0, 20.0)
    (25921.0, 25921.0)
    """
    crpx = float(keys.get("REFXCRPX", 25921.0))
    crpy = float(keys.get("REFYCRPX", 25921.0))
    if "REFXCRVL" not in keys:
        raise XmmframeError("the spectrum has no REFXCRVL/REFYCRVL: cannot place sky coordinates",
                            keys.get("_PATH"))
    ra0, dec0 = math.radians(float(keys["REFXCRVL"])), math.radians(float(keys["REFYCRVL"]))
    ra, dec = math.radians(ra_deg), math.radians(dec_deg)
    cos_c = math.sin(dec0) * math.sin(dec) + math.cos(dec0) * math.cos(dec) * math.cos(ra - ra0)
    xi = math.cos(dec) * math.sin(ra - ra0) / cos_c
    eta = (math.cos(dec0) * math.sin(dec) - math.sin(dec0) * math.cos(dec) * math.cos(ra - ra0)) / cos_c
    cdx = float(keys.get("REFXCDLT", -PIXEL_ARCSEC / 3600))
    cdy = float(keys.get("REFYCDLT", PIXEL_ARCSEC / 3600))
    return crpx + math.degrees(xi) / cdx, crpy + math.degrees(eta) / cdy


def axis_pixel(ctx: SpectrumContext) -> tuple[float, float]:
    """Position of the optical axis in the region's columns (pointing for X/Y, origin for DETX/DETY)."""
    if ctx.region_columns and ctx.region_columns[0].upper().startswith("DET"):
        return 0.0, 0.0
    return pointing_pixel(ctx.keywords)
