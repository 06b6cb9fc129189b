"""Benchmark: scan + select + bin a large pn event list, xmmframe against its peers.

The query is the one behind every source spectrum (an ``evselect`` spectrum)::

    PATTERN<=4 && FLAG==0 && PI in [200:12000] && ((X,Y) IN circle(27421,25121,2000))

followed by a histogram of ``PI`` in 5 eV channels (``channel = PI // 5``, 4096 channels covering
0..20479 eV). Four methods answer it on the same generated file in the same run:

``astropy``
    ``astropy.io.fits.open(memmap=True)``, a numpy boolean mask and ``np.bincount``.
``fitsio``
    ``fitsio.read`` of the five needed columns, then the same numpy code.
``xmmframe``
    ``xmmframe.open_events`` of the FITS file (the ``scan_fits`` plugin), the selection as the
    SAS string through ``EventList.filter`` and ``group_by(PI // 5).len()``.
``parquet``
    The same on xmmframe's Parquet copy of the file (made once by
    ``xmmframe.open_events(...).write_parquet(...)``, not timed).

All four spectra must be identical (the runner stops otherwise). Wall time is the best of
``--repeat`` runs with a warm page cache: a first, untimed round reads every file once, then the
methods run back to back in interleaved rounds, all in this process. A run during which other
processes took CPU time (a shared machine) is run again, and the CPU time and the median are
reported next to the best wall time.

Peak memory is measured separately, each method run once in its own fresh process, started by a
minimal launcher that reads ``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss``; the resident size
after the method's imports is reported next to it. With ``memmap=True`` the file pages astropy
touches count in its resident size, as the operating system counts them.

Examples
--------
::

    python benchmarks/generate_pn_events.py --out /tmp/pn_events_2e7.fits
    python benchmarks/bench_scan.py --file /tmp/pn_events_2e7.fits
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))

#: Columns the spectrum query needs.
QUERY_COLUMNS = ["X", "Y", "PI", "PATTERN", "FLAG"]
#: Sky position of the generated point source (``generate_pn_events.SOURCE_XY``, checked at start;
#: not imported, so that the memory workers load no more than their method needs).
SOURCE_XY = (27421, 25121)
#: Radius of the source circle in sky pixels (100 arcsec).
RADIUS = 2000
#: Inclusive PI range of the selection (eV).
PI_RANGE = (200, 12000)
#: Channel width (eV) and number of channels of the spectrum.
CHANNEL_WIDTH = 5
CHANNELS = 4096
#: Method names, in report order; the first is the reference for speed-up ratios.
METHODS = ("astropy", "fitsio", "xmmframe", "parquet")
#: How each method is described in the report.
LABELS = {
    "astropy": "(a) astropy memmap + numpy",
    "fitsio": "(b) fitsio + numpy",
    "xmmframe": "(c) xmmframe, FITS (scan_fits plugin)",
    "parquet": "(d) xmmframe, Parquet copy",
}


# ---------------------------------------------------------------------------- the query, per method


def numpy_spectrum(x: np.ndarray, y: np.ndarray, pi: np.ndarray, pattern: np.ndarray,
                   flag: np.ndarray) -> np.ndarray:
    """The selection as a numpy boolean mask, then ``np.bincount`` of ``PI // 5``.

    Sky offsets are computed in int64 so that squared distances cannot overflow; X/Y nulls
    (TNULL = -99999999, returned raw by astropy and fitsio) fall far outside the circle.
    """
    dx = x.astype(np.int64) - SOURCE_XY[0]
    dy = y.astype(np.int64) - SOURCE_XY[1]
    mask = (pattern <= 4) & (flag == 0) & (pi >= PI_RANGE[0]) & (pi <= PI_RANGE[1])
    mask &= dx * dx + dy * dy <= RADIUS * RADIUS
    return np.bincount(pi[mask] // CHANNEL_WIDTH, minlength=CHANNELS).astype(np.int64)


def spectrum_astropy(fits_path: str, parquet_path: str) -> np.ndarray:
    """Method (a): astropy ``fits.open(memmap=True)`` and numpy."""
    from astropy.io import fits

    with fits.open(fits_path, memmap=True) as hdus:
        data = hdus["EVENTS"].data
        spectrum = numpy_spectrum(*(data[name] for name in QUERY_COLUMNS))
        del data
    return spectrum


def spectrum_fitsio(fits_path: str, parquet_path: str) -> np.ndarray:
    """Method (b): ``fitsio.read`` of the needed columns and numpy."""
    import fitsio

    table = fitsio.read(fits_path, ext="EVENTS", columns=QUERY_COLUMNS)
    return numpy_spectrum(*(table[name] for name in QUERY_COLUMNS))


#: The query as a SAS selection.
SELECTION = (f"PATTERN<=4 && FLAG==0 && PI in [{PI_RANGE[0]}:{PI_RANGE[1]}] && "
             f"((X,Y) IN circle({SOURCE_XY[0]},{SOURCE_XY[1]},{RADIUS}))")


def xmmframe_spectrum(path: str) -> np.ndarray:
    """``open_events(path).filter(SELECTION)``, then counts per ``PI // 5`` channel."""
    import polars as pl

    import xmmframe

    selected = xmmframe.open_events(path).filter(SELECTION).lazy
    counts = selected.group_by((pl.col("PI") // CHANNEL_WIDTH).alias("CHANNEL")).len().collect()
    spectrum = np.zeros(CHANNELS, dtype=np.int64)
    spectrum[counts["CHANNEL"].to_numpy()] = counts["len"].to_numpy()
    return spectrum


def spectrum_xmmframe(fits_path: str, parquet_path: str) -> np.ndarray:
    """Method (c): the FITS file through xmmframe."""
    return xmmframe_spectrum(fits_path)


def spectrum_parquet(fits_path: str, parquet_path: str) -> np.ndarray:
    """Method (d): xmmframe's Parquet copy through xmmframe."""
    return xmmframe_spectrum(parquet_path)


SPECTRUM: dict[str, Callable[[str, str], np.ndarray]] = {
    "astropy": spectrum_astropy,
    "fitsio": spectrum_fitsio,
    "xmmframe": spectrum_xmmframe,
    "parquet": spectrum_parquet,
}

#: Modules each method imports (loaded before the baseline memory is read).
IMPORTS = {
    "astropy": ("numpy", "astropy.io.fits"),
    "fitsio": ("numpy", "fitsio"),
    "xmmframe": ("numpy", "polars", "xmmframe"),
    "parquet": ("numpy", "polars", "xmmframe"),
}


# ---------------------------------------------------------------------------- inputs


def ensure_inputs(fits_path: str, parquet_path: str, events: int, seed: int) -> None:
    """Generate the FITS file and its Parquet copy if they do not exist yet (not timed)."""
    sys.path.insert(0, HERE)
    from generate_pn_events import SOURCE_XY as generated_source
    from generate_pn_events import Observation, write_event_list

    if generated_source != SOURCE_XY:
        raise SystemExit(f"the generator puts the source at {generated_source}, not {SOURCE_XY}")
    if not os.path.exists(fits_path):
        print(f"generating {fits_path} ({events} events)", file=sys.stderr)
        write_event_list(fits_path, Observation(events=events), seed)
    if not os.path.exists(parquet_path) or os.path.getmtime(parquet_path) < os.path.getmtime(fits_path):
        import xmmframe

        print(f"writing Parquet copy {parquet_path}", file=sys.stderr)
        partial = f"{parquet_path}.partial"
        xmmframe.open_events(fits_path).write_parquet(partial)
        os.replace(partial, parquet_path)


# ---------------------------------------------------------------------------- timing


@dataclass
class Timing:
    """Wall-clock and CPU times of the timed runs of one method.

    Attributes
    ----------
    walls : list of float
        Wall time of every timed run (s).
    cpus : list of float
        CPU time of the process (all threads) during the same runs (s).
    """

    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)

    @property
    def best(self) -> float:
        """Shortest wall time (s)."""
        return min(self.walls)

    @property
    def best_cpu(self) -> float:
        """CPU time of the run with the shortest wall time (s)."""
        return self.cpus[self.walls.index(self.best)]

    @property
    def median(self) -> float:
        """Median wall time (s)."""
        return float(np.median(self.walls))


def busy_cpu_seconds() -> float:
    """CPU seconds that all processes together have spent not idle since boot (/proc/stat)."""
    if not os.path.exists("/proc/stat"):
        return 0.0
    with open("/proc/stat") as stat:
        ticks = [int(v) for v in stat.readline().split()[1:9]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def timed_run(method: str, fits_path: str, parquet_path: str) -> tuple[np.ndarray, float, float, float]:
    """Run a method once: its spectrum, wall time, CPU time, and CPU time used meanwhile by others.

    The last is the machine's busy CPU time during the run minus this process's: on a shared
    machine it shows whether someone else's job overlapped the run.
    """
    busy, cpu, wall = busy_cpu_seconds(), time.process_time(), time.perf_counter()
    spectrum = SPECTRUM[method](fits_path, parquet_path)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return spectrum, wall, cpu, max(0.0, busy_cpu_seconds() - busy - cpu)


def time_methods(methods: list[str], fits_path: str, parquet_path: str, repeat: int,
                 retries: int) -> tuple[dict[str, Timing], dict[str, np.ndarray], float]:
    """Time each method ``repeat`` times in interleaved rounds; also return spectra and interference.

    A first untimed round warms the page cache (and imports); the timed rounds follow back to
    back, alternating the methods so that drifts of the machine affect all of them alike. A run
    during which other processes used more than a tenth of its wall time in CPU is run again
    (at most ``retries`` times per method); the largest CPU time other processes used during a
    kept run is returned.
    """
    spectra = {m: SPECTRUM[m](fits_path, parquet_path) for m in methods}
    timings = {m: Timing() for m in methods}
    retries_left = dict.fromkeys(methods, retries)
    interference = 0.0
    for _ in range(repeat):
        for method in methods:
            while True:
                spectrum, wall, cpu, others = timed_run(method, fits_path, parquet_path)
                if not np.array_equal(spectrum, spectra[method]):
                    raise AssertionError(f"{method}: spectrum changed between runs")
                if others <= 0.02 + 0.1 * wall or retries_left[method] == 0:
                    break
                retries_left[method] -= 1
            timings[method].walls.append(wall)
            timings[method].cpus.append(cpu)
            interference = max(interference, others)
    return timings, spectra, interference


def check_identical(spectra: dict[str, np.ndarray]) -> None:
    """Stop unless every method gave the same spectrum, channel for channel."""
    reference_name, reference = next(iter(spectra.items()))
    for method, spectrum in spectra.items():
        if not np.array_equal(spectrum, reference):
            differ = np.flatnonzero(spectrum != reference)
            raise AssertionError(
                f"{method} differs from {reference_name} in {differ.size} channels, first {differ[:5]}"
            )


# ---------------------------------------------------------------------------- memory


@dataclass(frozen=True)
class Memory:
    """Resident memory of one method run in a fresh process, in bytes.

    Attributes
    ----------
    peak : int
        Maximum resident set size of the process over its whole life.
    baseline : int
        Maximum resident set size after the method's imports, before it ran.
    """

    peak: int
    baseline: int


#: A minimal launcher: runs its arguments as a child and prints the child's ``ru_maxrss`` (KiB).
#: Linux carries the peak RSS of the process that spawns a child into the child's ``ru_maxrss``
#: (the spawner's memory is counted until ``exec``), so the worker is started from this small
#: process instead of from the benchmark, whose own peak is large after the timing runs.
LAUNCHER = (
    "import resource, subprocess, sys\n"
    "status = subprocess.call(sys.argv[1:])\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    "sys.exit(status)\n"
)


def measure_memory(method: str, fits_path: str, parquet_path: str) -> Memory:
    """Run one method once in a fresh process; its peak RSS is the launcher's ``RUSAGE_CHILDREN``."""
    worker = [sys.executable, os.path.abspath(__file__), "--worker", method,
              "--file", fits_path, "--parquet", parquet_path]
    result = subprocess.run([sys.executable, "-S", "-c", LAUNCHER, *worker],
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"memory worker for {method} failed:\n{result.stderr}")
    report_line, peak_kib = result.stdout.strip().splitlines()[-2:]
    return Memory(peak=int(peak_kib) * 1024, baseline=json.loads(report_line)["baseline"])


def run_worker(method: str, fits_path: str, parquet_path: str) -> None:
    """Child side of :func:`measure_memory`: import, note the baseline, run once, report."""
    import importlib

    for module in IMPORTS[method]:
        importlib.import_module(module)
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    spectrum = SPECTRUM[method](fits_path, parquet_path)
    print(json.dumps({"baseline": baseline, "events": int(spectrum.sum())}))


# ---------------------------------------------------------------------------- report


def machine_description() -> str:
    """CPU model, core count, memory and kernel of this machine."""
    model = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            model = next(line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{model}, {os.cpu_count()} cores, {memory:.0f} GiB RAM, Linux {platform.release()}"


def versions() -> str:
    """Versions of Python and of the libraries compared."""
    names = ["xmmframe", "polars", "numpy", "astropy", "fitsio", "pyarrow"]
    found = [f"Python {platform.python_version()}"]
    for name in names:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return ", ".join(found)


def markdown_table(methods: list[str], timings: dict[str, Timing], memory: dict[str, Memory],
                   events: int, file_bytes: int) -> str:
    """The results as a markdown table (speed-up relative to the first method)."""
    reference = timings[methods[0]].best
    header = (
        "| method | best wall time (s) | CPU time of that run (s) | median wall time (s) | Mevents/s "
        "| speed-up vs (a) | peak RSS (MB) | peak RSS / file size | RSS after imports (MB) "
        "| peak - imports / file size |"
    )
    lines = [header, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for method in methods:
        timing, mem = timings[method], memory.get(method)
        memory_cells = (
            f"{mem.peak / 1e6:.0f} | {100 * mem.peak / file_bytes:.1f} % | {mem.baseline / 1e6:.0f} "
            f"| {100 * (mem.peak - mem.baseline) / file_bytes:.1f} %"
            if mem
            else "- | - | - | -"
        )
        lines.append(
            f"| {LABELS[method]} | {timing.best:.3f} | {timing.best_cpu:.3f} | {timing.median:.3f} "
            f"| {events / timing.best / 1e6:.1f} | {reference / timing.best:.2f}x | {memory_cells} |"
        )
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", default="/tmp/pn_events_2e7.fits",
                        help="pn-like event list (made if missing)")
    parser.add_argument("--parquet", default=None, help="Parquet copy (default: FILE with .xmmframe.parquet)")
    parser.add_argument("--events", type=float, default=2e7, help="events when the file must be generated")
    parser.add_argument("--seed", type=int, default=20240501, help="seed when the file must be generated")
    parser.add_argument("--repeat", type=int, default=15,
                        help="timed rounds (best is reported); on a small shared machine runs of the "
                             "two-threaded methods are often slowed by other work, so take many")
    parser.add_argument("--methods", default=",".join(METHODS), help="comma-separated subset of methods")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory subprocesses")
    parser.add_argument("--retries", type=int, default=5,
                        help="extra runs allowed per method to replace runs disturbed by other processes")
    parser.add_argument("--worker", choices=METHODS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.parquet is None:
        args.parquet = os.path.splitext(args.file)[0] + ".xmmframe.parquet"
    return args


def print_report(args: argparse.Namespace, methods: list[str], timings: dict[str, Timing],
                 spectra: dict[str, np.ndarray], memory: dict[str, Memory], interference: float) -> None:
    """Print the inputs, the conditions and the markdown table of results."""
    from astropy.io import fits

    from xmmframe.io import fits_scan

    events = int(fits.getheader(args.file, "EVENTS")["NAXIS2"])
    file_bytes = os.path.getsize(args.file)
    selected = int(next(iter(spectra.values())).sum())
    threads = getattr(fits_scan, "DECODE_THREADS", 1)  # absent before the scanner used threads
    print(f"file: {args.file} ({file_bytes / 1e6:.1f} MB, {events} events); "
          f"Parquet copy: {os.path.getsize(args.parquet) / 1e6:.1f} MB (xmmframe layout)")
    print(f"spectrum: {selected} events selected, identical for {', '.join(methods)}")
    print(f"xmmframe from {os.path.dirname(fits_scan.__file__)}: BLOCK_BYTES = {fits_scan.BLOCK_BYTES}, "
          f"DECODE_THREADS = {threads}")
    print(f"timing: best of {args.repeat}, warm page cache; CPU used by other processes during a "
          f"kept run: at most {interference:.2f} s")
    print(f"machine: {machine_description()}")
    print(f"versions: {versions()}\n")
    print(markdown_table(methods, timings, memory, events, file_bytes))


def main(argv: list[str] | None = None) -> None:
    """Make the inputs if needed, time every method, check the spectra, measure memory, report."""
    args = parse_args(argv)
    if args.worker:
        run_worker(args.worker, args.file, args.parquet)
        return
    methods = [m for m in args.methods.split(",") if m]
    unknown = set(methods) - set(METHODS)
    if unknown:
        raise SystemExit(f"unknown methods {sorted(unknown)}; choose from {', '.join(METHODS)}")
    ensure_inputs(args.file, args.parquet, int(args.events), args.seed)
    timings, spectra, interference = time_methods(methods, args.file, args.parquet, args.repeat,
                                                  args.retries)
    check_identical(spectra)
    memory = {} if args.no_memory else {m: measure_memory(m, args.file, args.parquet) for m in methods}
    print_report(args, methods, timings, spectra, memory, interference)


if __name__ == "__main__":
    main()
