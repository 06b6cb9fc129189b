"""The pages: observations search, the exposure view with the RISA form, jobs and the job page;
the form submits a job (CSRF-checked) whose products match the library's; GTIs as intervals and
"flare"; the OpenAPI description."""

from __future__ import annotations

import re

import numpy as np
import pytest
from astropy.io import fits

from tests.service.conftest import BACKGROUND, EXPRESSION, INSTRUMENT, OBS, SOURCE, wait_for
from xmmframe.io.events import open_events
from xmmframe.model.gti import GTI
from xmmframe.products.gti_from_rate import flare_gti

pytestmark = pytest.mark.filterwarnings("ignore::xmmframe.errors.CalibrationWarning")


def rows(html: str) -> list[str]:
    return re.findall(r'href="/exposures/([^"]+)"', html)


def test_observation_search(api, service_store):
    client, _ = api
    everything = client.get("/api/observations").json()
    assert [(r["obs_id"], r["instrume"], r["expid"], r["events"]) for r in everything] == \
        [(OBS, INSTRUMENT, "S001", 134685)]
    assert everything[0]["object"] == "HD159176"
    assert client.get("/api/observations", params={"obs_id": "00017302"}).json() == everything
    assert client.get("/api/observations", params={"obs_id": "0999"}).json() == []
    assert client.get("/api/observations", params={"object": "hd159"}).json() == everything
    assert client.get("/api/observations", params={"object": "Crab"}).json() == []
    assert client.get("/api/observations", params={"ra": 263.66, "dec": -32.56, "radius": 0.1}).json() == everything
    assert client.get("/api/observations", params={"ra": 83.63, "dec": 22.01, "radius": 0.1}).json() == []
    assert client.get("/api/observations", params={"ra": 83.63}).status_code == 400
    assert client.get("/api/observations", params={"dec": "x", "ra": 1}).status_code == 400
    page = client.get("/", params={"object": "HD"}).text
    assert rows(page) == [f"{OBS}/{INSTRUMENT}?expid=S001"]
    assert rows(client.get("/", params={"object": "Crab"}).text) == []


def test_exposure_page_and_form_submission(api, event_file, tmp_path):
    client, _ = api
    page = client.get(f"/exposures/{OBS}/{INSTRUMENT}", params={"expid": "S001"}).text
    assert 'src="/static/viewer.js"' in page and "XmmViewer.mount" in page
    assert "image.json" in page and "lightcurve.json" in page
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page).group(1)
    form = {"csrf_token": token, "expid": "S001", "flag": "#XMMEA_EM", "pattern": "<=12", "pi_min": "500",
            "pi_max": "10000", "products": ["spectrum"], "source": SOURCE, "background": BACKGROUND,
            "gti": "[[100530000.0, 100545000.0]]", "timebinsize": "100"}
    bad = client.post(f"/exposures/{OBS}/{INSTRUMENT}/jobs", data=form | {"csrf_token": "0" * 64},
                      follow_redirects=False)
    assert bad.status_code == 403
    response = client.post(f"/exposures/{OBS}/{INSTRUMENT}/jobs", data=form, follow_redirects=False)
    assert response.status_code == 303
    job_id = response.headers["location"].rsplit("/", 1)[1]
    job = wait_for(client, job_id)
    assert job["status"] == "done", job
    assert job["request"]["selection"] == EXPRESSION
    assert job_id in client.get("/jobs").text
    job_page = client.get(f"/jobs/{job_id}").text
    assert '"/api/jobs/" + id' in job_page and "src.pha" in job_page
    log = client.get(f"/api/jobs/{job_id}/log").text
    assert "src.pha" in log and "done in" in log
    # the spectrum is the library's for the same selection, region and GTI
    (tmp_path / "src.pha").write_bytes(client.get(f"/api/jobs/{job_id}/files/src.pha").content)
    events = open_events(event_file)
    gti = GTI([100530000.0], [100545000.0])
    expected = events.spectrum(5, selection=f"({EXPRESSION}) && ((X,Y) in {SOURCE})", gti=gti)
    with fits.open(tmp_path / "src.pha") as hdus:
        spectrum = hdus["SPECTRUM"]
        assert spectrum.data["COUNTS"].sum() == expected.counts.sum() > 0
        assert spectrum.header["EXPOSURE"] == pytest.approx(expected.exposure, rel=1e-12)
        assert spectrum.header["EXPOSURE"] < 15000.0


def test_flare_gti(api, event_file, tmp_path):
    client, _ = api
    response = client.post("/api/jobs", json={"obs_id": OBS, "instrume": INSTRUMENT, "expression": EXPRESSION,
                                              "products": ["image"], "gti": "flare", "imagebinsize": 400})
    job = wait_for(client, response.json()["id"])
    assert job["status"] == "done", job
    (tmp_path / "gti.fits").write_bytes(client.get(f"/api/jobs/{job['id']}/files/gti.fits").content)
    expected = flare_gti(open_events(event_file)).gti
    ours = GTI.read(str(tmp_path / "gti.fits"))
    np.testing.assert_array_equal(ours.start, expected.start)
    np.testing.assert_array_equal(ours.stop, expected.stop)


def test_openapi_describes_the_routes(api):
    client, _ = api
    spec = client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    for path in ("/api/jobs", "/api/jobs/{job_id}", "/api/jobs/{job_id}/files/{name}", "/api/observations",
                 "/api/exposures/{obs_id}/{instrume}/image.png", "/api/exposures/{obs_id}/{instrume}/lightcurve.json"):
        assert path in spec["paths"]
    request = spec["components"]["schemas"]["JobRequest"]
    assert set(request["required"]) == {"obs_id", "instrume", "products"}
    assert request["properties"]["products"]["items"]["enum"] == ["spectrum", "rmf", "arf", "lightcurve", "image",
                                                                   "events"]


def test_exposure_images(api, event_file):
    client, _ = api
    png = client.get(f"/api/exposures/{OBS}/{INSTRUMENT}/image.png")
    assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    image = client.get(f"/api/exposures/{OBS}/{INSTRUMENT}/image.fits", params={"bin": 80})
    assert image.content[:6] == b"SIMPLE"
    payload = client.get(f"/api/exposures/{OBS}/{INSTRUMENT}/image.json").json()
    assert payload["nx"] * payload["ny"] == len(payload["data"])
    curve = client.get(f"/api/exposures/{OBS}/{INSTRUMENT}/lightcurve.json").json()
    assert curve["threshold"] == flare_gti(open_events(event_file)).threshold
    assert client.get(f"/api/exposures/{OBS}/{INSTRUMENT}/other.txt").status_code == 404
    assert client.get(f"/api/exposures/{OBS}/EPN/image.png").status_code == 404
