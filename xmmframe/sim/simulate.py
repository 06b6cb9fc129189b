"""Simulate an XMM-Newton observation: a complete ODF (pn + MOS1 + MOS2 imaging) and its truth table.

The chain per camera: frame schedule -> incident photons/particles (sources, cluster, soft-proton
flares, particle background, instrumental lines, MIPs, hot and flickering pixels) -> charge
split, CTI, read noise, digitisation and threshold (:mod:`xmmframe.sim.detector`) -> pn pixel
lists or MOS on-board events -> ODF files.  A camera's exposure is simulated in blocks of whole
frames (``SimulationConfig.chunk_hits`` incident events expected per block at the camera's peak
rate), each appended to the event files and the truth table as it is made, so memory stays
bounded however long the exposure.  Everything random comes from one seed, so the same
configuration and seed give byte-identical event tables and truth.

Examples
--------
>>> from xmmframe.sim import simulate, default_config
>>> result = simulate("sim-odf", default_config(exposure=2000.0, seed=7))        # doctest: +SKIP
>>> result.counts["EPN"]                                                         # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np
import polars as pl

from xmmframe._version import __version__
from xmmframe.io.atomic import atomic_group
from xmmframe.io.cards import provenance_items
from xmmframe.io.odf_summary import format_summary_asc, write_summary
from xmmframe.io.odf_write import constituent_writer, write_constituent
from xmmframe.io.truth import TruthWriter, truth_writer
from xmmframe.model.attitude import Attitude
from xmmframe.model.geometry import Camera
from xmmframe.model.geometry import camera as camera_of
from xmmframe.model.mission_time import mission_seconds, utc_string
from xmmframe.model.odf_set import (
    ConfigParameter,
    Configuration,
    DataQualityRecord,
    OdfFileName,
    OdfSummary,
    ProposalRecord,
)
from xmmframe.proc.calibration import FROM_CCF, HOT, DetectorCalibration, detector_calibration
from xmmframe.sim.config import SimulationConfig, default_config
from xmmframe.sim.detector import SATURATION, first_row, mos_onboard, transmit
from xmmframe.sim.frames import FrameSchedule
from xmmframe.sim.constituents import (
    MOS_RAW_SCHEMA,
    PN_RAW_SCHEMA,
    PROVENANCE,
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
    hot_pixel_windows,
    mip_pixels,
    particle_hits,
    peak_rate,
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


@dataclass(frozen=True)
class CameraSetup:
    """What stays fixed over one camera's exposure: configuration, frames, hot pixels, block length."""

    code: str
    instrument: str
    exposure: int
    mode: str
    camera: Camera
    calibration: DetectorCalibration
    schedule: FrameSchedule
    hot_pixels: np.ndarray
    flicker: np.ndarray
    hot_windows: np.ndarray
    block_frames: int

    @property
    def t_end(self) -> float:
        """End of the last frame."""
        return self.schedule.t0 + self.schedule.total * self.schedule.frame_time

    def blocks(self) -> list[tuple[int, int]]:
        """Frame ranges ``[first, stop)`` simulated at once (dropped frames counted)."""
        total = self.schedule.total
        return [(k, min(k + self.block_frames, total)) for k in range(0, total, self.block_frames)]


def _setup_camera(code: str, config: SimulationConfig, obs_t0: float, rng: np.random.Generator) -> CameraSetup:
    instrument, exposure_number, delay = CAMERAS[code]
    camera = camera_of(instrument)
    cal = detector_calibration(instrument, observation_date=config.start)
    mode = config.pn_mode if instrument == "EPN" else "PrimeFullWindow"
    schedule = FrameSchedule.build(
        instrument,
        obs_t0 + delay,
        config.exposure,
        rng,
        gaps=config.telemetry_gaps,
        mode=mode,
        bad_fraction=0.0 if instrument == "EPN" else 0.002,
    )
    hot_list, flicker = _hot_pixels(rng, cal, camera, config.background.hot_pixels_per_ccd)
    windows = hot_pixel_windows(rng, flicker, schedule.number.size)
    rate = peak_rate(camera, config.filter, config.sources, config.background, config.flares)
    block = max(1, int(config.chunk_hits / max(rate, 1e-9) / schedule.frame_time))
    return CameraSetup(
        code, instrument, exposure_number, mode, camera, cal, schedule, hot_list, flicker, windows, block
    )


