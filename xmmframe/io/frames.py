"""Writing a plain table of events (a query result) as Parquet, FITS or CSV, by the file's extension.

Examples
--------
>>> import polars as pl
>>> from xmmframe.io.frames import write_frame
>>> write_frame(pl.DataFrame({"TIME": [1.0], "PI": [500]}), "events.csv")     # doctest: +SKIP
"""

from __future__ import annotations

import os

import polars as pl

from xmmframe.errors import OutputError
from xmmframe.io.atomic import atomic_path
from xmmframe.io.fits_write import write_table

#: Extensions understood, by format.
FORMATS = {".parquet": "parquet", ".pq": "parquet", ".fits": "fits", ".fit": "fits", ".csv": "csv"}


def frame_format(path: str | os.PathLike[str]) -> str:
    """``parquet``, ``fits`` or ``csv`` from a file name; an error for anything else."""
    extension = os.path.splitext(os.fspath(path))[1].lower()
    if extension not in FORMATS:
        raise OutputError(f"unknown output format {extension or '(none)'}; use .parquet, .fits or .csv", path)
    return FORMATS[extension]


def _plain(frame: pl.DataFrame) -> pl.DataFrame:
    """Categorical and enum columns as strings (FITS and CSV have no dictionary types, and
    Parquet readers such as astropy's do not read them)."""
    return frame.with_columns(pl.col(pl.Categorical, pl.Enum).cast(pl.String))


def write_frame(frame: pl.DataFrame, path: str | os.PathLike[str], extname: str = "EVENTS") -> None:
    """Write a DataFrame atomically; the format follows the extension (``.parquet``, ``.fits``, ``.csv``)."""
    kind = frame_format(path)
    frame = _plain(frame)
    if kind == "fits":
        write_table(path, frame, extname=extname)
        return
    with atomic_path(path) as tmp:
        if kind == "parquet":
            frame.write_parquet(tmp)
        else:
            frame.write_csv(tmp)
