"""Queries on the event store agree with astropy + numpy on the original FITS files, one by one."""

from __future__ import annotations

import hashlib

import astropy.units as u
import numpy as np
import polars as pl
import pytest
from astropy.io import fits
from astropy.time import Time

import xmmframe
from xmmframe.errors import StoreError

from .conftest import REPOINTED, brute_force_cone


def rows_by_exposure(frame: pl.DataFrame) -> dict[tuple[str, str, str], np.ndarray]:
    keyed = frame.with_columns(pl.col("obs_id", "instrume", "expid").cast(pl.String))
    return {key: np.sort(group["_row"].to_numpy()) for key, group in keyed.group_by(["obs_id", "instrume", "expid"])}


def test_catalogue_has_one_row_per_exposure_with_its_facts(store, event_files):
    catalog = store.catalog()
    assert catalog.height == len(event_files)
    for row in catalog.iter_rows(named=True):
        with fits.open(event_files[(row["obs_id"], row["instrume"], row["expid"])]) as hdus:
            header = hdus["EVENTS"].header
            assert row["events"] == header["NAXIS2"]
            assert row["tstart"] == header["TSTART"] and row["tstop"] == header["TSTOP"]
            assert row["filter"] == header["FILTER"] and row["submode"] == header["SUBMODE"]
            assert row["ra_pnt"] == pytest.approx(header["RA_PNT"])
            assert row["ontime"] == pytest.approx(header.get("ONTIME", max(
                v for k, v in header.items() if k.startswith("ONTIME") and k[6:].isdigit())))
        assert sum(row["cell_events"]) == row["events"] and len(row["cells"]) == len(row["files"])
        assert row["xmmframe_version"] == xmmframe.__version__


def test_scan_counts_equal_each_file(store, event_files):
    counts = store.scan().group_by("obs_id", "instrume", "expid").len().collect()
    assert counts.height == len(event_files)
    for obs_id, instrume, expid, n in counts.iter_rows():
        with fits.open(event_files[(obs_id, instrume, expid)]) as hdus:
            assert n == len(hdus["EVENTS"].data)


def test_events_write_byte_identical_fits(store, event_files, tmp_path):
    for key, path in event_files.items():
        target = tmp_path / "back.fits"
        store.events(*key).write_fits(target)
        assert hashlib.sha256(target.read_bytes()).digest() == hashlib.sha256(path.read_bytes()).digest(), key


def test_events_keep_metadata_for_products(store, event_files):
    key = ("0201903501", "EMOS1", "S001")
    direct = xmmframe.open_events(event_files[key])
    from_store = store.events("0201903501", "EMOS1")  # one exposure: expid may be left out
    assert from_store.meta.gtis.keys() == direct.meta.gtis.keys()
    spectrum, reference = from_store.spectrum(), direct.spectrum()
    assert np.array_equal(spectrum.counts, reference.counts)
    assert spectrum.exposure == reference.exposure


@pytest.mark.parametrize("ra, dec, radius", [
    (149.5905, -11.06, 5 / 60),          # the XGA cluster fields, several exposures
    (263.6579, -32.556, 0.1),            # the PPS field, centre
    (263.80, -32.40, 3 / 60),            # the PPS field, off axis
    (0.05, 5.0, 10 / 60),                # across RA = 0/360
    (359.9, 5.05, 4 / 60),               # centre at RA < 360, events on both sides
    (123.0, 89.9, 0.2),                  # around the north pole (pole inside the field)
    (0.0, 90.0, 0.15),                   # centred on the pole
    (250.0, -89.95, 0.12),               # south pole
    (149.59, -11.06, 2.0),               # radius larger than a field: every event of the fields
    (10.0, 10.0, 0.5),                   # no exposure there: no rows
])
def test_cone_gives_the_brute_force_rows(store, event_files, ra, dec, radius):
    found = rows_by_exposure(store.cone(ra, dec, radius).select("obs_id", "instrume", "expid", "_row").collect())
    expected = {key: rows for key, path in event_files.items()
                if (rows := brute_force_cone(path, ra, dec, radius)).size}
    assert found.keys() == expected.keys()
    for key in expected:
        assert np.array_equal(found[key], expected[key]), key


def test_cone_takes_astropy_angles(store):
    plain = store.cone(263.6579, -32.556, 5 / 60).select(pl.len()).collect().item()
    angles = store.cone(263.6579 * u.deg, -32.556 * u.deg, 5 * u.arcmin).select(pl.len()).collect().item()
    assert plain == angles > 0