@dataclass
class BlockSimulation:
    """One block of frames of a camera: transmitted rows per CCD, truth rows, MOS events per frame."""

    raw: dict[int, pl.DataFrame]
    truth: pl.DataFrame
    per_frame: pl.DataFrame


def _simulate_block(
    setup: CameraSetup,
    config: SimulationConfig,
    attitude: Attitude,
    rng: np.random.Generator,
    first: int,
    stop: int,
) -> BlockSimulation:
    camera, cal = setup.camera, setup.calibration
    schedule, row0 = setup.schedule.window(first, stop)
    t0 = schedule.t0
    span = schedule.total * schedule.frame_time
    epoch = setup.schedule.t0
    parts: list[Hits] = [
        source_photons(rng, camera, config.filter, attitude, t0, span, source, k, epoch=epoch)
        for k, source in enumerate(config.sources)
    ]
    parts.append(particle_hits(rng, camera, attitude, t0, span, config.background))
    parts.append(flare_hits(rng, camera, attitude, epoch, config.flares, (t0, t0 + span)))
    base = sum(len(p) for p in parts)
    mips, mip_pix = mip_pixels(rng, camera, cal, t0, span, config.background.mip_rate, SATURATION)
    mip_pix["HIT"] = mip_pix["HIT"] + base
    hot, hot_pix = hot_pixel_hits(
        rng,
        camera,
        cal,
        schedule.start,
        schedule.frame_time,
        setup.hot_pixels,
        HOT_RATE,
        setup.flicker,
        setup.hot_windows - row0,
    )
    hot_pix["HIT"] = hot_pix["HIT"] + base + len(mips)
    hits = Hits.concat(parts + [mips, hot])
    direct = {k: np.concatenate([mip_pix[k], hot_pix[k]]) for k in ("HIT", "CCD", "RAWX", "RAWY", "CHARGE")}
    pixels, truth = transmit(rng, camera, cal, schedule, hits, direct)
    number = pl.lit(pl.Series(schedule.number)).gather(pl.col("FRAME"))
    if setup.instrument == "EPN":
        table = pixels.select(
            pl.col("CCD"),
            number.cast(pl.Int32).alias("FRAME"),
            pl.col("RAWX").cast(pl.Int16),
            pl.col("RAWY").cast(pl.Int16),
            pl.col("ADU").cast(pl.Int16).alias("ENERGY"),
        )
        per_frame = pl.DataFrame(schema={"CCD": pl.Int64, "ROW": pl.Int64, "len": pl.UInt32})
    else:
        events = mos_onboard(pixels, camera)
        table = events.with_columns(number.cast(pl.Int32).alias("FRAME"))
        per_frame = events.group_by(["CCD", "FRAME"]).len().select(
            pl.col("CCD").cast(pl.Int64), (pl.col("FRAME") + row0).cast(pl.Int64).alias("ROW"), "len"
        )
    schema = PN_RAW_SCHEMA if setup.instrument == "EPN" else MOS_RAW_SCHEMA
    columns = [pl.col(name).cast(dtype) for name, dtype in schema.items()]
    raw = {ccd: table.filter(pl.col("CCD") == ccd).select(columns) for ccd in camera.ccds}
    return BlockSimulation(raw, _truth_frame(setup.instrument, schedule, hits, truth), per_frame)


