"""Shared fixtures: the reference data folder and the fitsverify tool.

Tests that need ``../shared/refdata`` or ``fitsverify`` skip with the reason when they are
missing, unless ``XMMFRAME_REQUIRE_REFDATA=1`` / ``XMMFRAME_REQUIRE_FITSVERIFY=1`` is set (CI),
which turns the skip into a failure.
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
