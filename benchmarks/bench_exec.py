"""Benchmark: the local executor of ``xmmframe.exec.map_exposures``, 1 worker against 2.

The store holds the eight real MOS event lists of ``../shared/refdata`` (the six XGA clean
lists and the two PPS lists of 0001730201) plus ``--copies`` copies of each under new OBS_IDs
(written with astropy, then ingested; not timed), so at least 16 exposures by default.  Each
task makes one exposure's source spectrum in a 30 arcsec circle at its pointing, with BACKSCAL
and the ARF (``SpectrumTask(..., rmf=False)``; ``--rmf`` adds the RMF).

Two timings per worker count, in the same run:

``cold``
    ``map_exposures(store, task, workers=n)``: starts a pool of ``n`` spawned processes, which
    import xmmframe and load numba kernels and the calibration before their first task.
``warm``
    ``map_exposures(store, task, executor=pool)`` on a pool started and warmed by one full
    run beforehand (the way a service or a notebook reuses :func:`xmmframe.exec.local_pool`);
    the best of ``--repeat`` rounds, the 1- and 2-worker pools alternating within a round.

The spectra of every run must be identical (the script stops otherwise).  Because the machine
may be shared, every timed run also records the CPU seconds our processes used and the CPU
seconds all other processes used during it (system-wide busy time from ``psutil`` minus ours),
and the load average; and, before and after, a control that needs no xmmframe: two CPU-bound
tasks on a plain ``multiprocessing`` pool of 1 process and of 2 (2.0x on two free cores).  From the CPU seconds it also prints ``2 x CPU(1) / CPU(2)``: the
speed-up two otherwise idle cores would give at most (the work, including the pool's overhead,
spread perfectly), which is what the wall-time ratio approaches when nothing else runs.

Examples
--------
::

    PYTHONPATH=$PWD python benchmarks/bench_exec.py --copies 1 --repeat 3
"""

from __future__ import annotations

import argparse
import glob
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import psutil

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import machine, table  # noqa: E402

from xmmframe.exec import SpectrumTask, local_pool, map_exposures  # noqa: E402
from xmmframe.store import ingest, open_store  # noqa: E402

REFDATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "refdata")


@dataclass(frozen=True)
class PointingSpectrum:
    """Spectrum (+ BACKSCAL, ARF, optionally RMF) of a circle at the exposure's pointing."""

    radius: float = 30.0 / 3600
    rmf: bool = False

    def __call__(self, events: Any, row: dict[str, Any]) -> Any:
        task = SpectrumTask(row["ra_pnt"], row["dec_pnt"], self.radius, rmf=self.rmf)
        return task(events, row)


def burn(seconds: float) -> float:
    """Spin for ``seconds`` of CPU time (the control: what two processes get from this machine)."""
    start = time.process_time()
    while time.process_time() - start < seconds:
        pass
    return time.process_time() - start


def machine_control(seconds: float = 1.0) -> float:
    """Wall time of 2 CPU-bound tasks on 1 spawned process over that on 2: 2.0 on two free cores."""
    context = multiprocessing.get_context("spawn")
    walls = []
    for processes in (1, 2):
        with context.Pool(processes) as pool:
            pool.map(burn, [0.01] * processes)
            start = time.perf_counter()
            pool.map(burn, [seconds, seconds])
            walls.append(time.perf_counter() - start)
    return walls[0] / walls[1]


def sources() -> list[str]:
    files = sorted(glob.glob(os.path.join(REFDATA, "xga", "*", "eclean", "*.fits")))
    files += sorted(glob.glob(os.path.join(REFDATA, "exod", "0001730201", "P*MIEVLI.FTZ")))
    if len(files) != 8:
        raise SystemExit(f"expected 8 refdata event lists under {REFDATA}, found {len(files)}")
    return files


def copy_with_obs_id(source: str, target: str, obs_id: str) -> None:
    """The event list with every OBS_ID keyword replaced (astropy)."""
    from astropy.io import fits

    with fits.open(source) as hdus:
        for hdu in hdus:
            if "OBS_ID" in hdu.header:
                hdu.header["OBS_ID"] = obs_id
        hdus.writeto(target)


def build_store(workdir: str, copies: int) -> str:
    files = sources()
    inputs = list(files)
    for copy in range(1, copies + 1):
        for index, path in enumerate(files):
            target = os.path.join(workdir, f"copy{copy}_{index}.fits")
            copy_with_obs_id(path, target, f"09{copy:04d}{index:04d}")
            inputs.append(target)
    root = os.path.join(workdir, "store")
    report = ingest(inputs, root)
    if report.skipped:
        raise SystemExit(f"ingest skipped files: {report.skipped}")
    return root


