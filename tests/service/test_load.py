"""Load on a real server: uvicorn in a subprocess on 127.0.0.1, 50 concurrent jobs, 1000 status polls,
and a crash and restart in the middle of a run.

Correctness is asserted (every job ends done with its products, none lost or duplicated; after
a restart the finished jobs are listed and the interrupted ones are failed with the reason);
the status latency (p95) is printed and written to ``load-latency.json`` in the test's
folder, not asserted: the machine is shared.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
import pytest

from tests.service.conftest import INSTRUMENT, OBS
from xmmframe.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
JOB = {"obs_id": OBS, "instrume": INSTRUMENT, "expression": "PATTERN<=12", "products": ["image"],
       "imagebinsize": 2000}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(store, jobs, port) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    process = subprocess.Popen(
        [sys.executable, "-m", "xmmframe.cli.main", "serve", "--store", str(store), "--jobs-dir", str(jobs),
         "--port", str(port), "--max-jobs", "2"], env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    end = time.monotonic() + 120
    while time.monotonic() < end:
        if process.poll() is not None:
            raise AssertionError(f"the server exited: {process.stderr.read().decode()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.3)
    raise AssertionError("the server did not start in 120 s")


def crash(process: subprocess.Popen) -> None:
    """Kill the server and its worker processes at once (SIGKILL to the process group)."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def wait_all(client, ids, timeout=600.0) -> dict[str, dict]:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        jobs = {job["id"]: job for job in client.get("/api/jobs").json()}
        if all(jobs[i]["status"] in ("done", "failed") for i in ids):
            return jobs
        time.sleep(0.5)
    raise AssertionError("jobs did not end")


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_fifty_jobs_thousand_polls_and_a_restart(service_store, tmp_path):
    jobs_dir = tmp_path / "jobs"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start(service_store.root, jobs_dir, port)
    try:
        with httpx.Client(base_url=url, timeout=60) as client, ThreadPoolExecutor(8) as pool:
            responses = list(pool.map(lambda _: client.post("/api/jobs", json=JOB), range(50)))
            assert [r.status_code for r in responses] == [201] * 50
            ids = [r.json()["id"] for r in responses]
            assert len(set(ids)) == 50

            def poll(index: int) -> float:
                begin = time.perf_counter()
                response = client.get(f"/api/jobs/{ids[index % 50]}")
                assert response.status_code == 200 and response.json()["id"] == ids[index % 50]
                return time.perf_counter() - begin

            latencies = np.array(list(pool.map(poll, range(1000))))
            jobs = wait_all(client, ids)
            assert len(jobs) == 50
            for job_id in ids:
                assert jobs[job_id]["status"] == "done", jobs[job_id]
                assert {"image.fits", "image.fits.png", "products.tar.gz"} <= set(jobs[job_id]["files"])
                assert sorted(os.listdir(jobs_dir / job_id)) == sorted(jobs[job_id]["files"] + ["progress.json"])
            p95 = float(np.percentile(latencies, 95))
            (tmp_path / "load-latency.json").write_text(json.dumps({"p50": float(np.median(latencies)), "p95": p95}))
            print(f"status polls: p50 {np.median(latencies) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms")

            # a second run, crashed in the middle
            more = [client.post("/api/jobs", json=JOB).json()["id"] for _ in range(12)]
            end = time.monotonic() + 300
            while time.monotonic() < end:
                states = [client.get(f"/api/jobs/{i}").json()["status"] for i in more]
                if "done" in states:
                    break
                time.sleep(0.2)
        crash(server)
        server = start(service_store.root, jobs_dir, port)
        with httpx.Client(base_url=url, timeout=60) as client:
            listed = {job["id"]: job for job in client.get("/api/jobs").json()}
            assert set(listed) == set(ids) | set(more)
            assert all(listed[i]["status"] == "done" for i in ids)
            finished = [i for i in more if listed[i]["status"] == "done"]
            interrupted = [i for i in more if listed[i]["status"] != "done"]
            assert finished and interrupted
            for job_id in interrupted:
                assert listed[job_id]["status"] == "failed"
                assert listed[job_id]["error"] == "interrupted: the server stopped before the job finished"
            for job_id in finished:
                name = "image.fits"
                assert client.get(f"/api/jobs/{job_id}/files/{name}").content[:6] == b"SIMPLE"
        # xmmframe submit (the Client) against the restarted server
        out = tmp_path / "downloads"
        assert main(["submit", url, "--obs", OBS, "--instrument", INSTRUMENT, "--expression", "PATTERN<=12",
                     "--products", "image", "--out", str(out), "--archive"]) == 0
        assert (out / "products.tar.gz").read_bytes()[:2] == b"\x1f\x8b"
        assert main(["submit", url, "--obs", OBS, "--instrument", INSTRUMENT, "--products", "spectrum"]) == 1
    finally:
        crash(server)
