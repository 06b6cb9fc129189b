"""Products across exposures: PHA Type II, epicspeccombine-style sums, light-curve tables, mosaics, the CLI."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from astropy.io import fits
from astropy.wcs import WCS

from xmmframe._version import __version__
from xmmframe.cli.main import main
from xmmframe.exec import stack_lightcurves, stack_mosaic, stack_spectra
from xmmframe.exec.stack import STACK_PROVENANCE
from xmmframe.products.combine import SUM_PROVENANCE
from xmmframe.model.products import Spectra

from .conftest import SOURCE
from tests.reference import events_sky_wcs

BACKGROUND = (0.04, 0.07)


def _source_pixels(store, key) -> tuple[float, float, float]:
    """The source circle in the exposure's sky pixels, from its FITS file's header with astropy."""
    source = store.exposures(*key)["source"][0]
    with fits.open(source) as hdus:
        header = hdus["EVENTS"].header
    wcs = events_sky_wcs(header)
    x, y = wcs.all_world2pix(SOURCE[0], SOURCE[1], 1)
    return float(x), float(y), SOURCE[2] / float(abs(wcs.wcs.cdelt[1]))


def _dense(path: Path, arf_path: Path | None = None) -> np.ndarray:
    """An OGIP response read with astropy and expanded row by row (times the ARF when given)."""
    with fits.open(path) as hdus:
        matrix = hdus["MATRIX"]
        first = int(matrix.header.get("TLMIN4", 0))
        dense = np.zeros((matrix.header["NAXIS2"], hdus["EBOUNDS"].header["NAXIS2"]))
        for i, row in enumerate(matrix.data):
            values = np.asarray(row["MATRIX"], dtype=np.float64)
            start = 0
            for f, n in zip(np.atleast_1d(row["F_CHAN"]), np.atleast_1d(row["N_CHAN"])):
                dense[i, f - first : f - first + n] = values[start : start + n]
                start += n
    if arf_path is not None:
        with fits.open(arf_path) as hdus:
            dense *= np.asarray(hdus["SPECRESP"].data["SPECRESP"], dtype=np.float64)[:, None]
    return dense


@pytest.fixture(scope="module")
def spectrum_stack(exec_store, pool):
    return stack_spectra(exec_store, *SOURCE, background=BACKGROUND, executor=pool)


def test_pha2_rows_are_each_exposures_own_spectrum(exec_store, spectrum_stack, tmp_path, fitsverify):
    run = spectrum_stack.run
    assert run.ok and len(run.keys) == 6 and {k[0] for k in run.keys} == {"0201901401", "0201903501", "0404910601"}
    assert list(spectrum_stack.tables) == ["EMOS"]
    path = tmp_path / "stack.pha"
    spectrum_stack.tables["EMOS"].write(path)
    assert fitsverify(path)[:2] == (0, 0)
    with fits.open(path) as hdus:
        table = hdus["SPECTRUM"]
        assert table.header["HDUCLAS4"] == "TYPE:II" and table.header["NAXIS2"] == 6
        labels = [str(v).strip() for v in table.data["ROWID"]]
        assert labels == ["_".join(key) for key in run.keys]
        for row, key in zip(table.data, run.keys):
            events = exec_store.events(*key)
            x, y, r = _source_pixels(exec_store, key)
            direct = events.spectrum(5, selection=f"(X,Y) in circle({x!r},{y!r},{r!r})").backscale(events)
            np.testing.assert_array_equal(row["COUNTS"], direct.counts)
            np.testing.assert_array_equal(row["CHANNEL"], direct.channel)
            assert row["EXPOSURE"] == pytest.approx(direct.exposure, rel=1e-12)
            assert row["BACKSCAL"] == pytest.approx(direct.backscal, rel=1e-12)
            assert direct.total > 1000
    again = Spectra.read(path)
    np.testing.assert_array_equal(again.counts, spectrum_stack.tables["EMOS"].counts)
    np.testing.assert_array_equal(again.exposure, spectrum_stack.tables["EMOS"].exposure)
    assert again.labels == tuple(labels)


def test_sums_follow_epicspeccombine(spectrum_stack, tmp_path, fitsverify, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert sorted(spectrum_stack.sums) == ["EMOS1", "EMOS2"]
    for instrument, summed in spectrum_stack.sums.items():
        parts = [value for key, value in spectrum_stack.run.items() if key[1] == instrument]
        assert len(parts) == 3
        exposures = np.array([p.spectrum.exposure for p in parts])
        np.testing.assert_array_equal(summed.spectrum.counts, np.sum([p.spectrum.counts for p in parts], axis=0))
        assert summed.spectrum.exposure == pytest.approx(exposures.sum(), rel=1e-12)
        backscal = np.array([p.spectrum.backscal for p in parts])
        assert summed.spectrum.backscal == pytest.approx((backscal * exposures).sum() / exposures.sum(), rel=1e-12)
        np.testing.assert_array_equal(summed.background.counts, np.sum([p.background.counts for p in parts], axis=0))
        assert summed.background.hduclas2 == "BKG" and summed.background.total > summed.spectrum.total

        # the response: exposure-weighted mean of RMF x ARF, computed from the files with astropy
        expected = np.zeros((parts[0].rmf.n_energies, parts[0].rmf.detchans))
        for i, part in enumerate(parts):
            part.rmf.write(tmp_path / f"{instrument}_{i}.rmf")
            part.arf.write(tmp_path / f"{instrument}_{i}.arf")
            expected += exposures[i] * _dense(tmp_path / f"{instrument}_{i}.rmf", tmp_path / f"{instrument}_{i}.arf")
        expected /= exposures.sum()
        rsp = tmp_path / f"{instrument}.rsp"
        summed.response.write(rsp)
        assert fitsverify(rsp)[:2] == (0, 0)
        with fits.open(rsp) as hdus:
            assert hdus["MATRIX"].header["HDUCLAS3"] == "FULL"
            assert hdus[0].header["CREATOR"] == SUM_PROVENANCE.creator == f"xmmframe sum_spectra (xmmframe-{__version__})"
            assert hdus[0].header["DATE"] == "2023-11-14T22:13:20"
        got = _dense(rsp)
        assert expected.sum(axis=1).max() > 100  # cm2: the area is in
        np.testing.assert_allclose(got, expected, rtol=2e-7, atol=1e-6 * expected.max())


def test_lightcurve_table_is_the_curves_concatenated(exec_store, pool, tmp_path, monkeypatch):
    stack = stack_lightcurves(exec_store, *SOURCE, bin=500.0, executor=pool)
    frames = []
    for key in stack.run.keys:
        x, y, r = _source_pixels(exec_store, key)
        curve = exec_store.events(*key).lightcurve(500.0, selection=f"(X,Y) in circle({x!r},{y!r},{r!r})")
        frames.append(pl.DataFrame({"TIME": curve.time, "RATE": curve.rate, "ERROR": curve.error,
                                    "COUNTS": curve.counts}).with_columns(
            TIMEDEL=pl.lit(500.0), obs_id=pl.lit(key[0]), instrume=pl.lit(key[1]), expid=pl.lit(key[2])))
    expected = pl.concat(frames).sort("TIME", maintain_order=True)
    assert stack.table.columns == expected.columns
    assert stack.table.equals(expected)
    assert stack.table["COUNTS"].sum() > 10000
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    stack.write(tmp_path / "curve.fits")
    with fits.open(tmp_path / "curve.fits") as hdus:
        header = hdus["RATE"].header
        assert (header["RA_OBJ"], header["DEC_OBJ"], header["SRC_RAD"]) == pytest.approx(SOURCE)
        assert header["CREATOR"] == STACK_PROVENANCE.creator == f"xmmframe stack (xmmframe-{__version__})"
        assert header["DATE"] == "2023-11-14T22:13:20"
        assert len(hdus["RATE"].data) == stack.table.height


def test_mosaic_is_a_histogram_of_the_store_positions(exec_store, pool, tmp_path, fitsverify, monkeypatch):
    ra, dec, radius, pixel = 149.5916, -11.0887, 0.25, 8.0 / 3600
    stack = stack_mosaic(exec_store, ra, dec, radius, pixel=pixel, executor=pool)
    n = math.ceil(2 * radius / pixel)
    assert stack.image.data.shape == (n, n) and stack.run.ok and len(stack.run.keys) == 6
    positions = pl.concat([exec_store.scan(*key).select("RA", "DEC").collect() for key in stack.run.keys])
    wcs = WCS(stack.image.header)
    x, y = wcs.wcs_world2pix(positions["RA"].to_numpy(), positions["DEC"].to_numpy(), 1)
    edges = np.arange(n + 1) + 0.5
    expected, _, _ = np.histogram2d(y, x, bins=[edges, edges])
    np.testing.assert_array_equal(stack.image.data, expected.astype(np.int64))
    assert stack.image.data.sum() > 200000
    assert stack.image.exposure == pytest.approx(sum(stack.run.rows["ontime"]))
    path = tmp_path / "mosaic.fits"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    stack.write(path)
    assert fitsverify(path)[:2] == (0, 0)
    with fits.open(path) as hdus:
        np.testing.assert_array_equal(hdus[0].data, stack.image.data)
        assert WCS(hdus[0].header).wcs.ctype[0] == "RA---TAN"
        assert hdus[0].header["CREATOR"] == STACK_PROVENANCE.creator
        assert hdus[0].header["DATE"] == "2023-11-14T22:13:20"


def test_command_line(exec_store, spectrum_stack, dask_client, tmp_path, fitsverify, capsys):
    address = dask_client.scheduler.address
    cone = ["--cone", str(SOURCE[0]), str(SOURCE[1]), str(SOURCE[2] * 60)]
    common = ["--executor", "dask", "--scheduler", address, "--quiet"]
    out = tmp_path / "src.pha"
    assert main(["stack", exec_store.root, *cone, "--product", "spectrum", "--out", str(out),
                 "--background", str(BACKGROUND[0] * 60), str(BACKGROUND[1] * 60), *common]) == 0
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == ["src.pha", "src_EMOS1_sum.pha", "src_EMOS1_sum.rsp", "src_EMOS1_sum_bkg.pha",
                       "src_EMOS2_sum.pha", "src_EMOS2_sum.rsp", "src_EMOS2_sum_bkg.pha"]
    for name in written:
        assert fitsverify(tmp_path / name)[:2] == (0, 0), name
    np.testing.assert_array_equal(Spectra.read(out).counts, spectrum_stack.tables["EMOS"].counts)
    with fits.open(tmp_path / "src_EMOS1_sum.pha") as hdus:
        header = hdus["SPECTRUM"].header
        assert header["RESPFILE"] == "src_EMOS1_sum.rsp" and header["BACKFILE"] == "src_EMOS1_sum_bkg.pha"
        assert header["EXPOSURE"] == pytest.approx(spectrum_stack.sums["EMOS1"].spectrum.exposure)
        np.testing.assert_array_equal(hdus["SPECTRUM"].data["COUNTS"], spectrum_stack.sums["EMOS1"].spectrum.counts)

    curve = tmp_path / "curve.fits"
    assert main(["stack", exec_store.root, *cone, "--product", "lightcurve", "--bin", "500", "--out", str(curve),
                 *common]) == 0
    assert fitsverify(curve)[:2] == (0, 0)
    with fits.open(curve) as hdus:
        assert hdus["RATE"].columns.names[:3] == ["TIME", "RATE", "ERROR"]
        assert len(set(hdus["RATE"].data["obs_id"])) == 3

    mosaic = tmp_path / "mosaic.fits"
    assert main(["stack", exec_store.root, "--cone", str(SOURCE[0]), str(SOURCE[1]), "10", "--pixel", "16",
                 "--product", "image", "--out", str(mosaic), *common]) == 0
    assert fitsverify(mosaic)[:2] == (0, 0)

    capsys.readouterr()
    assert main(["stack", exec_store.root, "--cone", "10", "10", "1", "--product", "image",
                 "--out", str(tmp_path / "none.fits"), "--quiet"]) == 1
    error = capsys.readouterr().err.strip()
    assert error.startswith("xmmframe: error: ") and "no exposure covers the cone" in error and "\n" not in error
    assert main(["stack", exec_store.root, *cone, "--product", "image", "--out", str(mosaic), *common]) == 1
    assert "file exists" in capsys.readouterr().err