def test_cone_reads_only_overlapping_cells(store):
    plan = store.cone(263.6579, -32.556, 1 / 60).explain()
    catalog = store.catalog()
    files_of_field = catalog.filter(pl.col("obs_id") == "0001730201")["files"].explode()
    used = [f for f in catalog["files"].explode() if f in plan]
    assert 0 < len(used) < len(files_of_field)
    assert all(f in files_of_field.to_list() for f in used)


def test_sas_selection_equals_numpy_per_file(store, event_files):
    selection = "#XMMEA_EM && (PATTERN<=12) && (PI in [500:2000]) && (X,Y) in circle(25500,25000,6000)"
    found = rows_by_exposure(store.filter(selection).select("obs_id", "instrume", "expid", "_row").collect())
    for key, path in event_files.items():
        with fits.open(path) as hdus:
            data, header = hdus["EVENTS"].data, hdus[0].header
            macro = hdus["EVENTS"].header.get("XMMEA_EM", header.get("XMMEA_EM"))
            mask = int(macro.split("&")[1].split(")")[0], 16)
            keep = ((data["FLAG"] & mask) == 0) & (data["PATTERN"] <= 12) & (data["PI"] >= 500) & (data["PI"] <= 2000)
            keep &= (data["X"] - 25500.0) ** 2 + (data["Y"] - 25000.0) ** 2 <= 6000.0**2
        expected = np.flatnonzero(keep)
        assert np.array_equal(found.get(key, np.array([], dtype=np.int64)), expected), key


def test_polars_selection_and_time_range(store, event_files):
    key = ("0201901401", "EMOS2", "U002")
    with fits.open(event_files[key]) as hdus:
        time = hdus["EVENTS"].data["TIME"]
        mjdref = hdus["EVENTS"].header["MJDREF"]
    start, stop = float(np.quantile(time, 0.25)), float(np.quantile(time, 0.5))
    expected = int(((time >= start) & (time < stop)).sum())
    in_range = store.time_range(start, stop)
    by_obs = in_range.group_by("obs_id").len().collect()
    assert by_obs.filter(pl.col("obs_id") == "0201901401")["len"].item() >= expected
    assert in_range.filter(pl.col("instrume") == "EMOS2", pl.col("obs_id") == "0201901401").select(
        pl.len()).collect().item() == expected
    as_time = Time(mjdref + np.array([start, stop]) / 86400.0, format="mjd", scale="tt")
    assert store.time_range(as_time[0], as_time[1], obs_id="0201901401", instrume="EMOS2").select(
        pl.len()).collect().item() == expected
    assert store.time_range(mjdref + start / 86400, mjdref + stop / 86400, unit="mjd", obs_id="0201901401",
                            instrume="EMOS2").select(pl.len()).collect().item() == expected
    hard = store.filter(pl.col("PI") > 8000, obs_id="0201901401").select(pl.len()).collect().item()
    expected_hard = 0
    for k, path in event_files.items():
        if k[0] == "0201901401":
            with fits.open(path) as hdus:
                expected_hard += int((hdus["EVENTS"].data["PI"] > 8000).sum())
    assert hard == expected_hard


def test_ra_dec_columns_match_astropy(store, event_files):
    from .conftest import brute_force_sky

    key = ("0900000001", "EMOS1", "S001")
    frame = store.scan(obs_id=key[0]).sort("_row").collect()
    ra, dec = brute_force_sky(event_files[key])
    dra = (frame["RA"].to_numpy() - ra + 180) % 360 - 180
    assert np.abs(dra * np.cos(np.deg2rad(dec))).max() * 3.6e6 < 1e-3  # milliarcseconds
    assert np.abs(frame["DEC"].to_numpy() - dec).max() * 3.6e6 < 1e-3
    assert REPOINTED[key[0]] == (0.05, 5.0) and (frame["RA"] > 359).any() and (frame["RA"] < 1).any()


def test_rows_sorted_by_healpix_index_within_each_file(store):
    import pyarrow.parquet as pq

    for path in store.catalog()["files"].explode().to_list()[:6]:
        index = pq.read_table(store.root + "/" + path, columns=["_healpix_29"])["_healpix_29"].to_numpy()
        assert np.all(np.diff(index) >= 0)
        metadata = pq.read_metadata(store.root + "/" + path)
        column = metadata.schema.names.index("_healpix_29")
        stats = metadata.row_group(0).column(column).statistics
        assert stats.has_min_max and stats.min == index[0]


def test_unknown_exposure_and_missing_store_are_errors(store, tmp_path):
    with pytest.raises(StoreError, match="no exposure 0000000000_EPN"):
        store.events("0000000000", "EPN")
    with pytest.raises(StoreError, match="not an event store"):
        xmmframe.open_store(tmp_path)
    with pytest.raises(StoreError, match="no such directory"):
        xmmframe.open_store(tmp_path / "nowhere")
