"""A Parquet event list whose footer is sound but whose data pages are damaged.

The damage is found only when a product reads the rows, long after ``open_events``: the
command line still names the file it opened, in one line with exit status 1, and leaves no
output.
"""

from __future__ import annotations

import os

import pyarrow.parquet as pq
import pytest
from polars.exceptions import PolarsError

import xmmframe
from tests.badinput.cases import Work
from tests.badinput.files import sha256
from xmmframe.cli.main import main


def _damage_column(source, target, column: str) -> None:
    """Copy ``source`` to ``target`` with the compressed pages of ``column`` scrambled."""
    chunk = next(rg.column(i) for rg in [pq.ParquetFile(source).metadata.row_group(0)]
                 for i in range(rg.num_columns) if rg.column(i).path_in_schema == column)
    assert chunk.compression != "UNCOMPRESSED"
    raw = bytearray(source.read_bytes())
    start = chunk.dictionary_page_offset or chunk.data_page_offset
    for i in range(start + 40, start + chunk.total_compressed_size - 8):
        raw[i] ^= 0x5A
    target.write_bytes(bytes(raw))


@pytest.fixture()
def damaged(work: Work):
    path = work.dir / "damaged-pages.parquet"
    _damage_column(work.parquet, path, "PHA")
    return path


def test_python_reports_the_damage_when_reading(damaged):
    events = xmmframe.open_events(damaged)  # the footer and metadata are intact
    assert events.meta.instrument == "EMOS1"
    with pytest.raises(PolarsError):
        events.lazy.select("PHA").collect()


def test_cli_names_the_damaged_file(damaged, work: Work, capsys, monkeypatch):
    monkeypatch.delenv("SAS_CLOBBER", raising=False)
    before = sha256(damaged)
    status = main(["evselect", f"table={damaged}", "expression=PHA>100", f"spectrumset={work.out}",
                   "withspectrumset=yes", "spectralbinsize=5", "energycolumn=PHA"])
    err = capsys.readouterr().err
    assert status == 1
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith(f"xmmframe: error: reading {damaged} failed: "), err
    assert not work.out.exists() and os.listdir(work.out.parent) == []
    assert sha256(damaged) == before
