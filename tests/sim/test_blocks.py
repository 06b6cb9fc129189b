"""Simulating an exposure in blocks of frames changes the random stream, not the observation."""

from __future__ import annotations

import os
from dataclasses import replace

import numpy as np
import polars as pl
import pyarrow.parquet as pq
import pytest
from astropy.io import fits

from xmmframe.io.truth import read_truth
from xmmframe.sim import Flare, default_config, simulate
from xmmframe.sim.photons import COMPONENTS

EXPOSURE = 2000.0


def _config(chunk_hits: int):
    base = default_config(exposure=EXPOSURE, seed=11)
    return replace(
        base,
        instruments=("PN", "M1"),
        flares=(Flare(500.0, 900.0, rate=30.0),),
        chunk_hits=chunk_hits,
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("blocks")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # the files' DATE: the same for every run
        return {
            name: (simulate(base / name, _config(hits)), base / name)
            for name, hits in (("one", 10**9), ("many", 3000), ("many-again", 3000))
        }


def _truth(result) -> pl.DataFrame:
    return pl.read_parquet(result.truth)


def test_many_blocks_were_made(runs):
    assert pq.ParquetFile(runs["one"][0].truth).num_row_groups == 2  # one block per camera
    assert pq.ParquetFile(runs["many"][0].truth).num_row_groups > 20


def test_blocks_give_the_same_statistics(runs):
    one, many = _truth(runs["one"][0]), _truth(runs["many"][0])
    for instrument in ("EPN", "EMOS1"):
        a = one.filter(pl.col("INSTRUME") == instrument)
        b = many.filter(pl.col("INSTRUME") == instrument)
        for name, code in COMPONENTS.items():
            na = a.filter(pl.col("COMPONENT") == code).height
            nb = b.filter(pl.col("COMPONENT") == code).height
            assert abs(na - nb) <= 5 * np.sqrt(na + nb) + 2, (instrument, name, na, nb)
        for frame, run in ((a, "one"), (b, "many")):  # flare protons only inside the flare
            start, stop = read_truth(runs[run][0].truth)[1]["cameras"][instrument]["flares"][0]
            flare = frame.filter(pl.col("COMPONENT") == COMPONENTS["flare"])
            assert flare.height > 1000 and flare["TIME"].is_between(start, stop).all()
        detected_a = a.filter(pl.col("DETECTED"))
        detected_b = b.filter(pl.col("DETECTED"))
        for pattern in (0, 1, 2):
            fa = (detected_a["PATTERN"] == pattern).mean()
            fb = (detected_b["PATTERN"] == pattern).mean()
            assert abs(fa - fb) < 0.02, (instrument, pattern, fa, fb)
    assert runs["one"][0].counts["EPN"] == pytest.approx(runs["many"][0].counts["EPN"], rel=0.05)


def test_event_files_are_continuous_over_blocks(runs):
    result, odf = runs["many"]
    for name in result.files:
        if not name.endswith("IME.FIT"):
            continue
        frames = fits.getdata(odf / name, "EVENTS")["FRAME"]
        assert np.all(np.diff(frames) >= 0), name  # rows in frame order, as one block writes them
    aux = fits.getdata(next(odf / n for n in result.files if "M1S" in n and n.endswith("AUX.FIT")), 1)
    events = pl.concat(
        pl.DataFrame({"CCDID": int(n[-9]), "FRAME": fits.getdata(odf / n, "EVENTS")["FRAME"].astype(np.int64)})
        for n in result.files
        if "M1S" in n and n.endswith("IME.FIT")
    )
    per_frame = events.group_by("CCDID", "FRAME").len()
    nvalid = pl.DataFrame(
        {"CCDID": aux["CCDID"].astype(np.int64), "FRAME": aux["FRAME"].astype(np.int64), "NVALID": aux["NVALID"]}
    ).join(per_frame, on=["CCDID", "FRAME"], how="left")
    assert (nvalid["NVALID"] == nvalid["len"].fill_null(0)).all()  # MOS NVALID summed over blocks


def test_blocks_are_deterministic(runs):
    (first, a), (second, b) = runs["many"], runs["many-again"]
    assert first.files == second.files
    for name in first.files:
        if name.endswith("IME.FIT"):
            assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert _truth(first).equals(_truth(second))
    assert sorted(os.listdir(a)) == sorted(os.listdir(b))
