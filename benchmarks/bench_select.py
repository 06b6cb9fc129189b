"""Benchmark (issue 3): count a SAS selection on a 2e7-event pn file.

Selection::

    #XMMEA_EP && PATTERN<=4 && PI in [200:12000] && ((X,Y) in circle(27421,25121,2000))

The generated file defines ``XMMEA_EP = '(FLAG & 0xfa0000) == 0'`` in its header, which
xmmframe uses (header first), so the peers use the same mask value.

Methods: xmmframe from FITS, xmmframe from a Parquet copy (written once, untimed), astropy memmap
+ numpy mask, funtools ``funhist`` with the same filter (one bin over PI; the count is its value).
All must give the same count. Also ``xmmframe.select.compile(expr, meta)`` median over 100 calls.

Example::

    python benchmarks/bench_select.py --file /tmp/pn_events_2e7.fits --parquet /tmp/pn_events_2e7.xmmframe.parquet --repeat 15
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import append_section, best_of, machine, median_call, table  # noqa: E402

X0, Y0, R = 27421, 25121, 2000
PI_RANGE = (200, 12000)
EXPR = f"#XMMEA_EP && PATTERN<=4 && PI in [{PI_RANGE[0]}:{PI_RANGE[1]}] && ((X,Y) in circle({X0},{Y0},{R}))"


def header_mask(path: str) -> int:
    from astropy.io import fits

    text = fits.getheader(path, "EVENTS").get("XMMEA_EP", "(FLAG & 0xcfa0000) == 0")
    return int(text.split("&")[1].split(")")[0].strip(), 16)


def count_xmmframe(path: str) -> int:
    import xmmframe

    return xmmframe.open_events(path).filter(EXPR).count()


def count_astropy(path: str, mask_bits: int) -> int:
    from astropy.io import fits

    with fits.open(path, memmap=True) as hdus:
        d = hdus["EVENTS"].data
        x, y, pi, pattern, flag = (d[c] for c in ("X", "Y", "PI", "PATTERN", "FLAG"))
        dx = x.astype(np.int64) - X0
        dy = y.astype(np.int64) - Y0
        m = (flag & mask_bits) == 0
        m &= pattern <= 4
        m &= (pi >= PI_RANGE[0]) & (pi <= PI_RANGE[1])
        m &= dx * dx + dy * dy <= R * R
        n = int(np.count_nonzero(m))
        del d, x, y, pi, pattern, flag
    return n


def count_funtools(path: str, mask_bits: int) -> int:
    spec = (f"{path}[EVENTS,pattern<=4&&pi={PI_RANGE[0]}:{PI_RANGE[1]}&&(flag&{mask_bits:#x})==0"
            f"&&circle({X0},{Y0},{R})]")
    out = subprocess.run(["funhist", spec, "pi", f"{PI_RANGE[0]}:{PI_RANGE[1]}:1"],
                         capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in out.splitlines() if line.strip() and line.split()[0] == "1"]
    return int(rows[0][1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--file", default="/tmp/pn_events_2e7.fits")
    ap.add_argument("--parquet", default="/tmp/pn_events_2e7.xmmframe.parquet")
    ap.add_argument("--repeat", type=int, default=15, help="runs per method (best and median are reported)")
    args = ap.parse_args()

    import xmmframe
    from xmmframe.select import compile as compile_selection

    if not os.path.exists(args.parquet):
        xmmframe.open_events(args.file).write_parquet(args.parquet)
    bits = header_mask(args.file)
    methods = {
        "xmmframe, FITS": lambda: count_xmmframe(args.file),
        "xmmframe, Parquet": lambda: count_xmmframe(args.parquet),
        "astropy memmap + numpy": lambda: count_astropy(args.file, bits),
        "funtools funhist (filter)": lambda: count_funtools(args.file, bits),
    }
    counts = {name: fn() for name, fn in methods.items()}  # warm-up round (page cache, numba, imports)
    print(counts, flush=True)
    assert len(set(counts.values())) == 1, f"methods disagree: {counts}"
    results = {}
    for name, fn in methods.items():
        best, med, n = best_of(fn, args.repeat)
        assert n == counts[name]
        results[name] = (best, med)
        print(name, best, med, flush=True)

    meta = xmmframe.open_events(args.file).meta
    t_compile = median_call(lambda: compile_selection(EXPR, meta), 100)

    peer = min(results["astropy memmap + numpy"][0], results["funtools funhist (filter)"][0])
    rows = []
    for name, (best, med) in results.items():
        rows.append([name, f"{best:.3f}", f"{med:.3f}", f"{peer / best:.2f}x"])
    fits_ok = results["xmmframe, FITS"][0] <= peer
    pq_ratio = peer / results["xmmframe, Parquet"][0]
    body = (
        f"Machine: {machine()}\n\n"
        f"Command: `python benchmarks/bench_select.py --file {args.file} --parquet {args.parquet} "
        f"--repeat {args.repeat}`\n\n"
        f"Selection: `{EXPR}` (header `XMMEA_EP` mask = {bits:#x}; funtools filter "
        f"`pattern<=4&&pi=200:12000&&(flag&{bits:#x})==0&&circle({X0},{Y0},{R})` via `funhist ... pi 200:12000:1`). "
        f"All four methods count **{counts['xmmframe, FITS']}** events of 2e7 (asserted equal).\n"
        f"Warm page cache; best and median of {args.repeat} runs, in-process except funtools (subprocess, its"
        " process start included).\n\n"
        + table(["method", "best s", "median s", "speed vs faster peer"], rows)
        + f"\n`xmmframe.select.compile(expr, meta)`: median **{t_compile * 1e3:.3f} ms** over 100 calls"
        " (after one warm-up).\n\n"
        f"Targets: FITS ≥ as fast as faster peer: **{'met' if fits_ok else 'MISSED'}** "
        f"({peer / results['xmmframe, FITS'][0]:.2f}x); Parquet ≥ 3x faster than faster peer: "
        f"**{'met' if pq_ratio >= 3 else 'MISSED'}** ({pq_ratio:.2f}x); compile < 5 ms: "
        f"**{'met' if t_compile < 5e-3 else 'MISSED'}**.\n"
    )
    append_section("Issue 3: selection (bench_select.py)", body)
    print(body)


if __name__ == "__main__":
    main()
