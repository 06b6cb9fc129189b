"""The registry through which model objects reach the writers, readers and products of higher layers."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from xmmframe.model import registry

ROOT = Path(__file__).resolve().parents[2]


def test_each_provider_registers_what_it_is_named_for():
    """Every operation the package root names is registered by that module, and only those are."""
    named = registry.providers()
    for module in set(named.values()):
        importlib.import_module(module)
    for name, module in named.items():
        assert registry.implementation(name).__module__ == module, name
    # (names starting "Example." come from the registry's own docstring examples)
    registered = {name for name in registry._implementations if not name.startswith("Example.")}
    assert registered <= set(named)


def test_a_convenience_method_loads_its_layer_on_first_use(tmp_path):
    """``Spectrum.write`` in a fresh interpreter: the writer in io/ is imported when first called."""
    path = str(tmp_path / "spec.pha")
    code = (
        "import sys, numpy as np\n"
        "from xmmframe.model.products import Spectrum\n"
        "assert 'xmmframe.io.ogip' not in sys.modules\n"
        "spec = Spectrum(channel=np.arange(4), counts=np.array([0, 3, 5, 1]), exposure=100.0)\n"
        f"spec.write({path!r})\n"
        f"print(Spectrum.read({path!r}).total)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "9"


def test_an_unregistered_operation_names_itself():
    with pytest.raises(NotImplementedError, match="Nothing.here"):
        registry.implementation("Nothing.here")
