"""The sky order of ingest: the radix sort equals numpy's stable argsort, the gather equals Polars'."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from xmmframe.store.order import sky_order, take_rows


@pytest.mark.parametrize("keys", [
    np.zeros(0, np.int64),
    np.array([5], np.int64),
    np.full(1000, 7, np.int64),                                   # one value: every pass skipped
    np.random.default_rng(1).integers(0, 4, 5000),                # many ties: stability decides
    (3 << 58) + np.random.default_rng(2).integers(0, 1 << 46, 200000),   # one XMM field at order 29
    np.random.default_rng(3).integers(0, 12 * 4**29, 100000),     # the whole sky: every digit used
    np.arange(100000, 0, -1),                                     # reversed
])
def test_sky_order_is_numpy_stable_argsort(keys):
    keys = np.asarray(keys, dtype=np.int64)
    assert np.array_equal(sky_order(keys), np.argsort(keys, kind="stable"))


def test_take_rows_equals_polars_gather_with_nulls_and_text():
    rng = np.random.default_rng(4)
    n = 10000
    frame = pl.DataFrame({
        "TIME": rng.uniform(0, 1e4, n),
        "PI": pl.Series(rng.integers(0, 20000, n), dtype=pl.Int16),
        "X": pl.Series([None if i % 97 == 0 else i for i in range(n)], dtype=pl.Int32),
        "FLAG": pl.Series(rng.integers(0, 2**31, n), dtype=pl.UInt32),
        "NAME": [f"e{i % 13}" for i in range(n)],
        "OK": rng.integers(0, 2, n).astype(bool),
    })
    order = rng.permutation(n)
    result = take_rows(frame, order)
    assert result.schema == frame.schema
    assert result.equals(frame[order])
    assert result["X"].null_count() == frame["X"].null_count()
