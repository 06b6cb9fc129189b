"""Odd but legitimate input is accepted, as SAS evselect accepts it, with the answer a SAS user
expects: zero rows, unsorted times, NaN/infinite times, a repeated EXTNAME, overlapping GTIs."""

from __future__ import annotations

import os

import numpy as np
import pytest
from astropy.io import fits

import xmmframe
from tests.badinput.files import write_columns
from xmmframe.cli.main import main
from xmmframe.errors import OutputError

PRODUCTS = {"lightcurve_options": {"bin": 10.0}, "image_options": {"xcolumn": "X", "ycolumn": "Y", "bin": (80, 80)}}


def _edited(source, target, edit):
    with fits.open(source) as hdus:
        edit(hdus)
        hdus.writeto(target)
    return target


def _products(path, folder, selection="PI > 0"):
    result = xmmframe.evselect(
        xmmframe.open_events(path), selection, filtered=folder / "f.fits", spectrum=folder / "s.pha",
        lightcurve=folder / "l.lc", image=folder / "i.fits", **PRODUCTS,
    )
    return result, {name: fits.getdata(folder / name, 1 if name != "i.fits" else 0)
                    for name in ("f.fits", "s.pha", "l.lc", "i.fits")}


def _events_hdu(hdus):
    return hdus["EVENTS"]


def test_zero_rows_give_empty_products(originals, tmp_path, fitsverify):
    def empty(hdus):
        _events_hdu(hdus).data = _events_hdu(hdus).data[:0]

    path = _edited(originals["events"], tmp_path / "zero.fits", empty)
    result, data = _products(path, tmp_path)
    assert result.selected == 0
    assert len(data["f.fits"]) == 0 and data["s.pha"]["COUNTS"].sum() == 0 and data["i.fits"].sum() == 0
    assert len(data["l.lc"]) > 0 and np.nansum(data["l.lc"]["RATE"]) == 0  # the time bins exist, empty
    for name in ("f.fits", "s.pha", "l.lc", "i.fits"):
        assert fitsverify(tmp_path / name)[0] == 0, name
    assert main(["evselect", f"table={path}", f"filteredset={tmp_path / 'cli.fits'}"]) == 0


def test_unsorted_times_give_the_same_products(originals, tmp_path):
    def shuffle(hdus):
        table = _events_hdu(hdus)
        table.data = table.data[np.random.default_rng(7).permutation(len(table.data))]

    shuffled = _edited(originals["events"], tmp_path / "shuffled.fits", shuffle)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    _, ordered = _products(originals["events"], tmp_path / "a")
    _, mixed = _products(shuffled, tmp_path / "b")
    np.testing.assert_array_equal(ordered["s.pha"]["COUNTS"], mixed["s.pha"]["COUNTS"])
    np.testing.assert_array_equal(ordered["l.lc"]["RATE"], mixed["l.lc"]["RATE"])
    np.testing.assert_array_equal(ordered["i.fits"], mixed["i.fits"])
    # the filtered list keeps the input's row order, as evselect does
    np.testing.assert_array_equal(mixed["f.fits"]["TIME"], fits.getdata(shuffled, "EVENTS")["TIME"])


def test_non_finite_times_are_kept_but_fall_in_no_time_bin(originals, tmp_path):
    def spoil(hdus):
        times = _events_hdu(hdus).data["TIME"]
        times[[5, 7, 9]] = [np.nan, np.inf, -np.inf]

    path = _edited(originals["events"], tmp_path / "nan.fits", spoil)
    result, data = _products(path, tmp_path)
    assert result.selected == 400 and len(data["f.fits"]) == 400  # PI > 0 says nothing about TIME
    assert np.isnan(data["f.fits"]["TIME"][5]) and np.isposinf(data["f.fits"]["TIME"][7])
    assert data["s.pha"]["COUNTS"].sum() == 400
    counts = np.nansum(data["l.lc"]["RATE"]) * 10.0
    assert counts == pytest.approx(397)  # the three non-finite times are in no bin
    # IEEE comparisons: NaN fails TIME > 0, +inf passes it, -inf fails it
    assert xmmframe.open_events(path).filter("TIME > 0").collect().height == 398


def test_tnull_the_column_cannot_hold_marks_no_null(originals, tmp_path):
    """Found by the long fuzz run: TNULL = -99999999 on a 16-bit column raised OverflowError."""
    def widen(hdus):
        header = _events_hdu(hdus).header
        header["TNULL9"] = -99999999  # PI, 16-bit
        header["TNULL10"] = 2**40  # FLAG, 32-bit

    path = _edited(originals["events"], tmp_path / "tnull.fits", widen)
    frame = xmmframe.open_events(path).collect()
    expected = fits.getdata(originals["events"], "EVENTS")
    assert frame["PI"].null_count() == 0 and frame["FLAG"].null_count() == 0
    np.testing.assert_array_equal(frame["PI"].to_numpy(), expected["PI"])


def test_repeated_extname_opens_the_first(originals, tmp_path):
    def rename(hdus):
        hdus["OFFSETS"].header["EXTNAME"] = "EVENTS"

    path = _edited(originals["events"], tmp_path / "twice.fits", rename)
    events = xmmframe.open_events(path, "EVENTS")
    assert events.collect().height == 400 and "PI" in events.collect().columns


def test_overlapping_gtis_are_their_union(originals, tmp_path):
    times = xmmframe.open_events(originals["events"]).collect()["TIME"].to_numpy()
    t0 = times.min()
    gti = write_columns(tmp_path / "gti.fits", {"START": np.array([t0, t0 + 50.0]), "STOP": np.array([t0 + 100.0, t0 + 200.0])},
                        extname="STDGTI")
    selected = xmmframe.open_events(originals["events"]).filter(f"gti({gti},TIME)").collect()
    assert selected.height == int(np.count_nonzero((times >= t0) & (times < t0 + 200.0)))
    assert 0 < selected.height < times.size


def test_read_only_output_directory(originals, tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    os.chmod(folder, 0o500)
    try:
        probe = folder / "probe"
        try:
            probe.touch()
        except PermissionError:
            pass
        else:
            probe.unlink()
            pytest.skip("running as root (or with CAP_DAC_OVERRIDE): a read-only directory does not block writes")
        with pytest.raises(OutputError, match="cannot write in"):
            xmmframe.evselect(xmmframe.open_events(originals["events"]), "PI > 0", filtered=folder / "x.fits")
        assert os.listdir(folder) == []
    finally:
        os.chmod(folder, 0o700)