def _truth_frame(
    instrument: str, schedule: FrameSchedule, hits: Hits, truth: dict[str, np.ndarray]
) -> pl.DataFrame:
    row = truth["FRAME_ROW"]
    frame = np.where(row >= 0, schedule.number[np.maximum(row, 0)], -1) if schedule.number.size else row
    return pl.DataFrame(
        {
            "INSTRUME": pl.Series([instrument] * len(hits), dtype=pl.Categorical),
            "COMPONENT": pl.Series(hits.component, dtype=pl.UInt8),
            "SOURCE": pl.Series(hits.source, dtype=pl.Int16),
            "TIME": hits.time,
            "FRAME": pl.Series(frame, dtype=pl.Int32),
            "ENERGY": hits.energy,
            "COLLECTED": truth["COLLECTED"],
            "RA": hits.ra,
            "DEC": hits.dec,
            "DETX": hits.detx,
            "DETY": hits.dety,
            "CCDNR": pl.Series(hits.ccd, dtype=pl.UInt8),
            "RAWX": pl.Series(np.nan_to_num(np.floor(hits.rx), nan=-1.0) + 1, dtype=pl.Int16),
            "RAWY": pl.Series(np.nan_to_num(np.floor(hits.ry), nan=-1.0) + 1, dtype=pl.Int16),
            "KEPT": hits.kept.astype(bool),
            "PATTERN": pl.Series(truth["PATTERN"], dtype=pl.UInt8),
            "NPIX": pl.Series(truth["NPIX"], dtype=pl.Int16),
            "DETECTED": truth["DETECTED"],
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


def _primary_keywords(config: SimulationConfig, setup: CameraSetup) -> dict[str, object]:
    return exposure_keywords(
        setup.instrument,
        config.obs_id,
        setup.exposure,
        "S",
        config.filter,
        setup.mode,
        utc_string(setup.schedule.t0, 0),
        utc_string(setup.t_end, 0),
        config.revolution,
        config.target,
    )


def _write_aux(
    outdir: str, config: SimulationConfig, setup: CameraSetup, counts: dict[int, np.ndarray]
) -> str:
    schedule = setup.schedule
    name = _name(config, setup.code, "S", setup.exposure, "00", "AUX")
    aux = schedule.aux_frame(setup.camera.ccds, counts)
    tables = [("AUX", aux_keywords(setup.instrument, schedule.frame_time, schedule.t0), aux)]
    if setup.instrument == "EPN":
        n = 4 * schedule.number.size
        quadrants = pl.DataFrame(
            {
                "CYCLE": pl.Series(np.repeat(np.arange(schedule.number.size), 4), dtype=pl.Int32),
                "QUADRANT": pl.Series(np.tile(np.arange(4), schedule.number.size), dtype=pl.UInt8),
                **{
                    column: pl.Series(np.zeros(n), dtype=pl.Int16)
                    for column in ("NABOVE", "NDEFA", "NEPDH", "NDISCLIN", "MCOMMODE")
                },
            }
        )
        tables.append(("AUX2", {}, quadrants))
    write_constituent(os.path.join(outdir, name), _primary_keywords(config, setup), tables)
    return name


def _write_housekeeping(
    outdir: str, config: SimulationConfig, setup: CameraSetup, rng: np.random.Generator
) -> str:
    kind = "PMH" if setup.instrument == "EPN" else "PEH"
    name = _name(config, setup.code, "X", 0, "00", kind)
    table = housekeeping_table(setup.instrument, setup.schedule.t0 - 100.0, setup.t_end + 100.0, rng)
    write_constituent(os.path.join(outdir, name), _primary_keywords(config, setup), [(kind, {}, table)])
    return name


def _event_file_name(config: SimulationConfig, setup: CameraSetup, ccd: int) -> str:
    ccd_field = f"{ccd:02d}" if setup.instrument == "EPN" else f"{ccd}0"
    return _name(config, setup.code, "S", setup.exposure, ccd_field, "IME")


def _simulate_events(
    outdir: str,
    config: SimulationConfig,
    setup: CameraSetup,
    attitude: Attitude,
    rng: np.random.Generator,
    truth: TruthWriter,
) -> tuple[list[str], int, dict[int, np.ndarray]]:
    """Simulate a camera's exposure block by block into its IME files and the truth table.

    Returns the file names, the rows written and the events of each frame per CCD (MOS ``NVALID``).
    """
    camera, schedule = setup.camera, setup.schedule
    primary = _primary_keywords(config, setup)
    schema = PN_RAW_SCHEMA if setup.instrument == "EPN" else MOS_RAW_SCHEMA
    names = {ccd: _event_file_name(config, setup, ccd) for ccd in camera.ccds}
    counts = {ccd: np.zeros(schedule.number.size, dtype=np.int64) for ccd in camera.ccds}
    with contextlib.ExitStack() as stack:
        writers = {
            ccd: stack.enter_context(
                constituent_writer(
                    os.path.join(outdir, names[ccd]),
                    primary,
                    "EVENTS",
                    event_table_keywords(
                        setup.instrument,
                        ccd,
                        0,
                        camera.shape,
                        schedule.frame_time,
                        setup.calibration.event_threshold,
                        setup.mode,
                    ),
                    schema,
                )
            )
            for ccd in camera.ccds
        }
        for first, stop in setup.blocks():
            block = _simulate_block(setup, config, attitude, rng, first, stop)
            for ccd, rows in block.raw.items():
                writers[ccd].write(rows)
            truth.write(block.truth)
            ccd_of, row, n = (block.per_frame[c].to_numpy() for c in ("CCD", "ROW", "len"))
            for ccd in camera.ccds:
                counts[ccd][row[ccd_of == ccd]] += n[ccd_of == ccd]
        written = sum(w.rows for w in writers.values())
    return [names[ccd] for ccd in camera.ccds], written, counts


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
    cameras_info = {}
    result.truth = os.path.join(outdir, "truth.parquet")
    with atomic_group(), truth_writer(result.truth) as truth:  # the whole ODF or nothing
        for k, code in enumerate(("M1", "M2", "PN")):
            if code not in config.instruments:
                continue
            say(f"camera {CAMERAS[code][0]}")
            rng = np.random.default_rng(seeds[k + 1])
            setup = _setup_camera(code, config, obs_t0, rng)
            events, written, counts = _simulate_events(outdir, config, setup, attitude, rng, truth)
            say(f"writing {CAMERAS[code][0]}")
            names = [_write_aux(outdir, config, setup, counts), *events]
            names.append(_write_housekeeping(outdir, config, setup, rng))
            files.extend((name, "Generic ODF file") for name in names)
            result.counts[setup.instrument] = written
            schedule = setup.schedule
            cameras_info[setup.instrument] = {
                "exposure": setup.exposure,
                "expidstr": f"S{setup.exposure:03d}",
                "mode": setup.mode,
                "frame_time": schedule.frame_time,
                "t0": schedule.t0,
                "tstop": setup.t_end,
                "frames": int(schedule.number.size),
                "flares": [[schedule.t0 + f.start, schedule.t0 + f.stop] for f in config.flares],
            }
        ats_name = _name(config, "SC", "X", 0, "00", "ATS")
        write_constituent(
            os.path.join(outdir, ats_name),
            {"TELESCOP": "XMM", "OBS_ID": config.obs_id, **provenance_items(PROVENANCE)},
            [("ATS", {}, ats)],
        )
        files.insert(0, (ats_name, "Reconstructed Attitude file"))
        summary_name = _name(config, "SC", "X", 0, "00", "SUM", "ASC")
        files.append((summary_name, "Intermediate Summary File"))
        say("summary and truth")
        summary = _summary(config, files, obs_t0, obs_stop)
        result.summary = os.path.join(outdir, summary_name)
        write_summary(result.summary, format_summary_asc(summary))
        ra_pnt, dec_pnt, pa_pnt = attitude.median_pointing(obs_t0, obs_stop)
        truth.describe(
            {
                "xmmframe": __version__,
                "seed": config.seed,
                "config": _jsonable(config),
                "components": COMPONENTS,
                "cameras": cameras_info,
                "pointing": {"ra": ra_pnt, "dec": dec_pnt, "pa": pa_pnt},
                "calibration": detector_calibration("EPN", observation_date=config.start).source,
                "response": "xmmframe.ccf built-in set: area, filter, QE, vignetting, PSF, REDIST profiles",
                "truth_columns": "one row per incident photon/particle; PATTERN 255 = nothing transmitted",
            }
        )
    result.truth_rows = truth.rows
    result.files = [name for name, _ in files]
    return result
