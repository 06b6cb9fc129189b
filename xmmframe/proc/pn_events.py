"""epevents: pn pixels -> calibrated events (energy correction and pattern recognition in numba).

The plan (lazy until collected): raw pixels of all CCDs joined with their frame times, sorted
by CCD and frame, then one ``map_batches`` node running the numba kernels - per-pixel offset,
gain and CTI correction (:mod:`xmmframe.proc.energy`), then pattern recognition with the
bad-pixel map and MIP rejection (:mod:`xmmframe.proc.patterns`) - followed by Polars
expressions for DET and sky coordinates, FLAG bits, ``PI`` and ``PAT_SEQ``.  ``PHA`` is the
summed raw amplitude (adu) of the pattern and ``PI`` its corrected energy in eV (nearest
integer, 0..32767).  ``TIME`` is the frame centre.

Examples
--------
>>> from xmmframe.proc.pn_events import pn_events                                  # doctest: +SKIP
>>> lazy = pn_events(inp, seed=1)                                                   # doctest: +SKIP
>>> lazy.select("PI", "PATTERN").collect()                                          # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np
import polars as pl

from xmmframe.model.flags import PN_FLAGS
from xmmframe.proc.attcalc import det_columns, out_of_fov, with_det, with_sky
from xmmframe.proc.badpix import badmap
from xmmframe.proc.energy import correct_energy
from xmmframe.proc.exposure import ExposureInput
from xmmframe.proc.event_format import ColumnSpec
from xmmframe.proc.patterns import reconstruct_patterns

#: First transmitted row of pn full-frame modes (rows 1-12 at the readout node are not transmitted).
PN_FIRST_ROW = 13

_EVENT_SCHEMA = {
    "CCDNR": pl.UInt8,
    "FRAME": pl.Int64,
    "RAWX": pl.Int16,
    "RAWY": pl.Int16,
    "TIME": pl.Float64,
    "BAD": pl.Boolean,
    "PHA": pl.Int16,
    "ENERGY": pl.Float64,
    "PATTERN": pl.UInt8,
    "PAT_ID": pl.Int16,
    "FLAG": pl.Int32,
}


def _reconstruct(inp: ExposureInput, seed: int | None):  # noqa: ANN202 - returns a map_batches function
    cal = inp.calibration
    nccd = max(inp.camera.ccds) + 1
    bad = badmap(inp.badpix, nccd, inp.camera.shape)

    def run(pixels: pl.DataFrame) -> pl.DataFrame:
        if pixels.height == 0:
            return pl.DataFrame(schema=_EVENT_SCHEMA)
        ccd = pixels["CCDNR"].to_numpy().astype(np.int64)
        rawx = pixels["RAWX"].to_numpy().astype(np.int64)
        rawy = pixels["RAWY"].to_numpy().astype(np.int64)
        adu = pixels["ENERGY"].to_numpy().astype(np.int64)
        fraction = (
            np.random.default_rng(seed).random(adu.size) if seed is not None else np.full(adu.size, 0.5)
        )
        energy = correct_energy(ccd, rawx, rawy, adu, np.ones(adu.size, np.int64), fraction, cal)
        ev = reconstruct_patterns(
            ccd,
            pixels["FRAME"].to_numpy(),
            rawx,
            rawy,
            energy,
            adu,
            inp.camera.shape,
            badmap=bad,
            ymin=PN_FIRST_ROW,
            mip_threshold=cal.mip_threshold,
        )
        main = ev["MAIN"]
        return pl.DataFrame(
            {
                "CCDNR": pixels["CCDNR"].gather(main),
                "FRAME": pixels["FRAME"].gather(main).cast(pl.Int64),
                "RAWX": pixels["RAWX"].gather(main).cast(pl.Int16),
                "RAWY": pixels["RAWY"].gather(main).cast(pl.Int16),
                "TIME": pixels["TIME"].gather(main),
                "BAD": pixels["BAD"].gather(main),
                "PHA": pl.Series(np.minimum(ev["ADU"], 32767), dtype=pl.Int16),
                "ENERGY": ev["ENERGY"],
                "PATTERN": pl.Series(ev["PATTERN"], dtype=pl.UInt8),
                "PAT_ID": pl.Series(ev["PAT_ID"], dtype=pl.Int16),
                "FLAG": pl.Series(ev["FLAG"], dtype=pl.Int32),
            }
        )

    return run


def _row_gap(step: int) -> pl.Expr:
    """Rows between an event and the previous (``step=1``) or next (``step=-1``) event of the same
    CCD, frame and column, in rows sorted by CCDNR, FRAME, RAWX, RAWY; null when there is none."""
    same = pl.all_horizontal(pl.col(c) == pl.col(c).shift(step) for c in ("CCDNR", "FRAME", "RAWX"))
    rawy = pl.col("RAWY").cast(pl.Int32)
    return pl.when(same).then((rawy - rawy.shift(step)) * step)


def pn_events(inp: ExposureInput, specs: list[ColumnSpec], seed: int | None = 1) -> pl.LazyFrame:
    """The lazy plan of an exposure's calibrated pn events in the layout ``specs``.

    Parameters
    ----------
    inp : ExposureInput
        Prepared exposure.
    specs : list of ColumnSpec
        Output columns.
    seed : int or None
        Seed of the randomisation of energies within the adu bin and positions within the pixel;
        ``None`` switches both off (bin and pixel centres).
    """
    frames = inp.frames.table.lazy().select("CCDNR", "FRAME", "TIME", "BAD")
    raw = (
        inp.raw_events()
        .with_columns(pl.col("FRAME").cast(pl.Int64))
        .join(frames, on=["CCDNR", "FRAME"], how="inner")
        .sort(["CCDNR", "FRAME", "RAWY", "RAWX"])
    )
    events = raw.map_batches(_reconstruct(inp, seed), schema=_EVENT_SCHEMA, streamable=False)
    events = with_sky(with_det(events, inp.camera, seed), inp.attitude, inp.facts.grid, inp.camera.rotation)
    flags = (
        pl.col("FLAG")
        | pl.when(pl.col("BAD")).then(PN_FLAGS["IN_BAD_FRAME"]).otherwise(0)
        | out_of_fov(inp.camera, PN_FLAGS["OUT_OF_FOV"])
    ).cast(pl.Int32)
    pat_seq = pl.min_horizontal(_row_gap(1).fill_null(999), _row_gap(-1).fill_null(999))
    return (
        events.sort(["CCDNR", "FRAME", "RAWX", "RAWY"])
        .with_columns(
            *det_columns(),
            pl.col("ENERGY").round(0).clip(0, 32767).cast(pl.Int16).alias("PI"),
            flags.alias("FLAG"),
            pl.when(pat_seq >= 999).then(0).otherwise(pat_seq.clip(1, 198)).cast(pl.UInt8).alias("PAT_SEQ"),
        )
        .sort(["TIME", "CCDNR"], maintain_order=True)
        .select([pl.col(s.name).cast(s.dtype) for s in specs])
    )
