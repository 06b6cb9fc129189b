"""The viewer (static/viewer.js) in a real headless Chromium, driven with mouse and keyboard.

Every expectation is computed here from the mouse positions and the payload geometry (viewer.js
documents it), and the good times from the library's own screening (``flare_gti``, ``GTI``) or
from SAS's products in the reference data.
"""

from __future__ import annotations

import math
from importlib import resources

import numpy as np
import pytest
from astropy.io import fits
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.actions.wheel_input import ScrollOrigin
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

import xmmframe
from xmmframe import GTI
from xmmframe.products import flare_gti
from xmmframe.service.viewdata import image_payload, lightcurve_payload
from tests.browser import (PageServer, brightest, browser_errors, canvas_to_viewport, click_at, drag,
                           image_geometry, press, rect, screenshot, viewport_to_canvas, wait_ready)
from tests.sim.simulated import build

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>viewer</title>
<link rel="stylesheet" href="/static/viewer.css"><style>body { margin: 0 }</style>
<script src="/static/viewer.js"></script></head>
<body><div id="viewer"></div>
<script>
window.states = [];
window.viewer = XmmViewer.mount(document.getElementById("viewer"), {
  image: "/image.json", lightcurve: "/lightcurve.json", regions: "", gti: null,
  onChange: (state) => window.states.push(state),
});
</script></body></html>
"""


def _static(name: str) -> str:
    return resources.files("xmmframe.service").joinpath("static", name).read_text()


@pytest.fixture(scope="module")
def pn(tmp_path_factory):
    return build(str(tmp_path_factory.getbasetemp() / "simulated-observation")).events["EPN"]


@pytest.fixture(scope="module")
def payloads(pn):
    return image_payload(pn), lightcurve_payload(pn)


@pytest.fixture(scope="module")
def server(payloads):
    server = PageServer()
    server.add("/static/viewer.js", _static("viewer.js"))
    server.add("/static/viewer.css", _static("viewer.css"))
    server.add("/image.json", payloads[0])
    server.add("/lightcurve.json", payloads[1])
    server.add("/index.html", PAGE)
    yield server
    server.close()


@pytest.fixture()
def page(chromium, server):
    chromium.get(server.url + "/index.html")
    wait_ready(chromium)
    yield chromium
    assert browser_errors(chromium) == []


def state(driver):
    return driver.execute_script("return window.viewer.state()")


def last_reported(driver):
    return driver.execute_script("return window.states[window.states.length - 1]")


def params(text: str) -> list[float]:
    return [float(v) for v in text[text.index("(") + 1:-1].split(",")]


def lc_time(driver, px: float) -> float:
    """The time the light-curve canvas shows at canvas x (from its data-* geometry)."""
    g = driver.execute_script("const d = document.querySelector('canvas.xmm-lightcurve').dataset;"
                              "return {t0: +d.t0, t1: +d.t1, left: +d.left, right: +d.right};")
    width = rect(driver, "canvas.xmm-lightcurve")["w"]
    return g["t0"] + (px - g["left"]) / (width - g["right"] - g["left"]) * (g["t1"] - g["t0"])


def lc_x(driver, t: float) -> float:
    g = driver.execute_script("const d = document.querySelector('canvas.xmm-lightcurve').dataset;"
                              "return {t0: +d.t0, t1: +d.t1, left: +d.left, right: +d.right};")
    width = rect(driver, "canvas.xmm-lightcurve")["w"]
    return g["left"] + (t - g["t0"]) / (g["t1"] - g["t0"]) * (width - g["right"] - g["left"])


def gti_of(intervals) -> GTI:
    return GTI([a for a, _ in intervals], [b for _, b in intervals])


def test_source_background_and_a_brushed_flare(page, pn, payloads):
    image, curve = payloads
    # on load: the tabgtigen GTI of the flare curve, as the library screens it
    screening = flare_gti(pn)
    first = last_reported(page)
    assert gti_of(first["gti"]) == screening.gti
    span = GTI([curve["tstart"]], [curve["tstop"]])
    assert first["exposure"] == pytest.approx((screening.gti & span).duration, abs=1e-6)
    assert first["source"] is None and first["background"] is None

    box = rect(page, "canvas.xmm-image")
    physical = image_geometry(image, box)
    press(page, 'button[data-tool="circle"]')
    press(page, 'button[data-role="source"]')
    centre = canvas_to_viewport(box, *brightest(image, box))
    edge = (centre[0] + 9, centre[1] - 4)
    drag(page, [centre, (centre[0] + 4, centre[1]), edge])
    press(page, 'button[data-tool="annulus"]')
    press(page, 'button[data-role="background"]')
    outer = (centre[0] - 15, centre[1] + 20)
    drag(page, [centre, outer])

    press(page, 'button[data-brush="drop"]')
    lc = rect(page, "canvas.xmm-lightcurve")
    t_from, t_to = curve["tstart"] + 2400.0, curve["tstart"] + 3100.0
    a = canvas_to_viewport(lc, lc_x(page, t_from), 120)
    b = canvas_to_viewport(lc, lc_x(page, t_to), 125)
    drag(page, [a, ((a[0] + b[0]) // 2, 122), b])
    screenshot(page, "viewer-source-background-brush")

    got = state(page)
    assert got == last_reported(page)
    x0, y0 = physical(*viewport_to_canvas(box, *centre))
    x1, y1 = physical(*viewport_to_canvas(box, *edge))
    x2, y2 = physical(*viewport_to_canvas(box, *outer))
    assert params(got["source"]) == pytest.approx([x0, y0, math.hypot(x1 - x0, y1 - y0)], abs=0.006)
    r_out = math.hypot(x2 - x0, y2 - y0)
    assert got["background"].startswith("annulus(")
    assert params(got["background"]) == pytest.approx([x0, y0, r_out / 2, r_out], abs=0.006)
    lines = got["regions"].splitlines()
    assert lines[2] == "physical"
    assert lines[3:] == [f"{got['source']} # color=green tag={{source}}",
                         f"{got['background']} # color=red tag={{background}}"]

    cut_from = round(lc_time(page, viewport_to_canvas(lc, *a)[0]), 3)
    cut_to = round(lc_time(page, viewport_to_canvas(lc, *b)[0]), 3)
    assert cut_from == pytest.approx(t_from, abs=10) and cut_to == pytest.approx(t_to, abs=10)
    expected = screening.gti & GTI([cut_from], [cut_to]).complement()
    np.testing.assert_allclose(np.array(got["gti"]), np.array(expected.intervals), rtol=0, atol=1e-6)
    assert got["exposure"] == pytest.approx((expected & span).duration, abs=1e-5)
    shown = page.find_element(By.CSS_SELECTOR, ".xmm-exposure").text
    assert float(shown) == pytest.approx(got["exposure"], abs=1e-3)
    assert page.find_element(By.CSS_SELECTOR, ".xmm-gti").text.count("[") == len(expected)

    # brushing back in with "keep" adds the range (and a flare) to the good times
    press(page, 'button[data-brush="keep"]')
    k0 = canvas_to_viewport(lc, lc_x(page, curve["tstart"] + 1250.0), 120)
    k1 = canvas_to_viewport(lc, lc_x(page, curve["tstart"] + 3000.0), 120)
    drag(page, [k0, k1])
    keep = GTI([round(lc_time(page, viewport_to_canvas(lc, *p)[0]), 3) for p in (k0,)],
               [round(lc_time(page, viewport_to_canvas(lc, *p)[0]), 3) for p in (k1,)])
    np.testing.assert_allclose(np.array(state(page)["gti"]), np.array((expected | keep).intervals),
                               rtol=0, atol=1e-6)
    press(page, "button.xmm-reset-gti")
    assert gti_of(state(page)["gti"]) == screening.gti


def test_the_threshold_typed_or_dragged(page, pn, payloads):
    field = page.find_element(By.CSS_SELECTOR, "input.xmm-threshold")
    assert float(field.get_attribute("value")) == 0.4
    field.clear()
    field.send_keys("0.9", Keys.TAB)
    assert gti_of(state(page)["gti"]) == flare_gti(pn, threshold=0.9).gti
    # drag the threshold line down to a pixel row: the new threshold is that row's rate
    lc = rect(page, "canvas.xmm-lightcurve")
    g = page.execute_script(
        "return Object.assign({}, document.querySelector('canvas.xmm-lightcurve').dataset)")
    top, bottom, rmax = float(g["top"]), lc["h"] - float(g["bottom"]), float(g["rmax"])
    line_y = bottom - 0.9 / rmax * (bottom - top)
    start = canvas_to_viewport(lc, 300, line_y)
    end = (start[0], start[1] + 40)
    drag(page, [start, (start[0], start[1] + 20), end])
    y = viewport_to_canvas(lc, *end)[1]
    threshold = round((bottom - y) / (bottom - top) * rmax, 4)
    assert float(field.get_attribute("value")) == pytest.approx(threshold, abs=1e-9)
    assert gti_of(state(page)["gti"]) == flare_gti(pn, threshold=threshold).gti
    screenshot(page, "viewer-threshold")


def test_regions_typed_loaded_and_saved(page, tmp_path):
    area = page.find_element(By.CSS_SELECTOR, "textarea.xmm-regions")
    text = ("# typed\nphysical\ncircle(25000.5,26000,300)\nbox(24000,25000,400,200,30) # background\n"
            "ellipse(23000,24000,300,150,20)\npolygon(22000,23000,22500,23000,22500,23600)\n")
    area.clear()
    area.send_keys(text)
    page.find_element(By.CSS_SELECTOR, "input.xmm-threshold").click()   # leaving the field applies it
    got = state(page)
    assert got["source"] == "polygon(22000,23000,22500,23000,22500,23600)"
    assert got["background"] == "box(24000,25000,400,200,30)"
    assert got["regions"].splitlines()[3:] == [
        "circle(25000.5,26000,300) # color=green tag={source}",
        "box(24000,25000,400,200,30) # color=red tag={background}",
        "ellipse(23000,24000,300,150,20) # color=green tag={source}",
        "polygon(22000,23000,22500,23000,22500,23600) # color=green tag={source}",
    ]
    # a line that is not a region is refused with its line number, and the shapes stay
    page.execute_script("arguments[0].value = 'physical\\ncircle(1,2)\\nfk5;circle(1,2,3)'; "
                        "arguments[0].dispatchEvent(new Event('change'))", area)
    error = page.find_element(By.CSS_SELECTOR, ".xmm-region-error").text
    assert "line 2: circle takes 3 numbers, got 2" in error and 'line 3: "fk5" coordinates' in error
    assert state(page)["regions"] == got["regions"]

    region_file = tmp_path / "loaded.reg"
    region_file.write_text("physical\nannulus(24100,25100,100,250) # tag={background}\n")
    page.find_element(By.CSS_SELECTOR, "input.xmm-region-file").send_keys(str(region_file))
    page.execute_script("return 1")
    loaded = state(page)
    assert loaded["background"] == "annulus(24100,25100,100,250)" and loaded["source"] is None

    for old in page.download_dir.glob("*"):
        old.unlink()
    press(page, "button.xmm-save-regions")
    saved = page.download_dir / "regions.reg"
    for _ in range(100):
        if saved.exists() and saved.stat().st_size:
            break
        page.execute_script("return new Promise(r => setTimeout(r, 50))")
    assert saved.read_text() == loaded["regions"]
    # and the saved file is a ds9 file the library reads as the same shape
    region = xmmframe.select.Region.read(saved)
    assert region.to_sas() == "((X,Y) in annulus(24100,25100,100,250))"


def test_zoom_pan_move_delete_and_the_other_shapes(page, payloads):
    image, _ = payloads
    box = rect(page, "canvas.xmm-image")
    canvas = page.find_element(By.CSS_SELECTOR, "canvas.xmm-image")
    first = page.execute_script("return window.viewer.view()")
    cursor = canvas_to_viewport(box, 200, 330)
    ActionChains(page).scroll_from_origin(ScrollOrigin.from_viewport(*cursor), 0, -120).perform()
    zoomed = page.execute_script("return window.viewer.view()")
    assert zoomed["zoom"] == pytest.approx(first["zoom"] * 1.25)
    # zooming keeps the physical point under the cursor
    under = viewport_to_canvas(box, *cursor)
    physical = image_geometry(image, box, zoomed)
    assert physical(*under) == pytest.approx(image_geometry(image, box)(*under), abs=1e-6)

    press(page, 'button[data-tool="pan"]')
    p0 = canvas_to_viewport(box, 100, 100)
    drag(page, [p0, (p0[0] + 30, p0[1] + 10)])
    panned = page.execute_script("return window.viewer.view()")
    step = image["bin"] / zoomed["zoom"]
    assert (panned["cx"], panned["cy"]) == pytest.approx((zoomed["cx"] - 30 * step, zoomed["cy"] + 10 * step))
    physical = image_geometry(image, box, panned)

    press(page, 'button[data-tool="box"]')
    c1, c2 = canvas_to_viewport(box, 150, 150), canvas_to_viewport(box, 190, 170)
    drag(page, [c1, c2])
    (bx0, by0), (bx1, by1) = (physical(*viewport_to_canvas(box, *p)) for p in (c1, c2))
    assert params(state(page)["source"]) == pytest.approx(
        [(bx0 + bx1) / 2, (by0 + by1) / 2, abs(bx1 - bx0), abs(by1 - by0), 0], abs=0.006)

    press(page, 'button[data-tool="ellipse"]')
    e1, e2 = canvas_to_viewport(box, 300, 300), canvas_to_viewport(box, 320, 290)
    drag(page, [e1, e2])
    (ex0, ey0), (ex1, ey1) = (physical(*viewport_to_canvas(box, *p)) for p in (e1, e2))
    assert params(state(page)["source"]) == pytest.approx([ex0, ey0, abs(ex1 - ex0), abs(ey1 - ey0), 0],
                                                          abs=0.006)

    press(page, 'button[data-tool="polygon"]')
    vertices = [canvas_to_viewport(box, x, y) for x, y in ((400, 400), (440, 400), (430, 450))]
    for v in vertices[:-1]:
        click_at(page, v)
    click_at(page, vertices[-1], double=True)
    expected = [c for v in vertices for c in physical(*viewport_to_canvas(box, *v))]
    assert params(state(page)["source"]) == pytest.approx(expected, abs=0.006)
    assert len(state(page)["regions"].splitlines()) == 6

    # move the ellipse with the pan tool, then delete it with the Delete key
    press(page, 'button[data-tool="pan"]')
    m1 = e1
    m2 = (e1[0] - 25, e1[1] + 15)
    drag(page, [m1, (m1[0] - 10, m1[1] + 5), m2])
    (mx0, my0), (mx1, my1) = (physical(*viewport_to_canvas(box, *p)) for p in (m1, m2))
    moved = [line for line in state(page)["regions"].splitlines() if line.startswith("ellipse(")]
    assert params(moved[0].split(" #")[0]) == pytest.approx(
        [ex0 + mx1 - mx0, ey0 + my1 - my0, abs(ex1 - ex0), abs(ey1 - ey0), 0], abs=0.02)
    canvas.send_keys(Keys.DELETE)
    assert not any(line.startswith("ellipse(") for line in state(page)["regions"].splitlines())
    assert len(state(page)["regions"].splitlines()) == 5
    screenshot(page, "viewer-shapes")


def test_the_scale_buttons_change_the_picture(page):
    def pixels():
        return page.execute_script(
            "const c = document.querySelector('canvas.xmm-image');"
            "return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data"
            ".filter((v, i) => i % 4 === 0)).reduce((a, b) => a + b, 0)")

    brightness = {}
    for scale in ("linear", "sqrt", "log"):
        press(page, f'button[data-scale="{scale}"]')
        assert page.find_element(By.CSS_SELECTOR, f'button[data-scale="{scale}"]').get_attribute("class") \
            == "xmm-active"
        brightness[scale] = pixels()
    # a counts image is mostly faint pixels: sqrt and log stretch them up
    assert brightness["linear"] < brightness["sqrt"] < brightness["log"]


def test_the_default_gti_is_sas_tabgtigen(chromium, refdata):
    """M1_gti.fits is SAS tabgtigen expression=RATE<=0.4 on the 100 s rate set M1_rate.fits."""
    events = xmmframe.open_events(refdata / "exod/0001730201/P0001730201M1S002MIEVLI.FTZ")
    server = PageServer()
    try:
        server.add("/static/viewer.js", _static("viewer.js"))
        server.add("/static/viewer.css", _static("viewer.css"))
        server.add("/image.json", image_payload(events))
        server.add("/lightcurve.json", lightcurve_payload(events, threshold=0.4))
        server.add("/index.html", PAGE)
        chromium.get(server.url + "/index.html")
        wait_ready(chromium)
        got = state(chromium)["gti"]
        with fits.open(refdata / "exod/0001730201/M1_gti.fits") as hdul:
            sas = np.column_stack([hdul[1].data["START"], hdul[1].data["STOP"]])
        np.testing.assert_allclose(np.array(got), sas, rtol=0, atol=1e-6)
        screenshot(chromium, "viewer-refdata-M1")
        assert browser_errors(chromium) == []
    finally:
        server.close()
