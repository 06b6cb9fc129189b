"""Simulate an XMM-Newton observation: a complete ODF (pn + MOS1 + MOS2 imaging) and its truth table.

The chain per camera: frame schedule -> incident photons/particles (sources, cluster, soft-proton
flares, particle background, instrumental lines, MIPs, hot and flickering pixels) -> charge
split, CTI, read noise, digitisation and threshold (:mod:`xmmframe.sim.detector`) -> pn pixel
lists or MOS on-board events -> ODF files.  Everything random comes from one seed, so the same
configuration and seed give byte-identical event tables and truth.

Examples
--------
>>> from xmmframe.sim import simulate, default_config
>>> result = simulate("sim-odf", default_config(exposure=2000.0, seed=7))        # doctest: +SKIP
>>> result.counts["EPN"]                                                         # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np
import polars as pl

from xmmframe import __version__
from xmmframe.io.odf_summary import format_summary_asc, write_summary
from xmmframe.io.odf_write import write_constituent
from xmmframe.io.truth import write_truth
from xmmframe.model.attitude import Attitude
from xmmframe.model.mission_time import mission_seconds, utc_string
from xmmframe.model.odf import (
    ConfigParameter,
    Configuration,
    DataQualityRecord,
    OdfFileName,
    OdfSummary,
    ProposalRecord,
)
from xmmframe.proc.calibration import FROM_CCF, HOT, detector_calibration
from xmmframe.proc.geometry import camera as camera_of
from xmmframe.sim.config import SimulationConfig, default_config
from xmmframe.sim.detector import SATURATION, first_row, mos_onboard, transmit
from xmmframe.sim.frames import FrameSchedule
from xmmframe.sim.odf import (
    aux_keywords,
    event_table_keywords,
    exposure_keywords,
    housekeeping_table,
)
from xmmframe.sim.photons import (
    COMPONENTS,
    Hits,
    flare_hits,
    hot_pixel_hits,
    mip_pixels,
    particle_hits,
    source_photons,
)
from xmmframe.sim.pointing import simulate_attitude

#: Camera code, INSTRUME, exposure number and start delay (s) after the observation start.
CAMERAS = {"M1": ("EMOS1", 1, 200.0), "M2": ("EMOS2", 2, 210.0), "PN": ("EPN", 3, 400.0)}
#: Rate (counts/s) of each hot pixel.
HOT_RATE = 0.02


@dataclass
class SimulationResult:
    """What :func:`simulate` wrote.

    Attributes
    ----------
    odf_dir : str
        The ODF directory.
    summary : str
        Path of the ``SUM.ASC`` summary file.
    truth : str
        Path of the truth table (Parquet).
    files : list of str
        Every constituent written.
    counts : dict
        Transmitted rows per camera (pn pixels, MOS events).
    truth_rows : int
        Rows of the truth table.
    """

    odf_dir: str
    summary: str
    truth: str
    files: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    truth_rows: int = 0


def _hot_pixels(rng: np.random.Generator, cal, camera, per_ccd: int) -> tuple[np.ndarray, np.ndarray]:  # noqa: ANN001
    known = cal.bad_pixels.filter((pl.col("TYPE") == HOT) & (pl.col("BADFLAG") == FROM_CCF))
    rows = [tuple(r) for r in known.select("CCDNR", "RAWX", "RAWY").iter_rows()]
    nx, ny = camera.shape
    ymin = first_row(camera)
    for ccd in camera.ccds:
        for _ in range(per_ccd):
            rows.append((ccd, int(rng.integers(2, nx)), int(rng.integers(ymin + 2, ny))))
    flicker = np.zeros(len(rows), dtype=bool)
    ccd = camera.ccds[int(rng.integers(0, len(camera.ccds)))]
    rows.append((ccd, int(rng.integers(2, nx)), int(rng.integers(ymin + 2, ny))))
    flicker = np.append(flicker, True)
    return np.asarray(rows, dtype=np.int64), flicker


@dataclass
class CameraSimulation:
    """One simulated camera: its configuration, frames, incident events, truth and raw tables."""

    code: str
    instrument: str
    exposure: int
    mode: str
    schedule: FrameSchedule
    hits: Hits
    truth: dict[str, np.ndarray]
    raw: dict[int, pl.DataFrame]
    aux: pl.DataFrame


def _simulate_camera(
    code: str,
    config: SimulationConfig,
    attitude: Attitude,
    obs_t0: float,
    rng: np.random.Generator,
) -> CameraSimulation:
    instrument, exposure_number, delay = CAMERAS[code]
    camera = camera_of(instrument)
    cal = detector_calibration(instrument)
    mode = config.pn_mode if instrument == "EPN" else "PrimeFullWindow"
    t0 = obs_t0 + delay
    schedule = FrameSchedule.build(
        instrument,
        t0,
        config.exposure,
        rng,
        gaps=config.telemetry_gaps,
        mode=mode,
        bad_fraction=0.0 if instrument == "EPN" else 0.002,
    )
    span = schedule.total * schedule.frame_time
    parts: list[Hits] = [
        source_photons(rng, camera, config.filter, attitude, t0, span, source, k)
        for k, source in enumerate(config.sources)
    ]
    parts.append(particle_hits(rng, camera, attitude, t0, span, config.background))
    parts.append(flare_hits(rng, camera, attitude, t0, config.flares))
    base = sum(len(p) for p in parts)
    mips, mip_pix = mip_pixels(rng, camera, cal, t0, span, config.background.mip_rate, SATURATION)
    mip_pix["HIT"] = mip_pix["HIT"] + base
    hot_list, flicker = _hot_pixels(rng, cal, camera, config.background.hot_pixels_per_ccd)
    hot, hot_pix = hot_pixel_hits(
        rng, camera, cal, schedule.start, schedule.frame_time, hot_list, HOT_RATE, flicker
    )
    hot_pix["HIT"] = hot_pix["HIT"] + base + len(mips)
    hits = Hits.concat(parts + [mips, hot])
    direct = {k: np.concatenate([mip_pix[k], hot_pix[k]]) for k in ("HIT", "CCD", "RAWX", "RAWY", "CHARGE")}
    pixels, truth = transmit(rng, camera, cal, schedule, hits, direct)
    numbers = pl.lit(pl.Series(schedule.number))
    if instrument == "EPN":
        table = pixels.select(
            pl.col("CCD"),
            numbers.gather(pl.col("FRAME")).cast(pl.Int32).alias("FRAME"),
            pl.col("RAWX").cast(pl.Int16),
            pl.col("RAWY").cast(pl.Int16),
            pl.col("ADU").cast(pl.Int16).alias("ENERGY"),
        )
        counts: dict[int, np.ndarray] = {}
    else:
        events = mos_onboard(pixels, camera)
        table = events.with_columns(numbers.gather(pl.col("FRAME")).cast(pl.Int32).alias("FRAME"))
        per_frame = events.group_by(["CCD", "FRAME"]).len()
        counts = {}
        for ccd in camera.ccds:
            sel = per_frame.filter(pl.col("CCD") == ccd)
            arr = np.zeros(schedule.number.size, dtype=np.int64)
            arr[sel["FRAME"].to_numpy()] = sel["len"].to_numpy()
            counts[ccd] = arr
    raw = {ccd: table.filter(pl.col("CCD") == ccd).drop("CCD") for ccd in camera.ccds}
    aux = schedule.aux_frame(camera.ccds, counts)
    return CameraSimulation(code, instrument, exposure_number, mode, schedule, hits, truth, raw, aux)


def _truth_frame(cs: CameraSimulation) -> pl.DataFrame:
    hits = cs.hits
    row = cs.truth["FRAME_ROW"]
    frame = np.where(row >= 0, cs.schedule.number[np.maximum(row, 0)], -1)
    return pl.DataFrame(
        {
            "INSTRUME": pl.Series([cs.instrument] * len(hits), dtype=pl.Categorical),
            "COMPONENT": pl.Series(hits.component, dtype=pl.UInt8),
            "SOURCE": pl.Series(hits.source, dtype=pl.Int16),
            "TIME": hits.time,
            "FRAME": pl.Series(frame, dtype=pl.Int32),
            "ENERGY": hits.energy,
            "COLLECTED": cs.truth["COLLECTED"],
            "RA": hits.ra,
            "DEC": hits.dec,
            "DETX": hits.detx,
            "DETY": hits.dety,
            "CCDNR": pl.Series(hits.ccd, dtype=pl.UInt8),
            "RAWX": pl.Series(np.nan_to_num(np.floor(hits.rx), nan=-1.0) + 1, dtype=pl.Int16),
            "RAWY": pl.Series(np.nan_to_num(np.floor(hits.ry), nan=-1.0) + 1, dtype=pl.Int16),
            "KEPT": hits.kept.astype(bool),
            "PATTERN": pl.Series(cs.truth["PATTERN"], dtype=pl.UInt8),
            "NPIX": pl.Series(cs.truth["NPIX"], dtype=pl.Int16),
            "DETECTED": cs.truth["DETECTED"],
        }
    )


def _name(
    config: SimulationConfig,
    code: str,
    flag: str,
    exposure: int,
    ccd_field: str,
    kind: str,
    extension: str = "FIT",
) -> str:
    return OdfFileName.make(
        config.revolution, config.obs_id, code, flag, exposure, ccd_field, kind, extension
    )


def _write_camera(
    outdir: str, config: SimulationConfig, cs: CameraSimulation, rng: np.random.Generator
) -> list[str]:
    camera = camera_of(cs.instrument)
    cal = detector_calibration(cs.instrument)
    schedule = cs.schedule
    t_end = schedule.t0 + schedule.total * schedule.frame_time
    primary = exposure_keywords(
        cs.instrument,
        config.obs_id,
        cs.exposure,
        "S",
        config.filter,
        cs.mode,
        utc_string(schedule.t0, 0),
        utc_string(t_end, 0),
        config.revolution,
        config.target,
    )
    names = []
    aux_name = _name(config, cs.code, "S", cs.exposure, "00", "AUX")
    tables = [("AUX", aux_keywords(cs.instrument, schedule.frame_time, schedule.t0), cs.aux)]
    if cs.instrument == "EPN":
        quadrants = pl.DataFrame(
            {
                "CYCLE": pl.Series(np.repeat(np.arange(schedule.number.size), 4), dtype=pl.Int32),
                "QUADRANT": pl.Series(np.tile(np.arange(4), schedule.number.size), dtype=pl.UInt8),
                "NABOVE": pl.Series(np.zeros(4 * schedule.number.size), dtype=pl.Int16),
                "NDEFA": pl.Series(np.zeros(4 * schedule.number.size), dtype=pl.Int16),
                "NEPDH": pl.Series(np.zeros(4 * schedule.number.size), dtype=pl.Int16),
                "NDISCLIN": pl.Series(np.zeros(4 * schedule.number.size), dtype=pl.Int16),
                "MCOMMODE": pl.Series(np.zeros(4 * schedule.number.size), dtype=pl.Int16),
            }
        )
        tables.append(("AUX2", {}, quadrants))
    write_constituent(os.path.join(outdir, aux_name), primary, tables)
    names.append(aux_name)
    for ccd in camera.ccds:
        ccd_field = f"{ccd:02d}" if cs.instrument == "EPN" else f"{ccd}0"
        name = _name(config, cs.code, "S", cs.exposure, ccd_field, "IME")
        keywords = event_table_keywords(
            cs.instrument, ccd, 0, camera.shape, schedule.frame_time, cal.event_threshold, cs.mode
        )
        write_constituent(os.path.join(outdir, name), primary, [("EVENTS", keywords, cs.raw[ccd])])
        names.append(name)
    hk_kind = "PMH" if cs.instrument == "EPN" else "PEH"
    hk_name = _name(config, cs.code, "X", 0, "00", hk_kind)
    write_constituent(
        os.path.join(outdir, hk_name),
        primary,
        [(hk_kind, {}, housekeeping_table(cs.instrument, schedule.t0 - 100.0, t_end + 100.0, rng))],
    )
    names.append(hk_name)
    return names


def _summary(config: SimulationConfig, files: list[tuple[str, str]], start: float, stop: float) -> OdfSummary:
    proposal = ProposalRecord(
        (
            "Dr    xmmframe            Simulator",
            "xmmframe",
            "",
            "",
            "",
            "",
            "",
            "",
            "simulated@example.invalid",
        ),
        {
            "Announcement of Opportunity": " 0",
            "Observation type": " S",
            "Target Name": config.target,
            "Target Right Ascension": f"{config.ra / 15.0:.7f}",
            "Target Declination": f"{config.dec:.7f}",
            "Observation Duration": f"{int(stop - start)}",
            "Boresight Right Ascension": f"{config.ra / 15.0:.7f}",
            "Boresight Declination": f"{config.dec:.7f}",
        },
    )
    quality = tuple(
        DataQualityRecord(
            code,
            f"{config.obs_id}{code}{CAMERAS[code][1]:03d}",
            dict.fromkeys(
                (
                    "failed_packets",
                    "event_reports",
                    "pms_errors",
                    "telemetry_drops",
                    "telemetry_drop_duration",
                    "telemetry_out_of_limits",
                ),
                0,
            ),
            "S",
        )
        for code in config.instruments
    )
    return OdfSummary(
        format="ASC",
        obs_id=config.obs_id,
        revolution=f"{config.revolution:04d}",
        start=utc_string(start, 0),
        end=utc_string(stop, 0),
        files=tuple(files),
        declared_files=len(files),
        configuration=Configuration(
            "", 1, (ConfigParameter("ODF_VERSION", "003", "Qcheck reset ODF version"),)
        ),
        proposal=proposal,
        data_quality=quality,
    )


def _jsonable(config: SimulationConfig) -> dict[str, object]:
    data = asdict(config)
    for source, original in zip(data["sources"], config.sources, strict=True):
        source["kind"] = type(original).__name__
    return data


def simulate(
    out: str | os.PathLike[str],
    config: SimulationConfig | None = None,
    progress: Callable[[str], None] | None = None,
) -> SimulationResult:
    """Simulate an observation into the directory ``out`` (created if needed).

    Parameters
    ----------
    out : path
        Output directory of the ODF (constituents, ``SUM.ASC``) and of ``truth.parquet``.
    config : SimulationConfig, optional
        What to simulate; :func:`default_config` by default.
    progress : callable, optional
        Called with a short text before each step.

    Returns
    -------
    SimulationResult
        Paths and counts.

    Examples
    --------
    >>> result = simulate("demo/odf", default_config(exposure=2000.0))       # doctest: +SKIP
    >>> sorted(result.counts)                                                # doctest: +SKIP
    ['EMOS1', 'EMOS2', 'EPN']
    """
    config = config or default_config()
    say = progress or (lambda text: None)
    outdir = os.fspath(out)
    os.makedirs(outdir, exist_ok=True)
    seeds = np.random.SeedSequence(config.seed).spawn(len(CAMERAS) + 2)
    obs_t0 = float(mission_seconds(config.start))
    obs_stop = obs_t0 + config.exposure + 600.0
    say("attitude")
    ats, attitude = simulate_attitude(
        config.ra,
        config.dec,
        config.pa,
        config.start,
        obs_stop - obs_t0 + 60.0,
        config.attitude_step,
        config.wobble,
        config.obs_id,
        np.random.default_rng(seeds[0]),
    )
    files: list[tuple[str, str]] = []
    result = SimulationResult(outdir, "", "")
    truth_parts = []
    cameras_info = {}
    for k, code in enumerate(("M1", "M2", "PN")):
        if code not in config.instruments:
            continue
        say(f"camera {CAMERAS[code][0]}")
        rng = np.random.default_rng(seeds[k + 1])
        cs = _simulate_camera(code, config, attitude, obs_t0, rng)
        say(f"writing {CAMERAS[code][0]}")
        for name in _write_camera(outdir, config, cs, rng):
            files.append((name, "Generic ODF file"))
        result.counts[cs.instrument] = int(sum(t.height for t in cs.raw.values()))
        truth_parts.append(_truth_frame(cs))
        cameras_info[cs.instrument] = {
            "exposure": cs.exposure,
            "expidstr": f"S{cs.exposure:03d}",
            "mode": cs.mode,
            "frame_time": cs.schedule.frame_time,
            "t0": cs.schedule.t0,
            "tstop": cs.schedule.t0 + cs.schedule.total * cs.schedule.frame_time,
            "frames": int(cs.schedule.number.size),
            "flares": [[cs.schedule.t0 + f.start, cs.schedule.t0 + f.stop] for f in config.flares],
        }
    ats_name = _name(config, "SC", "X", 0, "00", "ATS")
    write_constituent(
        os.path.join(outdir, ats_name),
        {"TELESCOP": "XMM", "OBS_ID": config.obs_id, "CREATOR": "xmmframe simulate"},
        [("ATS", {}, ats)],
    )
    files.insert(0, (ats_name, "Reconstructed Attitude file"))
    summary_name = _name(config, "SC", "X", 0, "00", "SUM", "ASC")
    files.append((summary_name, "Intermediate Summary File"))
    say("summary and truth")
    summary = _summary(config, files, obs_t0, obs_stop)
    result.summary = os.path.join(outdir, summary_name)
    write_summary(result.summary, format_summary_asc(summary))
    truth = pl.concat(truth_parts, how="vertical") if truth_parts else pl.DataFrame()
    ra_pnt, dec_pnt, pa_pnt = attitude.median_pointing(obs_t0, obs_stop)
    info = {
        "xmmframe": __version__,
        "seed": config.seed,
        "config": _jsonable(config),
        "components": COMPONENTS,
        "cameras": cameras_info,
        "pointing": {"ra": ra_pnt, "dec": dec_pnt, "pa": pa_pnt},
        "calibration": detector_calibration("EPN").source,
        "response": "xmmframe.ccf built-in set: area, filter, QE, vignetting, PSF, REDIST profiles",
        "truth_columns": "one row per incident photon/particle; PATTERN 255 = nothing transmitted",
    }
    result.truth = os.path.join(outdir, "truth.parquet")
    write_truth(result.truth, truth, info)
    result.truth_rows = truth.height
    result.files = [name for name, _ in files]
    return result
