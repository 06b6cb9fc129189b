"""Per-event coordinates as Polars expressions: RAW -> DET (randomised in the pixel) -> sky X/Y (attcalc).

Random numbers inside a lazy plan come from hashing the row number with a seed
(:func:`uniform`), so a plan gives the same values every time it runs, without Python loops.

Examples
--------
>>> import polars as pl
>>> from xmmframe.proc.attcalc import uniform
>>> pl.DataFrame({"a": [1, 2, 3]}).select(uniform(7, 1).alias("u"))["u"].is_between(0, 1).all()
True
"""

from __future__ import annotations

import polars as pl

from xmmframe.model.attitude import Attitude
from xmmframe.proc.coordinates import SkyGrid, sky_exprs
from xmmframe.proc.geometry import Camera


def uniform(seed: int, salt: int) -> pl.Expr:
    """Uniform numbers in ``[0, 1)``, one per row, reproducible for a seed and salt."""
    hashed = pl.int_range(pl.len(), dtype=pl.UInt64).hash(seed * 1_000_003 + salt)
    return (hashed // 2048).cast(pl.Float64) / float(2**53)


def with_det(lazy: pl.LazyFrame, camera: Camera, seed: int | None) -> pl.LazyFrame:
    """Add float columns ``_DETX``/``_DETY``: the event's pixel (RAWX/RAWY, CCDNR) mapped to DET,
    at a uniform random position inside the pixel (``seed``) or at its centre (``seed=None``)."""
    u = uniform(seed, 11) if seed is not None else pl.lit(0.5)
    v = uniform(seed, 12) if seed is not None else pl.lit(0.5)
    rx = pl.col("RAWX").cast(pl.Float64) - 1.0 + u
    ry = pl.col("RAWY").cast(pl.Float64) - 1.0 + v
    return (
        lazy.join(camera.transform_frame().lazy(), on="CCDNR", how="left", maintain_order="left")
        .with_columns(
            (pl.col("_A") * rx + pl.col("_B") * ry + pl.col("_TX")).alias("_DETX"),
            (pl.col("_C") * rx + pl.col("_D") * ry + pl.col("_TY")).alias("_DETY"),
        )
        .drop("_A", "_B", "_C", "_D", "_TX", "_TY")
    )


def sky_columns(attitude: Attitude, grid: SkyGrid, rotation: float = 0.0) -> tuple[pl.Expr, pl.Expr]:
    """Integer sky ``X``/``Y`` (Int32, nearest pixel) of ``_DETX``/``_DETY`` at each event's ``TIME``
    (``rotation``: the camera's DET orientation added to the position angle)."""
    ra, dec, pa = attitude.lookup_exprs("TIME")
    x, y = sky_exprs(pl.col("_DETX"), pl.col("_DETY"), ra, dec, pa + rotation, grid)
    return x.round(0).cast(pl.Int32).alias("X"), y.round(0).cast(pl.Int32).alias("Y")


def det_columns() -> tuple[pl.Expr, pl.Expr]:
    """Integer ``DETX``/``DETY`` (Int16, nearest unit) from ``_DETX``/``_DETY``."""
    return (pl.col("_DETX").round(0).cast(pl.Int16).alias("DETX"),
            pl.col("_DETY").round(0).cast(pl.Int16).alias("DETY"))


def out_of_fov(camera: Camera, bit: int) -> pl.Expr:
    """FLAG bit for events farther from the optical axis than the field-of-view radius."""
    radius2 = pl.col("_DETX") ** 2 + pl.col("_DETY") ** 2
    return pl.when(radius2 > camera.fov_radius**2).then(bit).otherwise(0)
