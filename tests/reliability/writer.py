"""A long write run in a subprocess, to be killed or raced by the reliability tests.

``python -m tests.reliability.writer KIND INPUT OUTPUT [--wait]`` prints ``ready`` once the
input is open, reads one line from stdin when ``--wait`` is given (so two writers can be
started together), prints ``writing``, writes, and prints ``done``.  An
:class:`~xmmframe.errors.XmmframeError` ends it with status 1 and the message on stderr.
"""

from __future__ import annotations

import os
import sys

import numpy as np
import polars as pl

import xmmframe
from xmmframe.io.fits_write import write_table

KINDS = ("fits", "parquet", "png", "evselect")  # "odf" (the simulator's ODF folder) is tested apart
EVSELECT_PRODUCTS = ("filtered.fits", "src.pha", "src.lc")


def make_input(path: str | os.PathLike[str], n: int = 2_000_000, seed: int = 7) -> None:
    """An event list big enough that writing it takes a noticeable time."""
    rng = np.random.default_rng(seed)
    frame = pl.DataFrame({
        "TIME": np.sort(rng.uniform(1.0e8, 1.0e8 + 1.0e4, n)),
        "X": rng.integers(20000, 30000, n).astype(np.int32),
        "Y": rng.integers(20000, 30000, n).astype(np.int32),
        "PI": rng.integers(100, 12000, n).astype(np.int16),
        "PATTERN": rng.integers(0, 13, n).astype(np.uint8),
        "FLAG": np.zeros(n, np.int32),
        "CCDNR": rng.integers(1, 8, n).astype(np.uint8),
    })
    write_table(path, frame, "EVENTS", {"INSTRUME": "EMOS1", "TELESCOP": "XMM", "TSTART": 1.0e8,
                                        "TSTOP": 1.0e8 + 1.0e4})


def write(kind: str, source: str, output: str) -> None:
    """Write the product of ``kind`` from ``source`` to ``output`` (a file, or a folder for evselect)."""
    if kind == "png":
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from xmmframe.io.figures import write_png

        image = np.random.default_rng(3).poisson(5.0, (1500, 1500))
        figure, axes = plt.subplots(figsize=(14, 14))
        axes.imshow(image, origin="lower")
        print("writing", flush=True)
        write_png(figure, output, dpi=150)
        return
    if kind == "odf":
        from xmmframe.sim import default_config, simulate

        print("writing", flush=True)
        simulate(output, default_config(exposure=3000.0, instruments=("M1", "PN")))
        return
    events = xmmframe.open_events(source)
    print("writing", flush=True)
    if kind == "fits":
        events.write_fits(output)
    elif kind == "parquet":
        events.write_parquet(output)
    elif kind == "evselect":
        filtered, spectrum, curve = (os.path.join(output, name) for name in EVSELECT_PRODUCTS)
        xmmframe.evselect(events, "PATTERN<=4", filtered=filtered, spectrum=spectrum, lightcurve=curve,
                          lightcurve_options={"bin": 10.0}, overwrite=True)
    else:
        raise SystemExit(f"unknown kind {kind}")


def main(argv: list[str]) -> int:
    kind, source, output = argv[:3]
    print("ready", flush=True)
    if "--wait" in argv:
        sys.stdin.readline()
    try:
        write(kind, source, output)
    except xmmframe.errors.XmmframeError as err:
        print(err, file=sys.stderr, flush=True)
        return 1
    print("done", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
