"""The real ODF summary files in the reference data parse completely, with values equal to the text."""

from __future__ import annotations

import re

import pytest

from xmmframe.errors import OdfSummaryError
from xmmframe.io.odf_summary import format_summary_sas, parse_summary, read_summary

SAS_FILES = {
    "xga/0201901401/odf/0809_0201901401_SCX00000SUM.SAS": (
        "0201901401",
        "0809",
        160,
        {"M1": 1, "M2": 1, "R1": 3, "R2": 3, "PN": 13, "OM": 8},
    ),
    "xga/0201903501/odf/0828_0201903501_SCX00000SUM.SAS": (
        "0201903501",
        "0828",
        176,
        {"M1": 1, "M2": 1, "R1": 10, "R2": 10, "PN": 13, "OM": 11},
    ),
    "xga/0404910601/odf/1184_0404910601_SCX00000SUM.SAS": (
        "0404910601",
        "1184",
        185,
        {"M1": 1, "M2": 1, "R1": 15, "R2": 15, "PN": 14, "OM": 11},
    ),
}
ASC = "exod/0001730201/0229_0001730201_SCX00000SUM.ASC"


def _config_lines(text: str) -> list[tuple[str, str]]:
    """(title, declared count) of every CONFIGURATION record, straight from the text."""
    lines = [line.rstrip() for line in text.splitlines() if not line.lstrip().startswith("//")]
    result = []
    for i, line in enumerate(lines):
        if line.startswith("CONFIGURATION"):
            result.append((line[len("CONFIGURATION") :].strip(), lines[i + 1].split("/")[0].strip()))
    return result


@pytest.mark.parametrize("name", sorted(SAS_FILES))
def test_sas_summary_counts_and_records(refdata, name):
    obs_id, revolution, n_files, exposures = SAS_FILES[name]
    path = refdata / name
    text = path.read_text()
    summary = read_summary(path)
    assert summary.format == "SAS"
    assert (summary.obs_id, summary.revolution) == (obs_id, revolution)
    assert summary.path and summary.path.startswith("/")
    # every constituent listed, in order, equal to the text
    listed = [line.split(" / ")[0] for line in text.splitlines() if line.endswith(" / ODF Constituent")]
    assert summary.declared_files == len(summary.files) == n_files == len(listed)
    assert summary.file_names == listed
    # instruments and their exposures
    assert {k: len(v.exposures) for k, v in summary.instruments.items()} == exposures
    for record in summary.instruments.values():
        assert record.active and record.declared_exposures == len(record.exposures)
    # every configuration record: declared count == parameters parsed, titles as written
    records = [summary.configuration] + [e.configuration for e in summary.exposures()]
    assert [(r.title, str(r.declared)) for r in records] == _config_lines(text)
    assert all(r.declared == len(r.parameters) for r in records)
    # every exposure's times appear in the text as written
    for exposure in summary.exposures():
        assert f"{exposure.start} / Actual Start Time" in text
        assert f"{exposure.end} / Actual End Time" in text
        assert f"{exposure.identifier} / Exposure Identifier [also {exposure.expidstr}]" in text


def test_sas_summary_values(refdata):
    summary = read_summary(refdata / "xga/0201901401/odf/0809_0201901401_SCX00000SUM.SAS")
    assert (summary.start, summary.end) == ("2004-05-09T13:00:16.000", "2004-05-09T20:20:16.000")
    m1 = summary.instruments["M1"].exposure("U002")
    assert (m1.expidstr, m1.scheduled, m1.kind) == ("U002", False, "SCIENCE")
    assert (m1.start, m1.end) == ("2004-05-09T16:07:05.000", "2004-05-09T20:16:21.000")
    assert (m1.mode, m1.filter) == ("PrimeFullWindow", "Thin1")
    assert m1.data_modes == {ccd: "Imaging" for ccd in range(1, 8)}
    assert m1.configuration["FILTER_WHEEL"] == "FILTER A"
    assert m1.configuration["CLOCK_RESET_TIME_COARSE"] == "121744379"
    assert m1.configuration["HBR_LOW_THR_0"] == "Unknown"
    assert m1.ccds == (1, 2, 3, 4, 5, 6, 7)
    pn = summary.instruments["PN"].exposures
    assert (pn[0].expidstr, pn[0].mode, pn[0].filter, len(pn[0].configuration.parameters)) == (
        "U002",
        "PrimeFullWindowExtended",
        "Thin1",
        70,
    )
    assert pn[0].ccds == tuple(range(1, 13))
    assert [e.mode for e in pn[1:3]] == ["Diagnostic", "Diagnostic"]
    assert pn[1].data_modes == {1: "DiscardedLinesData"}
    om = summary.instruments["OM"].exposure(404)
    assert om.configuration["FLOOD_LED_BIAS"] == "-nan"
    config = summary.configuration.as_dict()
    assert config["ODF_VERSION"] == "003" and config["PRIME_INSTR"] == "E3"
    assert config["SAS_MANIFEST"] == "xmmsas_20141104_1833-14.0.0"
    assert summary.proposal.target == "RXCJ0958.3-1103"
    assert summary.proposal.target_ra_deg == pytest.approx(9.9728195 * 15)
    assert len(summary.data_quality) == 6
    assert summary.data_quality[1].counters["telemetry_drop_duration"] == 133


