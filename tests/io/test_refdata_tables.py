"""Every binary table of every FITS file in the reference data reads exactly as astropy reads it,
and survives FITS -> Parquet -> FITS unchanged."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

import xmmframe
from tests.conftest import REFDATA
from xmmframe.io.fits_scan import FitsTable
from xmmframe.io.fits_structure import read_structure

_TEXT = (".md", ".txt", ".reg", ".log", ".wi", ".ASC", ".SAS")


def _fits_files() -> list[Path]:
    if not REFDATA.is_dir():
        return []
    return sorted(
        p for p in REFDATA.rglob("*") if p.is_file() and not p.name.endswith(_TEXT) and not p.name.startswith("LC_LOG")
    )


def _with_tables(files: list[Path]) -> list[Path]:
    return [p for p in files if any(h.kind == "BINTABLE" for h in read_structure(p))]


FILES = _fits_files()
IDS = [str(p.relative_to(REFDATA)) for p in FILES]
TABLE_FILES = _with_tables(FILES)
TABLE_IDS = [str(p.relative_to(REFDATA)) for p in TABLE_FILES]


def test_reference_files_are_found(refdata):
    assert len(FILES) >= 100
    assert len(TABLE_FILES) >= 90


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_every_column_equals_astropy(refdata, path):
    hdus = read_structure(path)
    with fits.open(path) as reference:
        assert len(reference) == len(hdus)
        for info, ref in zip(hdus, reference):
            # all header keywords present, same values
            ours = info.header
            assert list(ours.keys()) == list(ref.header.keys())
            if not isinstance(ref, fits.BinTableHDU):
                continue
            frame = FitsTable(info, path=str(path)).read()
            assert frame.columns == [c.name for c in ref.columns]
            assert frame.height == len(ref.data)
            for column in ref.columns:
                _assert_column_equal(ref.data[column.name], frame[column.name], column)


def _assert_column_equal(expected, series, column) -> None:
    name = column.name
    if str(series.dtype).startswith("List"):
        assert len(expected) == len(series)
        for want, got in zip(expected, series.to_list()):
            np.testing.assert_array_equal(np.asarray(want), np.asarray(got), err_msg=name)
        return
    if expected.dtype.kind in "SU":
        assert list(expected) == series.to_list(), name
        return
    values = series.to_numpy()
    assert (values.dtype.kind, values.dtype.itemsize) == (
        expected.dtype.kind,
        expected.dtype.itemsize,
    ) or column.null is not None, name
    if column.null is not None:
        nulls = np.asarray(expected) == column.null
        np.testing.assert_array_equal(series.is_null().to_numpy(), nulls, err_msg=name)
        np.testing.assert_array_equal(series.filter(~series.is_null()).to_numpy(), np.asarray(expected)[~nulls])
        return
    np.testing.assert_array_equal(values, np.asarray(expected), err_msg=name)


def _decompressed(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


@pytest.mark.parametrize("path", TABLE_FILES, ids=TABLE_IDS)
def test_fits_parquet_fits_is_lossless(refdata, path, tmp_path, fitsverify):
    events = xmmframe.open_events(path)
    parquet = tmp_path / "copy.parquet"
    events.write_parquet(parquet)
    again = xmmframe.open_events(parquet)
    assert again.meta == events.meta
    assert again.collect().equals(events.collect())
    out = tmp_path / "copy.fits"
    again.write_fits(out)

    with fits.open(path) as original, fits.open(out) as written:
        assert len(original) == len(written)
        for a, b in zip(original, written):
            assert list(a.header.items()) == list(b.header.items())
            if isinstance(a, fits.BinTableHDU):
                for column in a.columns:
                    want, got = a.data[column.name], b.data[column.name]
                    if column.format.startswith(("P", "1P", "Q", "1Q")):
                        assert all(np.array_equal(x, y) for x, y in zip(want, got))
                    else:
                        np.testing.assert_array_equal(np.asarray(want), np.asarray(got))
            elif a.data is not None:
                np.testing.assert_array_equal(a.data, b.data)
    # Unchanged content is written back byte for byte (heaps of several variable-length
    # columns may be laid out in another order, with the same values).
    vla = any("P" in str(h.header.get(f"TFORM{n}", "")) for h in read_structure(path) if h.kind == "BINTABLE"
              for n in range(1, int(h.header.get("TFIELDS", 0)) + 1))
    if not vla:
        assert out.read_bytes() == _decompressed(path)
    errors, warnings, _ = fitsverify(out)
    errors0, warnings0, _ = fitsverify(path)
    assert (errors, warnings) <= (errors0, warnings0) or (errors <= errors0 and warnings <= warnings0)
