"""The widget's JavaScript in a real (headless) Chromium: a circle drawn with the mouse comes back to Python.

The page hosts the widget's ES module (``Viewer._esm``: viewer.js + widget.js, exactly what
anywidget sends to a notebook) with a small stand-in for the anywidget model that records every
``set`` and ``save_changes`` call; what the front end set is then given to the Python widget
the way the kernel applies front-end updates (``Widget.set_state``).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from xmmframe.interactive import Viewer
from xmmframe.select import Circle
from tests.browser import (PageServer, brightest, browser_errors, canvas_to_viewport, drag, image_geometry,
                           press, rect, screenshot, viewport_to_canvas, wait_ready)

TRAITS = ("image", "lightcurve", "regions_text", "source", "background", "gti_intervals", "gti_given",
          "exposure")

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>widget</title><style>body {{ margin: 0 }} {css}</style></head>
<body><div id="widget"></div>
<script type="module">
import widget from "/widget.mjs";
const traits = await (await fetch("/traits.json")).json();
const listeners = {{}};
const calls = [];
const model = {{
  get(name) {{ return traits[name]; }},
  set(name, value) {{
    traits[name] = value;
    calls.push(["set", name, value]);
    (listeners["change:" + name] || []).forEach((f) => f());
  }},
  save_changes() {{ calls.push(["save_changes"]); }},
  on(event, f) {{ (listeners[event] = listeners[event] || []).push(f); }},
  off(event, f) {{ listeners[event] = (listeners[event] || []).filter((g) => g !== f); }},
}};
window.modelCalls = calls;
window.model = model;
window.cleanup = widget.render({{ model, el: document.getElementById("widget") }});
</script></body></html>
"""


@pytest.fixture(scope="module")
def widget(simulated):
    return Viewer(simulated.events["EPN"])


@pytest.fixture()
def page(chromium, widget):
    server = PageServer()
    server.add("/widget.mjs", widget._esm)
    server.add("/traits.json", {name: getattr(widget, name) for name in TRAITS})
    server.add("/index.html", PAGE.format(css=widget._css))
    chromium.get(server.url + "/index.html")
    wait_ready(chromium)
    yield chromium
    server.close()


def _sets(driver):
    return driver.execute_script("return window.modelCalls")


def test_a_circle_drawn_in_the_widget_reaches_python(page, widget, simulated):
    events = simulated.events["EPN"]
    initial = _sets(page)
    # on load the front end reports the state it starts from: the flare GTI Python computed
    assert initial[-1] == ["save_changes"]
    started = {c[1]: c[2] for c in initial if c[0] == "set"}
    assert np.allclose(started["gti_intervals"], widget.gti_intervals, rtol=0, atol=1e-6)
    assert started["exposure"] == pytest.approx(widget.exposure, abs=1e-6)

    press(page, 'button[data-tool="circle"]')
    box = rect(page, "canvas.xmm-image")
    physical = image_geometry(widget.image, box)
    # a circle on the simulated bright source
    cx, cy = brightest(widget.image, box)
    start = canvas_to_viewport(box, cx, cy)
    end = (start[0] + 6, start[1] + 6)
    drag(page, [start, (start[0] + 3, start[1] + 3), end])

    calls = _sets(page)[len(initial):]
    assert calls[-1] == ["save_changes"]
    sent = {c[1]: c[2] for c in calls if c[0] == "set"}
    x0, y0 = physical(*viewport_to_canvas(box, *start))
    x1, y1 = physical(*viewport_to_canvas(box, *end))
    radius = float(np.hypot(x1 - x0, y1 - y0))
    x, y, r = (float(v) for v in sent["source"][len("circle("):-1].split(","))
    assert (x, y, r) == pytest.approx((x0, y0, radius), abs=0.006)
    assert sent["background"] == ""
    assert f"{sent['source']} # color=green tag={{source}}" in sent["regions_text"].splitlines()
    screenshot(page, "widget-circle")

    widget.set_state({name: sent[name] for name in ("regions_text", "source", "background", "gti_intervals",
                                                     "exposure")})
    assert widget.source == sent["source"]
    (shape,) = widget.regions
    assert (shape.center.x + 1, shape.center.y + 1, shape.radius) == pytest.approx((x, y, r), abs=1e-9)
    spectrum = events.spectrum(selection=widget.source_region, gti=widget.gti)
    direct = events.spectrum(selection=Circle(x, y, r), gti=widget.gti)
    np.testing.assert_array_equal(spectrum.counts, direct.counts)
    assert spectrum.counts.sum() > 100 and spectrum.exposure == direct.exposure
    assert browser_errors(page) == []


def test_python_changes_reach_the_front_end(page):
    text = ("physical\ncircle(25000,26000,300) # tag={source}\n"
            "annulus(25000,26000,400,800) # tag={background}\n")
    page.execute_script("window.model.set('regions_text', arguments[0])", text)
    state = {c[1]: c[2] for c in _sets(page) if c[0] == "set"}
    assert state["source"] == "circle(25000,26000,300)"
    assert state["background"] == "annulus(25000,26000,400,800)"
    shown = page.execute_script("return document.querySelector('textarea.xmm-regions').value")
    assert "annulus(25000,26000,400,800) # color=red tag={background}" in shown
    page.execute_script("window.model.set('gti_intervals', [[265111700, 265112700]])")
    assert page.execute_script("return document.querySelector('.xmm-exposure').textContent") == "1000"
    assert json.loads(json.dumps(browser_errors(page))) == []
