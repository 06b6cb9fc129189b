"""Bad pixels (badpixfind/badpix): the calibration list plus hot and flickering pixels found in the data.

A pixel is *found* hot when its number of raw events (pn: pixels above threshold; MOS: events
centred on it) is at least ``min_counts`` and more than ``contrast`` times the mean of its eight
neighbours plus one: a sharp single-pixel spike (the core of a point source has bright
neighbours and is not taken).  It is *flickering* (TYPE 2) rather than hot (TYPE 1) when the
central 80 % of its events (first to last decile of their frames, so that a few unrelated
events on the pixel do not matter) fall within less than ``flicker_span`` of the exposure's
frames.  Found pixels get ``BADFLAG = 3`` (file origin, DFHB), the calibration's keep theirs
(1 uplinked, 2 CCF).

The bad-pixel map used by the pattern kernel codes each pixel 1 (uplinked: never transmitted,
neighbours ``CLOSE_TO_ONBOARD_BADPIX``), 2 (hot/flickering: events on it ``ON_BADPIX``,
neighbours ``CLOSE_TO_BRIGHTPIX``) or 3 (dead, with its ``YEXTENT``: neighbours
``CLOSE_TO_DEADPIX``).

Examples
--------
>>> import polars as pl
>>> from xmmframe.proc.badpix import find_hot_pixels
>>> counts = pl.DataFrame({"CCDNR": [1] * 3, "RAWX": [10, 30, 31], "RAWY": [10, 30, 30],
...                        "COUNTS": [50, 40, 35], "FIRST": [0, 0, 0], "LAST": [99, 99, 99]})
>>> find_hot_pixels(counts, n_frames=100)["RAWX"].to_list()
[10]
"""

from __future__ import annotations

import numpy as np
import polars as pl

from xmmframe.proc.calibration import DEAD, FLICKERING, FOUND, HOT, UPLINKED
from xmmframe.proc.patterns import BADMAP_BRIGHT, BADMAP_DEAD, BADMAP_ONBOARD

BADPIX_SCHEMA = {
    "CCDNR": pl.UInt8,
    "RAWX": pl.Int16,
    "RAWY": pl.Int16,
    "TYPE": pl.Int16,
    "YEXTENT": pl.Int16,
    "BADFLAG": pl.Int16,
}
_NEIGHBOURS = [(dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1) if (dx, dy) != (0, 0)]


def pixel_counts(raw: pl.LazyFrame) -> pl.DataFrame:
    """Events per pixel with the first and last decile of their frames: CCDNR, RAWX, RAWY, COUNTS,
    FIRST, LAST."""
    return (
        raw.group_by("CCDNR", "RAWX", "RAWY")
        .agg(
            pl.len().alias("COUNTS"),
            pl.col("FRAME").quantile(0.1, "lower").alias("FIRST"),
            pl.col("FRAME").quantile(0.9, "higher").alias("LAST"),
        )
        .collect()
    )


def find_hot_pixels(
    counts: pl.DataFrame,
    n_frames: int,
    min_counts: int = 15,
    contrast: float = 8.0,
    flicker_span: float = 0.3,
) -> pl.DataFrame:
    """Hot (TYPE 1) and flickering (TYPE 2) pixels from per-pixel event counts (see the module docstring)."""
    if counts.height == 0:
        return pl.DataFrame(schema=BADPIX_SCHEMA)
    keys = ["CCDNR", "RAWX", "RAWY"]
    base = counts.select(
        pl.col("CCDNR").cast(pl.UInt8),
        pl.col("RAWX").cast(pl.Int64),
        pl.col("RAWY").cast(pl.Int64),
        "COUNTS",
        "FIRST",
        "LAST",
    )
    shifted = pl.concat(
        [
            base.select(
                "CCDNR", (pl.col("RAWX") - dx).alias("RAWX"), (pl.col("RAWY") - dy).alias("RAWY"), "COUNTS"
            )
            for dx, dy in _NEIGHBOURS
        ]
    )
    around = shifted.group_by(keys).agg(pl.col("COUNTS").sum().alias("AROUND"))
    candidates = (
        base.filter(pl.col("COUNTS") >= min_counts)
        .join(around, on=keys, how="left")
        .with_columns(pl.col("AROUND").fill_null(0))
        .filter(pl.col("COUNTS") > contrast * (pl.col("AROUND") / 8.0 + 1.0))
    )
    span = (candidates["LAST"] - candidates["FIRST"] + 1).cast(pl.Float64) / max(n_frames, 1)
    return (
        candidates.with_columns(
            pl.when(span < flicker_span).then(FLICKERING).otherwise(HOT).cast(pl.Int16).alias("TYPE"),
        )
        .select(
            pl.col("CCDNR").cast(pl.UInt8),
            pl.col("RAWX").cast(pl.Int16),
            pl.col("RAWY").cast(pl.Int16),
            "TYPE",
            pl.lit(1, dtype=pl.Int16).alias("YEXTENT"),
            pl.lit(FOUND, dtype=pl.Int16).alias("BADFLAG"),
        )
        .sort(keys)
    )


