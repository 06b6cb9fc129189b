"""Two processes writing the same output at once: the second is refused, the file is whole.

The processes are real; the first holds the output's lock for the length of its write, the
second, from Python or from the command line, gets a clear refusal instead of racing it.  Writers of different outputs in one folder do not block each other.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from xmmframe.io.atomic import atomic_path

from tests.reliability.test_kill_writes import ROOT, digest, leftovers, same_product, start, wait_for
from tests.reliability.writer import make_input

REFUSAL = "another process is writing this output"


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("input") / "events.fits"
    make_input(path, n=3_000_000)
    return path


def writing_started(folder: Path, timeout: float = 30.0) -> None:
    """Wait until a writer's temporary file exists in ``folder`` (it then holds the output's lock)."""
    deadline = time.monotonic() + timeout
    while not any(name.endswith(".tmp") for name in leftovers(folder)):
        assert time.monotonic() < deadline, "the first writer never started writing"
        time.sleep(0.002)


def test_second_writer_of_one_output_is_refused(source, tmp_path):
    output = tmp_path / "out.parquet"
    first, second = start("parquet", source, output, wait=True), start("parquet", source, output, wait=True)
    wait_for(first, "ready")
    wait_for(second, "ready")
    first.stdin.write("go\n")
    first.stdin.flush()
    writing_started(tmp_path)
    second.stdin.write("go\n")
    second.stdin.flush()
    assert second.wait(timeout=60) == 1
    assert REFUSAL in second.stderr.read()
    assert first.wait(timeout=60) == 0
    reference = tmp_path / "reference.parquet"
    again = start("parquet", source, reference)
    assert again.wait(timeout=60) == 0
    assert same_product("parquet", output, reference)
    assert leftovers(tmp_path) == []


def test_the_command_line_refuses_in_one_line(source, tmp_path):
    output = tmp_path / "out.fits"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path])}
    command = [sys.executable, "-m", "xmmframe.cli.main", "convert", str(source), str(output)]
    with atomic_path(output) as tmp:  # this process is writing the output meanwhile
        Path(tmp).write_bytes(source.read_bytes())
        cli = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert cli.returncode == 1
    lines = cli.stderr.strip().splitlines()
    assert len(lines) == 1 and REFUSAL in lines[0] and str(output) in lines[0] and "Traceback" not in cli.stderr
    assert digest(output) == digest(source)  # the first writer's file, whole
    assert subprocess.run([*command, "--clobber"], cwd=ROOT, env=env, timeout=60).returncode == 0
    assert digest(output) == digest(source)  # events.fits -> FITS is byte-identical
    assert leftovers(tmp_path) == []


def test_writers_of_different_outputs_run_together(source, tmp_path):
    processes = [start("fits", source, tmp_path / f"copy{i}.fits", wait=True) for i in range(2)]
    for process in processes:
        wait_for(process, "ready")
    for process in processes:
        process.stdin.write("go\n")
        process.stdin.flush()
    assert [p.wait(timeout=60) for p in processes] == [0, 0]
    assert digest(tmp_path / "copy0.fits") == digest(tmp_path / "copy1.fits") == digest(source)
    assert leftovers(tmp_path) == []
