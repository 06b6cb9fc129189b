"""End to end in a real browser: draw regions and brush a flare out on the exposure page, submit, download.

``xmmframe serve`` runs in its own process over a store holding the simulated observation's pn
exposure (the session's small deterministic simulation, ``tests/sim/simulated.py``); headless
Chromium opens the exposure page, draws a source circle on the brightest source and a background
annulus around it with the mouse, brushes a time range out of the flare light curve, unticks the
responses, submits, waits on the job page and downloads the source and background spectra.  Their
counts, EXPOSURE and BACKSCAL must be those the library makes from the original event file for
the same regions and GTI.  Screenshots of each page go to ``tests/artifacts``.
"""

from __future__ import annotations

import json
import math
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

import xmmframe
from xmmframe import GTI
from xmmframe.products import flare_gti
from tests.browser import (brightest, browser_errors, canvas_to_viewport, drag, image_geometry, press, rect,
                           screenshot, viewport_to_canvas, wait_ready)
from tests.sim.simulated import build

pytestmark = pytest.mark.filterwarnings("ignore::xmmframe.errors.CalibrationWarning")

ROOT = Path(__file__).resolve().parents[2]
#: The exposure page's default selection for pn: FLAG #XMMEA_EP, PATTERN<=12, PI 500-10000 eV.
EXPRESSION = "#XMMEA_EP && (PATTERN<=12) && (PI in [500:10000])"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get_json(url: str):
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def pn_file(tmp_path_factory) -> str:
    return build(str(tmp_path_factory.getbasetemp() / "simulated-observation")).event_files["EPN"]


@pytest.fixture(scope="module")
def served(pn_file, tmp_path_factory):
    """``xmmframe serve`` over a store of the simulated pn exposure; yields its base URL."""
    from xmmframe.store import ingest

    folder = tmp_path_factory.mktemp("e2e")
    ingest([pn_file], folder / "store")
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    log = open(folder / "serve.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-c", "import sys; from xmmframe.cli.main import main; sys.exit(main(sys.argv[1:]))",
         "serve", "--store", str(folder / "store"), "--jobs-dir", str(folder / "jobs"), "--port", str(port),
         "--max-jobs", "1"], stdout=log, stderr=subprocess.STDOUT, env=env, cwd=folder)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            if process.poll() is not None:
                raise AssertionError(f"xmmframe serve exited: {(folder / 'serve.log').read_text()}")
            try:
                _get_json(url + "/api/observations")
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("xmmframe serve did not answer in 60 s")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _field(driver, element_id: str) -> str:
    return driver.find_element(By.ID, element_id).get_attribute("value")


