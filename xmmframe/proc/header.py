"""Headers and extensions of a calibrated event list (the PPS layout), assembled into an EventMeta.

The primary and EVENTS headers carry the observation facts (``OBS_ID``, ``EXP_ID``,
``EXPIDSTR``, ``INSTRUME``, ``SUBMODE``, ``FILTER``, ``DATE-OBS``...), the time system
(``TIMESYS = 'TT'``, ``MJDREF = 50814``), the pointing (``RA_PNT/DEC_PNT/PA_PNT``, median of the
attitude, ``AVRG_PNT = 'MEDIAN'``), the sky grid (``REFX*``/``REFY*``), the per-CCD ``ONTIMEnn``/
``LIVETInn`` and the ``XMMEA_*`` selection macros.  The extensions follow the PPS file order:
``OFFSETS``, then ``EXPOSUnn``/``BADPIXnn`` per CCD, ``STDGTInn`` per CCD, ``CALINDEX``.

Examples
--------
>>> from xmmframe.proc.header import table_cards
>>> from xmmframe.proc.event_format import ColumnSpec
>>> import polars as pl
>>> cards = table_cards("STDGTI01", [ColumnSpec("START", pl.Float64, "lower GTI boundary", "s")], {})
>>> cards[8][:8], cards[-1][:8]
('TTYPE1  ', 'EXTNAME ')
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from xmmframe.ccf.cif import calindex_table
from xmmframe.io.fits_write import (
    TableHdu,
    encode_table,
    primary_template,
    table_template,
)
from xmmframe.io.cards import provenance_items, sas_cards
from xmmframe.io.table_header import table_cards as shared_table_cards
from xmmframe.model.flags import flag_keywords
from xmmframe.model.gti import GTI
from xmmframe.model.hdu import RawHdu, creation_date
from xmmframe.model.meta import EventMeta
from xmmframe.model.provenance import Provenance
from xmmframe.proc.coordinates import SkyGrid
from xmmframe.proc.event_format import ColumnSpec, column_keywords, empty_events

_TIME_KEYWORDS: dict[str, tuple[object, str]] = {
    "TIMEUNIT": ("s", "All times in s unless specified otherwise"),
    "TIMESYS": ("TT", "XMM time will be TT (Terrestrial Time)"),
    "MJDREF": (50814.0, "[d] 1998-01-01T00:00:00 (TT) expressed in MJD"),
    "TIMEREF": ("LOCAL", "Reference location of photon arrival times"),
    "TASSIGN": ("SATELLITE", "Location of time assignment"),
    "TIMEZERO": (0.0, "[s] Clock correction (if not zero)"),
    "CLOCKAPP": (True, "Clock correction applied"),
}


@dataclass(frozen=True)
class ExposureFacts:
    """What the headers of one exposure's event list say about it."""

    instrument: str
    obs_id: str
    exposure: int
    expidstr: str
    submode: str
    filter: str
    date_obs: str
    date_end: str
    revolution: int
    target: str
    ra_obj: float
    dec_obj: float
    tstart: float
    tstop: float
    grid: SkyGrid
    pa_pnt: float
    attitude_source: str
    frame_time: float
    ontime: dict[int, float] = field(default_factory=dict)
    livetime: dict[int, float] = field(default_factory=dict)
    calsrc: str = "xmmframe-builtin"

    @property
    def central_ccd(self) -> int:
        """The CCD whose ONTIME/LIVETIME the headers quote (pn 4, MOS 1)."""
        return 4 if self.instrument == "EPN" else 1

    @property
    def camera_code(self) -> str:
        """``PN``, ``M1`` or ``M2``."""
        return {"EPN": "PN", "EMOS1": "M1", "EMOS2": "M2"}[self.instrument]

    @property
    def content(self) -> str:
        """CONTENT keyword."""
        return f"EPIC {'PN' if self.instrument == 'EPN' else 'MOS'} IMAGING MODE EVENT LIST"

    def observation_keywords(self) -> dict[str, tuple[object, str]]:
        """Keywords shared by the primary and EVENTS headers."""
        grid = self.grid
        keywords: dict[str, tuple[object, str]] = {
            "LONGSTRN": ("OGIP 1.0", ""),
            "DATAMODE": ("IMAGING", "Instrument mode (IMAGING or TIMING)"),
            "TELESCOP": ("XMM", "XMM mission"),
            "INSTRUME": (self.instrument, f"EPIC {'pn' if self.instrument == 'EPN' else 'MOS'} Instrument"),
            "OBS_ID": (self.obs_id, "Observation Identifier"),
            "EXP_ID": (f"{self.obs_id}{self.exposure:03d}", "Exposure Identifier"),
            "DATE-OBS": (self.date_obs, "Start time of exposure"),
            "DATE-END": (self.date_end, "End time of exposure"),
            "OBS_MODE": ("POINTING", "Observation mode (pointing or slew)"),
            "REVOLUT": (self.revolution, "Revolution number"),
            "OBJECT": (self.target, "Name of observed object"),
            "OBSERVER": ("xmmframe", "Name of observer"),
            "RA_OBJ": (self.ra_obj, "[deg] RA of target"),
            "DEC_OBJ": (self.dec_obj, "[deg] Dec of target"),
            "RA_NOM": (self.ra_obj, "[deg] RA of nominal boresight"),
            "DEC_NOM": (self.dec_obj, "[deg] Dec of nominal boresight"),
            "EXPIDSTR": (self.expidstr, "Exposure ID"),
            "FILTER": (self.filter, "Filter ID"),
            "ATT_SRC": (self.attitude_source, "Source of attitude data (AHF|RAF|THF)"),
            "SUBMODE": (self.submode, "Guest Observer mode"),
            "EQUINOX": (2000.0, "Equinox for sky coordinate x/y axes"),
            "RADECSYS": ("FK5", "World coord. system for this file"),
        }
        keywords.update(grid.wcs_keywords())
        keywords.update(
            {
                "AVRG_PNT": ("MEDIAN", "Meaning of PNT values (mean or median)"),
                "RA_PNT": (grid.ra, "[deg] Actual (median) pointing RA of the optical axis"),
                "DEC_PNT": (grid.dec, "[deg] Actual (median) pointing Dec of the optical axis"),
                "PA_PNT": (self.pa_pnt, "[deg] Median measured position angle"),
            }
        )
        return keywords

    def exposure_keywords(self) -> dict[str, tuple[object, str]]:
        """TSTART/TSTOP, time system and TELAPSE."""
        keywords = {
            "TSTART": (self.tstart, "[s] Start time of first frame"),
            "TSTOP": (self.tstop, "[s] End time of last frame"),
        }
        keywords.update(_TIME_KEYWORDS)
        keywords["TELAPSE"] = (self.tstop - self.tstart, "[s] Full time interval for the exposure")
        return keywords


