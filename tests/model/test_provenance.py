"""One Provenance: the single source of CREATOR, XPROC0 and the "Created by" history line."""

from __future__ import annotations

from xmmframe._version import __version__
from xmmframe.io.cards import provenance_keywords
from xmmframe.model.provenance import Provenance


def test_creator_names_the_task_and_the_version():
    assert Provenance("rmfgen").creator == f"xmmframe rmfgen (xmmframe-{__version__})"
    assert Provenance("epproc", version="9.9").created_from("ODF 1 exposure S003") == (
        "Created by xmmframe epproc (xmmframe-9.9) from ODF 1 exposure S003"
    )


def test_keywords_are_creator_date_then_the_command(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    made = Provenance("tabgtigen", command="tabgtigen table=rate.fits", version="0.1.0")
    assert provenance_keywords(made) == (
        ("CREATOR", "xmmframe tabgtigen (xmmframe-0.1.0)", "name of code that created this file"),
        ("DATE", "2023-11-14T22:13:20", "creation date"),
        ("XPROC0", "tabgtigen table=rate.fits", "command that made this file"),
    )
    assert [key for key, _, _ in provenance_keywords(Provenance("rmfgen"), date=False)] == ["CREATOR"]
