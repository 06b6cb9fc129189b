"""Ingest: idempotent, atomic per exposure (kill -9 at any moment), safe with concurrent ingests, HATS-readable."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from astropy.io import fits

import xmmframe
from xmmframe.cli.main import main

from .conftest import brute_force_cone
from .test_histogram import PEERED, numpy_spectrum

#: Columns that differ between two ingests of the same files (file tokens, ingest time).
VOLATILE = ("files", "header", "ingested")


def content(root: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """What a store answers: its catalogue without the volatile columns, and every event."""
    store = xmmframe.open_store(root)
    catalog = store.catalog().drop(*VOLATILE)
    events = (store.scan().with_columns(pl.col(pl.Categorical).cast(pl.String))
              .sort("obs_id", "instrume", "expid", "_row").collect())
    return catalog, events


def assert_same_content(a: Path, b: Path) -> None:
    (ca, ea), (cb, eb) = content(a), content(b)
    assert ca.equals(cb)
    assert ea.equals(eb)


def with_header(source: Path, target: Path, **keywords) -> Path:
    with fits.open(source) as hdus:
        for hdu in hdus:
            for key, value in keywords.items():
                if key in hdu.header:
                    hdu.header[key] = value
        hdus.writeto(target)
    return target


@pytest.fixture()
def three(event_files) -> list[Path]:
    keys = [("0201901401", "EMOS1", "U002"), ("0201903501", "EMOS2", "S002"), ("0001730201", "EMOS1", "S001")]
    return [event_files[k] for k in keys]


def test_reingest_replaces_and_equals_a_clean_ingest(three, tmp_path):
    once, twice = tmp_path / "once", tmp_path / "twice"
    xmmframe.ingest(three, once)
    xmmframe.ingest(three[:2], twice)
    xmmframe.ingest(three, twice)
    xmmframe.ingest(three[1:], twice)
    assert_same_content(once, twice)
    store = xmmframe.open_store(twice)
    assert store.catalog().height == 3
    listed = {str(twice / f) for f in store.catalog()["files"].explode()} | {
        str(twice / f) for f in store.catalog()["header"]}
    on_disk = {str(p) for p in twice.rglob("*.parquet") if p.parent != twice}
    assert on_disk == listed  # replaced exposures leave no files behind


def test_unreadable_file_is_skipped_and_reported(three, tmp_path, capsys):
    bad = tmp_path / "truncated.fits"
    bad.write_bytes(three[0].read_bytes()[:20000])
    not_fits = tmp_path / "notes.fits"
    not_fits.write_text("not a FITS file")
    status = main(["ingest", str(three[0]), str(bad), str(not_fits), str(three[1]), "--store", str(tmp_path / "s"),
                   "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 1
    assert len(err) == 2 and str(bad) in err[0] and str(not_fits) in err[1]
    assert "Traceback" not in "".join(err)
    assert xmmframe.open_store(tmp_path / "s").catalog().height == 2


def test_a_second_exposure_of_one_instrument_needs_its_expid(three, tmp_path):
    other = with_header(three[0], tmp_path / "u003.fits", EXPIDSTR="U003")
    xmmframe.ingest([three[0], other], tmp_path / "s")
    store = xmmframe.open_store(tmp_path / "s")
    with pytest.raises(xmmframe.errors.StoreError, match="has exposures U002, U003: give expid"):
        store.events("0201901401", "EMOS1")
    assert store.events("0201901401", "EMOS1", "U003").count() == 22124


def _ingest_process(files: list[Path], root: Path) -> subprocess.Popen:
    code = "import sys, xmmframe; xmmframe.ingest(sys.argv[2:], sys.argv[1])"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.Popen([sys.executable, "-c", code, str(root), *map(str, files)], env=env)


@pytest.mark.parametrize("delay", [0.0, 0.4, 1.0])
def test_kill_9_leaves_the_pre_ingest_answers(three, event_files, tmp_path, delay):
    """An ingest killed at some moment: every exposure answers as before it or as after it, never partly."""
    root, clean = tmp_path / "store", tmp_path / "clean"
    xmmframe.ingest(three[:1], root)
    before = content(root)
    big = [event_files[k] for k in (("0404910601", "EMOS1", "S001"), ("0404910601", "EMOS2", "S002"))]
    process = _ingest_process([*big, three[0], three[2]], root)
    staging = root / ".staging"
    deadline = time.monotonic() + 60
    while not (staging.is_dir() and any(staging.iterdir())) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    process.wait()
    catalog, events = content(root)
    assert before[0].filter(pl.col("obs_id") == "0201901401").drop("ontime").equals(
        catalog.filter(pl.col("obs_id") == "0201901401").drop("ontime"))
    for obs_id, instrume, expid, n in catalog.select("obs_id", "instrume", "expid", "events").iter_rows():
        assert events.filter(pl.col("obs_id") == obs_id, pl.col("instrume") == instrume).height == n
    store = xmmframe.open_store(root)
    found = store.cone(149.5905, -11.06, 0.1).select(pl.len()).collect().item()
    expected = sum(brute_force_cone(event_files[tuple(k)], 149.5905, -11.06, 0.1).size
                   for k in catalog.select("obs_id", "instrume", "expid").iter_rows())
    assert found == expected
    keys = catalog.select("obs_id", "instrume", "expid").iter_rows()
    selection = "(PATTERN<=4)&&(FLAG==0)&&(PI in [200:12000])"  # the kernel over the query-column files
    np.testing.assert_array_equal(store.spectrum(selection), numpy_spectrum(
        [event_files[tuple(k)] for k in keys], PEERED[selection]))
    xmmframe.ingest([*big, three[0], three[2]], root)  # finishing the ingest gives the clean store
    xmmframe.ingest([three[0], *big, three[2]], clean)
    assert_same_content(root, clean)
    assert not (root / ".staging").exists() or not any((root / ".staging").iterdir())


def test_concurrent_ingests_give_the_union(event_files, tmp_path):
    files = list(event_files.values())
    root = tmp_path / "store"
    first, second = _ingest_process(files[0::2], root), _ingest_process(files[1::2], root)
    assert first.wait(timeout=120) == 0 and second.wait(timeout=120) == 0
    clean = tmp_path / "clean"
    xmmframe.ingest(files, clean)
    assert_same_content(root, clean)


def test_hats_catalogue_reads_in_lsdb_with_the_same_events(store_root, store):
    lsdb = pytest.importorskip("lsdb", reason="lsdb is in the dask extra")
    catalog = lsdb.read_hats(store_root)
    frame = catalog.compute()
    assert len(frame) == store.scan().select(pl.len()).collect().item()
    ours = store.scan().select("obs_id", "_row", "PI").with_columns(pl.col("obs_id").cast(pl.String)).collect()
    theirs = pl.from_pandas(frame.reset_index()[["obs_id", "_row", "PI"]].astype({"obs_id": str}))
    key = ["obs_id", "_row", "PI"]
    assert ours.sort(key).select(pl.col("obs_id"), pl.col("_row").cast(pl.Int64), pl.col("PI").cast(pl.Int64)).equals(
        theirs.sort(key).select(pl.col("obs_id"), pl.col("_row").cast(pl.Int64), pl.col("PI").cast(pl.Int64)))


def test_lsdb_crossmatch_returns_the_events_near_each_source(store_root, event_files, tmp_path):
    lsdb = pytest.importorskip("lsdb", reason="lsdb is in the dask extra")
    import pandas as pd

    sources = pd.DataFrame({"name": ["HD159176", "cluster", "north"], "ra": [263.6579, 149.5905, 123.0],
                            "dec": [-32.556, -11.06, 89.9]})
    lsdb.from_dataframe(sources, ra_column="ra", dec_column="dec", catalog_name="sources").write_catalog(
        tmp_path / "sources")
    events = lsdb.read_hats(store_root, columns=["RA", "DEC", "obs_id", "instrume", "expid", "_row"])
    radius = 5.0  # arcsec: the margin the sources' catalogue is written with by default
    matched = events.crossmatch(lsdb.read_hats(tmp_path / "sources"), radius_arcsec=radius, n_neighbors=1,
                                suffixes=("", "_src")).compute()
    for name, ra, dec in sources.itertuples(index=False):
        got = matched[matched["name_src"] == name]
        expected = sum(brute_force_cone(path, ra, dec, radius / 3600).size for path in event_files.values())
        assert len(got) == expected, name
    assert (matched["name_src"] == "HD159176").sum() > 0


def test_an_exposure_without_events_round_trips(three, tmp_path):
    empty = tmp_path / "empty.fits"
    with fits.open(three[0]) as hdus:
        hdus["EVENTS"].data = hdus["EVENTS"].data[:0]
        for hdu in hdus:
            if "EXPIDSTR" in hdu.header:
                hdu.header["EXPIDSTR"] = "U099"
        hdus.writeto(empty)
    report = xmmframe.ingest([empty, three[1]], tmp_path / "s")
    assert not report.skipped
    store = xmmframe.open_store(tmp_path / "s")
    row = store.exposures("0201901401", "EMOS1", "U099")
    assert row["events"].item() == 0 and row["cells"].item().len() == 0
    store.events("0201901401", "EMOS1", "U099").write_fits(tmp_path / "back.fits")
    assert (tmp_path / "back.fits").read_bytes() == empty.read_bytes()
    assert store.scan().select(pl.len()).collect().item() == 32339


def _with_float_pi(source: Path, target: Path) -> Path:
    with fits.open(source) as hdus:
        events = hdus["EVENTS"]
        columns = [fits.Column(name="PI", format="E", array=events.data["PI"].astype("f4")) if c.name == "PI" else c
                   for c in events.columns]
        hdus[hdus.index_of("EVENTS")] = fits.BinTableHDU.from_columns(columns, header=events.header, name="EVENTS")
        hdus.writeto(target)
    return target


def test_one_commit_of_several_exposures_replaces_repeats_and_refuses_disagreeing_columns(three, tmp_path):
    ingest_module = sys.modules["xmmframe.store.ingest"]
    root, staging = tmp_path / "store", tmp_path / "store" / ".staging" / f"{os.getpid()}-t"
    staging.mkdir(parents=True)
    xmmframe.ingest(three[2], root)
    copy = with_header(three[0], tmp_path / "copy.fits")        # the same exposure, from another file
    float_pi = _with_float_pi(three[1], tmp_path / "float_pi.fits")
    batch = [ingest_module.stage_exposure(xmmframe.open_events(path), str(root), str(staging), str(path))
             for path in (three[0], copy, float_pi)]
    refused = ingest_module.commit(str(root), batch)
    assert refused[:2] == [None, None]
    assert "columns disagree" in str(refused[2]) and "PI" in str(refused[2])
    clean = tmp_path / "clean"
    xmmframe.ingest([three[2], copy], clean)
    assert_same_content(root, clean)
    store = xmmframe.open_store(root)
    assert store.catalog()["source"].to_list().count(str(copy.resolve())) == 1
    listed = {str(root / f) for f in store.catalog()["files"].explode()} | {str(root / f) for f in store.catalog()["header"]}
    assert {str(p) for p in (root / "dataset").rglob("*.parquet")} | {
        str(p) for p in (root / "exposures").rglob("*.parquet")} == listed   # the replaced copy left nothing


def test_parallel_ingest_equals_a_serial_one(three, tmp_path):
    xmmframe.ingest(three, tmp_path / "serial")
    report = xmmframe.ingest(three, tmp_path / "parallel", workers=2)
    assert sorted(report.ingested) == sorted(xmmframe.ingest(three, tmp_path / "again").ingested)
    assert_same_content(tmp_path / "serial", tmp_path / "parallel")
