"""An observation as delivered in an ODF: its summary, its constituents, and the way to calibrated events.

:class:`Observation` is what :func:`xmmframe.open_odf` returns.  Its methods hand out the raw
tables as lazy Polars frames (raw events with a ``CCDNR`` column added, frames, attitude,
housekeeping) and run the processing chains: :meth:`Observation.epproc` (pn) and
:meth:`Observation.emproc` (MOS) give one calibrated :class:`~xmmframe.model.events.EventList`
per imaging exposure, in the layout of the PPS event lists.

Examples
--------
>>> import xmmframe
>>> obs = xmmframe.open_odf("xmmframe-demo/odf")                  # doctest: +SKIP
>>> [(e.instrument, e.expidstr) for e in obs.exposures()]          # doctest: +SKIP
[('M1', 'S001'), ('M2', 'S002'), ('PN', 'S003')]
>>> pn = obs.epproc()[0]                                          # doctest: +SKIP
>>> pn.filter("PATTERN<=4 && #XMMEA_EP").count()                  # doctest: +SKIP
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import polars as pl

from xmmframe.errors import OdfError
from xmmframe.model.odf_set import EPIC_INSTRUMENTS, ExposureRecord, OdfSummary
from xmmframe.model.registry import implementation

if TYPE_CHECKING:  # pragma: no cover
    from astropy.io import fits

    from xmmframe.model.attitude import Attitude
    from xmmframe.model.events import EventList

#: ODF data types of imaging-mode event files and of the frame (auxiliary) file.
EVENT_KIND, FRAME_KIND, ATTITUDE_KIND = "IME", "AUX", "ATS"


def instrument_code(instrument: str) -> str:
    """``PN``/``M1``/``M2`` from any of ``PN M1 M2 EPN EMOS1 EMOS2`` (case-insensitive)."""
    name = instrument.upper()
    for code, long in EPIC_INSTRUMENTS.items():
        if name in (code, long):
            return code
    return name


@dataclass(frozen=True, eq=False)
class Observation:
    """An ODF: summary, location and an index of its constituents.

    Attributes
    ----------
    summary : OdfSummary
        The parsed summary file.
    directory : str
        Where the constituents are.
    summary_path : str
        The summary file read.
    index : polars.DataFrame
        One row per constituent present: NAME, PATH, INSTRUMENT, FLAG, EXPOSURE, CCD, NODE,
        KIND, OBS_ID, LISTED (whether the summary lists it).

    Examples
    --------
    >>> from xmmframe import open_odf
    >>> obs = open_odf("odf/")                                                   # doctest: +SKIP
    >>> obs.index.filter(INSTRUMENT="PN").select("NAME", "KIND")                 # doctest: +SKIP
    """

    summary: OdfSummary
    directory: str
    summary_path: str
    index: pl.DataFrame = field(repr=False)

    def __repr__(self) -> str:
        cameras = ", ".join(f"{e.instrument} {e.expidstr}" for e in self.imaging_exposures())
        return f"Observation({self.obs_id}, revolution {self.revolution}; imaging: {cameras or 'none'})"

    @property
    def obs_id(self) -> str:
        """Observation identifier."""
        return self.summary.obs_id

    @property
    def revolution(self) -> int:
        """Revolution number."""
        return int(self.summary.revolution)

    # ------------------------------------------------------------------ the index

    def files(
        self,
        instrument: str | None = None,
        kind: str | None = None,
        exposure: int | None = None,
        ccd: int | None = None,
    ) -> pl.DataFrame:
        """Index rows of the constituents matching every given criterion (this observation's only)."""
        frame = self.index.filter(pl.col("OBS_ID") == self.obs_id)
        if instrument is not None:
            frame = frame.filter(pl.col("INSTRUMENT") == instrument_code(instrument))
        if kind is not None:
            frame = frame.filter(pl.col("KIND") == kind.upper())
        if exposure is not None:
            frame = frame.filter(pl.col("EXPOSURE") == int(exposure))
        if ccd is not None:
            frame = frame.filter(pl.col("CCD") == int(ccd))
        return frame

    def path(self, instrument: str, kind: str, exposure: int | None = None, ccd: int | None = None) -> str:
        """Path of exactly one constituent.

        Raises
        ------
        OdfError
            No such constituent (the message says what was looked for).
        """
        rows = self.files(instrument, kind, exposure, ccd)
        if rows.height == 0:
            what = f"{instrument_code(instrument)} {kind.upper()}"
            what += f" exposure {exposure:03d}" if exposure is not None else ""
            what += f" CCD {ccd}" if ccd is not None else ""
            raise OdfError(f"the ODF has no {what} file", self.directory)
        return str(rows["PATH"][0])

    def exposures(self, instrument: str | None = None) -> list[ExposureRecord]:
        """Exposures of one or all instruments (summary records, or derived from constituent names)."""
        return self.summary.exposures(instrument_code(instrument) if instrument else None)

    def imaging_exposures(self, instrument: str | None = None) -> list[ExposureRecord]:
        """EPIC exposures that have imaging-mode event files (``IME``) present."""
        events = self.files(kind=EVENT_KIND)
        present = {(i, e) for i, e in events.select("INSTRUMENT", "EXPOSURE").iter_rows()}
        result = []
        for code in EPIC_INSTRUMENTS:
            if instrument is not None and code != instrument_code(instrument):
                continue
            numbers = sorted(e for i, e in present if i == code)
            records = {r.number: r for r in self.exposures(code)}
            for number in numbers:
                record = records.get(number) or ExposureRecord(code, f"{number:03d}")
                ccds = tuple(sorted(self.files(code, EVENT_KIND, number)["CCD"].to_list()))
                flag = self.files(code, EVENT_KIND, number)["FLAG"][0]
                if record.scheduled is None:
                    record = replace(record, scheduled=None if flag == "X" else flag == "S")
                result.append(replace(record, ccds=ccds))
        return result

    # ------------------------------------------------------------------ raw tables

    def raw_events(self, instrument: str, exposure: int, ccd: int | None = None) -> pl.LazyFrame:
        """Raw imaging-mode events of an exposure (all CCDs, or one) with a ``CCDNR`` (UInt8) column."""
        scan_constituent = implementation("Observation.scan_constituent")
        rows = self.files(instrument, EVENT_KIND, exposure, ccd).sort("CCD")
        if rows.height == 0:
            self.path(instrument, EVENT_KIND, exposure, ccd)
        frames = [
            scan_constituent(path).with_columns(pl.lit(number, dtype=pl.UInt8).alias("CCDNR"))
            for path, number in rows.select("PATH", "CCD").iter_rows()
        ]
        return pl.concat(frames, how="vertical")

    def frames(self, instrument: str, exposure: int) -> pl.LazyFrame:
        """The frame (auxiliary) table of an exposure (pn: its first extension)."""
        return implementation("Observation.scan_constituent")(self.path(instrument, FRAME_KIND, exposure))

    def housekeeping(self, instrument: str, kind: str) -> pl.LazyFrame:
        """A housekeeping table (``PMH``, ``PAH``, ``PEH``, ``HCH``, ...) of an instrument."""
        return implementation("Observation.scan_constituent")(self.path(instrument, kind))

    def header(self, path: str, hdu: int | str | None = None) -> "fits.Header":
        """Keywords of a constituent (primary header overlaid by its first table's header)."""
        return implementation("Observation.header")(path, hdu)

    def attitude(self, path: str | os.PathLike[str] | None = None) -> "Attitude":
        """The attitude history: the ODF's ``*ATS.FIT`` (or ``path``, e.g. an atthkgen ``ATTHK`` file)."""
        if path is None:
            path = self.path("SC", ATTITUDE_KIND)
        return implementation("Observation.attitude")(os.fspath(path))

    # ------------------------------------------------------------------ processing

    def epproc(self, **options: Any) -> list["EventList"]:
        """Calibrated pn event lists, one per pn imaging exposure (see :func:`xmmframe.proc.epproc`)."""
        return implementation("Observation.epproc")(self, **options)

    def emproc(self, **options: Any) -> list["EventList"]:
        """Calibrated MOS1/MOS2 event lists, one per MOS imaging exposure (:func:`xmmframe.proc.emproc`)."""
        return implementation("Observation.emproc")(self, **options)
