"""Helpers of the browser tests: a loopback page server, real mouse gestures, screenshots.

The gestures are W3C WebDriver pointer actions at viewport pixels (what a user's mouse sends);
:func:`canvas_to_viewport` and :func:`image_geometry` give where a canvas pixel is and which
physical coordinate the viewer draws there (the geometry documented at the top of viewer.js).
"""

from __future__ import annotations

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.actions.action_builder import ActionBuilder
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


class PageServer:
    """Serve fixed pages from memory on 127.0.0.1 (an ephemeral port), in a thread."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[str, bytes]] = {}
        routes = self.routes

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                path = self.path.split("?")[0]
                if path not in routes:
                    self.send_error(404)
                    return
                kind, body = routes[path]
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def add(self, path: str, body: str | bytes | Any, kind: str | None = None) -> None:
        if not isinstance(body, (str, bytes)):
            body, kind = json.dumps(body), kind or "application/json"
        data = body.encode() if isinstance(body, str) else body
        kinds = {".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript",
                 ".css": "text/css"}
        guess = kinds.get(os.path.splitext(path)[1], "application/octet-stream")
        self.routes[path] = (kind or guess, data)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def wait_ready(driver: Any, timeout: float = 60) -> Any:
    """Wait until the viewer has loaded its payloads; returns the viewer's root element."""
    WebDriverWait(driver, timeout).until(
        lambda d: d.execute_script("const v = document.querySelector('.xmm-viewer');"
                                   "return v && v.getAttribute('data-ready');"))
    ready = driver.execute_script("return document.querySelector('.xmm-viewer').getAttribute('data-ready')")
    assert ready == "1", f"the viewer failed to load: {browser_errors(driver)}"
    return driver.find_element(By.CSS_SELECTOR, ".xmm-viewer")


def rect(driver: Any, selector: str) -> dict[str, float]:
    """The element's bounding box in viewport CSS pixels and its canvas size (width/height attributes)."""
    return driver.execute_script(
        "const e = document.querySelector(arguments[0]); const r = e.getBoundingClientRect();"
        "return {left: r.left, top: r.top, width: r.width, height: r.height, w: e.width, h: e.height};",
        selector)


def canvas_to_viewport(box: dict[str, float], x: float, y: float) -> tuple[int, int]:
    """The viewport pixel over canvas pixel (x, y) (whole pixels: the mouse moves by whole pixels)."""
    return round(box["left"] + x * box["width"] / box["w"]), round(box["top"] + y * box["height"] / box["h"])


def viewport_to_canvas(box: dict[str, float], vx: int, vy: int) -> tuple[float, float]:
    """The canvas pixel under viewport pixel (vx, vy), as the viewer computes it from clientX/clientY."""
    return (vx - box["left"]) * box["w"] / box["width"], (vy - box["top"]) * box["h"] / box["height"]


def image_geometry(payload: dict[str, Any], box: dict[str, float], view: dict[str, float] | None = None):
    """Canvas pixel -> physical (X, Y) for the viewer's view (default: the first, whole-image view)."""
    nx, ny, b = payload["nx"], payload["ny"], payload["bin"]
    if view is None:
        view = {"cx": payload["xmin"] + nx * b / 2, "cy": payload["ymin"] + ny * b / 2,
                "zoom": min(box["w"] / nx, box["h"] / ny)}

    def physical(px: float, py: float) -> tuple[float, float]:
        return (view["cx"] + (px - box["w"] / 2) * b / view["zoom"],
                view["cy"] - (py - box["h"] / 2) * b / view["zoom"])

    return physical


def brightest(payload: dict[str, Any], box: dict[str, float]) -> tuple[float, float]:
    """The canvas pixel (first view) at the centre of the image's brightest pixel."""
    nx, ny = payload["nx"], payload["ny"]
    index = max(range(nx * ny), key=payload["data"].__getitem__)
    j, i = divmod(index, nx)
    zoom = min(box["w"] / nx, box["h"] / ny)
    return box["w"] / 2 + (i + 0.5 - nx / 2) * zoom, box["h"] / 2 - (j + 0.5 - ny / 2) * zoom


def drag(driver: Any, points: list[tuple[int, int]]) -> None:
    """Press the left button at the first viewport point, move through the others, release."""
    actions = ActionBuilder(driver)
    pointer = actions.pointer_action
    pointer.move_to_location(*points[0])
    pointer.pointer_down()
    for point in points[1:]:
        pointer.move_to_location(*point)
    pointer.pointer_up()
    actions.perform()


def click_at(driver: Any, point: tuple[int, int], double: bool = False) -> None:
    actions = ActionBuilder(driver)
    actions.pointer_action.move_to_location(*point)
    actions.pointer_action.click()
    if double:
        actions.pointer_action.double_click()
    actions.perform()


def press(driver: Any, selector: str) -> None:
    """Click a button (a real click on the element)."""
    ActionChains(driver).click(driver.find_element(By.CSS_SELECTOR, selector)).perform()


def browser_errors(driver: Any) -> list[str]:
    """Severe messages of the page's console (JavaScript errors; a missing favicon.ico is not one)."""
    return [entry["message"] for entry in driver.get_log("browser")
            if entry.get("level") == "SEVERE" and "/favicon.ico " not in entry["message"]]


def screenshot(driver: Any, name: str) -> Path:
    """Save a screenshot as a test artefact in ``tests/artifacts`` (ignored by git)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    driver.save_screenshot(os.fspath(path))
    return path
