"""Benchmark (issue 6): pn pattern reconstruction + energy correction throughput, and epproc.

Part 1 -- kernels, single core (the numba kernels are not parallel). Synthetic raw pn pixels:
12 CCDs of 64 x 200, ``--per-frame`` events per CCD per frame on a 5 x 5 lattice (so that events
never touch), ``--doubles`` of them doubles (partner with half the amplitude, random direction),
the rest singles; sorted by (ccd, frame). Compared:

* ``xmmframe.proc.patterns.reconstruct_patterns`` (numba ``pattern_kernel``) and
  ``xmmframe.proc.energy.energy_kernel`` (offset, per-column gain, CTI);
* a straightforward vectorised numpy implementation of the same singles/doubles logic (neighbour
  look-up with ``np.searchsorted`` on a linear pixel key) and of the same energy formula.

Both must give the same MAIN pixel, PATTERN, NPIX and ADU sum for every event, and energies equal to
1e-9 relative. Throughput is raw pixels (ODF events) per second, best of ``--repeat``.

Part 2 -- ``xmmframe epproc`` on a simulated 100 ks full-frame pn exposure giving ~1e7 calibrated
events (``xmmframe simulate --instruments PN --pn-mode PrimeFullWindow --no-flares --sources ...``,
generated under ``--odf`` when absent, never committed), each in its own process: wall time and
peak RSS (``ru_maxrss`` via a launcher), for the simulation and for epproc (best of
``--epproc-repeat``).

Example::

    python benchmarks/bench_proc.py --pixels 5e6 --odf /tmp/xb/odf_pn100
"""

from __future__ import annotations

import argparse
import glob
import os
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import append_section, best_of, machine, run_peak, table  # noqa: E402

NCCD, NX, NY = 12, 64, 200
#: Sources of the epproc benchmark: ~1e7 calibrated pn events in 100 ks of full frame, little pile-up
#: (a bright cluster and six point sources of ~15 counts/s each).
SOURCES = (
    "extended:dra=0,ddec=0,flux=5.5e-11,kt=5,rc=150;point:dra=4,ddec=2,flux=2.3e-11;"
    "point:dra=-3,ddec=-5,flux=2.3e-11;point:dra=6,ddec=-1,flux=2.3e-11;point:dra=-6,ddec=3,flux=2.3e-11;"
    "point:dra=1,ddec=7,flux=2.3e-11;point:dra=-1,ddec=-8,flux=2.3e-11"
)
CELL = 5
# partner offset of a double relative to its main pixel -> PATTERN (xmmframe / SAS pn convention)
EDGE_CODE = {(1, 0): 1, (0, -1): 2, (-1, 0): 3, (0, 1): 4}


