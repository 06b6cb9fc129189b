"""Jobs on a Dask cluster give the same files as on the local pool; the job run-time limit."""

from __future__ import annotations

import io
import time
import warnings

import numpy as np
import pytest
from astropy.io import fits
from starlette.testclient import TestClient

from tests.service.conftest import EXPRESSION, INSTRUMENT, OBS, SOURCE, wait_for
from xmmframe.errors import XmmframeError
from xmmframe.service import ServiceLimits, create_app
from xmmframe.service.worker import JobTimeout, time_limit

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::xmmframe.errors.CalibrationWarning")
JOB = {"obs_id": OBS, "instrume": INSTRUMENT, "expression": EXPRESSION, "source": SOURCE,
       "products": ["lightcurve", "image"], "timebinsize": 1000, "imagebinsize": 400}


def run_one(app, body):
    with TestClient(app) as client:
        response = client.post("/api/jobs", json=body)
        assert response.status_code == 201, response.text
        job = wait_for(client, response.json()["id"])
        files = {name: client.get(f"/api/jobs/{job['id']}/files/{name}").content for name in job["files"]}
    return job, files


def test_dask_executor_makes_the_local_pools_files(service_store, tmp_path):
    pytest.importorskip("dask.distributed")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dask_job, dask_files = run_one(create_app(service_store, tmp_path / "dask", executor="dask", max_jobs=1), JOB)
    local_job, local_files = run_one(create_app(service_store, tmp_path / "local", max_jobs=1), JOB)
    assert dask_job["status"] == local_job["status"] == "done", (dask_job, local_job)
    assert dask_job["files"] == local_job["files"]
    for name in ("src.lc", "image.fits"):
        with fits.open(io.BytesIO(dask_files[name])) as a, fits.open(io.BytesIO(local_files[name])) as b:
            for ha, hb in zip(a, b):
                if ha.data is not None:
                    assert np.array_equal(np.asarray(ha.data), np.asarray(hb.data)), name


@pytest.mark.parametrize("handled", [Exception, XmmframeError])
def test_the_time_limit_is_not_swallowed_by_error_handlers(handled):
    carried_on = False
    with pytest.raises(JobTimeout, match="limit of 0.05 s"):
        with time_limit(0.05):
            try:
                time.sleep(5)  # the timer fires here, inside a handler of the library's errors
            except handled:
                pass
            carried_on = True
    assert not carried_on


def test_a_job_over_the_time_limit_fails_with_the_reason(service_store, tmp_path):
    app = create_app(service_store, tmp_path / "jobs", max_jobs=1, limits=ServiceLimits(max_job_seconds=0.2))
    job, files = run_one(app, JOB | {"products": ["spectrum", "rmf", "arf"]})
    assert job["status"] == "failed"
    assert job["error"] == "JobTimeout: the job ran longer than the limit of 0.2 s"
    assert "src.arf" not in files
