"""Writers killed with SIGKILL at random moments leave the old file or the new one, never a part.

Each kind of long write (a FITS event list, a Parquet event file, a PNG figure, the several
products of one ``evselect``) runs in a subprocess over a file that already exists; it is
killed at fixed-seed random points of its write.  Afterwards every final name holds either
the old bytes or the complete new product, and a rerun succeeds and leaves no temporary or
lock file behind.  (The store's ingest has its own kill tests in ``tests/store``.)
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

from tests.reliability.writer import EVSELECT_PRODUCTS, KINDS, make_input

ROOT = Path(__file__).resolve().parents[2]
OLD = b"old content that must survive a killed write\n"


def start(kind: str, source: Path, output: Path, wait: bool = False) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path])}
    args = [sys.executable, "-m", "tests.reliability.writer", kind, str(source), str(output)]
    return subprocess.Popen(args + (["--wait"] if wait else []), cwd=ROOT, env=env, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_for(process: subprocess.Popen, word: str) -> None:
    line = process.stdout.readline().strip()
    assert line == word, f"writer said {line!r}; stderr: {process.stderr.read()}"


def finals(kind: str, output: Path) -> list[Path]:
    return [output / name for name in EVSELECT_PRODUCTS] if kind == "evselect" else [output]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def same_product(kind: str, path: Path, reference: Path) -> bool:
    """The file is the whole new product (byte-identical, or for evselect the same HDUs and data)."""
    if kind != "evselect":
        return digest(path) == digest(reference)
    with fits.open(path) as ours, fits.open(reference) as ref:
        if [h.name for h in ours] != [h.name for h in ref]:
            return False
        return all(o.data is None and r.data is None or np.array_equal(o.data, r.data)
                   for o, r in zip(ours[1:], ref[1:], strict=True))


def leftovers(folder: Path) -> list[str]:
    return sorted(name for name in os.listdir(folder) if ".xmmframe-" in name)


def wait_for_temporary(process: subprocess.Popen, folder: Path, timeout: float = 60.0) -> None:
    """Return once ``process`` has a temporary output file in ``folder`` (or has ended)."""
    mark = f".xmmframe-{process.pid}-"
    deadline = time.monotonic() + timeout
    while not any(mark in name for name in os.listdir(folder)) and process.poll() is None:
        assert time.monotonic() < deadline, "the writer never started its output"
        time.sleep(0.0005)


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("input") / "events.fits"
    make_input(path)
    return path


@pytest.fixture(scope="module")
def references(source, tmp_path_factory) -> dict[str, tuple[Path, float]]:
    """Each kind written once without interruption, with the time its write took."""
    made = {}
    for kind in KINDS:
        folder = tmp_path_factory.mktemp(f"ref-{kind}")
        output = folder if kind == "evselect" else folder / f"out.{kind}"
        process = start(kind, source, output)
        wait_for(process, "ready")
        wait_for(process, "writing")
        began = time.monotonic()
        wait_for(process, "done")
        made[kind] = (output, time.monotonic() - began)
        assert process.wait(timeout=60) == 0
    return made


@pytest.mark.parametrize("kind", KINDS)
def test_killed_write_leaves_old_or_new_and_a_rerun_succeeds(kind, source, references, tmp_path):
    reference, duration = references[kind]
    output = tmp_path if kind == "evselect" else tmp_path / f"out.{kind}"
    # the first kill as soon as the writer's temporary file exists (surely inside the write),
    # then at fixed-seed random moments of a write's duration
    points = [None, *sorted(random.Random(f"kill-{kind}").sample(range(5, 95), 3))]
    seen_old = 0
    for percent in points:
        for path in finals(kind, output):
            path.write_bytes(OLD)
        process = start(kind, source, output)
        wait_for(process, "ready")
        wait_for(process, "writing")
        if percent is None:
            wait_for_temporary(process, tmp_path)
        else:
            time.sleep(duration * percent / 100)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        for path, ref in zip(finals(kind, output), finals(kind, reference), strict=True):
            if path.read_bytes() == OLD:
                seen_old += 1
            else:
                assert same_product(kind, path, ref), f"{path.name} is neither the old file nor the new one"
    assert seen_old > 0  # the kills did land inside writes
    process = start(kind, source, output)
    wait_for(process, "ready")
    wait_for(process, "writing")
    wait_for(process, "done")
    assert process.wait(timeout=60) == 0
    for path, ref in zip(finals(kind, output), finals(kind, reference), strict=True):
        assert same_product(kind, path, ref)
    assert leftovers(tmp_path) == []


def test_killed_simulation_leaves_no_partial_odf(tmp_path):
    """The simulator writes its ODF folder all-or-nothing: killed, it leaves no constituent file.

    (Only a kill among the final renames, microseconds long unless the machine is busy, can
    leave some files renamed: then the summary file is there only if all constituents are.)"""
    reference = tmp_path / "reference"
    process = start("odf", Path("-"), reference)
    wait_for(process, "ready")
    wait_for(process, "writing")
    began = time.monotonic()
    wait_for(process, "done")
    duration = time.monotonic() - began
    assert process.wait(timeout=120) == 0
    expected = sorted(os.listdir(reference))
    assert any(name.endswith("SUM.ASC") for name in expected) and "truth.parquet" in expected
    output = tmp_path / "odf"
    for percent in sorted(random.Random("kill-odf").sample(range(5, 95), 2)):
        process = start("odf", Path("-"), output)
        wait_for(process, "ready")
        wait_for(process, "writing")
        time.sleep(duration * percent / 100)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        finished = sorted(name for name in os.listdir(output) if ".xmmframe-" not in name)
        if finished not in ([], expected):
            # killed among the final renames, which follow the order of writing: the summary file
            # (what makes the folder an ODF) is renamed after every constituent, truth.parquet last
            odf = [name for name in expected if name != "truth.parquet"]
            if any(name.endswith("SUM.ASC") for name in finished):
                assert finished == odf, "an ODF summary without all its constituents"
        for name in finished:
            if name.endswith(".FIT"):
                with fits.open(output / name) as ours, fits.open(reference / name) as ref:
                    assert all(o.data is None or np.array_equal(o.data, r.data)
                               for o, r in zip(ours, ref, strict=True)), f"{name} is not whole"
    process = start("odf", Path("-"), output)
    wait_for(process, "ready")
    wait_for(process, "writing")
    wait_for(process, "done")
    assert process.wait(timeout=120) == 0
    assert sorted(os.listdir(output)) == expected
    events = [name for name in expected if name.endswith("IME.FIT")]
    assert events
    for name in events:
        with fits.open(output / name) as ours, fits.open(reference / name) as ref:
            assert all(o.data is None or np.array_equal(o.data, r.data) for o, r in zip(ours, ref, strict=True))