def synthetic(n_pixels: float, per_frame: int, doubles: float, seed: int = 7):
    rng = np.random.default_rng(seed)
    ncx, ncy = (NX - 2) // CELL, (NY - 2) // CELL
    ncell = ncx * ncy
    events_target = int(n_pixels / (1 + doubles))
    nframes = max(1, events_target // (NCCD * per_frame))
    rows = NCCD * nframes
    cells = np.argsort(rng.random((rows, ncell), dtype=np.float32), axis=1)[:, :per_frame].ravel()
    ccd = np.repeat(np.arange(NCCD, dtype=np.int64), nframes * per_frame)
    frame = np.tile(np.repeat(np.arange(nframes, dtype=np.int64), per_frame), NCCD)
    x = (cells % ncx) * CELL + 3  # 1-based: offsets 2..4 of a cell starting at 1
    y = (cells // ncx) * CELL + 3
    adu = rng.integers(60, 4000, cells.size)
    is_double = rng.random(cells.size) < doubles
    d = rng.integers(0, 4, cells.size)
    ddx = np.array([1, 0, -1, 0])[d]
    ddy = np.array([0, -1, 0, 1])[d]
    idx = np.nonzero(is_double)[0]
    # interleave partners right after their main pixel (order in a frame is free)
    n = cells.size + idx.size
    pos_main = np.arange(cells.size) + np.concatenate(([0], np.cumsum(is_double)[:-1]))
    out = {k: np.empty(n, dtype=np.int64) for k in ("ccd", "frame", "x", "y", "adu")}
    for k, v in (("ccd", ccd), ("frame", frame), ("x", x), ("y", y), ("adu", adu)):
        out[k][pos_main] = v
    pp = pos_main[idx] + 1
    out["ccd"][pp] = ccd[idx]
    out["frame"][pp] = frame[idx]
    out["x"][pp] = x[idx] + ddx[idx]
    out["y"][pp] = y[idx] + ddy[idx]
    out["adu"][pp] = adu[idx] // 2
    # shuffle pixel order inside each frame is allowed, but keep it simple: already sorted by (ccd, frame)
    return out, cells.size


def numpy_patterns(ccd, frame, x, y, adu):
    """Singles and doubles by neighbour look-up; returns (main, pattern, npix, adu_sum) sorted by main."""
    W, H = NX + 2, NY + 2
    key = ((ccd * (frame.max() + 1) + frame) * H + y) * W + x
    order = np.argsort(key, kind="stable")
    skey = key[order]
    n = key.size
    nb_count = np.zeros(n, dtype=np.int64)
    partner = np.full(n, -1, dtype=np.int64)
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            if dx == 0 and dy == 0:
                continue
            k = key + dy * W + dx
            j = np.searchsorted(skey, k)
            j = np.minimum(j, n - 1)
            hit = skey[j] == k
            nb_count += hit
            if dx == 0 or dy == 0:
                partner = np.where(hit, order[j], partner)
    single = nb_count == 0
    double = (nb_count == 1) & (partner >= 0)
    double &= nb_count[np.maximum(partner, 0)] == 1
    assert np.all(single | double), "numpy reference handles singles and doubles only"
    idx = np.arange(n)
    p = partner
    is_main_d = double & ((adu > adu[np.maximum(p, 0)]) | ((adu == adu[np.maximum(p, 0)]) & (idx < p)))
    main = np.concatenate([idx[single], idx[is_main_d]])
    pat = np.zeros(main.size, dtype=np.int64)
    nd = single.sum()
    pd = p[is_main_d]
    odx = x[pd] - x[is_main_d]
    ody = y[pd] - y[is_main_d]
    code = np.zeros(pd.size, dtype=np.int64)
    for (ex, ey), c in EDGE_CODE.items():
        code[(odx == ex) & (ody == ey)] = c
    pat[nd:] = code
    npix = np.concatenate([np.ones(nd, np.int64), np.full(pd.size, 2, np.int64)])
    asum = np.concatenate([adu[single], adu[is_main_d] + adu[pd]])
    o = np.argsort(main)
    return main[o], pat[o], npix[o], asum[o]


def numpy_energy(ccd, rawx, rawy, adu, npix, fraction, gain, offset, cti_1kev, cti_index):
    col = rawx - 1
    measured = (adu - npix * offset[ccd, col] + fraction) * gain[ccd, col]
    c1 = cti_1kev[ccd]
    t = rawy.astype(np.float64)
    e = measured.copy()
    log_kev = np.log(1000.0)
    for _ in range(2):
        cti = c1 * np.exp(-cti_index * (np.log(np.maximum(e, 1.0)) - log_kev))
        e = measured * np.exp(t * cti * (1.0 + 0.5 * cti))
    e = np.where((c1 == 0.0) | (t <= 0.0), measured, e)
    return np.where(measured <= 0.0, 0.0, e)


def part_kernels(args):
    import numba

    from xmmframe.proc.energy import energy_kernel
    from xmmframe.proc.patterns import reconstruct_patterns

    px, n_events = synthetic(args.pixels, args.per_frame, args.doubles)
    n = px["ccd"].size
    rng = np.random.default_rng(3)
    gain = rng.uniform(4.8, 5.2, (NCCD, NX))
    offset = rng.uniform(0.0, 3.0, (NCCD, NX))
    cti_1kev = rng.uniform(2e-5, 6e-5, NCCD)
    cti_index = 0.5
    fraction = rng.random(n)
    ones = np.ones(n, dtype=np.int64)

    def kernel_pat():
        return reconstruct_patterns(px["ccd"], px["frame"], px["x"], px["y"], px["adu"].astype(float),
                                    px["adu"], (NX, NY), ymin=1)

    def kernel_energy():
        return energy_kernel(px["ccd"], px["x"], px["y"], px["adu"], ones, fraction, gain, offset, cti_1kev, cti_index)

    def np_pat():
        return numpy_patterns(px["ccd"], px["frame"], px["x"], px["y"], px["adu"])

    def np_energy():
        return numpy_energy(px["ccd"], px["x"], px["y"], px["adu"], ones, fraction, gain, offset, cti_1kev, cti_index)

    ev = kernel_pat()
    o = np.argsort(ev["MAIN"])
    kres = (ev["MAIN"][o], ev["PATTERN"][o].astype(np.int64), ev["NPIX"][o].astype(np.int64), ev["ADU"][o].astype(np.int64))
    nres = np_pat()
    for label, a, b in zip(("MAIN", "PATTERN", "NPIX", "ADU"), kres, nres):
        assert np.array_equal(a, b), f"{label} differs"
    assert kres[0].size == n_events
    ek, en = kernel_energy(), np_energy()
    assert np.allclose(ek, en, rtol=1e-9, atol=1e-9), "energies differ"
    print(f"patterns and energies agree: {n} pixels, {n_events} events", flush=True)
    res = {}
    for name, fn in (("numba pattern_kernel (reconstruct_patterns)", kernel_pat),
                     ("numpy singles/doubles", np_pat),
                     ("numba energy_kernel", kernel_energy),
                     ("numpy energy", np_energy)):
        best, med, _ = best_of(fn, args.repeat)
        res[name] = (best, med)
        print(name, best, med, n / best, flush=True)
    rows = [[k, f"{b:.3f}", f"{m:.3f}", f"{n / b / 1e6:.2f}", f"{n_events / b / 1e6:.2f}"] for k, (b, m) in res.items()]
    chain_k = n / (res["numba pattern_kernel (reconstruct_patterns)"][0] + res["numba energy_kernel"][0])
    chain_n = n / (res["numpy singles/doubles"][0] + res["numpy energy"][0])
    rows.append(["numba, energy + patterns (sum)", "", "", f"{chain_k / 1e6:.2f}", ""])
    rows.append(["numpy, energy + patterns (sum)", "", "", f"{chain_n / 1e6:.2f}", ""])
    body = (
        f"Synthetic raw pn pixels: {n} pixels = {n_events} events ({args.doubles:.0%} doubles, rest singles), "
        f"12 CCDs, {args.per_frame} events per CCD per frame; numba threads available {numba.get_num_threads()}, "
        "kernels are single-threaded (`@njit`, no `parallel`), so per-core = measured. Outputs asserted identical "
        "(MAIN, PATTERN, NPIX, ADU; energies to 1e-9).\n\n"
        + table(["method", "best s", "median s", "M raw pixels/s/core", "M events/s/core"], rows)
        + f"\nTarget ≥ 5e6 raw events/s/core (energy + patterns): **{'met' if chain_k >= 5e6 else 'MISSED'}** "
        f"({chain_k / 1e6:.2f} M pixels/s; pattern kernel alone "
        f"{n / res['numba pattern_kernel (reconstruct_patterns)'][0] / 1e6:.2f} M/s, energy alone "
        f"{n / res['numba energy_kernel'][0] / 1e6:.2f} M/s). numba vs numpy: patterns "
        f"{res['numpy singles/doubles'][0] / res['numba pattern_kernel (reconstruct_patterns)'][0]:.1f}x, energy "
        f"{res['numpy energy'][0] / res['numba energy_kernel'][0]:.1f}x.\n"
    )
    return body


def part_epproc(args):
    odf = args.odf
    sim_cmd = ["xmmframe", "simulate", "--out", odf, "--exposure", args.exposure, "--instruments", "PN",
               "--pn-mode", args.pn_mode, "--no-flares", "--sources", args.sources]
    rows = []
    if not glob.glob(os.path.join(odf, "*SUM.ASC")):
        wall, peak, _ = run_peak(sim_cmd)
        rows.append(["simulate (own process)", "", f"{wall:.1f}", f"{peak:.0f}"])
        print("simulate", wall, peak, flush=True)
    outdir = odf.rstrip("/") + "_epproc"
    os.makedirs(outdir, exist_ok=True)
    cmd = ["xmmframe", "epproc", "-c", f"odf={odf}", f"outdir={outdir}"]
    from astropy.io import fits

    raw = sum(int(fits.getheader(f, 1)["NAXIS2"]) for f in glob.glob(os.path.join(odf, "*PN*IME.FIT")))
    frames = int(fits.getheader(glob.glob(os.path.join(odf, "*PN*AUX.FIT"))[0], 1)["NAXIS2"])
    runs = []
    for _ in range(args.epproc_repeat):
        wall, peak, _ = run_peak(cmd)
        runs.append((wall, peak))
        print("epproc", wall, peak, flush=True)
    files = glob.glob(os.path.join(outdir, "*PIEVLI*"))
    nev = sum(int(fits.getheader(f, "EVENTS")["NAXIS2"]) for f in files)
    best = min(w for w, _ in runs)
    peak = max(p for _, p in runs)
    walls = ", ".join(f"{w:.1f}" for w, _ in runs)
    rows.append(["epproc (own process)", nev, f"{best:.1f} (runs: {walls})", f"{peak:.0f}"])
    body = (
        f"\nSimulation: `{' '.join(sim_cmd[:-1])} '{args.sources}'` ({raw} raw pn pixels in the ODF, "
        f"{frames} AUX rows = frames x 12 CCDs). Processing: `{' '.join(cmd)}`; each task in its own process, "
        "wall time including interpreter start and imports, peak RSS of the process (`ru_maxrss`).\n\n"
        + table(["task", "events out", "wall s", "peak RSS MB"], rows)
        + f"\nTargets at {nev / 1e6:.2f}e6 calibrated output events: < 30 s: "
        f"**{'met' if best < 30 else 'MISSED'}** ({best:.1f} s); < 4 GB: "
        f"**{'met' if peak < 4096 else 'MISSED'}** ({peak / 1024:.2f} GB).\n"
    )
    return body


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pixels", type=float, default=5e6)
    ap.add_argument("--per-frame", type=int, default=20)
    ap.add_argument("--doubles", type=float, default=0.3)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--odf", default="/tmp/xb/odf_pn100", help="simulated ODF (made if absent; never committed)")
    ap.add_argument("--exposure", default="100ks")
    ap.add_argument("--pn-mode", default="PrimeFullWindow")
    ap.add_argument("--sources", default=SOURCES)
    ap.add_argument("--epproc-repeat", type=int, default=2)
    ap.add_argument("--skip-kernels", action="store_true")
    ap.add_argument("--skip-epproc", action="store_true")
    args = ap.parse_args()
    cmd = "python benchmarks/bench_proc.py " + " ".join(sys.argv[1:])
    body = f"Machine: {machine()}\n\nCommand: `{cmd}`\n\n"
    if not args.skip_kernels:
        body += part_kernels(args)
        append_section("Issue 6: processing (bench_proc.py)", body)
    if not args.skip_epproc:
        body2 = f"Machine: {machine()}\n\nCommand: `{cmd}`\n" + part_epproc(args)
        append_section("Issue 6 (cont.): epproc (bench_proc.py)", body2)
        body += body2
    print(body)


if __name__ == "__main__":
    main()
