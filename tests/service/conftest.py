"""A small event store of one real event list (PPS MOS1 of obs 0001730201) and a service over it.

The store is ingested once per session; the application (a Starlette TestClient, with a local
pool of one worker process) is shared by the API tests of a module.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import pytest

import xmmframe.store as xstore

EVENTS = "exod/0001730201/P0001730201M1S002MIEVLI.FTZ"
OBS, INSTRUMENT = "0001730201", "EMOS1"
EXPRESSION = "#XMMEA_EM && (PATTERN<=12) && (PI in [500:10000])"
SOURCE = "circle(24635.6,24158.8,200)"
BACKGROUND = "annulus(24635.6,24158.8,300,600)"


@pytest.fixture(scope="session")
def event_file(refdata: Path) -> Path:
    """The real event list the store holds."""
    return refdata / EVENTS


@pytest.fixture(scope="session")
def service_store(event_file: Path, tmp_path_factory: pytest.TempPathFactory) -> xstore.Store:
    """The store, ingested once."""
    root = tmp_path_factory.mktemp("service") / "store"
    report = xstore.ingest([str(event_file)], root)
    assert len(report.ingested) == 1
    return xstore.open_store(root)


def wait_for(client, job_id: str, timeout: float = 300.0) -> dict:
    """Poll a job through a test client until it ends."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        job = client.get(f"/api/jobs/{job_id}").json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not end in {timeout} s")


@pytest.fixture(scope="module")
def api(service_store, tmp_path_factory):
    """A TestClient of the service (one worker process) and its jobs directory."""
    from starlette.testclient import TestClient

    from xmmframe.service import create_app

    jobs = tmp_path_factory.mktemp("jobs")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        app = create_app(service_store, jobs, max_jobs=1)
        with TestClient(app) as client:
            yield client, jobs
