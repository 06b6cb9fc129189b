"""Frames (epframes/emframes): frame times from the auxiliary file, bad frames, GTIs and exposure tables.

Frame start times come from the AUX columns ``FTCOARSE`` (whole seconds of a 16-bit on-board
counter that wraps every 32768 s) and ``FTFINE`` (pn: 20.48 us ticks, MOS: 40 us).  The counter
is unwrapped along the frame sequence and anchored with the exposure start (``DATE-OBS``),
which must be right to within half a wrap (4.5 h).  The on-board time is taken as mission time
(the ODF time-correlation step is not modelled: the simulator writes TT directly).

Bad frames: MOS frames with a FIFO overflow (``FIFOOVF``) get ``IN_BAD_FRAME`` and are excluded
from the GTIs, as are telemetry gaps (missing frame numbers).  Per-CCD GTIs are the union of
the good frames' ``[start, start + frame time)``; ``EXPOSUnn`` has one row per frame
(``TIME`` = frame centre, ``TIMEDEL`` (MOS), ``FRACEXP``); ``FRACEXP`` is the live fraction
of a frame outside the readout (pn full frame 0.938, extended full frame 0.977, MOS 0.994 - the
mode constants, dead time from event rates is not modelled).

Examples
--------
>>> import polars as pl
>>> from xmmframe.proc.frames import frame_times
>>> aux = pl.DataFrame({"FRAME": [5, 6], "CCDID": [1, 1], "FTCOARSE": [32767, 0], "FTFINE": [0, 12500]})
>>> frame_times(aux, "EMOS1", 2.6, 32767.5)["START"].to_list()
[32767.0, 32768.5]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from xmmframe.errors import ProcessingError
from xmmframe.model.gti import GTI

#: Fine-time tick (s) and coarse wrap-around (s) of frame times.
FINE_TICK = {"EPN": 20.48e-6, "EMOS": 40e-6}
COARSE_WRAP = 32768
#: Live fraction of a frame by camera and mode (readout excluded).
FRACEXP = {("EPN", "PrimeFullWindow"): 0.938, ("EPN", "PrimeFullWindowExtended"): 0.977}
MOS_FRACEXP = 0.994


def frame_times(aux: pl.DataFrame, instrument: str, frame_time: float, t_start: float) -> pl.DataFrame:
    """CCDNR, FRAME, START (mission s), BAD of every AUX row, sorted by CCD and frame.

    Parameters
    ----------
    aux : polars.DataFrame
        The AUX table (FRAME, CCDID, FTCOARSE, FTFINE[, FIFOOVF]).
    instrument : str
        ``EPN``, ``EMOS1`` or ``EMOS2``.
    frame_time : float
        Frame integration time (s).
    t_start : float
        Approximate start of the exposure (mission s), e.g. from ``DATE-OBS``.
    """
    missing = {"FRAME", "CCDID", "FTCOARSE", "FTFINE"} - set(aux.columns)
    if missing:
        raise ProcessingError(f"the frame (AUX) table lacks column(s) {', '.join(sorted(missing))}")
    tick = FINE_TICK["EPN" if instrument == "EPN" else "EMOS"]
    bad = pl.col("FIFOOVF").cast(pl.Int32) > 0 if "FIFOOVF" in aux.columns else pl.lit(False)
    frame = (
        aux.select(
            pl.col("CCDID").cast(pl.UInt8).alias("CCDNR"),
            pl.col("FRAME").cast(pl.Int64),
            (pl.col("FTCOARSE").cast(pl.Int64) % COARSE_WRAP).alias("_C"),
            (pl.col("FTFINE").cast(pl.Int64) * tick).alias("_F"),
            bad.alias("BAD"),
        )
        .sort(["CCDNR", "FRAME"])
        .with_columns(
            (
                (pl.col("_C").diff().over("CCDNR") < 0).cast(pl.Int64).cum_sum().over("CCDNR").fill_null(0)
                * COARSE_WRAP
            ).alias("_W")
        )
    )
    if frame.height == 0:
        return frame.select("CCDNR", "FRAME", pl.lit(0.0).alias("START"), "BAD")
    first = frame.row(0, named=True)
    wraps = np.round((t_start - first["_C"]) / COARSE_WRAP)
    base = float(wraps * COARSE_WRAP)
    return frame.select(
        "CCDNR", "FRAME", (base + pl.col("_C") + pl.col("_W") + pl.col("_F")).alias("START"), "BAD"
    )


@dataclass(frozen=True)
class ExposureFrames:
    """Frames of one exposure, per CCD, with their GTIs and exposure tables.

    Attributes
    ----------
    table : polars.DataFrame
        CCDNR, FRAME, START, TIME (frame centre), BAD.
    frame_time : float
        Integration time per frame (s).
    fracexp : float
        Live fraction of each frame.
    """

    table: pl.DataFrame
    frame_time: float
    fracexp: float

    @property
    def ccds(self) -> list[int]:
        """CCDs with frames."""
        return sorted(self.table["CCDNR"].unique().to_list())

    def gti(self, ccd: int) -> GTI:
        """Good time intervals of one CCD: one interval per run of consecutive good frames
        (first frame's start to last frame's end; the quantised frame times do not abut exactly)."""
        good = self.table.filter((pl.col("CCDNR") == ccd) & ~pl.col("BAD")).sort("FRAME")
        runs = (
            good.with_columns((pl.col("FRAME").diff().fill_null(1) != 1).cum_sum().alias("_RUN"))
            .group_by("_RUN")
            .agg(pl.col("START").min().alias("LO"), pl.col("START").max().alias("HI"))
        )
        return GTI(runs["LO"].to_numpy(), runs["HI"].to_numpy() + self.frame_time, name=f"STDGTI{ccd:02d}")

    def exposure_table(self, ccd: int, with_timedel: bool) -> pl.DataFrame:
        """``EXPOSUnn`` rows of a CCD: TIME (centre), [TIMEDEL,] FRACEXP (0 for bad frames)."""
        rows = self.table.filter(pl.col("CCDNR") == ccd)
        columns = [pl.col("TIME")]
        if with_timedel:
            columns.append(pl.lit(self.frame_time, dtype=pl.Float32).alias("TIMEDEL"))
        columns.append(
            pl.when(pl.col("BAD")).then(0.0).otherwise(self.fracexp).cast(pl.Float32).alias("FRACEXP")
        )
        return rows.select(columns)

    def livetime(self, ccd: int) -> float:
        """Live time of a CCD: good frames x frame time x live fraction."""
        good = self.table.filter((pl.col("CCDNR") == ccd) & ~pl.col("BAD")).height
        return good * self.frame_time * self.fracexp

    @property
    def tstart(self) -> float:
        """Start of the first frame."""
        return float(self.table["START"].min())

    @property
    def tstop(self) -> float:
        """End of the last frame."""
        return float(self.table["START"].max()) + self.frame_time


def exposure_frames(
    aux: pl.DataFrame, instrument: str, mode: str, frame_time: float, t_start: float
) -> ExposureFrames:
    """Frame table with centres and flags of one exposure (see :func:`frame_times`)."""
    table = frame_times(aux, instrument, frame_time, t_start).with_columns(
        (pl.col("START") + 0.5 * frame_time).alias("TIME")
    )
    fracexp = FRACEXP.get((instrument, mode), 0.977) if instrument == "EPN" else MOS_FRACEXP
    return ExposureFrames(table, frame_time, fracexp)
