"""From incident events to what a camera transmits: charge split, CTI, read noise, digitisation,
threshold, bad pixels, pile-up of charge in one frame, and the on-board MOS event processing.

The deposited charge comes from the calibration's redistribution (:mod:`xmmframe.sim.response`).
pn transmits every pixel above threshold (``FRAME RAWX RAWY ENERGY``); the full-frame modes do
not transmit the 12 rows next to the readout node.  MOS reconstructs events on board and
transmits ``FRAME RAWX RAWY ENERGYE1..4 PATTERN PERIPIX`` (Data Files Handbook table 4).  How
E1-E4 combine is not public (SAS reference GAP); the simulator writes ``E1`` = central
(highest) pixel, ``E2`` = other pixels above threshold in the 3 x 3 around it, ``E3`` = pixels
above threshold outside the 3 x 3 (counted in ``PERIPIX``), ``E4`` = 0, and emproc uses
``PHA = E1 + E2``.  MOS PATTERN: 0-12 as pn, 13/14 invalid 2-4 pixel shapes, 25 larger patterns
within 5 x 5, 31 beyond (tracks); emproc flags 26-31 as ``COSMIC_RAY``.

Examples
--------
>>> from xmmframe.sim.detector import mos_pattern_code
>>> import numpy as np
>>> mos_pattern_code(np.array([0, 12, 15, 15]), np.array([True, True, True, False])).tolist()
[0, 12, 25, 31]
"""

from __future__ import annotations

import numpy as np
import polars as pl

from xmmframe.model.geometry import Camera
from xmmframe.proc.calibration import DEAD, UPLINKED, DetectorCalibration
from xmmframe.proc.patterns import reconstruct_patterns
from xmmframe.sim.charge import deposit
from xmmframe.sim.frames import FrameSchedule
from xmmframe.sim.constituents import MOS_RAW_SCHEMA
from xmmframe.sim.photons import COMPONENTS, Hits
from xmmframe.sim.response import response

#: Rows next to the pn readout node that full-frame modes do not transmit.
PN_FIRST_ROW = 13
#: Saturation of the on-board amplitude (12-bit).
SATURATION = 4095


def first_row(camera: Camera) -> int:
    """First transmitted RAWY of a camera in full-frame modes."""
    return PN_FIRST_ROW if camera.instrument == "EPN" else 1


def blocked_pixels(cal: DetectorCalibration) -> pl.DataFrame:
    """Pixels that never transmit charge: dead pixels (with their YEXTENT) and uplinked bad pixels."""
    table = cal.bad_pixels.filter((pl.col("TYPE") == DEAD) | (pl.col("BADFLAG") == UPLINKED))
    return (
        table.with_columns(pl.int_ranges(pl.col("RAWY"), pl.col("RAWY") + pl.col("YEXTENT")).alias("RAWY"))
        .explode("RAWY")
        .select(
            pl.col("CCDNR").cast(pl.Int64).alias("CCD"),
            pl.col("RAWX").cast(pl.Int64),
            pl.col("RAWY").cast(pl.Int64),
        )
        .unique()
    )