def test_asc_summary(refdata):
    path = refdata / ASC
    text = path.read_text()
    summary = read_summary(path)
    assert summary.format == "ASC" and summary.path is None
    assert (summary.obs_id, summary.revolution, summary.start, summary.end) == (
        "0001730201",
        "0229",
        "2001-03-09T12:43:09",
        "2001-03-09T17:29:09",
    )
    names = re.findall(r"^(\d{4}_\d{10}_\w+\.(?:FIT|ASC))", text, flags=re.M)
    assert summary.declared_files == len(summary.files) == 187 == len(names)
    assert summary.file_names == names
    assert summary.files[4] == ("0229_0001730201_SCX00000ATS.FIT", "Reconstructed Attitude file")
    assert summary.configuration.as_dict() == {"ODF_VERSION": "003"}
    assert summary.configuration.declared == 1
    assert summary.proposal.target == "HD159176"
    assert summary.proposal.fields["Boresight Declination"] == "-32.5816667"
    assert summary.proposal.fields["Epic pn priority"] == "0"
    assert len(summary.data_quality) == text.count("DATA QUALITY") == 36
    blank = summary.data_quality[0]
    assert (blank.instrument, blank.exposure_id, blank.scheduled_flag) == ("R2", "0001730201R2005", "U")
    assert set(blank.counters.values()) == {None}
    assert summary.data_quality[-1].counters["telemetry_drops"] == 12845
    # no instrument records in a raw summary: exposures are derived from the constituent names
    assert summary.instrument_records == ()
    derived = summary.instruments
    assert [e.expidstr for e in derived["M1"].exposures] == ["S001"]
    assert derived["M1"].exposures[0].ccds == tuple(range(1, 8))
    assert [e.expidstr for e in derived["M2"].exposures] == ["S002"]
    assert [e.expidstr for e in derived["PN"].exposures] == ["U002"]  # PNU00512ODI belongs to 9999990219
    assert derived["PN"].exposures[0].ccds == tuple(range(1, 13))
    assert derived["PN"].exposures[0].start is None
    assert {"R1", "R2", "OM", "RM"} <= set(derived)


def test_summary_round_trip_through_sas_format(refdata):
    original = read_summary(refdata / "xga/0201903501/odf/0828_0201903501_SCX00000SUM.SAS")
    again = parse_summary(format_summary_sas(original, "test", "2025-01-01T00:00:00"))
    assert again.files == tuple((name, "ODF Constituent") for name in original.file_names)
    assert [i.name for i in again.instrument_records] == [i.name for i in original.instrument_records]
    for a, b in zip(again.exposures(), original.exposures(), strict=False):
        assert (a.expidstr, a.start, a.end, a.mode, a.filter) == (
            b.expidstr,
            b.start,
            b.end,
            b.mode,
            b.filter,
        )
        assert a.configuration.as_dict() == b.configuration.as_dict()
    assert again.proposal.fields == original.proposal.fields
    assert again.data_quality == original.data_quality


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("FILES\n2 / n\n0001_0000000001_SCX00000SUM.ASC / x\n", "file ends"),
        ("OBSERVATION\n0001 / o\n0001 / r\n2001 / s\n2001 / e\nFILES\n1 / n\na / x\nb / y\n", "more follow"),
        ("OBSERVATION\n0001 / o\n", "file ends"),
        ("hello\n", "outside any record"),
        ("OBSERVATION\n0001 / o\n0001 / r\n2001 / s\n2001 / e\n", "no FILES record"),
        ("OBSERVATION\n0001 / o\n0001 / r\n2001 / s\n2001 / e\nFILES\nmany / n\n", "not an integer"),
    ],
)
def test_malformed_summaries_name_the_line(text, message):
    with pytest.raises(OdfSummaryError, match=message) as info:
        parse_summary(text, "bad_SUM.ASC")
    assert "bad_SUM.ASC" in str(info.value)
