"""The info and convert commands, run as a user would run them."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
from astropy.io import fits

from xmmframe.cli.main import main

MIEVLI = "exod/0001730201/P0001730201M1S002MIEVLI.FTZ"


def test_info_lists_hdus_and_facts(refdata, capsys):
    assert main(["info", str(refdata / MIEVLI)]) == 0
    out = capsys.readouterr().out
    for text in ("EVENTS", "134685", "CALINDEX", "EMOS1", "IMAGING PrimeFullWindow", "Thick", "0001730201",
                 "S001", "16650.642 s in 2 intervals"):
        assert text in out, text


def test_info_on_image_file(refdata, capsys):
    assert main(["info", str(refdata / "exod/0001730201/M1_image.fits")]) == 0
    assert "648x648" in capsys.readouterr().out


def test_convert_both_ways_through_the_installed_command(refdata, tmp_path):
    source = refdata / "exod/0001730201/M1_clean.fits"
    parquet, back = tmp_path / "m1.parquet", tmp_path / "m1.fits"
    for args in ((str(source), str(parquet)), (str(parquet), str(back))):
        done = subprocess.run([sys.executable, "-m", "xmmframe.cli.main", "convert", *args],
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    with fits.open(source) as a, fits.open(back) as b:
        np.testing.assert_array_equal(a["EVENTS"].data["PI"], b["EVENTS"].data["PI"])
    assert back.read_bytes() == source.read_bytes()


def test_convert_rejects_unknown_format(refdata, tmp_path, capsys):
    assert main(["convert", str(refdata / MIEVLI), str(tmp_path / "x.csv")]) == 1
    assert "unknown output format" in capsys.readouterr().err


def test_convert_compact_parquet_is_smaller_and_lossless(refdata, tmp_path):
    """``--compact`` dictionary-encodes every column with zstd; the events come back the same."""
    import pyarrow.parquet as pq

    import xmmframe

    source = refdata / "exod/0001730201/M1_clean.fits"
    fast, compact = tmp_path / "fast.parquet", tmp_path / "compact.parquet"
    assert main(["convert", str(source), str(fast)]) == 0
    assert main(["convert", "--compact", str(source), str(compact)]) == 0
    layout = pq.read_metadata(compact)
    for g in range(layout.num_row_groups):
        for i in range(layout.num_columns):
            column = layout.row_group(g).column(i)
            assert column.compression == "ZSTD" and "RLE_DICTIONARY" in column.encodings, column.path_in_schema
    assert compact.stat().st_size < fast.stat().st_size
    original = xmmframe.open_events(source)
    for path in (fast, compact):
        again = xmmframe.open_events(path)
        assert again.meta == original.meta
        assert again.collect().equals(original.collect())
