"""Layers import one way (README "Architecture"), and ``import xmmframe`` stays light.

The import-linter contracts in ``pyproject.toml`` are checked by running ``lint-imports``; it is
skipped when the program is missing, unless ``XMMFRAME_REQUIRE_IMPORTLINTER=1`` (CI) is set.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import xmmframe

ROOT = Path(__file__).resolve().parents[1]

#: Layers ``import xmmframe`` must not load: they load when a product or a processing step is asked for.
HEAVY_LAYERS = ("products", "proc", "sim", "cli")


def test_import_contracts_are_kept():
    """``lint-imports``: the layers contract and no import cycles between sibling modules."""
    exe = shutil.which("lint-imports")
    if exe is None:
        if os.environ.get("XMMFRAME_REQUIRE_IMPORTLINTER") == "1":
            pytest.fail("lint-imports (package import-linter) is required "
                        "(XMMFRAME_REQUIRE_IMPORTLINTER=1) but missing")
        pytest.skip("lint-imports not available (pip install import-linter)")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True, env=env, check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "0 broken" in out.stdout


def test_import_xmmframe_loads_no_heavy_layer():
    """``python -X importtime -c "import xmmframe"`` imports nothing from products, proc, sim or cli."""
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", "import xmmframe"], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    imported = set(re.findall(r"\|\s*(xmmframe[\w.]*)\s*$", out.stderr, flags=re.M))
    assert "xmmframe.model.events" in imported  # the report was read
    heavy = sorted(m for m in imported if m.split(".")[1:2] and m.split(".")[1] in HEAVY_LAYERS)
    assert heavy == []


def test_version_comes_from_one_place():
    from xmmframe._version import __version__

    assert xmmframe.__version__ == __version__
    text = (ROOT / "pyproject.toml").read_text()
    assert 'attr = "xmmframe._version.__version__"' in text