def table_cards(
    extname: str, specs: list[ColumnSpec], keywords: dict[str, object], comment: str = ""
) -> tuple[str, ...]:
    """Header cards of a binary table in SAS's layout: structure, column definitions, EXTNAME, keywords, column ranges.

    :func:`xmmframe.io.table_header.table_cards` with ``sas_layout=True``.
    """
    columns, ranges = column_keywords(specs)
    return shared_table_cards(extname, empty_events(specs), columns, ranges, sas_cards(keywords),
                              sas_layout=True, extname_comment=comment)


def _table(
    extname: str, specs: list[ColumnSpec], keywords: dict[str, object], frame: pl.DataFrame, comment: str = ""
) -> RawHdu:
    frame = frame.select([pl.col(s.name).cast(s.dtype) for s in specs])
    return encode_table(TableHdu(table_cards(extname, specs, keywords, comment), frame))


def primary_header(facts: ExposureFacts, history: list[str], provenance: Provenance) -> RawHdu:
    """The primary HDU of an event list: how it was made (CREATOR, DATE), the observation, HISTORY."""
    base = primary_template()
    keywords: dict[str, object] = provenance_items(provenance)
    keywords.update(facts.observation_keywords())
    keywords.update(
        {
            "CONTENT": (facts.content, "Contents of file"),
            "CALSRC": (facts.calsrc, "calibration used (not for publication if builtin)"),
            "HISTORY": history,
        }
    )
    return RawHdu(tuple(base.cards) + tuple(sas_cards(keywords)))


