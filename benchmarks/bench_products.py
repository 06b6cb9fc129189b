"""Benchmark (issue 4): spectrum + light curve + image of one selection, and in-memory image binning.

Selection (as bench_select.py)::

    #XMMEA_EP && PATTERN<=4 && PI in [200:12000] && ((X,Y) in circle(27421,25121,2000))

Products: spectrum of PI in 5 eV channels (4096 channels, 0..20479), light curve of 100 s bins from
TSTART (1300 bins), sky image of X,Y in 80-pixel bins over the legal range 1..51840 (648 x 648).

Methods (all arrays asserted identical before timing is reported):

* ``xmmframe.evselect(events, expr, spectrum=True, lightcurve=True, image=True, ...)`` -- one call,
  from the FITS file and from an xmmframe Parquet copy (products made in memory, not written).
* astropy memmap + numpy, three separate passes (open + mask + bin per product): ``np.bincount`` for
  spectrum and light curve, ``np.bincount`` on the flattened pixel index for the image.
* funtools: ``funhist`` (PI), ``funhist`` (TIME), ``funimage`` (block 80), three processes; their
  outputs are parsed/read back for the equality check (reading back not timed).

Then: ``xmmframe.products.binning.histogram`` of 1e8 random events into a 648 x 648 image, in memory
(only the binning is timed).

Example::

    python benchmarks/bench_products.py --file /tmp/pn_events_2e7.fits --parquet /tmp/pn_events_2e7.xmmframe.parquet
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import append_section, best_of, machine, table  # noqa: E402

X0, Y0, R = 27421, 25121, 2000
PI_RANGE = (200, 12000)
EXPR = f"#XMMEA_EP && PATTERN<=4 && PI in [{PI_RANGE[0]}:{PI_RANGE[1]}] && ((X,Y) in circle({X0},{Y0},{R}))"
CHBIN, NCHAN = 5, 4096
TBIN = 100.0
IBIN, XMIN, XMAX = 80, 1, 51840
NPIX = math.ceil((XMAX - XMIN + 1) / IBIN)


def header(path: str):
    from astropy.io import fits

    h = fits.getheader(path, "EVENTS")
    bits = int(h.get("XMMEA_EP", "(FLAG & 0xcfa0000) == 0").split("&")[1].split(")")[0].strip(), 16)
    return bits, float(h["TSTART"]), float(h["TSTOP"])


def xmmframe_products(path: str):
    import xmmframe

    res = xmmframe.evselect(path, EXPR, spectrum=True, lightcurve=True, image=True,
                            spectrum_options={"channel_bin": CHBIN},
                            lightcurve_options={"bin": TBIN},
                            image_options={"bin": IBIN})
    lc = np.rint(res.lightcurve.rate * TBIN).astype(np.int64)
    return res.spectrum.counts.astype(np.int64), lc, np.asarray(res.image.data).astype(np.int64)


def _masked(path: str, bits: int, columns: tuple[str, ...]):
    from astropy.io import fits

    hdus = fits.open(path, memmap=True)
    d = hdus["EVENTS"].data
    x, y, pi, pattern, flag = (d[c] for c in ("X", "Y", "PI", "PATTERN", "FLAG"))
    dx = x.astype(np.int64) - X0
    dy = y.astype(np.int64) - Y0
    m = (flag & bits) == 0
    m &= pattern <= 4
    m &= (pi >= PI_RANGE[0]) & (pi <= PI_RANGE[1])
    m &= dx * dx + dy * dy <= R * R
    out = [np.asarray(d[c][m]) for c in columns]
    del d, x, y, pi, pattern, flag
    hdus.close()
    return out


def numpy_products(path: str, bits: int, tstart: float, tstop: float):
    (pi,) = _masked(path, bits, ("PI",))
    spec = np.bincount(pi // CHBIN, minlength=NCHAN)[:NCHAN].astype(np.int64)
    (t,) = _masked(path, bits, ("TIME",))
    nt = max(1, math.ceil((tstop - tstart) / TBIN))
    it = np.floor((t - tstart) / TBIN).astype(np.int64)
    it = it[(it >= 0) & (it < nt)]
    lc = np.bincount(it, minlength=nt).astype(np.int64)
    x, y = _masked(path, bits, ("X", "Y"))
    ix = (x.astype(np.int64) - XMIN) // IBIN
    iy = (y.astype(np.int64) - XMIN) // IBIN
    ok = (ix >= 0) & (ix < NPIX) & (iy >= 0) & (iy < NPIX)
    img = np.bincount(iy[ok] * NPIX + ix[ok], minlength=NPIX * NPIX).reshape(NPIX, NPIX).astype(np.int64)
    return spec, lc, img


def funtools_run(path: str, bits: int, tstart: float, tstop: float, outdir: str):
    filt = f"pattern<=4&&pi={PI_RANGE[0]}:{PI_RANGE[1]}&&(flag&{bits:#x})==0&&circle({X0},{Y0},{R})"
    nt = max(1, math.ceil((tstop - tstart) / TBIN))
    spec = subprocess.run(["funhist", f"{path}[EVENTS,{filt}]", "pi", f"0:{NCHAN * CHBIN - 1}:{NCHAN}"],
                          capture_output=True, text=True, check=True).stdout
    lc = subprocess.run(["funhist", f"{path}[EVENTS,{filt}]", "time",
                         f"{tstart:.1f}:{tstart + nt * TBIN:.1f}:{nt}"],
                        capture_output=True, text=True, check=True).stdout
    img_path = os.path.join(outdir, "fun_img.fits")
    subprocess.run(["funimage", f"{path}[EVENTS,{XMIN}:{XMAX},{XMIN}:{XMAX},{IBIN}][{filt}]", img_path],
                   check=True, capture_output=True)
    return spec, lc, img_path


def funtools_parse(out):
    def hist(text):
        vals = []
        for line in text.splitlines():
            parts = line.split()
            if len(parts) == 4 and parts[0].isdigit():
                vals.append(int(parts[1]))
        return np.array(vals, dtype=np.int64)

    from astropy.io import fits

    spec, lc, img_path = out
    return hist(spec), hist(lc), fits.getdata(img_path).astype(np.int64)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--file", default="/tmp/pn_events_2e7.fits")
    ap.add_argument("--parquet", default="/tmp/pn_events_2e7.xmmframe.parquet")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--bin-events", type=float, default=1e8)
    args = ap.parse_args()
    import xmmframe

    if not os.path.exists(args.parquet):
        xmmframe.open_events(args.file).write_parquet(args.parquet)
    bits, tstart, tstop = header(args.file)
    tmp = tempfile.mkdtemp(prefix="xmmframe-bench-")
    methods = {
        "xmmframe.evselect, FITS (one call)": lambda: xmmframe_products(args.file),
        "xmmframe.evselect, Parquet (one call)": lambda: xmmframe_products(args.parquet),
        "astropy memmap + numpy (3 passes)": lambda: numpy_products(args.file, bits, tstart, tstop),
        "funtools funhist x2 + funimage": lambda: funtools_run(args.file, bits, tstart, tstop, tmp),
    }
    answers = {}
    for name, fn in methods.items():  # warm-up round + equality check
        out = fn()
        answers[name] = funtools_parse(out) if name.startswith("funtools") else out
    ref = answers["astropy memmap + numpy (3 passes)"]
    for name, ans in answers.items():
        for label, a, b in zip(("spectrum", "light curve", "image"), ans, ref):
            assert a.shape == b.shape and np.array_equal(a, b), f"{name}: {label} differs ({a.shape} vs {b.shape}, sums {a.sum()} {b.sum()})"
    print("all products identical; selected", int(ref[0].sum()), flush=True)
    results = {}
    for name, fn in methods.items():
        best, med, _ = best_of(fn, args.repeat)
        results[name] = (best, med)
        print(name, best, med, flush=True)
    peer = min(results["astropy memmap + numpy (3 passes)"][0], results["funtools funhist x2 + funimage"][0])
    rows = [[n, f"{b:.3f}", f"{m:.3f}", f"{peer / b:.2f}x"] for n, (b, m) in results.items()]
    fits_ratio = peer / results["xmmframe.evselect, FITS (one call)"][0]
    pq_ratio = peer / results["xmmframe.evselect, Parquet (one call)"][0]

    # ---- 1e8-event in-memory image binning
    from xmmframe.products.binning import Axis, histogram
    import numba

    n = int(args.bin_events)
    rng = np.random.default_rng(1)
    bx = rng.integers(XMIN, XMAX + 1, n, dtype=np.int32)
    by = rng.integers(XMIN, XMAX + 1, n, dtype=np.int32)
    axis = Axis(XMIN - 0.5, float(IBIN), NPIX)
    histogram(bx[:1000], axis, by[:1000], axis)  # compile / cache load
    bbest, bmed, img = best_of(lambda: histogram(bx, axis, by, axis), args.repeat)
    check = np.bincount(((by[:2_000_000] - XMIN) // IBIN).astype(np.int64) * NPIX + (bx[:2_000_000] - XMIN) // IBIN,
                        minlength=NPIX * NPIX).reshape(NPIX, NPIX)
    assert np.array_equal(histogram(bx[:2_000_000], axis, by[:2_000_000], axis), check)
    assert int(img.sum()) == n
    body = (
        f"Machine: {machine()}\n\n"
        f"Command: `python benchmarks/bench_products.py --file {args.file} --parquet {args.parquet} "
        f"--repeat {args.repeat} --bin-events {args.bin_events:g}`\n\n"
        f"Selection `{EXPR}` ({int(ref[0].sum())} events selected of 2e7). Products: spectrum PI/5 eV, {NCHAN} channels; "
        f"light curve {TBIN:g} s bins from TSTART; image X,Y block {IBIN} ({NPIX}x{NPIX}). "
        "Spectrum, light curve and image asserted identical across all four methods. "
        "xmmframe makes the products in memory (not written); funtools writes text (funhist, to a pipe) and a FITS "
        "image (funimage), three processes. Warm page cache; best/median of "
        f"{args.repeat}.\n\n"
        f"funtools commands: `funhist 'FILE[EVENTS,FILTER]' pi 0:20479:4096`, "
        f"`funhist 'FILE[EVENTS,FILTER]' time {tstart:.1f}:{tstart + math.ceil((tstop - tstart) / TBIN) * TBIN:.1f}:"
        f"{math.ceil((tstop - tstart) / TBIN)}`, `funimage 'FILE[EVENTS,1:51840,1:51840,80][FILTER]' img.fits` with "
        f"FILTER=`pattern<=4&&pi=200:12000&&(flag&{bits:#x})==0&&circle({X0},{Y0},{R})`.\n\n"
        + table(["method", "best s", "median s", "speed vs faster peer"], rows)
        + f"\nIn-memory image binning, `xmmframe.products.binning.histogram` of {n:.0e} int32 (X,Y) events into "
        f"{NPIX}x{NPIX} (numba threads: {numba.get_num_threads()}): best **{bbest:.3f} s**, median {bmed:.3f} s "
        f"({n / bbest / 1e6:.0f} M events/s).\n\n"
        f"Targets: FITS ≥2x faster than faster peer: **{'met' if fits_ratio >= 2 else 'MISSED'}** ({fits_ratio:.2f}x); "
        f"Parquet ≥5x: **{'met' if pq_ratio >= 5 else 'MISSED'}** ({pq_ratio:.2f}x); 1e8-event image < 0.5 s: "
        f"**{'met' if bbest < 0.5 else 'MISSED'}** ({bbest:.3f} s).\n"
    )
    append_section("Issue 4: products (bench_products.py)", body)
    print(body)


if __name__ == "__main__":
    main()
