"""The FITS scanner as a Polars source: projection, predicate and slice pushdown, blocks."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from astropy.io import fits

import xmmframe
from xmmframe.io import fits_scan
from xmmframe.io.fits_scan import FitsTable

MIEVLI = "exod/0001730201/P0001730201M1S002MIEVLI.FTZ"


@pytest.fixture(scope="module")
def reference(refdata):
    with fits.open(refdata / MIEVLI) as hdul:
        return {name: np.asarray(hdul["EVENTS"].data[name]) for name in ("TIME", "PI", "PATTERN", "FLAG", "X")}


def test_plan_pushes_projection_and_predicate(refdata):
    plan = (
        xmmframe.scan_fits(refdata / MIEVLI)
        .filter(pl.col("PI") > 10000)
        .select("TIME", "PI")
        .explain()
    )
    assert "PYTHON[FITS] SCAN" in plan
    assert "PROJECT 2/12 COLUMNS" in plan
    assert 'SELECTION: col("PI") > 10000' in plan


def test_filtered_query_equals_numpy(refdata, reference):
    mask = (reference["PI"] > 10000) & (reference["PATTERN"] == 0) & ((reference["FLAG"] & 0x766BA000) == 0)
    got = (
        xmmframe.scan_fits(refdata / MIEVLI)
        .filter((pl.col("PI") > 10000) & (pl.col("PATTERN") == 0) & ((pl.col("FLAG") & 0x766BA000) == 0))
        .select("TIME")
        .collect()
    )
    assert mask.sum() == 5344  # the SAS rate curve of exod/M1_rate.fits holds 5344 events
    np.testing.assert_array_equal(got["TIME"].to_numpy(), reference["TIME"][mask])


def test_small_blocks_give_the_same_answer(refdata, reference, monkeypatch):
    monkeypatch.setattr(fits_scan, "BLOCK_BYTES", 34 * 1000)  # 1000 rows per block
    table = FitsTable.open(refdata / MIEVLI)
    sizes = [rows.shape[0] for rows in table.iter_blocks()]
    assert max(sizes) == 1000 and sum(sizes) == table.nrows == 134685
    frame = table.scan().filter(pl.col("PI") > 10000).select("PI", "X").collect()
    mask = reference["PI"] > 10000
    np.testing.assert_array_equal(frame["PI"].to_numpy(), reference["PI"][mask])
    # X has TNULL: nulls land where astropy sees the TNULL value
    xs = frame["X"]
    np.testing.assert_array_equal(xs.is_null().to_numpy(), reference["X"][mask] == -99999999)


def test_head_stops_early_and_counts(refdata, reference):
    lazy = xmmframe.scan_fits(refdata / MIEVLI)
    head = lazy.head(7).collect()
    np.testing.assert_array_equal(head["TIME"].to_numpy(), reference["TIME"][:7])
    assert lazy.select(pl.len()).collect().item() == 134685
    sliced = lazy.slice(100, 5).select("PI").collect()
    np.testing.assert_array_equal(sliced["PI"].to_numpy(), reference["PI"][100:105])


def test_other_extensions_scan_too(refdata):
    for hdu, rows in (("STDGTI03", 2), ("BADPIX04", 1393), ("CALINDEX", 121), ("EXPOSU01", 6404)):
        assert xmmframe.scan_fits(refdata / MIEVLI, hdu=hdu).collect().height == rows
    # by index and case-insensitively
    assert xmmframe.scan_fits(refdata / MIEVLI, hdu=2).collect().columns == ["RAWX", "OFFSETX", "OFFSETY", "CCDNR"]
    assert xmmframe.scan_fits(refdata / MIEVLI, hdu="offsets").collect().height == 56


def test_dtypes_follow_the_documented_mapping(refdata):
    schema = xmmframe.scan_fits(refdata / MIEVLI).collect_schema()
    assert schema["TIME"] == pl.Float64
    assert schema["RAWX"] == pl.Int16 and schema["PI"] == pl.Int16
    assert schema["X"] == pl.Int32 and schema["FLAG"] == pl.Int32
    assert schema["PATTERN"] == pl.UInt8 and schema["CCDNR"] == pl.UInt8
    rmf = xmmframe.scan_fits(refdata / "gammapy-mwl/xmm_mos1_0605960101.rmf", hdu="MATRIX").collect_schema()
    assert rmf["MATRIX"] == pl.List(pl.Float32)


def test_slice_then_filter_counts_rows_before_the_filter(refdata, reference):
    lazy = xmmframe.scan_fits(refdata / MIEVLI)
    got = lazy.head(1000).filter(pl.col("PI") > 1000).collect()
    assert got.height == int((reference["PI"][:1000] > 1000).sum())
    got = lazy.filter(pl.col("PI") > 1000).head(1000).collect()
    np.testing.assert_array_equal(got["TIME"].to_numpy(), reference["TIME"][reference["PI"] > 1000][:1000])
