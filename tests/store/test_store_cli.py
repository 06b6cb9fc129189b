"""``xmmframe query`` and ``xmmframe catalog`` on the store, their outputs read back independently."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from astropy.io import fits
from astropy.table import Table

from xmmframe.cli.main import main

from .conftest import brute_force_cone


@pytest.mark.parametrize("suffix", [".parquet", ".fits", ".csv"])
def test_query_writes_the_cone_events(store_root, event_files, tmp_path, suffix):
    out = tmp_path / f"cone{suffix}"
    assert main(["query", str(store_root), "--cone", "263.6579", "-32.556", "3", "--selection", "PATTERN<=4",
                 "--out", str(out)]) == 0
    table = Table.read(out, format={".parquet": "parquet", ".fits": "fits", ".csv": "ascii.csv"}[suffix])
    expected = 0
    for key, path in event_files.items():
        rows = brute_force_cone(path, 263.6579, -32.556, 3 / 60)
        with fits.open(path) as hdus:
            expected += int((hdus["EVENTS"].data["PATTERN"][rows] <= 4).sum())
    assert len(table) == expected > 0
    assert {int(v) for v in np.unique(np.asarray(table["obs_id"]))} == {1730201}  # CSV readers take it as a number


def test_query_prints_events_per_exposure(store_root, capsys):
    assert main(["query", str(store_root), "--obs", "0201903501"]) == 0
    out = capsys.readouterr().out
    assert "31607" in out and "32339" in out and "63946 events in 2 exposure(s)" in out


def test_catalog_prints_and_writes(store_root, tmp_path, capsys, fitsverify):
    assert main(["catalog", str(store_root)]) == 0
    assert "0404910601" in capsys.readouterr().out
    out = tmp_path / "catalog.fits"
    assert main(["catalog", str(store_root), "--out", str(out)]) == 0
    table = Table.read(out)
    assert len(table) == 11 and "ra_pnt" in table.colnames
    errors, _, report = fitsverify(out)
    assert errors == 0, report
    parquet = tmp_path / "catalog.parquet"
    assert main(["catalog", str(store_root), "--out", str(parquet)]) == 0
    assert pl.read_parquet(parquet).height == 11


def test_query_errors_are_one_line(store_root, tmp_path, capsys):
    assert main(["query", str(store_root), "--selection", "PATTERN <= ", "--out", str(tmp_path / "x.parquet")]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) <= 3 and "Traceback" not in err and not (tmp_path / "x.parquet").exists()
    assert main(["query", str(store_root), "--out", str(tmp_path / "x.txt")]) == 1
    assert "unknown output format .txt" in capsys.readouterr().err
    assert main(["query", str(tmp_path / "nowhere")]) == 1
    assert "no such directory" in capsys.readouterr().err
