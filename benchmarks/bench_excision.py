"""Source excision: ``!((X,Y) in circle(...)) && ...`` for N sources over a generated event list.

Compares, on the same in-memory events, xmmframe's compiled selection (parse + compile + filter;
many circles go to one grid pass), the same circles as one Polars expression per shape (what the
selection compiled to before the grid), and a numpy brute force (all circles, all events).
Polars per shape is only run up to ``--polars-max`` circles: it grows as N x events.

    python benchmarks/bench_excision.py --events 3e6 --sources 100 1000 10000
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np
import polars as pl

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import best_of, machine, table  # noqa: E402

from xmmframe.select.compiler import compile_selection  # noqa: E402
from xmmframe.select.shapes import Circle  # noqa: E402

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "RESULTS.md")


def events(n: int) -> pl.DataFrame:
    rng = np.random.default_rng(1)
    return pl.DataFrame({"X": rng.integers(0, 50000, n).astype(np.int32), "Y": rng.integers(0, 50000, n).astype(np.int32),
                         "PI": rng.integers(0, 12000, n).astype(np.int16)})


def sources(m: int) -> np.ndarray:
    rng = np.random.default_rng(2)
    return np.column_stack([rng.integers(0, 50000, m), rng.integers(0, 50000, m), rng.integers(100, 400, m)])


def numpy_outside(frame: pl.DataFrame, circles: np.ndarray) -> int:
    x, y = frame["X"].to_numpy().astype(np.float64), frame["Y"].to_numpy().astype(np.float64)
    keep = np.ones(frame.height, dtype=bool)
    for cx, cy, r in circles:
        keep &= (x - cx) ** 2 + (y - cy) ** 2 > r * r
    return int(keep.sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=float, default=3e6)
    parser.add_argument("--sources", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--polars-max", type=int, default=1000)
    parser.add_argument("--numpy-max", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--record", action="store_true", help=f"append the table to {RESULTS}")
    args = parser.parse_args()
    frame = events(int(args.events))
    rows = []
    for m in args.sources:
        circles = sources(m)
        text = " && ".join(f"!((X,Y) in circle({a},{b},{r}))" for a, b, r in circles)
        ours, _, kept = best_of(lambda: frame.filter(compile_selection(text, columns=frame.schema)).height, args.repeat)
        row = [m, f"{ours:.3f} s", "-", "-", "-"]
        if m <= args.polars_max:
            expr = ~pl.any_horizontal([Circle(float(a), float(b), float(r)).to_expr() for a, b, r in circles])
            polars, _, same = best_of(lambda: frame.filter(expr).height, 1)
            assert same == kept
            row[2] = f"{polars:.3f} s"
        if m <= args.numpy_max:
            brute, _, same = best_of(lambda: numpy_outside(frame, circles), 1)
            assert same == kept
            row[3] = f"{brute:.3f} s"
            row[4] = f"{brute / ours:.1f}x"
        rows.append(row)
        print(row, flush=True)
    header = ["sources", "xmmframe selection (best)", "Polars, one expression per circle", "numpy brute force",
              "speed-up vs numpy"]
    body = table(header, rows)
    print(body)
    if args.record:
        with open(RESULTS, "a") as handle:
            command = "python benchmarks/bench_excision.py " + " ".join(sys.argv[1:])
            handle.write(f"\n## Source excision ({int(args.events):.0e} events)\n\n`{command}`. {machine()}\n\n{body}\n")


if __name__ == "__main__":
    main()
