"""A hive-partitioned Parquet store of many observations scanned as one LazyFrame."""

from __future__ import annotations

import polars as pl
import pytest

import xmmframe
from xmmframe.cli.main import main
from xmmframe.io.parquet import scan_store, write_to_store

FILES = [
    "xga/0201901401/eclean/mos1_exp1_clean_evts.fits",
    "xga/0201901401/eclean/mos2_exp1_clean_evts.fits",
    "xga/0404910601/eclean/mos1_exp1_clean_evts.fits",
    "exod/0001730201/P0001730201M1S002MIEVLI.FTZ",
]


@pytest.fixture(scope="module")
def store(refdata, tmp_path_factory):
    root = tmp_path_factory.mktemp("store")
    assert main(["store", str(root), *(str(refdata / f) for f in FILES)]) == 0
    return root


def test_store_counts_equal_each_file(refdata, store):
    counts = scan_store(store).group_by("obs_id", "instrume").agg(
        pl.len().alias("n"), (pl.col("PI") > 2000).sum().alias("hard")
    )
    for name in FILES:
        events = xmmframe.open_events(refdata / name)
        row = counts.filter(
            (pl.col("obs_id") == events.meta.obs_id) & (pl.col("instrume") == events.meta.instrument)
        ).collect()
        assert row["n"].item() == events.count()
        assert row["hard"].item() == events.filter(pl.col("PI") > 2000).count()


def test_partition_filter_prunes_files(store):
    plan = scan_store(store).filter(pl.col("obs_id") == "0201901401").select(pl.len()).explain()
    assert "obs_id=0201901401" in plan and "obs_id=0404910601" not in plan
    assert scan_store(store).filter(pl.col("obs_id") == "0201901401").select(pl.len()).collect().item() == 22124 + 20982


def test_store_files_keep_the_fits_side(refdata, store, tmp_path):
    source = refdata / FILES[0]
    events = xmmframe.open_events(source)
    target = write_to_store(events, tmp_path)
    xmmframe.open_events(target).write_fits(tmp_path / "back.fits")
    assert (tmp_path / "back.fits").read_bytes() == source.read_bytes()


def test_missing_store_is_an_error(tmp_path):
    with pytest.raises(xmmframe.errors.ParquetMetadataError, match="does not exist"):
        scan_store(tmp_path / "nowhere")


def test_store_files_carry_row_group_statistics(refdata, store):
    """Every row group records min/max of TIME and X/Y, so time and position filters can skip it.

    Numeric columns with more than ``PLAIN_DISTINCT`` distinct values in the first row group are
    stored plain (no dictionary): integers uncompressed, floats with LZ4; the others are
    dictionary-encoded with LZ4.
    """
    import pyarrow.parquet as pq

    from xmmframe.io.parquet import PLAIN_DISTINCT, ROW_GROUP_ROWS

    events = xmmframe.open_events(refdata / FILES[0])
    path = next(store.glob("obs_id=0201901401/instrume=EMOS1/*.parquet"))
    meta = pq.read_metadata(path)
    frame = events.collect()
    names = [meta.schema.column(i).name for i in range(meta.num_columns)]
    plain = {name for name in ("TIME", "X", "Y") if frame[name][:ROW_GROUP_ROWS].n_unique() > PLAIN_DISTINCT}
    assert {"X", "Y"} <= plain
    first, last = 0, 0
    for g in range(meta.num_row_groups):
        group = meta.row_group(g)
        last = first + group.num_rows
        for name in ("TIME", "X", "Y"):
            column = group.column(names.index(name))
            assert column.compression == ("UNCOMPRESSED" if name in plain and name != "TIME" else "LZ4")
            assert ("RLE_DICTIONARY" in column.encodings) == (name not in plain)
            stats = column.statistics
            assert stats.has_min_max
            assert stats.min == frame[name][first:last].min() and stats.max == frame[name][first:last].max()
        first = last
    assert last == frame.height


def test_event_list_without_rows_round_trips(refdata, tmp_path):
    """A selection that keeps nothing still writes a Parquet file with the schema and all metadata."""
    events = xmmframe.open_events(refdata / FILES[0]).filter("PI > 1000000")
    events.write_parquet(tmp_path / "none.parquet")
    again = xmmframe.open_events(tmp_path / "none.parquet")
    assert again.meta == events.meta
    frame = again.collect()
    assert frame.height == 0 and frame.schema == events.collect().schema