def transmit(
    rng: np.random.Generator,
    camera: Camera,
    cal: DetectorCalibration,
    schedule: FrameSchedule,
    hits: Hits,
    direct: dict[str, np.ndarray],
) -> tuple[pl.DataFrame, dict[str, np.ndarray]]:
    """Transmitted pixels of a camera and the per-hit truth.

    Parameters
    ----------
    hits : Hits
        All incident events; X-ray-like ones (components point..uniform_line) are split by the
        charge-cloud model, MIPs and hot pixels come with their pixels in ``direct``.
    direct : dict
        Pixels given directly (``HIT`` global hit index, ``CCD``, ``RAWX``, ``RAWY``, ``CHARGE``).

    Returns
    -------
    pixels : polars.DataFrame
        CCD, FRAME (row of the schedule), RAWX, RAWY, ADU of every transmitted pixel, sorted by
        CCD, FRAME, RAWY, RAWX.
    truth : dict
        Per hit: ``FRAME_ROW`` (-1 in telemetry gaps), ``PATTERN`` (255 when nothing was
        transmitted), ``NPIX``, ``DETECTED``, ``COLLECTED`` (eV deposited in its transmitted pixels:
        the energy a perfect gain/CTI correction recovers; the rest was lost below threshold).
    """
    n = len(hits)
    frame_row, frame_ok = schedule.locate(hits.time)
    charged = np.isin(
        hits.component,
        [COMPONENTS[k] for k in ("point", "extended", "flare", "particle", "line", "uniform_line")],
    )
    usable = charged & hits.kept & (hits.ccd > 0) & frame_ok
    index = np.flatnonzero(usable)
    scale = np.where(hits.component[index] == COMPONENTS["particle"], 1.5, 1.0)
    charge = response().deposited_energy(rng, camera.instrument, hits.energy[index] / 1000.0)
    split = deposit(rng, cal, hits.ccd[index].astype(np.int64), hits.rx[index], hits.ry[index], charge, scale)
    with_charge = split["DEPOSIT"] > 0  # pixels below the split threshold got no charge
    split = {k: v[with_charge] for k, v in split.items()}
    split["HIT"] = index[split["HIT"]]
    direct = dict(direct, DEPOSIT=np.asarray(direct["CHARGE"]))
    parts = {
        k: np.concatenate([split[k], np.asarray(direct[k])])
        for k in ("HIT", "CCD", "RAWX", "RAWY", "CHARGE", "DEPOSIT")
    }
    nx, ny = camera.shape
    ymin = first_row(camera)
    contributions = pl.DataFrame(
        {
            "HIT": parts["HIT"].astype(np.int64),
            "CCD": parts["CCD"].astype(np.int64),
            "RAWX": parts["RAWX"].astype(np.int64),
            "RAWY": parts["RAWY"].astype(np.int64),
            "CHARGE": parts["CHARGE"] + rng.standard_normal(parts["CHARGE"].size) * cal.read_noise,
            "DEPOSIT": parts["DEPOSIT"],
        }
    ).with_columns(pl.Series("FRAME", frame_row[parts["HIT"]]), pl.Series("OKFRAME", frame_ok[parts["HIT"]]))
    blocked = blocked_pixels(cal)
    contributions = contributions.filter(
        (pl.col("RAWX") >= 1)
        & (pl.col("RAWX") <= nx)
        & (pl.col("RAWY") >= 1)
        & (pl.col("RAWY") <= ny)
        & pl.col("OKFRAME")
    ).join(blocked, on=["CCD", "RAWX", "RAWY"], how="anti")
    gain = pl.lit(pl.Series(cal.gain.reshape(-1)))
    offset = pl.lit(pl.Series(cal.offset.reshape(-1).astype(np.float64)))
    flat = pl.col("CCD") * nx + pl.col("RAWX") - 1

    def adu(charge: pl.Expr) -> pl.Expr:
        value = (charge / gain.gather(flat) + offset.gather(flat)).floor()
        return value.clip(-1, SATURATION).cast(pl.Int64)

    # truth: each hit's own pixels above threshold
    own = (
        contributions.with_columns(adu(pl.col("CHARGE")).alias("ADU"))
        .filter((pl.col("ADU") >= cal.event_threshold) & (pl.col("RAWY") >= ymin))
        .sort(["HIT", "RAWY", "RAWX"])
    )
    collected = (
        np.bincount(own["HIT"].to_numpy(), own["DEPOSIT"].to_numpy(), minlength=n)
        if own.height
        else np.zeros(n)
    )
    truth_pattern = np.full(n, 255, dtype=np.uint8)
    truth_npix = np.zeros(n, dtype=np.int16)
    if own.height:
        ev = reconstruct_patterns(
            own["CCD"].to_numpy(),
            own["HIT"].to_numpy(),
            own["RAWX"].to_numpy(),
            own["RAWY"].to_numpy(),
            own["CHARGE"].to_numpy(),
            own["ADU"].to_numpy(),
            camera.shape,
            ymin=ymin,
        )
        hit_of_event = own["HIT"].to_numpy()[ev["MAIN"]]
        # a hit split in two groups (diagonal only) keeps the group of its brightest pixel
        order = np.argsort(-ev["ADU"], kind="stable")
        first = np.unique(hit_of_event[order], return_index=True)[1]
        chosen = order[first]
        truth_pattern[hit_of_event[chosen]] = np.where(
            np.bincount(hit_of_event, minlength=n)[hit_of_event[chosen]] > 1, 13, ev["PATTERN"][chosen]
        )
        truth_npix[hit_of_event[chosen]] = np.bincount(own["HIT"].to_numpy(), minlength=n)[
            hit_of_event[chosen]
        ]
    # what is transmitted: charge of all hits summed per pixel and frame
    pixels = (
        _sum_per_pixel(contributions)
        .with_columns(adu(pl.col("CHARGE")).alias("ADU"))
        .filter((pl.col("ADU") >= cal.event_threshold) & (pl.col("RAWY") >= ymin))
        .select("CCD", "FRAME", "RAWX", "RAWY", "ADU")
    )
    detected = truth_pattern != 255
    return pixels, {
        "FRAME_ROW": np.where(frame_ok, frame_row, -1),
        "PATTERN": truth_pattern,
        "NPIX": truth_npix,
        "DETECTED": detected,
        "COLLECTED": collected,
    }


