"""SAS clobber semantics: an existing output is refused unless clobber is asked for, and the
refused output is left as it was."""

from __future__ import annotations

import pytest

from tests.badinput.files import small_events
from xmmframe.cli.main import main


@pytest.fixture()
def events(refdata, tmp_path):
    return small_events(refdata, tmp_path / "events.fits", rows=50)


@pytest.mark.parametrize("asked", [["--clobber"], ["-c"], "SAS_CLOBBER"])
def test_convert_replaces_an_existing_output_only_when_asked(events, tmp_path, capsys, monkeypatch, asked):
    monkeypatch.delenv("SAS_CLOBBER", raising=False)
    target = tmp_path / "events.parquet"
    target.write_bytes(b"keep me")
    assert main(["convert", str(events), str(target)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(target) in err and "clobber" in err
    assert target.read_bytes() == b"keep me"
    if asked == "SAS_CLOBBER":
        monkeypatch.setenv("SAS_CLOBBER", "1")
        asked = []
    assert main(["convert", *asked, str(events), str(target)]) == 0
    assert target.read_bytes()[:4] == b"PAR1"


def test_tasks_share_one_refusal(events, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("SAS_CLOBBER", raising=False)
    existing = tmp_path / "exists.fits"
    existing.write_bytes(b"keep me")
    commands = [
        ["convert", str(events), str(existing)],
        ["cifbuild", f"calindexset={existing}"],
        ["rmfgen", f"rmfset={existing}", f"spectrumset={tmp_path / 'none.pha'}"],
        ["arfgen", f"arfset={existing}", f"spectrumset={tmp_path / 'none.pha'}"],
        ["epiclccorr", f"outset={existing}", f"srctslist={tmp_path / 'none.lc'}", f"eventlist={events}"],
    ]
    for command in commands:
        assert main(command) == 1, command
        assert capsys.readouterr().err == f"xmmframe: error: {existing}: exists; use clobber=yes (or --clobber) to replace it\n"
    assert existing.read_bytes() == b"keep me"