def events_cards(facts: ExposureFacts, specs: list[ColumnSpec]) -> tuple[str, ...]:
    """Header cards of the EVENTS table (without rows)."""
    keywords: dict[str, object] = dict(facts.exposure_keywords())
    keywords["DET_SYST"] = (2, "System for camera coordinates")
    for key, value, comment in flag_keywords(facts.instrument):
        keywords[key] = (value, comment)
    keywords.update(facts.observation_keywords())
    for ccd, value in sorted(facts.ontime.items()):
        keywords[f"ONTIME{ccd:02d}"] = (value, "Sum of GTIs for a particular CCD")
    keywords["ONTIME"] = (facts.ontime.get(facts.central_ccd, 0.0), "Sum of GTIs for central CCD")
    for ccd, value in sorted(facts.livetime.items()):
        keywords[f"LIVETI{ccd:02d}"] = (value, "Live time for a particular CCD")
    keywords["LIVETIME"] = (facts.livetime.get(facts.central_ccd, 0.0), "Live time for the central CCD")
    keywords["REFPOINT"] = ("PNT", "source of reference point information")
    keywords["ATTSRC"] = (facts.attitude_source, "source of attitude information")
    keywords["CALSRC"] = (facts.calsrc, "calibration used (not for publication if builtin)")
    keywords["RAND_XY"] = (1, "Camera and sky coordinates are randomized")
    return table_cards("EVENTS", specs, keywords, "CCD/node specific event list")


def offsets_hdu(instrument: str, offsets: pl.DataFrame) -> RawHdu:
    """``OFFSETS``: column offsets (pn RAWX, OFFSETX, CCDNR; MOS also OFFSETY)."""
    specs = [
        ColumnSpec("RAWX", pl.Int16, "Raw X coordinate"),
        ColumnSpec("OFFSETX", pl.Int16, "Additional column offset"),
    ]
    if instrument != "EPN":
        specs.append(ColumnSpec("OFFSETY", pl.Int16, "Additional row offset"))
        offsets = offsets.with_columns(pl.lit(0, dtype=pl.Int16).alias("OFFSETY"))
    specs.append(ColumnSpec("CCDNR", pl.UInt8, "CCD identifier", None, 1, 12 if instrument == "EPN" else 17))
    return _table("OFFSETS", specs, {}, offsets, "Bad offsets")


def exposure_hdu(facts: ExposureFacts, ccd: int, table: pl.DataFrame, gti: GTI) -> RawHdu:
    """``EXPOSUnn`` of one CCD."""
    specs = [ColumnSpec("TIME", pl.Float64, "time of the center of each frame", "s")]
    if "TIMEDEL" in table.columns:
        specs.append(ColumnSpec("TIMEDEL", pl.Float32, "duration of each frame", "s"))
    specs.append(ColumnSpec("FRACEXP", pl.Float32, "effective time / real time", "FRACTION"))
    keywords = {
        "EXTVER": (1, "Extension Version"),
        "TELESCOP": ("XMM", "XMM mission"),
        "INSTRUME": (facts.instrument, "Instrument"),
        "DATATYPE": ("IMAGE.EL", "Type of data"),
        "OBS_ID": (facts.obs_id, "Observation Identifier"),
        "EXP_ID": (f"{facts.obs_id}{facts.exposure:03d}", "Exposure Identifier"),
        "CCDID": (ccd, "Numerical identifier of the CCD"),
        "CCDNODE": (0, "CCD Node"),
        "FRMTIME": (round(facts.frame_time * 1000.0, 4), "[ms] Frame integration time"),
        "EXPIDSTR": (facts.expidstr, "Exposure ID"),
        "CCDMODE": (facts.submode, "Readout submode"),
        "FILTER": (facts.filter, "Filter ID"),
        "DATE-OBS": (facts.date_obs, "Start time of exposure"),
        "DATE-END": (facts.date_end, "End time of exposure"),
    }
    keywords.update(_TIME_KEYWORDS)
    keywords.update(
        {
            "TSTART": (facts.tstart, "[s] Start time of first frame"),
            "TSTOP": (facts.tstop, "[s] End time of last frame"),
            "NUMGTI": (len(gti), "Number of good time intervals"),
            "ONTIME": (gti.duration, f"[s] Total good time for CCD {ccd}"),
            "LIVETIME": (facts.livetime.get(ccd, 0.0), f"[s] Dead-time corrected on time for CCD {ccd}"),
        }
    )
    return _table(f"EXPOSU{ccd:02d}", specs, keywords, table, "time steps and efficiency")


