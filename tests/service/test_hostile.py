"""Hostile requests get a 4xx answer with a clear message, and leave no job and no file behind."""

from __future__ import annotations

import os

import pytest

from tests.service.conftest import EXPRESSION, INSTRUMENT, OBS, SOURCE

GOOD = {"obs_id": OBS, "instrume": INSTRUMENT, "expression": EXPRESSION, "source": SOURCE, "products": ["spectrum"]}
JOB = "0123456789abcdef0123456789abcdef"


def snapshot(jobs) -> set[str]:
    return {os.path.relpath(os.path.join(d, f), jobs) for d, _, files in os.walk(jobs) for f in files
            if not f.startswith("jobs.sqlite")}


@pytest.fixture
def clean(api):
    client, jobs = api
    before = snapshot(jobs)
    yield client
    assert client.get("/api/jobs").json() == []
    assert snapshot(jobs) == before


@pytest.mark.parametrize("fields, status, words", [
    ({"obs_id": "../../etc"}, 422, "not an observation id"),
    ({"obs_id": "/etc/passwd"}, 422, "not an observation id"),
    ({"expid": "../S001"}, 422, "not an exposure id"),
    ({"instrume": "../EMOS1"}, 422, "not one of"),
    ({"obs_id": "0000000000"}, 404, "no exposure"),
    ({"expression": "#XMMEA_EM && gti(../../etc/passwd,TIME)"}, 422, "file references"),
    ({"expression": "region(/etc/passwd)"}, 422, "file references"),
    ({"expression": "PI > 500 &&"}, 422, "expression"),
    ({"expression": "__import__('os').system('true')"}, 422, "expression"),
    ({"expression": "P" * 100_000}, 422, "more than the limit"),
    ({"source": "circle(1,2"}, 422, "source"),
    ({"source": "image;circle(1,2,3)"}, 422, "image"),
    ({"source": "polygon(" + ",".join(["1,1,2,1,2,2"] * 4000) + ")"}, 422, "vertices"),
    ({"gti": [[2.0, 1.0]]}, 422, "start < stop"),
    ({"gti": "../gti.fits"}, 422, "gti"),
    ({"products": ["spectrum", "../../x"]}, 422, "unknown"),
    ({"products": ["rmf"]}, 422, "spectrum"),
    ({"timebinsize": 1e-6, "products": ["lightcurve"]}, 422, "bins"),
    ({"unknown": 1}, 422, "unknown field"),
])
def test_bad_job_requests(clean, fields, status, words):
    response = clean.post("/api/jobs", json=GOOD | fields)
    assert response.status_code == status, response.text
    assert words in response.json()["error"]


def test_ten_megabyte_expression_and_million_vertex_polygon(clean):
    response = clean.post("/api/jobs", json=GOOD | {"expression": "PI>1 && " * ((10 << 20) // 8)})
    assert response.status_code == 413 and "larger than the limit" in response.json()["error"]
    polygon = "polygon(" + ",".join(["1,1"] * 1_000_000) + ")"
    response = clean.post("/api/jobs", json=GOOD | {"source": polygon})
    assert response.status_code == 422 and "vertices" in response.json()["error"], response.text[:200]


@pytest.mark.parametrize("body", [b"{", b"not json", b"\xff\xfe", b"[1, 2]", b'{"obs_id": '])
def test_malformed_json(clean, body):
    response = clean.post("/api/jobs", content=body, headers={"content-type": "application/json"})
    assert response.status_code in (400, 422)
    assert "JSON" in response.json()["error"]


@pytest.mark.parametrize("path", [
    f"/api/jobs/{JOB}/files/..%2Fjobs.sqlite", f"/api/jobs/{JOB}/files/../../jobs.sqlite",
    f"/api/jobs/{JOB}/files/%2Fetc%2Fpasswd", f"/api/jobs/{JOB}/files/.progress.json",
    "/api/jobs/..%2F..%2Fetc/files/passwd", f"/api/jobs/{JOB}", "/api/jobs/..", "/api/jobs/%2Fetc%2Fpasswd",
    "/api/exposures/..%2F..%2Fetc/EMOS1/image.png", f"/api/exposures/{OBS}/EMOS1/..%2F..%2Fjobs.sqlite",
    f"/api/exposures/{OBS}/EMOS1/image.png?expid=../../x", "/static/..%2F..%2Fapp.py", "/jobs/..%2Fjobs.sqlite",
])
def test_path_traversal(clean, path):
    response = clean.get(path)
    assert 400 <= response.status_code < 500, (path, response.status_code)
    assert b"root:" not in response.content and b"SQLite" not in response.content


def test_symlink_in_a_job_folder_is_not_followed(api, tmp_path):
    client, jobs = api
    response = client.post("/api/jobs", json={"obs_id": OBS, "instrume": INSTRUMENT, "products": ["image"],
                                              "imagebinsize": 2000})
    job_id = response.json()["id"]
    from tests.service.conftest import wait_for

    assert wait_for(client, job_id)["status"] == "done"
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    os.symlink(secret, jobs / job_id / "link.txt")
    assert client.get(f"/api/jobs/{job_id}/files/link.txt").status_code == 404
    assert client.delete(f"/api/jobs/{job_id}").status_code == 204
    assert client.get(f"/api/jobs/{job_id}").status_code == 404
    assert not (jobs / job_id).exists() and secret.exists()


def test_wrong_token(service_store, tmp_path):
    from starlette.testclient import TestClient

    from xmmframe.service import create_app

    app = create_app(service_store, tmp_path / "jobs", token="a-token-of-32-characters-000000")
    with TestClient(app) as client:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic x"}):
            response = client.post("/api/jobs", json=GOOD, headers=headers)
            assert response.status_code == 401 and "token" in response.json()["error"]
            assert client.get("/api/jobs", headers=headers).status_code == 401
        assert client.get("/", follow_redirects=False).status_code == 303
        assert client.post("/login", data={"token": "wrong"}).status_code == 401
        ok = {"Authorization": "Bearer a-token-of-32-characters-000000"}
        assert client.get("/api/jobs", headers=ok).json() == []
        # the cookie alone does not allow a state-changing API call without the CSRF token
        assert client.post("/login", data={"token": "a-token-of-32-characters-000000"},
                           follow_redirects=False).status_code == 303
        assert client.get("/").status_code == 200
        response = client.post("/api/jobs", json=GOOD)
        assert response.status_code == 401
        form = client.post(f"/exposures/{OBS}/{INSTRUMENT}/jobs", data={"products": "image", "csrf_token": "x"})
        assert form.status_code == 403 and "CSRF" in form.text
    assert os.listdir(tmp_path / "jobs") == [".views", "jobs.sqlite"] or "jobs.sqlite" in os.listdir(tmp_path / "jobs")


def test_too_many_jobs_of_one_client(service_store, tmp_path):
    from starlette.testclient import TestClient

    from xmmframe.service import ServiceLimits, create_app

    app = create_app(service_store, tmp_path / "jobs", limits=ServiceLimits(max_client_jobs=0))
    with TestClient(app) as client:
        response = client.post("/api/jobs", json=GOOD)
        assert response.status_code == 429 and "limit" in response.json()["error"]
        assert client.get("/api/jobs").json() == []
