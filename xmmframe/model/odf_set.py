"""What an Observation Data File (ODF) set is: its summary records and its constituent files.

An ODF is a directory of FITS/ASCII constituents named ``RRRR_OOOOOOOOOO_IISEEECCTTT.EXT``
(XMM-Newton Data Files Handbook, file naming): ``RRRR`` revolution, ``OOOOOOOOOO`` observation
id, ``II`` instrument (``M1 M2 PN R1 R2 OM RM SC``), ``S`` scheduled/unscheduled/not-applicable
(``S U X``), ``EEE`` exposure number, ``CC`` CCD field, ``TTT`` data type (``IME AUX ATS HCH ...``).
For EPIC MOS the two CCD digits are CCD and node (``M1S00110IME`` = exposure 001, CCD 1,
node 0); for EPIC pn they are the CCD number 01-12 (``PNU00203IME``); ``00`` means "not CCD
specific" (auxiliary and housekeeping files).

The summary file lists the constituents and describes the observation, its instruments and
exposures.  Two formats exist and are both modelled by :class:`OdfSummary`:

* ``*SUM.ASC`` written by the ground segment (fixed 80-character records ``OBSERVATION``,
  ``FILES``, ``CONFIGURATION``, ``PROPOSAL``, ``DATA QUALITY``; no instrument records), and
* ``*SUM.SAS`` written by SAS ``odfingest`` (adds ``PATH``, ``INSTRUMENT``, ``EXPOSURE`` and a
  ``CONFIGURATION`` record per exposure, ``//`` comment lines).

When a summary has no instrument records (``SUM.ASC``), :meth:`OdfSummary.instruments` derives
them from the constituent names (exposures, CCDs, scheduled flag), without start/end times.

Examples
--------
>>> from xmmframe.model.odf_set import OdfFileName
>>> name = OdfFileName.parse("0229_0001730201_M1S00110IME.FIT")
>>> name.instrument, name.exposure, name.ccd, name.node, name.kind
('M1', 1, 1, 0, 'IME')
>>> name.expidstr
'S001'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

#: EPIC instruments as named in ODF file names, and their INSTRUME keyword values.
EPIC_INSTRUMENTS: dict[str, str] = {"M1": "EMOS1", "M2": "EMOS2", "PN": "EPN"}

_NAME = re.compile(
    r"^(?P<rev>\d{4})_(?P<obs>\d{10})_(?P<inst>[A-Z][A-Z0-9])(?P<flag>[SUX])(?P<exp>\d{3})"
    r"(?P<ccd>\d{2})(?P<kind>[A-Z0-9]{3})\.(?P<ext>FIT|ASC|SAS)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class OdfFileName:
    """The facts encoded in an ODF constituent's file name.

    Attributes
    ----------
    name : str
        The file name itself.
    revolution : int
        Satellite revolution.
    obs_id : str
        Ten-digit observation identifier.
    instrument : str
        Two-character instrument code (``M1``, ``M2``, ``PN``, ``R1``, ``R2``, ``OM``, ``RM``, ``SC``).
    flag : str
        ``S`` scheduled, ``U`` unscheduled exposure, ``X`` not applicable.
    exposure : int
        Exposure number (0 when not exposure specific).
    ccd_field : str
        The two CCD digits as written.
    kind : str
        Three-character data type (``IME``, ``AUX``, ``ATS``, ``HCH``, ``SUM``, ...).
    extension : str
        ``FIT``, ``ASC`` or ``SAS``.
    """

    name: str
    revolution: int
    obs_id: str
    instrument: str
    flag: str
    exposure: int
    ccd_field: str
    kind: str
    extension: str

    @classmethod
    def parse(cls, name: str) -> "OdfFileName | None":
        """Parse a constituent name; ``None`` when it does not follow the convention.

        Examples
        --------
        >>> OdfFileName.parse("0809_0201901401_PNU00203IME.FIT").ccd
        3
        >>> OdfFileName.parse("notes.txt") is None
        True
        """
        match = _NAME.match(name.strip())
        if match is None:
            return None
        return cls(
            name=name.strip(),
            revolution=int(match["rev"]),
            obs_id=match["obs"],
            instrument=match["inst"].upper(),
            flag=match["flag"].upper(),
            exposure=int(match["exp"]),
            ccd_field=match["ccd"],
            kind=match["kind"].upper(),
            extension=match["ext"].upper(),
        )

    @property
    def is_epic(self) -> bool:
        """Whether the file belongs to EPIC MOS1, MOS2 or pn."""
        return self.instrument in EPIC_INSTRUMENTS

    @property
    def ccd(self) -> int:
        """CCD number (MOS: first digit, pn: both digits; 0 when not CCD specific)."""
        if self.instrument in ("M1", "M2"):
            return int(self.ccd_field[0])
        return int(self.ccd_field)

    @property
    def node(self) -> int:
        """Readout node (MOS: second CCD digit; 0 otherwise)."""
        return int(self.ccd_field[1]) if self.instrument in ("M1", "M2") else 0

    @property
    def expidstr(self) -> str:
        """The exposure identifier as in ``EXPIDSTR`` (``S001``, ``U002``)."""
        return f"{self.flag}{self.exposure:03d}"

    @staticmethod
    def make(
        revolution: int,
        obs_id: str,
        instrument: str,
        flag: str,
        exposure: int,
        ccd_field: str,
        kind: str,
        extension: str = "FIT",
    ) -> str:
        """Compose a constituent name.

        Examples
        --------
        >>> OdfFileName.make(229, "0001730201", "PN", "S", 3, "04", "IME")
        '0229_0001730201_PNS00304IME.FIT'
        """
        return f"{revolution:04d}_{obs_id}_{instrument}{flag}{exposure:03d}{ccd_field}{kind}.{extension}"


@dataclass(frozen=True)
class ConfigParameter:
    """One ``KEY = VALUE / comment`` line of a CONFIGURATION record."""

    key: str
    value: str
    comment: str = ""


@dataclass(frozen=True)
class Configuration:
    """A CONFIGURATION record: its title (``EPIC MOS``, ``EPIC PN``, ``RGS``, ``OM`` or empty),
    the declared number of parameters and the parameters in file order."""

    title: str
    declared: int | None
    parameters: tuple[ConfigParameter, ...]

    def __getitem__(self, key: str) -> str:
        for parameter in self.parameters:
            if parameter.key == key:
                return parameter.value
        raise KeyError(key)

    def get(self, key: str, default: str | None = None) -> str | None:
        """The value of ``key`` or ``default``."""
        try:
            return self[key]
        except KeyError:
            return default

    def as_dict(self) -> dict[str, str]:
        """Parameters as an ordered dict (the last of repeated keys wins)."""
        return {p.key: p.value for p in self.parameters}

    def numbered(self, prefix: str) -> dict[int, str]:
        """Values of ``PREFIX_n`` keys by ``n`` (``numbered('DATA_MODE')`` -> ``{1: 'Imaging', ...}``)."""
        result: dict[int, str] = {}
        for parameter in self.parameters:
            match = re.fullmatch(re.escape(prefix) + r"_(\d+)", parameter.key)
            if match:
                result[int(match.group(1))] = parameter.value
        return result


@dataclass(frozen=True)
class ExposureRecord:
    """An EXPOSURE record (``*SUM.SAS``) or an exposure derived from constituent names.

    Attributes
    ----------
    instrument : str
        Two-character instrument code.
    identifier : str
        Three-digit exposure number as written (``002``).
    scheduled : bool or None
        Whether the exposure was scheduled (None when unknown).
    kind : str
        Exposure type (``SCIENCE``, ...; empty when derived from file names).
    commanded_id, proposal_id : str
        Identifiers of the record (``0201901401M1U002``).
    scheduled_start, scheduled_end, start, end : str or None
        UTC times as written (None when derived from file names).
    configuration : Configuration or None
        The record's configuration (``MODE``, ``FILTER``, ``DATA_MODE_n``, ...).
    ccds : tuple of int
        CCDs with constituents for this exposure (from the file index).
    """

    instrument: str
    identifier: str
    scheduled: bool | None = None
    kind: str = ""
    commanded_id: str = ""
    proposal_id: str = ""
    scheduled_start: str | None = None
    scheduled_end: str | None = None
    start: str | None = None
    end: str | None = None
    configuration: Configuration | None = None
    ccds: tuple[int, ...] = ()

    @property
    def number(self) -> int:
        """Exposure number."""
        return int(self.identifier)

    @property
    def expidstr(self) -> str:
        """``S002``/``U002`` as in the ``EXPIDSTR`` keyword (``X`` when the scheduled flag is unknown)."""
        flag = "X" if self.scheduled is None else ("S" if self.scheduled else "U")
        return f"{flag}{self.identifier}"

    def _config(self, key: str) -> str | None:
        return self.configuration.get(key) if self.configuration else None

    @property
    def mode(self) -> str | None:
        """Instrument configuration (``PrimeFullWindow``, ...): the MODE parameter."""
        return self._config("MODE")

    @property
    def filter(self) -> str | None:
        """FILTER parameter (``Thin1``, ``Medium``, ``Thick``, ...)."""
        return self._config("FILTER")

    @property
    def data_modes(self) -> dict[int, str]:
        """``DATA_MODE_n`` by CCD (``Imaging``, ``Timing``, ...)."""
        return self.configuration.numbered("DATA_MODE") if self.configuration else {}


@dataclass(frozen=True)
class InstrumentRecord:
    """An INSTRUMENT record: code, active flag, declared and actual exposures."""

    name: str
    active: bool
    declared_exposures: int | None
    exposures: tuple[ExposureRecord, ...] = ()

    def exposure(self, identifier: int | str) -> ExposureRecord:
        """The exposure with this number (``2``, ``'002'`` or ``'U002'``)."""
        number = int(str(identifier)[-3:])
        for record in self.exposures:
            if record.number == number:
                return record
        raise KeyError(f"instrument {self.name} has no exposure {identifier}")


@dataclass(frozen=True)
class DataQualityRecord:
    """A DATA QUALITY record: instrument, exposure id, counters (None when blank) and scheduled flag."""

    instrument: str
    exposure_id: str
    counters: dict[str, int | None]
    scheduled_flag: str


@dataclass(frozen=True)
class ProposalRecord:
    """The PROPOSAL record: free-text lines (observer, address) and ``value / label`` fields."""

    lines: tuple[str, ...]
    fields: dict[str, str]

    @property
    def target(self) -> str | None:
        """Target name."""
        return self.fields.get("Target Name")

    @property
    def target_ra_deg(self) -> float | None:
        """Target RA in degrees (the record gives hours)."""
        value = self.fields.get("Target Right Ascension")
        return float(value) * 15.0 if value else None

    @property
    def target_dec_deg(self) -> float | None:
        """Target declination in degrees."""
        value = self.fields.get("Target Declination")
        return float(value) if value else None


@dataclass(frozen=True)
class OdfSummary:
    """The content of an ODF summary file (``*SUM.ASC`` or ``*SUM.SAS``).

    Attributes
    ----------
    format : str
        ``ASC`` (ground segment) or ``SAS`` (odfingest).
    obs_id, revolution, start, end : str
        OBSERVATION record values as written (times UTC).
    files : tuple of (str, str)
        Constituent names and their comments, in file order.
    declared_files : int
        The FILES count as written.
    configuration : Configuration or None
        The observation-level CONFIGURATION record.
    instrument_records : tuple of InstrumentRecord
        INSTRUMENT/EXPOSURE records (empty in ``SUM.ASC``).
    proposal : ProposalRecord or None
        PROPOSAL record.
    data_quality : tuple of DataQualityRecord
        DATA QUALITY records.
    path : str or None
        ``PATH`` of a ``SUM.SAS`` (where odfingest found the constituents).
    labels : dict
        The comment text of the OBSERVATION values (``Observation Identifier`` ...).
    """

    format: str
    obs_id: str
    revolution: str
    start: str
    end: str
    files: tuple[tuple[str, str], ...]
    declared_files: int
    configuration: Configuration | None = None
    instrument_records: tuple[InstrumentRecord, ...] = ()
    proposal: ProposalRecord | None = None
    data_quality: tuple[DataQualityRecord, ...] = ()
    path: str | None = None
    labels: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def file_names(self) -> list[str]:
        """Constituent names in file order."""
        return [name for name, _ in self.files]

    @cached_property
    def parsed_files(self) -> list[OdfFileName]:
        """Constituent names that follow the ODF naming convention, parsed."""
        return [parsed for name in self.file_names if (parsed := OdfFileName.parse(name)) is not None]

    @cached_property
    def instruments(self) -> dict[str, InstrumentRecord]:
        """Instruments by code: from INSTRUMENT records, else derived from the constituent names.

        Derived instruments (``SUM.ASC``) list every exposure number seen in a science, auxiliary
        or housekeeping name of this observation (exposure 000 excluded), with the CCDs that
        have constituents; start/end times are unknown there.
        """
        ccds_by_exposure: dict[tuple[str, int], set[int]] = {}
        for parsed in self.parsed_files:
            if parsed.obs_id == self.obs_id and parsed.exposure:
                ccds = ccds_by_exposure.setdefault((parsed.instrument, parsed.exposure), set())
                if parsed.ccd:
                    ccds.add(parsed.ccd)
        if self.instrument_records:
            result = {}
            for record in self.instrument_records:
                exposures = tuple(
                    _with_ccds(e, ccds_by_exposure.get((record.name, e.number), set()))
                    for e in record.exposures
                )
                result[record.name] = InstrumentRecord(
                    record.name, record.active, record.declared_exposures, exposures
                )
            return result
        flags: dict[tuple[str, int], str] = {}
        for parsed in self.parsed_files:
            if parsed.obs_id == self.obs_id and parsed.exposure:
                flags.setdefault((parsed.instrument, parsed.exposure), parsed.flag)
        derived: dict[str, list[ExposureRecord]] = {}
        for (instrument, number), flag in sorted(flags.items()):
            derived.setdefault(instrument, []).append(
                ExposureRecord(
                    instrument=instrument,
                    identifier=f"{number:03d}",
                    scheduled=None if flag == "X" else flag == "S",
                    ccds=tuple(sorted(ccds_by_exposure.get((instrument, number), set()))),
                )
            )
        return {name: InstrumentRecord(name, True, None, tuple(records)) for name, records in derived.items()}

    def exposures(self, instrument: str | None = None) -> list[ExposureRecord]:
        """Exposures of one instrument (or of all), in record order."""
        records = []
        for name, record in self.instruments.items():
            if instrument is None or name == instrument.upper():
                records.extend(record.exposures)
        return records


def _with_ccds(record: ExposureRecord, ccds: set[int]) -> ExposureRecord:
    from dataclasses import replace

    return replace(record, ccds=tuple(sorted(ccds))) if ccds else record
