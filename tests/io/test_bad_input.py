"""Bad input gives a specific XmmframeError naming the file, the CLI prints one line and exits
non-zero, and nothing is written."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

import xmmframe
from xmmframe import errors
from xmmframe.cli.main import main
from xmmframe.io.fits_structure import read_structure

EVENTS = "exod/0001730201/M1_clean.fits"


@pytest.fixture()
def good(refdata, tmp_path) -> Path:
    path = tmp_path / "good.fits"
    shutil.copy(refdata / EVENTS, path)
    return path


def _truncated(good: Path) -> Path:
    events = [h for h in read_structure(good) if h.name == "EVENTS"][0]
    cut = good.with_name("truncated.fits")
    cut.write_bytes(good.read_bytes()[: events.data_offset + events.data_size // 2])
    return cut


def _corrupt_card(good: Path) -> Path:
    data = bytearray(good.read_bytes())
    position = data.index(b"NAXIS2  =", 2880)
    data[position + 10 : position + 30] = b"        12a3xx      "
    bad = good.with_name("corrupt.fits")
    bad.write_bytes(bytes(data))
    return bad


def _not_fits(tmp_path: Path) -> Path:
    path = tmp_path / "table.fits"
    path.write_text("TIME,PI\n1.0,100\n")
    return path


def _empty(tmp_path: Path) -> Path:
    path = tmp_path / "empty.fits"
    path.write_bytes(b"")
    return path


def _cases(good: Path, tmp_path: Path) -> dict[str, tuple[Path, type[errors.XmmframeError], str]]:
    return {
        "not FITS": (_not_fits(tmp_path), errors.NotFitsError, "not a FITS file"),
        "empty": (_empty(tmp_path), errors.EmptyFileError, "empty"),
        "truncated": (_truncated(good), errors.TruncatedFileError, "HDU 1 (EVENTS)"),
        "corrupted card": (_corrupt_card(good), errors.HeaderError, "NAXIS2"),
    }


@pytest.mark.parametrize("case", ["not FITS", "empty", "truncated", "corrupted card"])
def test_bad_file_raises_specific_error_with_path(good, tmp_path, case):
    path, kind, words = _cases(good, tmp_path)[case]
    with pytest.raises(kind) as info:
        xmmframe.open_events(path)
    assert str(path) in str(info.value)
    assert words in str(info.value)
    with pytest.raises(kind):
        xmmframe.scan_fits(path)


def test_truncated_gzip_is_reported(good, tmp_path):
    compressed = tmp_path / "events.FTZ"
    compressed.write_bytes(gzip.compress(good.read_bytes())[:-5000])
    with pytest.raises(errors.TruncatedFileError) as info:
        xmmframe.open_events(compressed)
    assert str(compressed) in str(info.value)


def test_missing_hdu_lists_what_exists(good):
    with pytest.raises(errors.HduNotFoundError) as info:
        xmmframe.scan_fits(good, hdu="SPECTRUM")
    message = str(info.value)
    assert "SPECTRUM" in message and "EVENTS" in message and str(good) in message


def test_missing_file(tmp_path):
    with pytest.raises(errors.FileAccessError, match="no such file"):
        xmmframe.open_events(tmp_path / "absent.fits")


def test_parquet_without_metadata(tmp_path):
    import polars as pl

    path = tmp_path / "plain.parquet"
    pl.DataFrame({"PI": [1, 2]}).write_parquet(path)
    with pytest.raises(errors.ParquetMetadataError, match="not written by xmmframe"):
        xmmframe.open_events(path)


@pytest.mark.parametrize("case", ["not FITS", "empty", "truncated", "corrupted card"])
def test_cli_prints_one_line_and_writes_nothing(good, tmp_path, capsys, case):
    path, _, words = _cases(good, tmp_path)[case]
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    target = out_dir / "events.parquet"
    status = main(["convert", str(path), str(target)])
    captured = capsys.readouterr()
    assert status == 1
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("xmmframe: error: ") and str(path) in lines[0]
    assert list(out_dir.iterdir()) == []
    assert main(["info", str(path)]) == 1
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_cli_debug_shows_traceback(tmp_path):
    path = _empty(tmp_path)
    with pytest.raises(errors.EmptyFileError):
        main(["--debug", "info", str(path)])


def test_refuses_to_overwrite_input(good):
    events = xmmframe.open_events(good)
    before = good.read_bytes()
    with pytest.raises(errors.OutputError, match="input"):
        events.write_fits(good)
    assert good.read_bytes() == before


def test_failed_write_leaves_no_file(good, tmp_path):
    import polars as pl

    events = xmmframe.open_events(good).with_columns(pl.lit(None, dtype=pl.Object).alias("BAD"))
    target = tmp_path / "out.fits"
    with pytest.raises(Exception):
        events.write_fits(target)
    assert not target.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".xmmframe-")]


def test_gzip_damaged_after_opening_is_reported(good, tmp_path):
    """A compressed file cut after it was opened (e.g. still being copied) fails with the path."""
    compressed = tmp_path / "events.FTZ"
    whole = gzip.compress(good.read_bytes())
    compressed.write_bytes(whole)
    lazy = xmmframe.scan_fits(compressed)
    compressed.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(errors.TruncatedFileError) as info:
        lazy.collect()
    assert str(compressed) in str(info.value)
