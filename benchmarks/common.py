"""Small shared helpers for the product benchmarks (timing, peak memory, machine info, report).

Kept separate from ``bench_scan.py`` (owned by another benchmark) so that nothing here depends
on that script's internals.
"""

from __future__ import annotations

import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from importlib import metadata
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "RESULTS-products.md")


def best_of(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, float, Any]:
    """Run ``fn`` ``repeat`` times; return (best wall s, median wall s, last result)."""
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times), result


def median_call(fn: Callable[[], Any], n: int = 100) -> float:
    """One warm-up call, then the median of ``n`` calls (seconds)."""
    fn()
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def run_peak(argv: list[str], timeout: float | None = None) -> tuple[float, float, str]:
    """Run a command in a fresh process; return (wall s, peak RSS MB of the child, stdout).

    The peak is measured by a minimal launcher process that reads
    ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` after the command exits.
    """
    launcher = (
        "import resource,subprocess,sys,time,json;t=time.perf_counter();"
        "p=subprocess.run(sys.argv[1:],capture_output=True,text=True);"
        "w=time.perf_counter()-t;"
        "sys.stderr.write(p.stderr);"
        "print(json.dumps({'rc':p.returncode,'wall':w,'kb':resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,'out':p.stdout}))"
    )
    import json

    proc = subprocess.run([sys.executable, "-c", launcher, *argv], capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr)
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    if info["rc"] != 0:
        raise RuntimeError(f"{argv} failed: {proc.stderr[-2000:]}")
    return info["wall"], info["kb"] / 1024.0, info["out"]


def machine() -> str:
    """One markdown paragraph describing the machine and versions."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    versions = []
    for pkg in ("xmmframe", "numpy", "polars", "numba", "astropy", "fitsio", "pyarrow"):
        try:
            versions.append(f"{pkg} {metadata.version(pkg)}")
        except metadata.PackageNotFoundError:
            pass
    try:
        fun = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "funtools"], capture_output=True, text=True).stdout
        versions.append(f"funtools {fun} (Debian)")
    except OSError:
        pass
    load = os.getloadavg()
    return (f"{cpu}, {os.cpu_count()} cores, {mem:.1f} GiB RAM; {platform.platform()}; "
            f"Python {platform.python_version()}; " + ", ".join(versions)
            + f". Load average at start {load[0]:.2f}/{load[1]:.2f}/{load[2]:.2f}.")


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def append_section(title: str, body: str) -> None:
    """Append (or replace) a ``## title`` section in RESULTS-products.md."""
    text = open(RESULTS).read() if os.path.exists(RESULTS) else "# xmmframe product benchmarks\n\n"
    marker = f"## {title}\n"
    if marker in text:
        start = text.index(marker)
        nxt = text.find("\n## ", start + len(marker))
        text = text[:start] + (text[nxt + 1:] if nxt >= 0 else "")
    text = text.rstrip("\n") + "\n\n" + marker + "\n" + body.rstrip("\n") + "\n"
    with open(RESULTS, "w") as fh:
        fh.write(text)


def table(header: list[str], rows: list[list[Any]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out) + "\n"
