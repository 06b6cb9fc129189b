"""The simulated truth comes back through epproc/emproc: events, sources, positions, patterns, energies,
hot pixels, frames and flares."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from xmmframe.model.flags import MOS_FLAGS, PN_FLAGS
from xmmframe.proc.calibration import FLICKERING, FOUND
from xmmframe.sim.photons import COMPONENTS
from xmmframe.sim.response import response

INSTRUMENTS = ["EPN", "EMOS1", "EMOS2"]
#: Events to leave out of comparisons with photons: on bad pixels, MIPs, invalid patterns, cosmic rays.
_BAD = {
    "EPN": PN_FLAGS["ON_BADPIX"] | PN_FLAGS["MIP_ASSOCIATED"] | PN_FLAGS["INVALID_PATTERN"],
    "EMOS1": MOS_FLAGS["ON_BADPIX"] | MOS_FLAGS["FLICKERING"] | MOS_FLAGS["COSMIC_RAY"],
    "EMOS2": MOS_FLAGS["ON_BADPIX"] | MOS_FLAGS["FLICKERING"] | MOS_FLAGS["COSMIC_RAY"],
}


def _events(simulated, instrument):
    return simulated.events[instrument].collect()


def _truth(simulated, instrument):
    return simulated.truth.filter(pl.col("INSTRUME") == instrument)


def _sky(simulated, instrument, ra, dec):
    wcs = simulated.events[instrument].meta.sky_wcs
    x, y = wcs.all_world2pix(np.atleast_1d(ra), np.atleast_1d(dec), 1)
    return float(x[0]), float(y[0])


def _kind(pattern: pl.Expr) -> pl.Expr:
    return pl.when(pattern == 0).then(0).when(pattern <= 4).then(1).otherwise(2)


@pytest.mark.parametrize("instrument", INSTRUMENTS)
def test_number_of_events(simulated, instrument):
    events = _events(simulated, instrument)
    truth = _truth(simulated, instrument)
    if instrument == "EPN":
        # one event per photon/particle, except charge of two in one frame merging (pile-up)
        assert events.height == pytest.approx(truth["DETECTED"].sum(), rel=0.01)
    else:  # MOS transmits events: what the ODF holds is what comes out
        assert events.height == simulated.result.counts[instrument]
        assert events.height == pytest.approx(truth["DETECTED"].sum(), rel=0.01)


@pytest.mark.parametrize("instrument", INSTRUMENTS)
def test_point_source_position_and_counts(simulated, instrument):
    source = simulated.info["config"]["sources"][0]
    events = _events(simulated, instrument).filter((pl.col("FLAG") & _BAD[instrument]) == 0)
    x0, y0 = _sky(simulated, instrument, source["ra"], source["dec"])
    core = events.filter(
        ((pl.col("X") - x0) ** 2 + (pl.col("Y") - y0) ** 2 < 400**2) & (pl.col("PATTERN") <= 12)
    )
    wcs = simulated.events[instrument].meta.sky_wcs
    ra, dec = wcs.all_pix2world([core["X"].mean()], [core["Y"].mean()], 1)
    offset = (
        np.hypot((ra[0] - source["ra"]) * np.cos(np.deg2rad(source["dec"])), dec[0] - source["dec"]) * 3600
    )
    assert offset < 1.0, f"centroid {offset:.2f} arcsec from the true position"
    # counts in 60": events vs photons (of every component) that truly landed there
    truth = _truth(simulated, instrument).filter(pl.col("DETECTED") & (pl.col("PATTERN") <= 12))
    tx, ty = wcs.all_world2pix(truth["RA"].to_numpy(), truth["DEC"].to_numpy(), 1)
    inside_truth = int(np.sum((tx - x0) ** 2 + (ty - y0) ** 2 < 1200**2))
    inside = events.filter(
        ((pl.col("X") - x0) ** 2 + (pl.col("Y") - y0) ** 2 < 1200**2) & (pl.col("PATTERN") <= 12)
    ).height
    assert inside_truth > 500
    assert abs(inside - inside_truth) < 3 * np.sqrt(inside_truth)
    source_only = truth.filter((pl.col("COMPONENT") == COMPONENTS["point"]) & (pl.col("SOURCE") == 0)).height
    assert inside_truth >= source_only * 0.9


@pytest.mark.parametrize("instrument", INSTRUMENTS)
def test_pattern_fractions_per_energy(simulated, instrument):
    """Singles / doubles / triples+quadruples around the bright source within 2 % of the simulated
    patterns of the photons and particles that landed there, below and above 2 keV."""
    source = simulated.info["config"]["sources"][0]
    x0, y0 = _sky(simulated, instrument, source["ra"], source["dec"])
    radius2 = 600**2
    events = _events(simulated, instrument).filter(
        ((pl.col("FLAG") & _BAD[instrument]) == 0)
        & (pl.col("PATTERN") <= 12)
        & (((pl.col("X") - x0) ** 2 + (pl.col("Y") - y0) ** 2) < radius2)
    )
    truth = _truth(simulated, instrument).filter(
        pl.col("DETECTED") & (pl.col("PATTERN") <= 12) & pl.col("RA").is_not_nan()
    )
    tx, ty = simulated.events[instrument].meta.sky_wcs.all_world2pix(
        truth["RA"].to_numpy(), truth["DEC"].to_numpy(), 1
    )
    truth = truth.filter(pl.Series((tx - x0) ** 2 + (ty - y0) ** 2 < radius2))
    for lo, hi in ((300.0, 2000.0), (2000.0, 12000.0)):
        rec = events.filter(pl.col("PI").is_between(lo, hi, closed="left"))
        sim = truth.filter(pl.col("COLLECTED").is_between(lo, hi, closed="left"))
        rec_fraction = (
            rec.group_by(_kind(pl.col("PATTERN")).alias("K")).len().sort("K")["len"].to_numpy() / rec.height
        )
        sim_fraction = (
            sim.group_by(_kind(pl.col("PATTERN")).alias("K")).len().sort("K")["len"].to_numpy() / sim.height
        )
        assert sim.height > 300
        assert np.max(np.abs(rec_fraction - sim_fraction)) < 0.02, (lo, hi, rec_fraction, sim_fraction)


def _line_energy(values: np.ndarray, template: np.ndarray, window: tuple[float, float]) -> float:
    """Energy (eV) of a 6.4 keV line fitted to ``values``: maximum-likelihood shift of the calibration's
    line profile (``template``: a large sample of it), the way a spectral fit with the RMF measures a line."""
    edges = np.arange(window[0] - 60.0, window[1] + 61.0, 2.0)
    density, _ = np.histogram(template, edges, density=True)
    density = np.convolve(density, np.ones(5) / 5.0, mode="same") + 1e-9
    centres = 0.5 * (edges[1:] + edges[:-1])
    shifts = np.arange(-40.0, 40.25, 0.25)
    values = np.asarray(values, dtype=np.float64) + 0.5  # PI is the integer part of the energy
    likelihood = [np.sum(np.log(np.interp(values - shift, centres, density))) for shift in shifts]
    return 6400.0 + float(shifts[int(np.argmax(likelihood))])


@pytest.mark.parametrize("instrument", INSTRUMENTS)
def test_line_energy_after_gain_and_cti_correction_at_all_rawy(simulated, instrument):
    """The flat-field 6.4 keV line in four RAWY bands: its energy, fitted with the calibration's line
    profile, is within 10 eV of 6.4 keV and within 4 eV of the energy of the charge the pixels
    collected (the truth); no trend with RAWY is left (uncorrected CTI: tens of eV)."""
    window = (6000.0, 6800.0)
    events = _events(simulated, instrument).filter(
        (pl.col("FLAG") == 0) & (pl.col("PATTERN") <= 4) & pl.col("PI").is_between(*window)
    )
    truth = _truth(simulated, instrument).filter(
        (pl.col("COMPONENT") == COMPONENTS["uniform_line"]) & pl.col("DETECTED") & (pl.col("PATTERN") <= 4)
    )
    template = response().deposited_energy(np.random.default_rng(0), instrument, np.full(400000, 6.4))
    template = template[(template >= window[0]) & (template <= window[1])]
    ny = 200 if instrument == "EPN" else 600
    bands = np.linspace(13 if instrument == "EPN" else 1, ny + 1, 5)
    energies = []
    for lo, hi in zip(bands[:-1], bands[1:], strict=False):
        recovered = events.filter(pl.col("RAWY").is_between(lo, hi, closed="left"))["PI"].to_numpy()
        collected = truth.filter(pl.col("RAWY").is_between(lo, hi, closed="left"))["COLLECTED"].to_numpy()
        collected = np.floor(collected[(collected >= window[0]) & (collected <= window[1])])
        assert recovered.size > 2000
        energies.append(_line_energy(recovered, template, window))
        assert abs(energies[-1] - 6400.0) < 10.0, (lo, hi, energies[-1])
        assert abs(energies[-1] - _line_energy(collected, template, window)) < 4.0, (lo, hi)
    assert max(energies) - min(energies) < 6.0


def test_hot_and_flickering_pixels_are_found(simulated):
    for instrument in ("EPN", "EMOS1"):
        truth = _truth(simulated, instrument).filter(pl.col("COMPONENT") == COMPONENTS["hot"])
        hot = truth.group_by("CCDNR", "RAWX", "RAWY").len()
        events = simulated.events[instrument]
        badpix = pl.concat(
            [
                frame.with_columns(pl.lit(int(name[-2:]), dtype=pl.UInt8).alias("CCDNR"))
                for name, frame in events.meta.extensions.items()
                if name.startswith("BADPIX")
            ]
        )
        found = badpix.join(hot, on=["CCDNR", "RAWX", "RAWY"], how="inner")
        assert found.height == hot.height, f"{instrument}: {hot.height - found.height} hot pixels missed"
        assert (badpix["BADFLAG"] == FOUND).sum() >= hot.height - 3 * 12  # the CCF knew three per CCD
        assert (badpix["TYPE"] == FLICKERING).sum() >= 1
        # no spurious detections on the bright source
        assert (badpix["BADFLAG"] == FOUND).sum() <= hot.height
        flagged = events.collect().filter(
            (pl.col("FLAG") & _BAD[instrument] & (PN_FLAGS["ON_BADPIX"] | MOS_FLAGS["FLICKERING"])) > 0
        )
        assert flagged.height >= 0.95 * truth.filter(pl.col("DETECTED")).height


@pytest.mark.parametrize("instrument", INSTRUMENTS)
def test_frame_times_and_gtis(simulated, instrument):
    info = simulated.info["cameras"][instrument]
    meta = simulated.events[instrument].meta
    frame_time = info["frame_time"]
    assert meta.tstart == pytest.approx(info["t0"], abs=1e-3)
    exposure = meta.extensions["EXPOSU01"]["TIME"].to_numpy()
    phase = (exposure - info["t0"] - 0.5 * frame_time) / frame_time
    assert np.max(np.abs(phase - np.round(phase))) < 1e-3  # every frame where the simulator put it
    assert exposure.size == info["frames"]
    kept = info["frames"] * frame_time
    assert kept == pytest.approx(simulated.config.exposure - 60.0, abs=2 * frame_time)  # one telemetry gap
    for ccd, gti in meta.gtis.items():
        if instrument == "EPN":
            assert gti.duration == pytest.approx(kept, abs=1e-3)
            assert len(gti) == 2
        else:  # FIFO-overflow frames are bad: left out of the GTIs
            assert 0.0 < kept - gti.duration < 0.01 * kept
        assert meta.header[f"ONTIME{ccd:02d}"] == pytest.approx(gti.duration)


def test_flares_found_by_screening_overlap_the_simulated_ones(simulated):
    """pn singles at 10-12 keV in 100 s bins, bad where the rate exceeds 0.4/s (SAS thread recipe)."""
    events = simulated.events["EPN"]
    meta = events.meta
    high = events.filter("#XMMEA_EP && PATTERN==0 && PI in [10000:12000]").collect()["TIME"].to_numpy()
    edges = np.arange(meta.tstart, meta.tstop + 100.0, 100.0)
    counts, _ = np.histogram(high, edges)
    bad = counts / 100.0 > 0.4
    flares = simulated.info["cameras"]["EPN"]["flares"]
    total = sum(stop - start for start, stop in flares)
    covered = 0.0
    for start, stop in flares:
        for lo, hi, is_bad in zip(edges[:-1], edges[1:], bad, strict=False):
            if is_bad:
                covered += max(0.0, min(hi, stop) - max(lo, start))
    assert covered / total >= 0.95, covered / total
    false = sum(
        100.0
        for lo, is_bad in zip(edges[:-1], bad, strict=False)
        if is_bad and not any(start - 100.0 < lo < stop for start, stop in flares)
    )
    assert false <= 200.0


def test_processing_is_reproducible(simulated):
    """Same ODF and seed: identical events (randomisation comes from the seed, not from thread order)."""
    from xmmframe.proc.chain import process_exposure

    obs = simulated.observation
    for code in ("PN", "M2"):
        record = obs.imaging_exposures(code)[0]
        first = process_exposure(obs, code, record, seed=3).collect()
        second = process_exposure(obs, code, record, seed=3).collect()
        assert first.equals(second)
        other = process_exposure(obs, code, record, seed=4).collect()
        assert not first.equals(other) and first.height == other.height
        centred = process_exposure(obs, code, record, seed=None).collect()
        assert centred.height == first.height