def test_regions_and_gti_drawn_in_the_browser_make_the_library_spectrum(chromium, served, pn_file):
    events = xmmframe.open_events(pn_file)
    listing = _get_json(served + "/api/observations")
    rows = listing["observations"] if isinstance(listing, dict) else listing
    (row,) = [r for r in rows if r["instrume"] == "EPN"]
    page = chromium
    page.get(f"{served}/exposures/{row['obs_id']}/EPN?expid={row['expid']}")
    wait_ready(page)
    image = _get_json(f"{served}/api/exposures/{row['obs_id']}/EPN/image.json?expid={row['expid']}")
    curve = _get_json(f"{served}/api/exposures/{row['obs_id']}/EPN/lightcurve.json?expid={row['expid']}")
    screenshot(page, "e2e-exposure-page")

    # source circle on the brightest source, background annulus around it
    box = rect(page, "canvas.xmm-image")
    physical = image_geometry(image, box)
    press(page, 'button[data-tool="circle"]')
    press(page, 'button[data-role="source"]')
    centre = canvas_to_viewport(box, *brightest(image, box))
    edge = (centre[0] + 6, centre[1] + 2)
    drag(page, [centre, (centre[0] + 3, centre[1] + 1), edge])
    press(page, 'button[data-tool="annulus"]')
    press(page, 'button[data-role="background"]')
    outer = (centre[0] + 12, centre[1] - 14)
    drag(page, [centre, outer])
    # brush 2400-3100 s out of the light curve
    press(page, 'button[data-brush="drop"]')
    lc = rect(page, "canvas.xmm-lightcurve")
    geometry = page.execute_script(
        "const d = document.querySelector('canvas.xmm-lightcurve').dataset;"
        "return {t0: +d.t0, t1: +d.t1, left: +d.left, right: +d.right};")
    span = lc["w"] - geometry["left"] - geometry["right"]

    def x_of(t: float) -> float:
        return geometry["left"] + (t - geometry["t0"]) / (geometry["t1"] - geometry["t0"]) * span

    def t_of(x: float) -> float:
        return round(geometry["t0"] + (x - geometry["left"]) / span * (geometry["t1"] - geometry["t0"]), 3)

    a = canvas_to_viewport(lc, x_of(curve["tstart"] + 2400.0), 110)
    b = canvas_to_viewport(lc, x_of(curve["tstart"] + 3100.0), 115)
    drag(page, [a, b])

    # the form now holds the drawn regions and the GTI
    x0, y0 = physical(*viewport_to_canvas(box, *centre))
    x1, y1 = physical(*viewport_to_canvas(box, *edge))
    x2, y2 = physical(*viewport_to_canvas(box, *outer))
    r, r_out = math.hypot(x1 - x0, y1 - y0), math.hypot(x2 - x0, y2 - y0)
    source, background, gti_text = _field(page, "source"), _field(page, "background"), _field(page, "gti")
    src = [float(v) for v in source[len("circle("):-1].split(",")]
    bkg = [float(v) for v in background[len("annulus("):-1].split(",")]
    assert src == pytest.approx([x0, y0, r], abs=0.006)
    assert bkg == pytest.approx([x0, y0, r_out / 2, r_out], abs=0.006)
    cut = GTI([t_of(viewport_to_canvas(lc, *a)[0])], [t_of(viewport_to_canvas(lc, *b)[0])])
    gti = GTI(*zip(*json.loads(gti_text))) if gti_text else GTI.empty()
    assert gti == flare_gti(events).gti & cut.complement()
    screenshot(page, "e2e-drawn")

    for product in ("rmf", "arf"):      # the spectra are what is compared; responses take longer
        box_ = page.find_element(By.CSS_SELECTOR, f'input[name="products"][value="{product}"]')
        if box_.is_selected():
            box_.click()
    page.find_element(By.ID, "submit").click()
    WebDriverWait(page, 30).until(lambda d: "/jobs/" in d.current_url)
    WebDriverWait(page, 300).until(
        lambda d: d.find_element(By.ID, "status").text in ("done", "failed"))
    assert page.find_element(By.ID, "status").text == "done", page.find_element(By.ID, "error").text
    WebDriverWait(page, 30).until(lambda d: d.find_elements(By.LINK_TEXT, "bkg.pha"))
    screenshot(page, "e2e-job")

    for old in page.download_dir.glob("*"):
        old.unlink()
    for name in ("src.pha", "bkg.pha"):
        page.find_element(By.LINK_TEXT, name).click()
    downloaded = {}
    for name in ("src.pha", "bkg.pha"):
        path = page.download_dir / name
        for _ in range(300):
            if path.exists() and not list(page.download_dir.glob("*.crdownload")):
                break
            time.sleep(0.1)
        downloaded[name] = path

    for name, shape in (("src.pha", source), ("bkg.pha", background)):
        selection = f"({EXPRESSION}) && ((X,Y) in {shape})"
        expected = events.spectrum(selection=selection, gti=gti).backscale(events)
        with fits.open(downloaded[name]) as hdul:
            table = hdul["SPECTRUM"]
            np.testing.assert_array_equal(table.data["COUNTS"], expected.counts)
            assert table.header["EXPOSURE"] == pytest.approx(expected.exposure, rel=1e-12)
            assert table.header["BACKSCAL"] == pytest.approx(expected.backscal, rel=1e-12)
        assert expected.counts.sum() > 0
    # the brushed range and the flares are out: less exposure than the whole exposure
    assert expected.exposure < events.spectrum(selection=f"({EXPRESSION})").exposure
    assert browser_errors(page) == []
