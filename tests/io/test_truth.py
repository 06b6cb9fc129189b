"""The truth table written in parts reads back as their concatenation, with its description."""

from __future__ import annotations

import os

import polars as pl
import pytest

from xmmframe.io.truth import read_truth, truth_writer


def _part(instrument: str, n: int, first: float) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "INSTRUME": pl.Series([instrument] * n, dtype=pl.Categorical),
            "TIME": [first + k for k in range(n)],
            "PATTERN": pl.Series([k % 16 for k in range(n)], dtype=pl.UInt8),
            "DETECTED": [k % 3 == 0 for k in range(n)],
        }
    )


def test_parts_read_back_as_one_table(tmp_path):
    parts = [_part("EMOS1", 5, 0.0), _part("EMOS1", 0, 9.0), _part("EPN", 7, 100.0)]
    with truth_writer(tmp_path / "truth.parquet") as out:
        for part in parts:
            out.write(part)
        out.describe({"seed": 3})
    assert out.rows == 12
    table, info = read_truth(tmp_path / "truth.parquet")
    assert info == {"seed": 3}
    assert table.equals(pl.concat(parts))
    assert table.schema == parts[0].schema


def test_an_empty_truth_table(tmp_path):
    with truth_writer(tmp_path / "truth.parquet") as out:
        out.describe({"seed": 1})
    table, info = read_truth(tmp_path / "truth.parquet")
    assert table.height == 0 and info == {"seed": 1}


def test_no_file_without_a_description_or_after_an_error(tmp_path):
    with pytest.raises(ValueError, match="description"):
        with truth_writer(tmp_path / "truth.parquet") as out:
            out.write(_part("EPN", 3, 0.0))
    with pytest.raises(RuntimeError):
        with truth_writer(tmp_path / "truth.parquet") as out:
            out.write(_part("EPN", 3, 0.0))
            raise RuntimeError("simulation failed")
    assert not os.listdir(tmp_path)
