"""Where ingest spends its time: user and system CPU seconds per step of staging one exposure.

Runs the steps of :func:`xmmframe.store.ingest.stage_exposure` one by one on generated
1e6-event pn exposures (the event lists of ``bench_store.py``, made on the fly in ``--dir``)
in this process, and prints the mean user and system CPU seconds of each step over
``--exposures`` exposures (the first, which loads the kernels, is not counted).

Examples
--------
::

    python benchmarks/profile_ingest.py --dir /tmp/bench_store --exposures 6
"""

from __future__ import annotations

import argparse
import importlib
import os
import resource
import shutil
import sys
import tempfile

import polars as pl

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import bench_store  # noqa: E402

from xmmframe.io import store_files  # noqa: E402
from xmmframe.io.events import open_events  # noqa: E402
from xmmframe.store import layout  # noqa: E402
from xmmframe.store.hot import write_hot_file  # noqa: E402
from xmmframe.store.order import sky_order, take_rows  # noqa: E402

ingest = importlib.import_module("xmmframe.store.ingest")


def _cpu() -> tuple[float, float]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime, usage.ru_stime


def stage_steps(path: str, folder: str) -> dict[str, tuple[float, float]]:
    """User and system CPU seconds of each step of staging the exposure in ``path``."""
    spent: dict[str, tuple[float, float]] = {}
    last = _cpu()

    def step(name: str) -> None:
        nonlocal last
        now = _cpu()
        spent[name] = (now[0] - last[0], now[1] - last[1])
        last = now

    events = open_events(path)
    frame = events.collect()
    step("FITS decode")
    ra, dec, index = ingest._sky_columns(frame, events)
    if (index < 0).any():
        index[index < 0] = ingest._pointing_index(events)
    step("RA/DEC + HEALPix index")
    order = sky_order(index)
    step("sky order (radix sort)")
    stored = take_rows(frame, order).with_columns(
        *(pl.lit(value, dtype=pl.Categorical).alias(column) for column, value in zip(layout.KEY_COLUMNS, "abc")),
        pl.Series(layout.RA_COLUMN, ra.take(order)).fill_nan(None),
        pl.Series(layout.DEC_COLUMN, dec.take(order)).fill_nan(None),
        pl.Series(layout.INDEX_COLUMN, index.take(order)),
        pl.Series(layout.ROW_COLUMN, order, dtype=pl.UInt32))
    step("rows in sky order + store columns")
    options = ingest._store_layout(frame.head(layout.ROW_GROUP_ROWS), stored.columns)
    store_files.write_event_file(os.path.join(folder, "e.parquet"), stored, layout.ROW_GROUP_ROWS, options)
    step("Parquet file")
    write_hot_file(os.path.join(folder, "e.arrow"), stored, "e.parquet")
    step("query-column file")
    store_files.write_exposure_header(os.path.join(folder, "h.parquet"), events.meta, frame.to_arrow().schema)
    step("header file")
    return spent


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", default="/tmp/bench_store")
    parser.add_argument("--exposures", type=int, default=6)
    parser.add_argument("--events", type=float, default=1e6)
    args = parser.parse_args(argv)
    files = bench_store.generate(args.dir, args.exposures + 1, int(args.events))
    folder = tempfile.mkdtemp(prefix="profile-ingest-")
    try:
        stage_steps(files[0], folder)
        runs = [stage_steps(path, folder) for path in files[1:args.exposures + 1]]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print("| step | user CPU s | system CPU s |\n|---|---|---|")
    for name in runs[0]:
        user = sum(run[name][0] for run in runs) / len(runs)
        system = sum(run[name][1] for run in runs) / len(runs)
        print(f"| {name} | {user:.3f} | {system:.3f} |")
    user = sum(sum(v[0] for v in run.values()) for run in runs) / len(runs)
    system = sum(sum(v[1] for v in run.values()) for run in runs) / len(runs)
    print(f"| all | {user:.3f} | {system:.3f} |")


if __name__ == "__main__":
    main()
