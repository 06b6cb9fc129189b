"""Files carry their creation DATE; with SOURCE_DATE_EPOCH set the same inputs give identical bytes."""

from __future__ import annotations

from datetime import datetime, timezone

import polars as pl
from astropy.io import fits

import xmmframe
from xmmframe.ccf.ccf_file import write_ccf

M1_CLEAN = "exod/0001730201/M1_clean.fits"


def _write_products(events, directory):
    directory.mkdir()
    events.spectrum().write(directory / "spectrum.pha")
    write_ccf(directory / "EMOS1_TEST_0001.CCF", "EMOS1", "TEST", 1, "2000-01-01T00:00:00",
              [("TEST", pl.DataFrame({"ENERGY": [100.0, 200.0]}), {"TUNIT1": "eV"})])
    return {p.name: p.read_bytes() for p in directory.iterdir()}


def test_source_date_epoch_makes_products_byte_identical(refdata, tmp_path, monkeypatch):
    events = xmmframe.open_events(refdata / M1_CLEAN)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    first = _write_products(events, tmp_path / "a")
    second = _write_products(events, tmp_path / "b")
    assert first == second
    for name in first:
        assert fits.getheader(tmp_path / "a" / name)["DATE"] == "2023-11-14T22:13:20", name


def test_date_is_the_time_of_writing_without_source_date_epoch(refdata, tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    events = xmmframe.open_events(refdata / M1_CLEAN)
    before = datetime.now(timezone.utc).replace(microsecond=0, tzinfo=None)
    events.spectrum().write(tmp_path / "spectrum.pha")
    after = datetime.now(timezone.utc).replace(tzinfo=None)
    written = datetime.fromisoformat(fits.getheader(tmp_path / "spectrum.pha")["DATE"])
    assert before <= written <= after
