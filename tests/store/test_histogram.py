"""Store.histogram / Store.spectrum: the fused kernel over query-column files against astropy+numpy and Polars.

Every spectrum here is computed three ways: by the store (the kernel where it applies), by
astropy + numpy on the original FITS files one by one (the selection written in numpy), and
by the store's Polars path (``Store.filter`` then a numpy histogram).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from astropy.io import fits

import xmmframe
from xmmframe.select.columns import ColumnTable
from xmmframe.select.parser import parse
from xmmframe.store import layout
from xmmframe.store.hot import HOT_COLUMNS
from xmmframe.store.kernel import Unsupported, translate

from .conftest import REPOINT_SOURCE

CHANNELS = 4096  # PI 0..20479 in channels of 5


def fits_columns(path: Path) -> dict[str, np.ndarray]:
    """The EVENTS columns of a FITS file (astropy), with ``<NAME>_ok`` False where the value is TNULL."""
    with fits.open(path) as hdus:
        table = hdus["EVENTS"]
        header = table.header
        result = {}
        for n in range(1, header["TFIELDS"] + 1):
            name = header[f"TTYPE{n}"]
            values = np.asarray(table.data[name])
            result[name] = values.astype(np.float64 if values.dtype.kind == "f" else np.int64)
            null = header.get(f"TNULL{n}")
            result[f"{name}_ok"] = values != null if null is not None else np.ones(values.size, bool)
    return result


def numpy_spectrum(paths, keep) -> np.ndarray:
    """PI spectrum of the rows ``keep(columns)`` selects in every file."""
    counts = np.zeros(CHANNELS, dtype=np.int64)
    for path in paths:
        c = fits_columns(path)
        pi = c["PI"][keep(c) & c["PI_ok"]]
        pi = pi[(pi >= 0) & (pi <= 20479)]
        counts += np.bincount(pi // 5, minlength=CHANNELS)
    return counts


def polars_spectrum(store: xmmframe.Store, selection, **criteria) -> np.ndarray:
    """The same spectrum through the store's Polars path."""
    pi = store.query(selection=selection, **criteria).select(pl.col("PI").drop_nulls()).collect()["PI"].to_numpy()
    pi = pi[(pi >= 0) & (pi <= 20479)].astype(np.int64)
    return np.bincount(pi // 5, minlength=CHANNELS)


def sky_circle(c, x0, y0, r):
    return c["X_ok"] & c["Y_ok"] & ((c["X"] - x0) ** 2.0 + (c["Y"] - y0) ** 2.0 <= r * r)


#: Selections with their numpy form (rows where X or Y is null: not inside, and not outside, a circle).
PEERED = {
    "(PATTERN<=4)&&(FLAG==0)&&(PI in [200:12000])":
        lambda c: (c["PATTERN"] <= 4) & (c["FLAG"] == 0) & (c["PI"] >= 200) & (c["PI"] <= 12000),
    "PATTERN<=12 && !((X,Y) in circle(26000,26000,3000)) && (FLAG & 0x766ba000)==0":
        lambda c: (c["PATTERN"] <= 12) & c["X_ok"] & c["Y_ok"] & ~sky_circle(c, 26000, 26000, 3000)
        & ((c["FLAG"] & 0x766ba000) == 0),
    "(PI>1000 || PATTERN==0) && (X,Y) in annulus(25500,25000,500,9000)":
        lambda c: ((c["PI"] > 1000) | (c["PATTERN"] == 0)) & sky_circle(c, 25500, 25000, 9000)
        & ((c["X"] - 25500) ** 2.0 + (c["Y"] - 25000) ** 2.0 >= 500.0 * 500.0),
    "!(X > 26000) && PI/1000 > 2.5":
        lambda c: c["X_ok"] & (c["X"] <= 26000) & (c["PI"] / 1000 > 2.5),
    "PATTERN": lambda c: c["PATTERN"] != 0,
}

#: Selections checked against the Polars path (the language's corners).
MORE = [
    "#XMMEA_EM && PI in [500:2000],[4000:8000]",
    "!(PATTERN>4) || FLAG > 0",
    "(PI*2 - 100) in (1000:5000]",
    "!(!((X,Y) in circle(26000,26000,4000)) || PATTERN > 0)",
    "(FLAG & 0x10000) != 0 || (X,Y) in annulus(26000,26000,1000,5000)",
    "PI in [200:300],1000,[5000:]",
    "TIME - 1.0e8 > 0 && !(Y in [20000:30000])",
    "true",
    "false || PATTERN == 1",
    "(X,Y) in box(26000,26000,3000,2000,30)",  # not a kernel shape: Polars
]


@pytest.fixture(scope="module")
def null_file(refdata, tmp_path_factory) -> Path:
    """A real event list with X null (TNULL) on every 7th row and Y on every 11th (simulated blanks)."""
    target = tmp_path_factory.mktemp("nulls") / "blanks.fits"
    with fits.open(refdata / REPOINT_SOURCE) as hdus:
        for hdu in hdus:
            if "OBS_ID" in hdu.header:
                hdu.header["OBS_ID"] = "0900000099"
        data = hdus["EVENTS"].data
        data["X"][::7] = -99999999
        data["Y"][::11] = -99999999
        hdus.writeto(target)
    return target


@pytest.fixture(scope="module")
def few_nulls_file(refdata, tmp_path_factory) -> Path:
    """A real event list with X null on its first 300 rows only (one block of the query columns has nulls)."""
    target = tmp_path_factory.mktemp("nulls") / "few_blanks.fits"
    with fits.open(refdata / REPOINT_SOURCE) as hdus:
        for hdu in hdus:
            if "OBS_ID" in hdu.header:
                hdu.header["OBS_ID"] = "0900000098"
        hdus["EVENTS"].data["X"][:300] = -99999999
        hdus.writeto(target)
    return target


@pytest.fixture(scope="module")
def null_store(null_file, few_nulls_file, event_files, tmp_path_factory) -> tuple[xmmframe.Store, list[Path]]:
    root = tmp_path_factory.mktemp("nullstore") / "store"
    files = [null_file, few_nulls_file, event_files[("0001730201", "EMOS1", "S001")]]
    report = xmmframe.ingest(files, root)
    assert not report.skipped
    return xmmframe.open_store(root), files


@pytest.mark.parametrize("selection", list(PEERED))
def test_spectrum_equals_astropy_numpy_on_the_fits_files(store, event_files, selection):
    expected = numpy_spectrum(event_files.values(), PEERED[selection])
    assert expected.sum() > 0
    found = store.spectrum(selection)
    np.testing.assert_array_equal(found, expected)
    np.testing.assert_array_equal(polars_spectrum(store, selection), expected)


@pytest.mark.parametrize("selection", list(PEERED))
def test_spectrum_with_null_sky_positions_equals_astropy_numpy(null_store, selection):
    store, files = null_store
    hot = [h for h in _hot_columns(store) if "X" in h.validity]
    blocks = np.concatenate([h.complete["X"] for h in hot])
    assert blocks.any() and not blocks.all()  # blocks with and without nulls: both kernels run
    expected = numpy_spectrum(files, PEERED[selection])
    np.testing.assert_array_equal(store.spectrum(selection), expected)
    np.testing.assert_array_equal(polars_spectrum(store, selection), expected)


@pytest.mark.parametrize("selection", MORE)
def test_histogram_equals_the_polars_path(store, null_store, selection):
    for each in (store, null_store[0]):
        np.testing.assert_array_equal(each.spectrum(selection), polars_spectrum(each, selection))


def test_kernel_translates_the_usual_selections_and_refuses_the_rest(store):
    table = ColumnTable.from_schema(store.scan().collect_schema())
    for selection in [*PEERED, *MORE[:-1]]:
        translate(parse(selection.replace("#XMMEA_EM", "(FLAG & 0x766ba000)==0")), table, frozenset(HOT_COLUMNS))
    for selection in [MORE[-1], "CCDNR == 3", "#ROW < 10", "(RA,DEC) in circle(0.05,5.0,0.1)"]:
        with pytest.raises(Unsupported):
            translate(parse(selection), table, frozenset(HOT_COLUMNS))


def test_time_range_obs_and_bins(store, event_files):
    key = ("0001730201", "EMOS1", "S001")
    row = store.exposures(*key).row(0, named=True)
    start, stop = row["tstart"] + 500.0, row["tstart"] + 3000.0
    selection = "PATTERN<=12"
    found = store.spectrum(selection, time=(start, stop), obs_id=key[0], instrume=key[1])
    c = fits_columns(event_files[key])
    expected = numpy_spectrum([event_files[key]], lambda c: (c["PATTERN"] <= 12) & (c["TIME"] >= start) & (c["TIME"] < stop))
    np.testing.assert_array_equal(found, expected)
    np.testing.assert_array_equal(found, polars_spectrum(store, selection, time=(start, stop), obs_id=key[0],
                                                         instrume=key[1]))
    pi = c["PI"][c["PATTERN"] <= 12]
    coarse = store.histogram(selection, obs_id=key[0], instrume=key[1], bin_size=15, low=300, high=11999)
    inside = pi[(pi >= 300) & (pi <= 11999)]
    np.testing.assert_array_equal(coarse, np.bincount((inside - 300) // 15, minlength=coarse.size))


def test_cone_and_polars_selections_go_through_polars(store, event_files):
    from .conftest import brute_force_cone

    key = ("0001730201", "EMOS1", "S001")
    rows = brute_force_cone(event_files[key], 263.6579, -32.556, 0.05)
    pi = fits_columns(event_files[key])["PI"][rows]
    expected = np.bincount(pi // 5, minlength=CHANNELS)
    np.testing.assert_array_equal(store.spectrum(cone=(263.6579, -32.556, 0.05), obs_id=key[0], instrume=key[1]),
                                  expected)
    np.testing.assert_array_equal(store.spectrum(pl.col("PATTERN") <= 4, obs_id=key[0], instrume=key[1]),
                                  numpy_spectrum([event_files[key]], lambda c: c["PATTERN"] <= 4))


def _hot_columns(store):
    catalog = store.catalog()
    return [store._hot(f, n) for files, counts in zip(catalog["files"], catalog["cell_events"])
            for f, n in zip(files, counts)]


def test_query_columns_agree_with_the_parquet_files(store):
    catalog = store.catalog()
    for files, counts in zip(catalog["files"], catalog["cell_events"]):
        for file, rows in zip(files, counts):
            hot = store._hot(file, rows)
            assert hot is not None
            parquet = pl.read_parquet(os.path.join(store.root, file), columns=list(hot.values))
            for name, values in hot.values.items():
                column = parquet[name]
                valid = column.is_not_null().to_numpy()
                assert np.array_equal(values[valid], column.drop_nulls().to_numpy())
                bits = hot.validity.get(name)
                if bits is not None:
                    assert np.array_equal(np.unpackbits(bits, bitorder="little")[:rows].astype(bool), valid)
                else:
                    assert valid.all()
                assert values.itemsize <= parquet[name].to_numpy().itemsize  # narrow or equal types


def test_missing_or_foreign_query_columns_fall_back_to_the_parquet(store_root, event_files, tmp_path):
    copy = tmp_path / "store"
    shutil.copytree(store_root, copy)
    selection = next(iter(PEERED))
    expected = numpy_spectrum(event_files.values(), PEERED[selection])
    hot_files = sorted((copy / layout.HOT_DIR).rglob("*.arrow"))
    os.remove(hot_files[0])
    shutil.copy(hot_files[2], hot_files[1])  # another file's columns under this file's name: not used
    store = xmmframe.open_store(copy)
    np.testing.assert_array_equal(store.spectrum(selection), expected)


def test_interrupted_ingest_keeps_the_pre_ingest_spectrum(three_files, tmp_path):
    """Files staged and moved into place without the catalogue commit change no answer; the next ingest removes them."""
    from xmmframe.io import store_files
    from xmmframe.store.ingest import stage_exposure

    root = tmp_path / "store"
    xmmframe.ingest(three_files[:1], root)
    selection = next(iter(PEERED))
    before = xmmframe.open_store(root).spectrum(selection)
    staging = tmp_path / "staging"
    staging.mkdir()
    staged = stage_exposure(xmmframe.open_events(three_files[0]), str(root), str(staging), str(three_files[0]))
    store_files.move_into_place(staged.moves)  # as if killed after the moves, before the catalogue
    np.testing.assert_array_equal(xmmframe.open_store(root).spectrum(selection), before)
    xmmframe.ingest(three_files[1:2], root)
    listed = {layout.hot_file(f) for f in xmmframe.open_store(root).catalog()["files"].explode()}
    on_disk = {os.path.relpath(p, root) for p in (root / layout.HOT_DIR).rglob("*.arrow")}
    assert on_disk == listed


@pytest.fixture()
def three_files(event_files) -> list[Path]:
    keys = [("0201901401", "EMOS1", "U002"), ("0201903501", "EMOS2", "S002"), ("0001730201", "EMOS1", "S001")]
    return [event_files[k] for k in keys]
