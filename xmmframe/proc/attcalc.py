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

import numpy as np
import polars as pl

from xmmframe.model.attitude import Attitude
from xmmframe.model.geometry import Camera
from xmmframe.proc.coordinates import UNIT_RAD, SkyGrid


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


def with_sky(lazy: pl.LazyFrame, attitude: Attitude, grid: SkyGrid, rotation: float = 0.0) -> pl.LazyFrame:
    """Add integer sky ``X``/``Y`` (Int32, nearest pixel) of ``_DETX``/``_DETY`` at each event's ``TIME``
    (``rotation``: the camera's DET orientation added to the position angle).

    The attitude look-up, the rotation into standard coordinates and the two projections are
    separate ``with_columns`` stages, so that each trigonometric term is computed once.
    """
    ra, dec, pa = attitude.lookup_exprs("TIME")
    staged = lazy.with_columns(ra.alias("_RA"), dec.alias("_DEC"), (pa + rotation).radians().alias("_PAR"))
    staged = (
        staged.with_columns(
            (
                (pl.col("_PAR").cos() * pl.col("_DETX") + pl.col("_PAR").sin() * pl.col("_DETY")) * UNIT_RAD
            ).alias("_XI"),
            (
                (pl.col("_PAR").cos() * pl.col("_DETY") - pl.col("_PAR").sin() * pl.col("_DETX")) * UNIT_RAD
            ).alias("_ETA"),
            pl.col("_RA").radians().alias("_A0"),
            pl.col("_DEC").radians().alias("_D0"),
        )
        .with_columns(
            (pl.col("_D0").cos() - pl.col("_ETA") * pl.col("_D0").sin()).alias("_DEN"),
        )
        .with_columns(
            (pl.col("_A0") + pl.arctan2(pl.col("_XI"), pl.col("_DEN")) - np.deg2rad(grid.ra)).alias("_DA"),
            pl.arctan2(
                pl.col("_D0").sin() + pl.col("_ETA") * pl.col("_D0").cos(),
                (pl.col("_XI") ** 2 + pl.col("_DEN") ** 2).sqrt(),
            ).alias("_DE"),
        )
        .with_columns(
            pl.col("_DA").cos().alias("_CDA"),
            pl.col("_DE").cos().alias("_CDE"),
            pl.col("_DE").sin().alias("_SDE"),
        )
    )
    sd, cd = np.sin(np.deg2rad(grid.dec)), np.cos(np.deg2rad(grid.dec))
    cosc = sd * pl.col("_SDE") + cd * pl.col("_CDE") * pl.col("_CDA")
    xi = pl.col("_CDE") * pl.col("_DA").sin() / cosc
    eta = (cd * pl.col("_SDE") - sd * pl.col("_CDE") * pl.col("_CDA")) / cosc
    return staged.with_columns(
        (grid.crpix - xi / UNIT_RAD).round(0).cast(pl.Int32).alias("X"),
        (grid.crpix + eta / UNIT_RAD).round(0).cast(pl.Int32).alias("Y"),
    ).drop("_RA", "_DEC", "_PAR", "_XI", "_ETA", "_A0", "_D0", "_DEN", "_DA", "_DE", "_CDA", "_CDE", "_SDE")


def det_columns() -> tuple[pl.Expr, pl.Expr]:
    """Integer ``DETX``/``DETY`` (Int16, nearest unit) from ``_DETX``/``_DETY``."""
    return (
        pl.col("_DETX").round(0).cast(pl.Int16).alias("DETX"),
        pl.col("_DETY").round(0).cast(pl.Int16).alias("DETY"),
    )


def out_of_fov(camera: Camera, bit: int) -> pl.Expr:
    """FLAG bit for events farther from the optical axis than the field-of-view radius."""
    radius2 = pl.col("_DETX") ** 2 + pl.col("_DETY") ** 2
    return pl.when(radius2 > camera.fov_radius**2).then(bit).otherwise(0)
