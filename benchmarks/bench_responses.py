"""Benchmark (issue 5): rmfgen and arfgen for a 4096-channel pn point-source spectrum.

The spectrum is made once (untimed) by ``xmmframe.evselect`` from the generated pn event file,
with the selection of bench_select.py (circle of 2000 sky pixels around the source). Each response
is then made in a fresh process (``--worker rmf|arf``), several times: the wall time of the call
itself (imports and the spectrum read excluded; first call included separately as "cold"), the
process wall time, and the peak resident size of the process (``ru_maxrss`` via a launcher).

rmfgen uses the standard (CCF) energy grid (``energy_bins=None``); arfgen a point source
(``extended=False``, EE model on) with the same default grid.

Example::

    python benchmarks/bench_responses.py --file /tmp/pn_events_2e7.fits
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import append_section, machine, run_peak, table  # noqa: E402

EXPR = "#XMMEA_EP && PATTERN<=4 && PI in [200:12000] && ((X,Y) in circle(27421,25121,2000))"


def worker(kind: str, spectrum: str, repeat: int) -> None:
    import numpy as np

    import xmmframe  # noqa: F401
    from xmmframe.products.arf import arfgen
    from xmmframe.products.rmf import rmfgen

    times = []
    info: dict = {}
    for _ in range(repeat):
        t0 = time.perf_counter()
        if kind == "rmf":
            out = rmfgen(spectrum)
        else:
            out = arfgen(spectrum)
        times.append(time.perf_counter() - t0)
    if kind == "rmf":
        info["n_energies"], info["detchans"] = int(out.n_energies), int(out.detchans)
    else:
        sr = np.asarray(getattr(out, "specresp", getattr(out, "effective_area", [])))
        info["n_energies"] = int(sr.size)
        info["max_area_cm2"] = float(sr.max()) if sr.size else None
    print(json.dumps({"times": times, **info}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--file", default="/tmp/pn_events_2e7.fits")
    ap.add_argument("--spectrum", default="/tmp/xb/pn_src.pha")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--worker", choices=("rmf", "arf"))
    args = ap.parse_args()
    if args.worker:
        worker(args.worker, args.spectrum, args.repeat)
        return
    import xmmframe

    if not os.path.exists(args.spectrum):
        os.makedirs(os.path.dirname(args.spectrum), exist_ok=True)
        xmmframe.evselect(args.file, EXPR, spectrum=args.spectrum, spectrum_options={"channel_bin": 5})
    from astropy.io import fits

    detchans = fits.getheader(args.spectrum, "SPECTRUM").get("DETCHANS")
    assert detchans == 4096, detchans
    rows, res = [], {}
    for kind in ("rmf", "arf"):
        wall, peak, out = run_peak([sys.executable, os.path.abspath(__file__), "--worker", kind,
                                    "--spectrum", args.spectrum, "--repeat", str(args.repeat)])
        info = json.loads(out.strip().splitlines()[-1])
        res[kind] = (info, wall, peak)
        t = info["times"]
        extra = ", ".join(f"{k}={v}" for k, v in info.items() if k != "times")
        rows.append([f"{kind}gen", f"{t[0]:.3f}", f"{min(t[1:] or t):.3f}", f"{wall:.2f}", f"{peak:.0f}", extra])
        print(rows[-1], flush=True)
    assert res["rmf"][0]["detchans"] == 4096
    rmf_best = min(res["rmf"][0]["times"])
    arf_best = min(res["arf"][0]["times"])
    body = (
        f"Machine: {machine()}\n\n"
        f"Command: `python benchmarks/bench_responses.py --file {args.file} --spectrum {args.spectrum} "
        f"--repeat {args.repeat}` (spectrum made once by `xmmframe.evselect(FILE, '{EXPR}', spectrum=...)`, "
        "4096 channels of 5 eV; each response in its own process, called "
        f"{args.repeat} times).\n\n"
        + table(["task", "first call s", "best later call s", "process wall s (incl. imports)", "peak RSS MB", "output"], rows)
        + f"\nTargets: rmfgen < 5 s: **{'met' if rmf_best < 5 else 'MISSED'}** (first call "
        f"{res['rmf'][0]['times'][0]:.2f} s, best {rmf_best:.2f} s); rmfgen < 1 GB: "
        f"**{'met' if res['rmf'][2] < 1024 else 'MISSED'}** ({res['rmf'][2]:.0f} MB peak process RSS); "
        f"arfgen < 2 s: **{'met' if arf_best < 2 else 'MISSED'}** (first {res['arf'][0]['times'][0]:.2f} s, best {arf_best:.2f} s).\n"
    )
    append_section("Issue 5: responses (bench_responses.py)", body)
    print(body)


if __name__ == "__main__":
    main()