class CpuWatch:
    """CPU seconds of our process tree and of everything else on the machine during a block."""

    def __enter__(self) -> "CpuWatch":
        self.start = (self._ours(), self._busy(), time.perf_counter())
        return self

    def __exit__(self, *exc: Any) -> None:
        ours, busy, wall = self._ours(), self._busy(), time.perf_counter()
        self.wall = wall - self.start[2]
        self.ours = ours - self.start[0]
        self.others = max(0.0, (busy - self.start[1]) - self.ours)

    @staticmethod
    def _ours() -> float:
        me = psutil.Process()
        total = 0.0
        for process in [me, *me.children(recursive=True)]:
            try:
                times = process.cpu_times()
                total += times.user + times.system
                if process is me:
                    total += times.children_user + times.children_system
            except psutil.NoSuchProcess:
                pass
        return total

    @staticmethod
    def _busy() -> float:
        times = psutil.cpu_times()
        return sum(times) - times.idle - getattr(times, "iowait", 0.0)


def signature(run: Any) -> list[np.ndarray]:
    if not run.ok:
        raise SystemExit(f"failures: {run.failures[0].traceback}")
    return [np.asarray(r.spectrum.counts) for r in run.results]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--copies", type=int, default=1, help="copies of the 8 refdata lists (default 1: 16 exposures)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rmf", action="store_true", help="make the RMF too")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    print(machine())
    workdir = tempfile.mkdtemp(prefix="bench_exec_")
    try:
        store = open_store(build_store(workdir, args.copies))
        n = store.catalog().height
        task = PointingSpectrum(rmf=args.rmf)
        print(f"{n} exposures, {int(store.catalog()['events'].sum())} events; task {task}")
        reference: list[np.ndarray] | None = None
        rows = []
        walls: dict[tuple[str, int], float] = {}
        cpus: dict[int, float] = {}

        def check(run: Any) -> None:
            nonlocal reference
            reference = reference or signature(run)
            if not all(np.array_equal(a, b) for a, b in zip(reference, signature(run))):
                raise SystemExit("the spectra differ between runs")

        def label(kind: str, workers: int) -> str:
            return f"{kind}, {workers} worker{'s' * (workers > 1)}"

        control_before = machine_control()
        for workers in (1, 2):
            load = os.getloadavg()[0]
            with CpuWatch() as cold:
                run = map_exposures(store, task, workers=workers, progress=False)
            check(run)
            rows.append([label("cold", workers), f"{cold.wall:.2f}", f"{cold.ours:.1f}", f"{cold.others:.1f}",
                         f"{load:.2f}"])
            walls[("cold", workers)] = cold.wall
        with local_pool(1) as one, local_pool(2) as two:
            pools = {1: one, 2: two}
            for pool in pools.values():
                check(map_exposures(store, task, executor=pool))  # warm every worker
            best: dict[int, tuple[CpuWatch, float]] = {}
            for _ in range(args.repeat):  # interleaved, so both see the same machine
                for workers, pool in pools.items():
                    load = os.getloadavg()[0]
                    with CpuWatch() as warm:
                        run = map_exposures(store, task, executor=pool)
                    check(run)
                    if workers not in best or warm.wall < best[workers][0].wall:
                        best[workers] = (warm, load)
            for workers, (warm, load) in best.items():
                rows.append([f"{label('warm', workers)} (best of {args.repeat})", f"{warm.wall:.2f}",
                             f"{warm.ours:.1f}", f"{warm.others:.1f}", f"{load:.2f}"])
                walls[("warm", workers)] = warm.wall
                cpus[workers] = warm.ours
        control_after = machine_control()
        print()
        print(table(["run", "wall (s)", "CPU s, ours", "CPU s, other processes", "load avg (1 min) at start"], rows))
        for kind in ("cold", "warm"):
            ratio = walls[(kind, 1)] / walls[(kind, 2)]
            print(f"{kind}: 1 worker / 2 workers = {ratio:.2f}x ({n / walls[(kind, 2)]:.1f} exposures/s on 2)")
        print(f"warm CPU per exposure: {cpus[1] / n:.3f} s on 1 worker, {cpus[2] / n:.3f} s on 2; "
              f"2 x CPU(1) / CPU(2) = {2 * cpus[1] / cpus[2]:.2f}x, the ratio two free cores would allow at most")
        print(f"machine control (2 CPU-bound tasks, 1 process / 2 processes, multiprocessing): "
              f"{control_before:.2f}x before, {control_after:.2f}x after")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
