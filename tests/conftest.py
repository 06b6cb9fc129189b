"""Shared fixtures: the reference data folder, the fitsverify tool and a headless Chromium.

Tests that need ``../shared/refdata``, ``fitsverify`` or the browser skip with the reason when
they are missing, unless ``XMMFRAME_REQUIRE_REFDATA=1`` / ``XMMFRAME_REQUIRE_FITSVERIFY=1`` /
``XMMFRAME_REQUIRE_BROWSER=1`` is set (CI), which turns the skip into a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REFDATA = Path(__file__).resolve().parents[1].parent / "shared" / "refdata"


def _missing(what: str, variable: str) -> None:
    if os.environ.get(variable) == "1":
        pytest.fail(f"{what} is required ({variable}=1) but missing")
    pytest.skip(f"{what} not available")


@pytest.fixture(scope="session")
def refdata() -> Path:
    """The real SAS reference data folder (``../shared/refdata``)."""
    if not REFDATA.is_dir():
        _missing(f"reference data folder {REFDATA}", "XMMFRAME_REQUIRE_REFDATA")
    return REFDATA


@pytest.fixture(scope="session")
def fitsverify():
    """A function running ``fitsverify`` on a file and returning (errors, warnings, report)."""
    exe = shutil.which("fitsverify")
    if exe is None:
        _missing("the fitsverify program (Debian package fitsverify)", "XMMFRAME_REQUIRE_FITSVERIFY")

    def run(path: str | os.PathLike[str]) -> tuple[int, int, str]:
        out = subprocess.run([exe, str(path)], capture_output=True, text=True, check=False).stdout
        for line in out.splitlines():
            if "Verification found" in line:
                words = line.replace("*", "").split()
                warnings = int(words[words.index("warning(s)") - 1])
                errors = int(words[words.index("error(s).") - 1])
                return errors, warnings, out
        raise AssertionError(f"unexpected fitsverify output for {path}:\n{out}")

    return run


@pytest.fixture(scope="session")
def funtools() -> dict[str, str]:
    """Paths of the funtools programs (Debian package ``funtools``) used as an independent peer."""
    programs = {name: shutil.which(name) for name in ("fundisp", "funcnts", "funcen")}
    if None in programs.values():
        _missing("the funtools programs fundisp/funcnts/funcen (Debian package funtools)", "XMMFRAME_REQUIRE_FUNTOOLS")
    return programs  # type: ignore[return-value]


#: Debian's chromium and chromium-driver packages (nothing is downloaded at run time).
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


@pytest.fixture(scope="session")
def chromium(tmp_path_factory: pytest.TempPathFactory):
    """A headless Chromium driven by selenium (system chromium + chromedriver, fresh profile).

    Downloads go to ``driver.download_dir``.
    """
    if not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)):
        _missing("Chromium and chromedriver (Debian packages chromium, chromium-driver)",
                 "XMMFRAME_REQUIRE_BROWSER")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _missing("selenium (pip install selenium)", "XMMFRAME_REQUIRE_BROWSER")
    profile = tmp_path_factory.mktemp("chromium-profile")
    downloads = tmp_path_factory.mktemp("chromium-downloads")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
                 f"--user-data-dir={profile}", "--window-size=1300,1000", "--force-device-scale-factor=1"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.download_dir = downloads
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(60)
    yield driver
    driver.quit()