def badpix_hdu(facts: ExposureFacts, ccd: int, table: pl.DataFrame) -> RawHdu:
    """``BADPIXnn`` of one CCD."""
    specs = [
        ColumnSpec("RAWX", pl.Int16, "Raw X coordinate"),
        ColumnSpec("RAWY", pl.Int16, "Raw Y coordinate"),
        ColumnSpec("TYPE", pl.Int16, "Bad pixel type"),
        ColumnSpec("YEXTENT", pl.Int16, "Y-direction extent"),
        ColumnSpec("BADFLAG", pl.Int16, "Bad pixel flag"),
    ]
    keywords = {
        "TELESCOP": ("XMM", "XMM mission"),
        "INSTRUME": (facts.instrument, "Instrument"),
        "CCDID": (ccd, "ccd in use"),
        "EXP_ID": (f"{facts.obs_id}{facts.exposure:03d}", "Exposure Identifier"),
        "OBS_ID": (facts.obs_id, "Observation Identifier"),
        "CCDNODE": (0, "ccd node"),
    }
    return _table(f"BADPIX{ccd:02d}", specs, keywords, table, "The name of this table")


def gti_hdu(ccd: int, gti: GTI) -> RawHdu:
    """``STDGTInn`` of one CCD."""
    specs = [
        ColumnSpec("START", pl.Float64, "lower GTI boundary", "s"),
        ColumnSpec("STOP", pl.Float64, "upper GTI boundary", "s"),
    ]
    keywords = {
        "HDUCLASS": ("OGIP", "format conforms to OGIP standard"),
        "HDUCLAS1": ("GTI", "table contains Good Time Intervals"),
        "HDUCLAS2": ("STANDARD", "standard Good Time Interval table"),
        "CCDID": (ccd, "Numerical identifier of the CCD"),
        "ONTIME": (gti.duration, "[s] sum of all Good Time Intervals"),
        "TSTART": (float(gti.start[0]) if len(gti) else 0.0, "[s] Lower bound of first GTI"),
        "TSTOP": (float(gti.stop[-1]) if len(gti) else 0.0, "[s] Upper bound of last GTI"),
    }
    keywords.update(_TIME_KEYWORDS)
    return _table(f"STDGTI{ccd:02d}", specs, keywords, gti.to_frame(), "The name of this table")


def calindex_hdu(entries: pl.DataFrame | None, calsrc: str, observation_date: str) -> RawHdu:
    """``CALINDEX``: the calibration index the CCFs were selected from (as SAS copies its CIF)."""
    frame = calindex_table(entries if entries is not None else pl.DataFrame())
    keywords = {
        "CATEGORY": ("XMMCCF", ""),
        "OBSVDATE": (observation_date, ""),
        "ANALDATE": (creation_date(), ""),
        "CALSRC": (calsrc, "calibration source"),
    }
    cards = table_template("CALINDEX") + tuple(sas_cards(keywords))
    return encode_table(TableHdu(cards, frame))


def event_meta(
    facts: ExposureFacts, specs: list[ColumnSpec], extensions: list[RawHdu], history: list[str],
    provenance: Provenance,
) -> EventMeta:
    """The EventMeta of a calibrated list: primary, EVENTS cards, then the extensions."""
    primary = primary_header(facts, history, provenance)
    hdus = (primary, RawHdu(events_cards(facts, specs))) + tuple(extensions)
    return EventMeta(hdus, table_index=1)
