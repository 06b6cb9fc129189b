"""The shared histogram kernels against numpy, on generated inputs."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from xmmframe.products import binning
from xmmframe.products.binning import Axis, histogram, integer_axis, interval_histogram

values = arrays(np.int32, st.integers(0, 500), elements=st.integers(-50, 1050))


@given(values, st.integers(-20, 20), st.integers(1, 40), st.integers(1, 60))
@settings(max_examples=60, deadline=None)
def test_1d_equals_numpy(x, low, width, n):
    axis = integer_axis(low, low + width * n - 1, width)
    expected, _ = np.histogram(x, bins=axis.edges())
    np.testing.assert_array_equal(histogram(x, axis), expected)


@given(values, st.floats(0.1, 50), st.integers(1, 30))
@settings(max_examples=60, deadline=None)
def test_2d_equals_numpy(x, width, n):
    y = x[::-1].copy()
    axis = Axis(-3.25, width, n)
    expected, _, _ = np.histogram2d(y.astype(float), x.astype(float), bins=[axis.edges(), axis.edges()])
    got = histogram(x, axis, y, axis)
    # numpy's last bin is closed; ours is half-open like every other bin
    on_edge = (x == axis.edges()[-1]) | (y == axis.edges()[-1])
    if not on_edge.any():
        np.testing.assert_array_equal(got, expected)


def test_weights_nan_and_parallel_chunks(monkeypatch):
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 100, 50_000)
    x[::97] = np.nan
    w = rng.uniform(0, 2, x.size)
    axis = Axis(0.0, 2.5, 40)
    serial = histogram(x, axis, weights=w)
    monkeypatch.setattr(binning, "CHUNK", 1000)
    parallel = histogram(x, axis, weights=w)
    expected, _ = np.histogram(x[~np.isnan(x)], bins=axis.edges(), weights=w[~np.isnan(x)])
    np.testing.assert_allclose(serial, expected, rtol=1e-12)
    np.testing.assert_allclose(parallel, expected, rtol=1e-12)
    counts = histogram(x, axis)
    monkeypatch.setattr(binning, "CHUNK", 1 << 21)
    assert counts.dtype == np.int64 and counts.sum() == np.sum(~np.isnan(x))


@given(st.lists(st.tuples(st.floats(0, 90), st.floats(0.1, 10), st.floats(0, 1)), min_size=1, max_size=20))
@settings(max_examples=50, deadline=None)
def test_interval_histogram_conserves_time(intervals):
    starts = np.array([a for a, _, _ in intervals])
    stops = starts + np.array([d for _, d, _ in intervals])
    weights = np.array([w for _, _, w in intervals])
    axis = Axis(0.0, 7.0, 15)
    gti_start, gti_stop = np.array([0.0, 40.0]), np.array([30.0, 105.0])
    got = interval_histogram(starts, stops, weights, axis, gti_start, gti_stop)
    expected = sum(
        w * max(0.0, min(b, e) - max(a, s)) for a, b, w in zip(starts, stops, weights)
        for s, e in zip(gti_start, gti_stop)
    )
    assert got.sum() == np.float64(expected) or abs(got.sum() - expected) < 1e-9


def test_parallel_image_counts_equal_numpy(monkeypatch):
    """The chunked 2-D path (32-bit private counts summed into int64) equals numpy's histogram2d."""
    rng = np.random.default_rng(8)
    x = rng.integers(-50, 1100, 40_000).astype(np.int32)
    y = rng.integers(-50, 900, 40_000).astype(np.int16)
    xaxis, yaxis = Axis(0.5, 8.0, 125), Axis(-0.5, 10.0, 80)
    monkeypatch.setattr(binning, "CHUNK", 1000)
    image = histogram(x, xaxis, y, yaxis)
    expected, _, _ = np.histogram2d(y, x, bins=[yaxis.edges(), xaxis.edges()])
    assert image.dtype == np.int64
    np.testing.assert_array_equal(image, expected.astype(np.int64))
