"""Benchmark: the event store against its peers on a generated archive of many exposures.

A store of ``--exposures`` pn-like exposures (default 100) of ``--events`` events each (default
1e6, so 1e8 in all) is generated on the fly in ``--dir``: one event list is drawn by
``generate_pn_events.py`` and copied with a new OBS_ID and sky reference position (``TCRVL``
of X/Y) per exposure, in ten groups of ten pointings within 8 arcmin of a group centre (deep
fields observed again and again), the group centres spread over the sky.  Then, in one run:

``ingest``
    ``xmmframe.ingest`` of every FITS file into the store with ``--ingest-workers`` worker
    processes (in a fresh process, for its peak memory: the largest of the parent and its
    workers), against writing today's unindexed layout (``EventList.write_parquet`` of each file
    under ``obs_id=/instrume=`` folders) in another fresh process.
``cone``
    every event within 5 arcmin of a group centre: ``Store.cone`` against astropy + numpy
    (each FITS file opened with memmap, X/Y through the header's WCS with ``all_pix2world``,
    the angular distance in numpy) and against today's unindexed store (each Parquet file's X/Y
    read with Polars, through its WCS, the distance in numpy).  All three must give the same
    number of events.
``spectrum``
    ``PATTERN<=4 && FLAG==0 && PI in [200:12000] && (X,Y) in circle(27421,25121,2000)`` over every
    exposure, then the PI histogram in 5 eV channels: ``Store.filter`` against astropy + numpy on
    every FITS file and Polars on today's unindexed store.  The store answers with
    ``Store.spectrum`` (the fused kernel over the query-column files; its first call, which
    compiles the kernel, is reported apart) and, as a peer, with its Polars path
    (``Store.filter`` then a histogram).  All spectra must be equal.  Reported as events in the
    store per second, with CPU seconds (the machine is shared).

Times are the best of ``--repeat`` rounds with a warm page cache (astropy once: it takes
minutes); the store is opened once, as a user does, so its header cache is warm after the
first round.

Examples
--------
::

    python benchmarks/bench_store.py --dir /tmp/bench_store
    python benchmarks/bench_store.py --dir /tmp/bench_small --exposures 10 --events 2e5   # quick check
    python benchmarks/bench_store.py --dir /tmp/bench_store --reuse   # queries again, on the same store
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import sys
import time

import numpy as np
from astropy.io import fits

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import generate_pn_events as gen  # noqa: E402
from common import best_of, cpu_seconds, machine, run_peak, table  # noqa: E402

RESULTS = os.path.join(HERE, "RESULTS.md")
SELECTION = "PATTERN<=4 && FLAG==0 && PI in [200:12000] && (X,Y) in circle(27421,25121,2000)"
CONE_RADIUS = 5 / 60
#: Group centres (RA, Dec) of the pointings.
GROUPS = [(83.63, 22.01), (10.68, 41.27), (201.37, -43.02), (266.42, -29.01), (150.1, 2.2),
          (0.2, -30.0), (53.1, -27.8), (187.7, 12.39), (299.87, 40.73), (120.0, 85.0)]


def _card(key: str, value: object, comment: str = "") -> bytes:
    return fits.Card(key, value, comment).image.encode("ascii")


def _patch(header: bytearray, key: str, value: object) -> None:
    """Replace the card of ``key`` in a header block (same 80-byte slot)."""
    prefix = f"{key:<8}=".encode()
    for offset in range(0, len(header), 80):
        if header[offset:offset + 9] == prefix:
            comment = header[offset:offset + 80].decode().split("/", 1)[1].strip() if b"/" in header[offset + 10:offset + 80] else ""
            header[offset:offset + 80] = _card(key, value, comment)[:80]
            return
    raise KeyError(key)


def pointings(n: int, seed: int = 7) -> list[tuple[float, float]]:
    rng = np.random.default_rng(seed)
    result = []
    for i in range(n):
        ra0, dec0 = GROUPS[i % len(GROUPS)]
        offset, angle = rng.uniform(0, 8 / 60), rng.uniform(0, 2 * np.pi)
        dec = dec0 + offset * np.sin(angle)
        ra = (ra0 + offset * np.cos(angle) / np.cos(np.deg2rad(dec))) % 360
        result.append((float(ra), float(dec)))
    return result


def generate(directory: str, exposures: int, events: int) -> list[str]:
    """The FITS event lists of the archive (reused when they exist with the right sizes)."""
    fits_dir = os.path.join(directory, "fits")
    os.makedirs(fits_dir, exist_ok=True)
    base = os.path.join(directory, "base.fits")
    if not os.path.exists(base) or fits.getheader(base, 1)["NAXIS2"] != events:
        gen.write_event_list(base, gen.Observation(events=events), seed=20240501)
    raw = open(base, "rb").read()
    ends = [raw.find(b"END" + b" " * 77, start) for start in (0,)]
    primary_end = (ends[0] // 2880 + 1) * 2880
    events_end = ((raw.find(b"END" + b" " * 77, primary_end) - primary_end) // 2880 + 1) * 2880 + primary_end
    header = fits.getheader(base, 1)
    names = [header[f"TTYPE{n}"] for n in range(1, header["TFIELDS"] + 1)]
    nx, ny = names.index("X") + 1, names.index("Y") + 1
    paths = []
    for i, (ra, dec) in enumerate(pointings(exposures)):
        path = os.path.join(fits_dir, f"exp{i:04d}.fits")
        paths.append(path)
        if os.path.exists(path) and os.path.getsize(path) == len(raw):
            continue
        primary, table_header = bytearray(raw[:primary_end]), bytearray(raw[primary_end:events_end])
        obs_id = f"09{i:08d}"
        _patch(primary, "OBS_ID", obs_id)
        _patch(table_header, "OBS_ID", obs_id)
        _patch(table_header, f"TCRVL{nx}", ra)
        _patch(table_header, f"TCRVL{ny}", dec)
        with open(path + ".partial", "wb") as out:
            out.write(primary)
            out.write(table_header)
            out.write(memoryview(raw)[events_end:])
        os.replace(path + ".partial", path)
    return paths


# ---------------------------------------------------------------------- the peers


def _wcs_of(header: fits.Header):
    """The X/Y sky WCS as a user builds it with astropy: from the header of each file."""
    from astropy.wcs import WCS

    wcs = WCS(naxis=2)
    number = {header[f"TTYPE{n}"]: n for n in range(1, header["TFIELDS"] + 1)}
    for axis, column in enumerate(("X", "Y")):
        n = number[column]
        wcs.wcs.ctype[axis], wcs.wcs.crval[axis] = header[f"TCTYP{n}"], header[f"TCRVL{n}"]
        wcs.wcs.crpix[axis], wcs.wcs.cdelt[axis] = header[f"TCRPX{n}"], header[f"TCDLT{n}"]
    return wcs


def _distance(ra, dec, ra0, dec0):
    from xmmframe.store.sky import angular_distance_deg

    return angular_distance_deg(ra, dec, ra0, dec0)


def astropy_cone(files: list[str], ra0: float, dec0: float, radius: float) -> int:
    total = 0
    for path in files:
        with fits.open(path, memmap=True) as hdus:
            table = hdus["EVENTS"]
            x = np.asarray(table.data["X"], dtype=float)
            y = np.asarray(table.data["Y"], dtype=float)
            good = table.data["X"] != gen.SKY_TNULL
            ra, dec = _wcs_of(table.header).all_pix2world(x[good], y[good], 1)
            total += int((_distance(ra, dec, ra0, dec0) <= radius).sum())
    return total


def astropy_spectrum(files: list[str]) -> np.ndarray:
    counts = np.zeros(4096, dtype=np.int64)
    for path in files:
        with fits.open(path, memmap=True) as hdus:
            d = hdus["EVENTS"].data
            pi = d["PI"]
            keep = (d["PATTERN"] <= 4) & (d["FLAG"] == 0) & (pi >= 200) & (pi <= 12000)
            keep &= (d["X"] - 27421.0) ** 2 + (d["Y"] - 25121.0) ** 2 <= 2000.0**2
            counts += np.bincount(pi[keep] // 5, minlength=4096)[:4096]
    return counts


def write_unindexed(files: list[str], root: str) -> None:
    import xmmframe

    for path in files:
        events = xmmframe.open_events(path)
        meta = events.meta
        target = os.path.join(root, f"obs_id={meta.obs_id}", f"instrume={meta.instrument}", f"{meta.expidstr}.parquet")
        os.makedirs(os.path.dirname(target), exist_ok=True)
        events.write_parquet(target)


def unindexed_cone(root: str, ra0: float, dec0: float, radius: float) -> int:
    import polars as pl

    import xmmframe
    from xmmframe.store.sky import pixels_to_sky

    total = 0
    for path in sorted(glob.glob(os.path.join(root, "*", "*", "*.parquet"))):
        events = xmmframe.open_events(path)
        xy = events.lazy.select("X", "Y").drop_nulls().collect()
        ra, dec = pixels_to_sky(events.meta.sky_wcs, xy["X"].cast(pl.Float64).to_numpy(), xy["Y"].cast(pl.Float64).to_numpy())
        total += int((_distance(ra, dec, ra0, dec0) <= radius).sum())
    return total


def unindexed_spectrum(root: str) -> np.ndarray:
    import polars as pl

    from xmmframe.select import compile as compile_selection

    lazy = pl.scan_parquet(os.path.join(root, "*", "*", "*.parquet"), hive_partitioning=True,
                           hive_schema={"obs_id": pl.String, "instrume": pl.String})
    expr = compile_selection(SELECTION, columns=lazy.collect_schema())
    return _histogram(lazy.filter(expr))


def _histogram(lazy) -> np.ndarray:
    import polars as pl

    frame = lazy.group_by(pl.col("PI") // 5).len().collect()
    counts = np.zeros(4096, dtype=np.int64)
    channel = frame["PI"].to_numpy()
    inside = channel < 4096
    np.add.at(counts, channel[inside], frame["len"].to_numpy()[inside])
    return counts


def _ingest(files: list[str], args: argparse.Namespace, store_root: str, old_root: str) -> tuple[float, ...]:
    """Build the store and the unindexed layout, each in a fresh process: wall s, CPU s, peak MB of each."""
    total = int(args.events) * args.exposures
    for root in (store_root, old_root):
        shutil.rmtree(root, ignore_errors=True)
    list_file = os.path.join(args.dir, "files.txt")
    with open(list_file, "w") as out:
        out.write("\n".join(files))
    cpu = ("import resource\n"
           "def cpu():\n"
           "    return sum(getattr(resource.getrusage(w), f) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)"
           " for f in ('ru_utime', 'ru_stime'))\n")
    ingest_code = (cpu + "import sys, xmmframe\nif __name__ == '__main__':\n"
                   "    xmmframe.ingest(open(sys.argv[1]).read().split(), sys.argv[2], workers=int(sys.argv[3]))\n"
                   "    print(cpu())")
    ingest_wall, ingest_peak, out = run_peak([sys.executable, "-c", ingest_code, list_file, store_root,
                                              str(args.ingest_workers)])
    ingest_cpu = float(out.split()[-1])
    old_code = (cpu + f"import sys; sys.path.insert(0, {HERE!r}); import bench_store; "
                "bench_store.write_unindexed(open(sys.argv[1]).read().split(), sys.argv[2]); print(cpu())")
    old_wall, old_peak, out = run_peak([sys.executable, "-c", old_code, list_file, old_root])
    old_cpu = float(out.split()[-1])
    print(f"ingest {ingest_wall:.1f} s, {ingest_cpu:.1f} CPU s ({total / ingest_wall / 1e6:.2f} M events/s, "
          f"peak {ingest_peak:.0f} MB); unindexed write {old_wall:.1f} s, {old_cpu:.1f} CPU s (peak {old_peak:.0f} MB)")

    return ingest_wall, ingest_cpu, ingest_peak, old_wall, old_cpu, old_peak


# ---------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", default="/tmp/bench_store")
    parser.add_argument("--exposures", type=int, default=100)
    parser.add_argument("--events", type=float, default=1e6)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--ingest-workers", type=int, default=2, help="ingest worker processes (default 2)")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the store and unindexed layout of an earlier run (no ingest timing)")
    parser.add_argument("--ingest-only", action="store_true", help="measure the ingest (and its peer) only")
    parser.add_argument("--no-record", action="store_true", help="do not append the results to RESULTS.md")
    args = parser.parse_args(argv)
    events_per = int(args.events)
    total = events_per * args.exposures
    began = time.perf_counter()
    files = generate(args.dir, args.exposures, events_per)
    print(f"{len(files)} event lists of {events_per} events ready in {time.perf_counter() - began:.1f} s")

    store_root, old_root = os.path.join(args.dir, "store"), os.path.join(args.dir, "unindexed")
    with open("/proc/loadavg") as fh:
        print("load average", fh.read().split()[:3])
    reuse = args.reuse and all(os.path.isdir(root) for root in (store_root, old_root))
    if not reuse:
        ingest_wall, ingest_cpu, ingest_peak, old_wall, old_cpu, old_peak = _ingest(files, args, store_root, old_root)
    ingest_row = [] if reuse else [
        ["ingest", f"{ingest_wall:.1f} s ({ingest_cpu:.0f} CPU s, {ingest_cpu / args.exposures:.2f} per exposure), "
         f"{total / ingest_wall / 1e6:.2f} M events/s, peak RSS {ingest_peak:.0f} MB",
         f"unindexed write {old_wall:.1f} s ({old_cpu:.0f} CPU s), peak {old_peak:.0f} MB", f"{old_wall / ingest_wall:.2f}x"]]
    if args.ingest_only:
        if reuse:
            raise SystemExit("--ingest-only measures the ingest: do not combine it with --reuse")
        _report(args, argv, total, ingest_row)
        return
    import polars as pl

    import xmmframe

    store = xmmframe.open_store(store_root)
    ra0, dec0 = GROUPS[0]
    cone_store, _, lazy_rows = best_of(lambda: store.cone(ra0, dec0, CONE_RADIUS).select(pl.len()).collect().item(),
                                       args.repeat)
    cone_old, _, old_rows = best_of(lambda: unindexed_cone(old_root, ra0, dec0, CONE_RADIUS), max(1, args.repeat // 2))
    t0 = time.perf_counter()
    astropy_rows = astropy_cone(files, ra0, dec0, CONE_RADIUS)
    cone_astropy = time.perf_counter() - t0
    if not lazy_rows == old_rows == astropy_rows:
        raise SystemExit(f"cone counts differ: store {lazy_rows}, unindexed {old_rows}, astropy {astropy_rows}")
    print(f"cone: store {cone_store:.3f} s, unindexed {cone_old:.2f} s, astropy {cone_astropy:.1f} s ({lazy_rows} events)")

    t0 = time.perf_counter()
    first = store.spectrum(SELECTION)[:4096]
    spec_first = time.perf_counter() - t0
    c0 = cpu_seconds()
    spec_store, spec_store_median, ours = best_of(lambda: store.spectrum(SELECTION)[:4096], args.repeat)
    spec_cpu = (cpu_seconds() - c0) / args.repeat
    c0 = cpu_seconds()
    spec_polars, spec_polars_median, polars_path = best_of(lambda: _histogram(store.filter(SELECTION)), args.repeat)
    polars_cpu = (cpu_seconds() - c0) / args.repeat
    spec_old, spec_old_median, theirs = best_of(lambda: unindexed_spectrum(old_root), args.repeat)
    t0 = time.perf_counter()
    reference = astropy_spectrum(files)
    spec_astropy = time.perf_counter() - t0
    if not all(np.array_equal(s, reference) for s in (first, ours, polars_path, theirs)):
        raise SystemExit("spectra differ")
    print(f"spectrum: store kernel {spec_store:.3f} s ({total / spec_store / 1e6:.0f} M events/s, {spec_cpu:.3f} CPU s; "
          f"first call {spec_first:.2f} s), store Polars {spec_polars:.3f} s ({polars_cpu:.3f} CPU s), "
          f"unindexed {spec_old:.3f} s, astropy {spec_astropy:.2f} s ({int(reference.sum())} events selected)")

    rows = ingest_row + [
        ["cone 5' (best)", f"{cone_store:.3f} s", f"astropy {cone_astropy:.1f} s / unindexed {cone_old:.2f} s",
         f"{cone_astropy / cone_store:.0f}x / {cone_old / cone_store:.1f}x"],
        ["selection + spectrum, `Store.spectrum` (best; median; CPU s per call; first call)",
         f"{spec_store:.3f} s; {spec_store_median:.3f} s = {total / spec_store / 1e6:.0f} M events/s; "
         f"{spec_cpu:.3f} CPU s; first {spec_first:.2f} s",
         f"astropy {spec_astropy:.2f} s / unindexed {spec_old:.3f} s ({spec_old_median:.3f} s) / "
         f"store Polars path {spec_polars:.3f} s ({spec_polars_median:.3f} s, {polars_cpu:.3f} CPU s)",
         f"{spec_astropy / spec_store:.1f}x / {spec_old / spec_store:.1f}x / {spec_polars / spec_store:.1f}x"],
    ]
    _report(args, argv, total, rows)


def _report(args: argparse.Namespace, argv: list[str] | None, total: int, rows: list[list[str]]) -> None:
    report = table(["question", "store", "peers", "store speed-up"], rows)
    print(report)
    events_per = int(args.events)
    if not args.no_record:
        command = " ".join(["python benchmarks/bench_store.py", *(argv if argv is not None else sys.argv[1:])])
        with open(RESULTS, "a") as out:
            out.write(f"\n## Event store ({args.exposures} exposures x {events_per} events = {total:.0e})\n\n"
                      f"`{command}`, {time.strftime('%Y-%m-%d %H:%M')}. {machine()}\n\n{report}")


if __name__ == "__main__":
    main()