def combine(known: pl.DataFrame, found: pl.DataFrame) -> pl.DataFrame:
    """The calibration list plus the found pixels it does not already hold."""
    known = known.select([pl.col(c).cast(t) for c, t in BADPIX_SCHEMA.items()])
    new = found.join(known, on=["CCDNR", "RAWX", "RAWY"], how="anti").select(list(BADPIX_SCHEMA))
    return pl.concat([known, new]).sort(["CCDNR", "RAWY", "RAWX"])


def expanded(badpix: pl.DataFrame) -> pl.DataFrame:
    """One row per bad pixel (dead column segments expanded over YEXTENT) with its map code."""
    code = (
        pl.when(pl.col("BADFLAG") == UPLINKED)
        .then(BADMAP_ONBOARD)
        .when(pl.col("TYPE") == DEAD)
        .then(BADMAP_DEAD)
        .otherwise(BADMAP_BRIGHT)
    )
    return (
        badpix.with_columns(
            pl.int_ranges(pl.col("RAWY"), pl.col("RAWY") + pl.col("YEXTENT").clip(1, None)).alias("RAWY"),
            code.alias("CODE"),
        )
        .explode("RAWY")
        .select(
            pl.col("CCDNR").cast(pl.Int64),
            pl.col("RAWX").cast(pl.Int64),
            pl.col("RAWY").cast(pl.Int64),
            "CODE",
            pl.col("TYPE"),
        )
    )


def badmap(badpix: pl.DataFrame, nccd: int, shape: tuple[int, int]) -> np.ndarray:
    """``int8[nccd, ny + 2, nx + 2]`` map of bad-pixel codes indexed by (ccd, RAWY, RAWX)."""
    nx, ny = shape
    result = np.zeros((nccd, ny + 2, nx + 2), dtype=np.int8)
    rows = expanded(badpix).filter(
        (pl.col("RAWX") >= 0)
        & (pl.col("RAWX") <= nx + 1)
        & (pl.col("RAWY") >= 0)
        & (pl.col("RAWY") <= ny + 1)
        & (pl.col("CCDNR") < nccd)
    )
    result[rows["CCDNR"].to_numpy(), rows["RAWY"].to_numpy(), rows["RAWX"].to_numpy()] = rows[
        "CODE"
    ].to_numpy()
    return result


def neighbourhood_flags(badpix: pl.DataFrame, flags: dict[str, int]) -> pl.DataFrame:
    """FLAG bits of (MOS) events centred on or next to bad pixels: CCDNR, RAWX, RAWY, BADBITS.

    On a hot pixel: ``ON_BADPIX``; on a flickering one: ``FLICKERING`` (MOS) or ``ON_BADPIX``; next
    to one: ``CLOSE_TO_BRIGHTPIX``; next to an uplinked one: ``CLOSE_TO_ONBOARD_BADPIX``; next to a
    dead one: ``CLOSE_TO_DEADPIX``.
    """
    rows = expanded(badpix)
    if rows.height == 0:
        return pl.DataFrame(
            schema={"CCDNR": pl.UInt8, "RAWX": pl.Int16, "RAWY": pl.Int16, "BADBITS": pl.Int32}
        )
    on_bit = (
        pl.when((pl.col("TYPE") == FLICKERING) & pl.lit("FLICKERING" in flags))
        .then(flags.get("FLICKERING", 0))
        .when(pl.col("CODE") == BADMAP_BRIGHT)
        .then(flags["ON_BADPIX"])
        .otherwise(0)
    )
    near_bit = (
        pl.when(pl.col("CODE") == BADMAP_ONBOARD)
        .then(flags["CLOSE_TO_ONBOARD_BADPIX"])
        .when(pl.col("CODE") == BADMAP_DEAD)
        .then(flags["CLOSE_TO_DEADPIX"])
        .otherwise(flags["CLOSE_TO_BRIGHTPIX"])
    )
    on = rows.select("CCDNR", "RAWX", "RAWY", on_bit.alias("BITS"))
    near = pl.concat(
        [
            rows.select(
                "CCDNR",
                (pl.col("RAWX") + dx).alias("RAWX"),
                (pl.col("RAWY") + dy).alias("RAWY"),
                near_bit.alias("BITS"),
            )
            for dx, dy in _NEIGHBOURS
        ]
    )
    return (
        pl.concat([on, near])
        .group_by("CCDNR", "RAWX", "RAWY")
        .agg(pl.col("BITS").cast(pl.Int32).bitwise_or().alias("BADBITS"))
        .filter(pl.col("BADBITS") != 0)
        .select(
            pl.col("CCDNR").cast(pl.UInt8),
            pl.col("RAWX").cast(pl.Int16),
            pl.col("RAWY").cast(pl.Int16),
            "BADBITS",
        )
    )