def _sum_per_pixel(contributions: pl.DataFrame) -> pl.DataFrame:
    """Charge summed per (CCD, FRAME, RAWY, RAWX), in a fixed order (floating-point sums must not depend
    on thread scheduling: the digitised amplitudes of a seed are reproducible to the last bit)."""
    keys = ["CCD", "FRAME", "RAWY", "RAWX"]
    ordered = contributions.sort([*keys, "HIT"])
    if ordered.height == 0:
        return ordered.select(*keys, "CHARGE")
    matrix = ordered.select(keys).to_numpy()
    first = np.flatnonzero(np.r_[True, np.any(matrix[1:] != matrix[:-1], axis=1)])
    charge = np.add.reduceat(ordered["CHARGE"].to_numpy(), first)
    return ordered[first].select(keys).with_columns(pl.Series("CHARGE", charge))


def mos_pattern_code(pattern: np.ndarray, within_5x5: np.ndarray) -> np.ndarray:
    """MOS on-board PATTERN from the reconstruction's pattern (see the module docstring)."""
    pattern = np.asarray(pattern)
    return np.where(pattern < 15, pattern, np.where(within_5x5, 25, 31)).astype(np.uint8)


def mos_onboard(pixels: pl.DataFrame, camera: Camera) -> pl.DataFrame:
    """On-board MOS events from transmitted-to-processor pixels (see the module docstring).

    Returns CCD, FRAME (schedule row), RAWX, RAWY, ENERGYE1..4, PATTERN, PERIPIX.
    """
    if pixels.height == 0:
        return pl.DataFrame(schema={"CCD": pl.Int64, **MOS_RAW_SCHEMA, "FRAME": pl.Int64})
    ev = reconstruct_patterns(
        pixels["CCD"].to_numpy(),
        pixels["FRAME"].to_numpy(),
        pixels["RAWX"].to_numpy(),
        pixels["RAWY"].to_numpy(),
        pixels["ADU"].to_numpy().astype(np.float64),
        pixels["ADU"].to_numpy(),
        camera.shape,
    )
    main = ev["MAIN"]
    px = pixels.with_columns(pl.Series("EVENT", ev["PIXEL_EVENT"]))
    mains = px[main].with_columns(pl.Series("EVENT", np.arange(main.size)))
    joined = px.join(
        mains.select("EVENT", pl.col("RAWX").alias("MX"), pl.col("RAWY").alias("MY")), on="EVENT"
    )
    inner = ((pl.col("RAWX") - pl.col("MX")).abs() <= 1) & ((pl.col("RAWY") - pl.col("MY")).abs() <= 1)
    outer5 = ((pl.col("RAWX") - pl.col("MX")).abs() <= 2) & ((pl.col("RAWY") - pl.col("MY")).abs() <= 2)
    sums = (
        joined.group_by("EVENT")
        .agg(
            pl.col("ADU").filter(inner).sum().alias("INNER"),
            pl.col("ADU").filter(~inner).sum().alias("OUTER"),
            (~inner).sum().alias("PERIPIX"),
            outer5.all().alias("IN5"),
        )
        .sort("EVENT")
    )
    e1 = mains["ADU"].to_numpy()
    pattern = mos_pattern_code(ev["PATTERN"], sums["IN5"].to_numpy())
    return pl.DataFrame(
        {
            "CCD": mains["CCD"],
            "FRAME": mains["FRAME"],
            "RAWX": mains["RAWX"].cast(pl.Int16),
            "RAWY": mains["RAWY"].cast(pl.Int16),
            "ENERGYE1": pl.Series(np.minimum(e1, 32767), dtype=pl.Int16),
            "ENERGYE2": pl.Series(np.minimum(sums["INNER"].to_numpy() - e1, 32767), dtype=pl.Int16),
            "ENERGYE3": pl.Series(np.minimum(sums["OUTER"].to_numpy(), 32767), dtype=pl.Int16),
            "ENERGYE4": pl.Series(np.zeros(main.size), dtype=pl.Int16),
            "PATTERN": pl.Series(pattern, dtype=pl.UInt8),
            "PERIPIX": pl.Series(np.minimum(sums["PERIPIX"].to_numpy(), 255), dtype=pl.UInt8),
        }
    ).sort(["CCD", "FRAME", "RAWY", "RAWX"])
