"""emevents/emenergy: MOS on-board events -> calibrated events.

MOS patterns are recognised on board; the ODF gives per event ``ENERGYE1..4``, ``PATTERN`` and
``PERIPIX``.  ``PHA = E1 + E2`` (the 3 x 3 charge; SAS reference GAP, see
:mod:`xmmframe.sim.detector`).  The numba energy kernel corrects ``E1`` and ``E2`` separately
(offsets x number of pixels, gain of the CCD, CTI at the main pixel's RAWY, each at its own
charge since the CTI depends on it) inside a row-preserving ``map_batches``; PI is their sum.
Flags: ``COSMIC_RAY`` for PATTERN >= 26, ``ON_BADPIX``/``FLICKERING`` and the
``CLOSE_TO_*`` bits from the bad-pixel neighbourhood, ``CLOSE_TO_CCD_BORDER`` on the outer rows
and columns, ``OUT_OF_FOV``, ``IN_BAD_FRAME`` (FIFO overflow).  ``TIME`` is random within the
frame (``RAND_TIM``, as in PPS lists).

Examples
--------
>>> from xmmframe.proc.mos_events import pattern_pixels
>>> import polars as pl
>>> pl.select(pattern_pixels(pl.lit(7))).item()
3
"""

from __future__ import annotations

import numpy as np
import polars as pl

from xmmframe.model.flags import MOS_FLAGS
from xmmframe.proc.attcalc import det_columns, out_of_fov, uniform, with_det, with_sky
from xmmframe.proc.badpix import neighbourhood_flags
from xmmframe.proc.energy import correct_energy
from xmmframe.proc.exposure import ExposureInput
from xmmframe.proc.event_format import ColumnSpec

#: Patterns at and above this are cosmic-ray like (COSMIC_RAY); the PPS list shows 0-25 after filtering.
COSMIC_RAY_PATTERN = 26


def pattern_pixels(pattern: pl.Expr) -> pl.Expr:
    """Pixels summed in ``PHA`` for a MOS pattern: 1 single, 2 doubles, 3 triples, 4 quadruples and
    invalid 2 x 2 shapes, 2 for other invalid shapes, 5 for larger patterns."""
    return (
        pl.when(pattern == 0)
        .then(1)
        .when(pattern <= 4)
        .then(2)
        .when(pattern <= 8)
        .then(3)
        .when(pattern <= 12)
        .then(4)
        .when(pattern == 13)
        .then(2)
        .when(pattern == 14)
        .then(4)
        .otherwise(5)
    ).cast(pl.Int64)


def _energy(inp: ExposureInput, seed: int | None):  # noqa: ANN202 - returns a map_batches function
    cal = inp.calibration

    def run(columns: pl.Series) -> pl.Series:
        frame = columns.struct.unnest()
        n = frame.height
        if n == 0:
            return pl.Series("ENERGY", [], dtype=pl.Float64)
        npix = frame["NPIX"].to_numpy()
        if seed is not None:  # each summed pixel was digitised separately: a uniform fraction per pixel
            draws = np.random.default_rng(seed).random((n, 5))
            central = draws[:, 0]
            others = np.where(np.arange(1, 5)[None, :] < npix[:, None], draws[:, 1:], 0.0).sum(axis=1)
        else:
            central, others = np.full(n, 0.5), 0.5 * (npix - 1)
        ccd, rawx, rawy = frame["CCDNR"].to_numpy(), frame["RAWX"].to_numpy(), frame["RAWY"].to_numpy()
        # E1 (central pixel) and E2 (its neighbours) are corrected separately: the CTI depends on the
        # charge of a packet, and a split event's packets are smaller than its total
        energy = correct_energy(ccd, rawx, rawy, frame["E1"].to_numpy(), np.ones(n, np.int64), central, cal)
        energy += correct_energy(ccd, rawx, rawy, frame["E2"].to_numpy(), npix - 1, others, cal)
        return pl.Series("ENERGY", energy)

    return run


def mos_events(inp: ExposureInput, specs: list[ColumnSpec], seed: int | None = 1) -> pl.LazyFrame:
    """The lazy plan of an exposure's calibrated MOS events in the layout ``specs`` (module docstring)."""
    frames = inp.frames.table.lazy().select("CCDNR", "FRAME", "START", "BAD")
    nx, ny = inp.camera.shape
    neighbours = neighbourhood_flags(inp.badpix, MOS_FLAGS).lazy()
    u_time = uniform(seed, 21) if seed is not None else pl.lit(0.5)
    events = (
        inp.raw_events()
        .with_columns(pl.col("FRAME").cast(pl.Int64))
        .join(frames, on=["CCDNR", "FRAME"], how="inner")
        .sort(["CCDNR", "FRAME", "RAWY", "RAWX"], maintain_order=True)
        .with_columns(
            (pl.col("ENERGYE1").cast(pl.Int64) + pl.col("ENERGYE2").cast(pl.Int64)).alias("PHA"),
            pattern_pixels(pl.col("PATTERN")).alias("NPIX"),
            (pl.col("START") + u_time * inp.frames.frame_time).alias("TIME"),
        )
        .with_columns(
            pl.struct(
                pl.col("CCDNR").cast(pl.Int64),
                pl.col("RAWX").cast(pl.Int64),
                pl.col("RAWY").cast(pl.Int64),
                pl.col("ENERGYE1").cast(pl.Int64).alias("E1"),
                pl.col("ENERGYE2").cast(pl.Int64).alias("E2"),
                "NPIX",
            )
            .map_batches(_energy(inp, seed), return_dtype=pl.Float64)
            .alias("ENERGY")
        )
        .join(neighbours, on=["CCDNR", "RAWX", "RAWY"], how="left", maintain_order="left")
    )
    events = with_sky(with_det(events, inp.camera, seed), inp.attitude, inp.facts.grid, inp.camera.rotation)
    border = (pl.col("RAWX") <= 1) | (pl.col("RAWX") >= nx) | (pl.col("RAWY") <= 1) | (pl.col("RAWY") >= ny)
    flags = (
        pl.col("BADBITS").fill_null(0)
        | pl.when(pl.col("PATTERN") >= COSMIC_RAY_PATTERN).then(MOS_FLAGS["COSMIC_RAY"]).otherwise(0)
        | pl.when(border).then(MOS_FLAGS["CLOSE_TO_CCD_BORDER"]).otherwise(0)
        | pl.when(pl.col("BAD")).then(MOS_FLAGS["IN_BAD_FRAME"]).otherwise(0)
        | out_of_fov(inp.camera, MOS_FLAGS["OUT_OF_FOV"])
    ).cast(pl.Int32)
    return (
        events.with_columns(
            *det_columns(),
            pl.col("PHA").clip(0, 32767).cast(pl.Int16),
            pl.col("ENERGY").round(0).clip(0, 32767).cast(pl.Int16).alias("PI"),
            flags.alias("FLAG"),
        )
        .sort(["TIME", "CCDNR"], maintain_order=True)
        .select([pl.col(s.name).cast(s.dtype) for s in specs])
    )
