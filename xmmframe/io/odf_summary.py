"""Reading and writing ODF summary files (``*SUM.ASC`` from the ground segment, ``*SUM.SAS`` from odfingest).

Both formats are line records.  A record starts with a keyword line (``OBSERVATION``,
``FILES``, ``CONFIGURATION [title]``, ``INSTRUMENT``, ``EXPOSURE``, ``PROPOSAL``,
``DATA QUALITY``, and ``PATH <dir>`` in SAS files); value lines are ``value / label`` (a
configuration parameter is ``KEY = VALUE / comment`` or ``KEY = VALUE // comment``); lines
starting with ``//`` are comments (SAS).  ASC records are right-padded to 80 characters.

Parsing is strict where the file gives counts: the FILES count must equal the number of names
that follow, and each record must have its value lines, otherwise :class:`OdfSummaryError`
names the line.  Everything the files hold is kept (declared configuration counts, blank
data-quality counters, the proposal's free-text lines).

Examples
--------
>>> from xmmframe.io.odf_summary import read_summary
>>> summary = read_summary("0809_0201901401_SCX00000SUM.SAS")            # doctest: +SKIP
>>> summary.obs_id, len(summary.files), summary.instruments["M1"].exposures[0].mode   # doctest: +SKIP
('0201901401', 160, 'PrimeFullWindow')
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

from xmmframe.errors import FileAccessError, OdfSummaryError
from xmmframe.io.atomic import atomic_output
from xmmframe.model.odf_set import (
    ConfigParameter,
    Configuration,
    DataQualityRecord,
    ExposureRecord,
    InstrumentRecord,
    OdfSummary,
    ProposalRecord,
)

_RECORDS = (
    "OBSERVATION",
    "FILES",
    "CONFIGURATION",
    "INSTRUMENT",
    "EXPOSURE",
    "PROPOSAL",
    "DATA QUALITY",
    "PATH",
)
_SEPARATOR = re.compile(r"\s+//?(?:\s|$)")
_PARAMETER = re.compile(r"^([A-Za-z][A-Za-z0-9_\-]*)\s*=(.*)$")
_DQ_COUNTERS = (
    "failed_packets",
    "event_reports",
    "pms_errors",
    "telemetry_drops",
    "telemetry_drop_duration",
    "telemetry_out_of_limits",
)


def split_value(line: str) -> tuple[str, str]:
    """Split ``value / label`` (or ``value // label``) at the first separator.

    Examples
    --------
    >>> split_value("0229 / Revolution number")
    ('0229', 'Revolution number')
    >>> split_value("  / Epic MOS 1 priority")
    ('', 'Epic MOS 1 priority')
    """
    text = line.rstrip()
    if text.lstrip().startswith("/"):
        return "", text.lstrip().lstrip("/").strip()
    match = _SEPARATOR.search(text)
    if match is None:
        return text.strip(), ""
    return text[: match.start()].strip(), text[match.end() :].strip()


def _record_keyword(line: str) -> str | None:
    text = line.rstrip()
    for keyword in _RECORDS:
        if text == keyword or text.startswith(keyword + " "):
            if keyword == "PATH" and text == "PATH":
                return None
            return keyword
    return None


class _Lines:
    """Non-comment lines with their 1-based numbers, and a cursor."""

    def __init__(self, text: str, path: str) -> None:
        self.path = path
        self.items = [
            (number, line.rstrip("\r\n"))
            for number, line in enumerate(text.splitlines(), start=1)
            if not line.lstrip().startswith("//")
        ]
        self.position = 0

    def done(self) -> bool:
        return self.position >= len(self.items)

    def peek(self) -> tuple[int, str]:
        return self.items[self.position]

    def next(self, what: str) -> tuple[int, str]:
        if self.done():
            last = self.items[-1][0] if self.items else 0
            raise OdfSummaryError(f"file ends where {what} was expected", self.path, last)
        item = self.items[self.position]
        self.position += 1
        return item

    def value(self, what: str) -> tuple[str, str, int]:
        number, line = self.next(what)
        if _record_keyword(line) and line.strip() not in ("",):
            raise OdfSummaryError(f"{what} expected, found record {line.strip()!r}", self.path, number)
        value, label = split_value(line)
        return value, label, number

    def until_record(self) -> Iterator[tuple[int, str]]:
        while not self.done() and _record_keyword(self.peek()[1]) is None:
            yield self.next("a line")


def parse_summary(text: str, path: str = "") -> OdfSummary:
    """Parse the text of a summary file (either format).

    Examples
    --------
    >>> text = "OBSERVATION\\n0001730201 / Obs\\n0229 / Rev\\n2001-03-09T12:43:09 / Start\\n"
    >>> text += "2001-03-09T17:29:09 / Stop\\nFILES\\n1 / Number of files\\n"
    >>> text += "0229_0001730201_SCX00000SUM.ASC / Summary\\n"
    >>> parse_summary(text).files
    (('0229_0001730201_SCX00000SUM.ASC', 'Summary'),)
    """
    lines = _Lines(text, path)
    is_sas = any(line.lstrip().startswith("//") for line in text.splitlines()[:3]) or "\nPATH " in text
    observation: dict[str, tuple[str, str]] = {}
    files: list[tuple[str, str]] = []
    declared_files: int | None = None
    configuration: Configuration | None = None
    instruments: list[InstrumentRecord] = []
    exposures: list[ExposureRecord] = []
    current_instrument: tuple[str, bool, int | None] | None = None
    proposal: ProposalRecord | None = None
    quality: list[DataQualityRecord] = []
    odf_path: str | None = None

    def close_instrument() -> None:
        nonlocal current_instrument, exposures
        if current_instrument is not None:
            name, active, declared = current_instrument
            instruments.append(InstrumentRecord(name, active, declared, tuple(exposures)))
        current_instrument, exposures = None, []

    while not lines.done():
        number, line = lines.next("a record")
        keyword = _record_keyword(line)
        if keyword is None:
            if line.strip():
                raise OdfSummaryError(f"unexpected line {line.strip()!r} outside any record", path, number)
            continue
        if keyword == "PATH":
            odf_path = line.strip()[4:].strip()
        elif keyword == "OBSERVATION":
            for key in ("obs_id", "revolution", "start", "end"):
                value, label, _ = lines.value(f"observation {key}")
                observation[key] = (value, label)
        elif keyword == "FILES":
            value, _, count_line = lines.value("the number of files")
            try:
                declared_files = int(value)
            except ValueError:
                raise OdfSummaryError(
                    f"number of files {value!r} is not an integer", path, count_line
                ) from None
            for _ in range(declared_files):
                name_line, name_text = lines.next("a file name")
                if _record_keyword(name_text):
                    raise OdfSummaryError(
                        f"FILES declares {declared_files} names but only {len(files)} follow", path, name_line
                    )
                files.append(split_value(name_text))
            extra = [n for n, t in lines.until_record() if t.strip()]
            if extra:
                raise OdfSummaryError(
                    f"FILES declares {declared_files} names but more follow", path, extra[0]
                )
        elif keyword == "CONFIGURATION":
            record = _configuration(lines, line.strip()[len("CONFIGURATION") :].strip(), path, number)
            if current_instrument is not None and exposures:
                from dataclasses import replace

                exposures[-1] = replace(exposures[-1], configuration=record)
            elif configuration is None:
                configuration = record
            else:
                raise OdfSummaryError("a second observation-level CONFIGURATION record", path, number)
        elif keyword == "INSTRUMENT":
            close_instrument()
            name, _, _ = lines.value("the instrument name")
            active, _, _ = lines.value("the instrument's active flag")
            count, _, count_line = lines.value("the instrument's number of exposures")
            current_instrument = (name.strip(), active.strip().upper() == "Y", _int(count, path, count_line))
        elif keyword == "EXPOSURE":
            if current_instrument is None:
                raise OdfSummaryError("EXPOSURE record outside an INSTRUMENT record", path, number)
            values = [lines.value(f"exposure value {i + 1}")[0] for i in range(9)]
            exposures.append(
                ExposureRecord(
                    instrument=current_instrument[0],
                    identifier=values[0],
                    scheduled=values[1].upper() == "Y",
                    kind=values[2],
                    commanded_id=values[3],
                    proposal_id=values[4],
                    scheduled_start=values[5] or None,
                    scheduled_end=values[6] or None,
                    start=values[7] or None,
                    end=values[8] or None,
                )
            )
        elif keyword == "PROPOSAL":
            close_instrument()
            raw = [text for _, text in lines.until_record()]
            fields: dict[str, str] = {}
            free: list[str] = []
            for text in raw:
                value, label = split_value(text)
                if label:
                    fields[label] = value
                else:
                    free.append(text.rstrip())
            proposal = ProposalRecord(tuple(free), fields)
        elif keyword == "DATA QUALITY":
            close_instrument()
            instrument, _, _ = lines.value("the data-quality instrument")
            exposure_id, _, _ = lines.value("the data-quality exposure id")
            counters = {}
            for key in _DQ_COUNTERS:
                value, _, value_line = lines.value(f"data-quality {key}")
                counters[key] = _int(value, path, value_line) if value else None
            flag, _, _ = lines.value("the data-quality scheduled flag")
            quality.append(DataQualityRecord(instrument, exposure_id, counters, flag))
    close_instrument()
    if len(observation) < 4:
        raise OdfSummaryError("no OBSERVATION record", path)
    if declared_files is None:
        raise OdfSummaryError("no FILES record", path)
    return OdfSummary(
        format="SAS" if is_sas else "ASC",
        obs_id=observation["obs_id"][0],
        revolution=observation["revolution"][0],
        start=observation["start"][0],
        end=observation["end"][0],
        files=tuple(files),
        declared_files=declared_files,
        configuration=configuration,
        instrument_records=tuple(instruments),
        proposal=proposal,
        data_quality=tuple(quality),
        path=odf_path,
        labels={key: label for key, (_, label) in observation.items()},
    )


def _int(value: str, path: str, line: int) -> int:
    try:
        return int(value)
    except ValueError:
        raise OdfSummaryError(f"{value!r} is not an integer", path, line) from None


def _configuration(lines: _Lines, title: str, path: str, number: int) -> Configuration:
    count_text, _, count_line = lines.value("the number of configuration parameters")
    declared = _int(count_text, path, count_line) if count_text else None
    parameters = []
    for line_number, text in lines.until_record():
        if not text.strip():
            continue
        match = _PARAMETER.match(text.strip())
        if match is None:
            raise OdfSummaryError(
                f"configuration parameter expected, found {text.strip()!r}", path, line_number
            )
        value, comment = split_value(match.group(2))
        parameters.append(ConfigParameter(match.group(1), value, comment))
    return Configuration(title, declared, tuple(parameters))


def read_summary(path: str | os.PathLike[str]) -> OdfSummary:
    """Read and parse a summary file (``*SUM.ASC`` or ``*SUM.SAS``).

    Raises
    ------
    FileAccessError
        The file does not exist.
    OdfSummaryError
        The text is not a summary file; the message names the line.
    """
    spath = os.fspath(path)
    try:
        with open(spath, "rb") as handle:
            raw = handle.read()
    except FileNotFoundError:
        raise FileAccessError("no such ODF summary file", spath) from None
    except IsADirectoryError:
        raise FileAccessError("is a directory, not a summary file", spath) from None
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    return parse_summary(text, spath)


# ---------------------------------------------------------------------------------------- writing


def _trailer_lines(summary) -> list[str]:  # noqa: ANN001 - an OdfSummary
    """The PROPOSAL and DATA QUALITY records, the same in both summary formats."""
    out: list[str] = []
    if summary.proposal is not None:
        out.append("PROPOSAL")
        out += list(summary.proposal.lines)
        out += [_value_line(value, label) for label, value in summary.proposal.fields.items()]
    for dq in summary.data_quality:
        out += [
            "DATA QUALITY",
            _value_line(dq.instrument, "Instrument Id"),
            _value_line(dq.exposure_id, "Exposure Id"),
        ]
        out += [_value_line("" if v is None else v, k) for k, v in dq.counters.items()]
        out.append(_value_line(dq.scheduled_flag, "Scheduled flag"))
    return out


def _value_line(value: object, label: str, width: int = 0) -> str:
    line = f"{value} / {label}"
    return line.ljust(width) if width else line


def format_summary_asc(summary: OdfSummary) -> str:
    """The ground-segment ``SUM.ASC`` text of a summary (80-character records).

    Examples
    --------
    >>> from xmmframe.model.odf_set import OdfSummary
    >>> s = OdfSummary("ASC", "0001730201", "0229", "2001-03-09T12:43:09", "2001-03-09T17:29:09", (), 0)
    >>> format_summary_asc(s).splitlines()[0].rstrip()
    'OBSERVATION'
    """
    out = ["OBSERVATION"]
    out += [
        _value_line(summary.obs_id, "Observation/Slew Identifier"),
        _value_line(summary.revolution, "Revolution number"),
        _value_line(summary.start, "Scheduled Start Time"),
        _value_line(summary.end, "Scheduled Stop Time"),
        "FILES",
        _value_line(len(summary.files), " Number of files into this ODF/SDF"),
    ]
    out += [_value_line(name, comment or "Generic ODF file") for name, comment in summary.files]
    config = summary.configuration
    if config is not None:
        out += ["CONFIGURATION", _value_line(len(config.parameters), "Number of Configuration Parameters")]
        out += [f"{p.key} = {p.value} / {p.comment}" for p in config.parameters]
    out += _trailer_lines(summary)
    return "".join(line[:80].ljust(80) + "\n" for line in out)


def format_summary_sas(summary: OdfSummary, creator: str, date: str) -> str:
    """The odfingest-style ``SUM.SAS`` text: ``PATH``, OBSERVATION, FILES, CONFIGURATION,
    INSTRUMENT/EXPOSURE/CONFIGURATION records, then PROPOSAL and DATA QUALITY.

    Parameters
    ----------
    summary : OdfSummary
        Everything to write; ``summary.path`` becomes the ``PATH`` line and
        ``summary.instrument_records`` the instrument records.
    creator : str
        The program named in the header comment (``xmmframe odfingest (xmmframe-0.1.0)``).
    date : str
        Creation date (UTC ISO).
    """
    out = [
        "// ----------------------------------",
        "// XMM-Newton Science Analysis System",
        "// ----------------------------------",
        "//",
        "// ODF Summary File",
        f"// By: {creator} on {date}",
        "//",
        "//",
        "// Directory where the ODF constituents were found. "
        "This may have to be edited to match the local file system structure.",
        "//",
        f"PATH {summary.path or '.'}",
        "//",
        "// Observation Record",
        "//",
        "OBSERVATION",
        _value_line(summary.obs_id, "Observation Identifier"),
        _value_line(summary.revolution, "Revolution Identifier"),
        _value_line(summary.start, "Observation Start Time"),
        _value_line(summary.end, "Observation End Time"),
        "//",
        "// Number of files in the Observation Summary File, and their names",
        "//",
        "FILES",
        _value_line(len(summary.files), "Number of Files"),
    ]
    out += [_value_line(name, "ODF Constituent") for name, _ in summary.files]
    if summary.configuration is not None:
        config = summary.configuration
        out += ["CONFIGURATION", str(len(config.parameters))]
        out += [f"{p.key} = {p.value} / {p.comment}" for p in config.parameters]
    index = 0
    for instrument in summary.instrument_records:
        out += [
            "//",
            "// Instrument Record",
            "//",
            "INSTRUMENT",
            instrument.name,
            _value_line("Y" if instrument.active else "N", "Is this instrument active?"),
            _value_line(len(instrument.exposures), "Number of exposures for this instrument"),
        ]
        for level, exposure in enumerate(instrument.exposures, start=1):
            index += 1
            out += [
                "//",
                "// Exposure Record",
                f"// Observation Level Exposure Index = {index}",
                f"// Instrument [{instrument.name}] Level Exposure Identifier = {exposure.expidstr}",
                f"// Instrument [{instrument.name}] Level Exposure Index = {level}",
                "//",
                "EXPOSURE",
                _value_line(exposure.identifier, f"Exposure Identifier [also {exposure.expidstr}]"),
                _value_line("Y" if exposure.scheduled else "N", "Is this a scheduled exposure?"),
                _value_line(exposure.kind or "SCIENCE", "Exposure Type"),
                _value_line(exposure.commanded_id, "Commanded Exposure Identifier"),
                _value_line(exposure.proposal_id, "Proposal Exposure Identifier"),
                _value_line(exposure.scheduled_start or exposure.start or "", "Scheduled Start Time"),
                _value_line(exposure.scheduled_end or exposure.end or "", "Scheduled End Time"),
                _value_line(exposure.start or "", "Actual Start Time"),
                _value_line(exposure.end or "", "Actual End Time"),
            ]
            if exposure.configuration is not None:
                config = exposure.configuration
                out += [
                    "//",
                    f"// Configuration Record for {instrument.name}",
                    "//",
                    f"CONFIGURATION {config.title}".rstrip(),
                    _value_line(len(config.parameters), "Number of configuration parameters available"),
                ]
                out += [f"{p.key} = {p.value} / {p.comment}" for p in config.parameters]
    out += _trailer_lines(summary)
    return "\n".join(out) + "\n"


def write_summary(path: str | os.PathLike[str], text: str) -> None:
    """Write a summary file atomically."""
    with atomic_output(path) as stream:
        stream.write(text.encode("ascii", errors="replace"))
