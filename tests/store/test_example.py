"""The many-observations example runs and writes its stacked spectra."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from astropy.io import fits

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "many_observations.py"


def test_many_observations_example(refdata, tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    run = subprocess.run([sys.executable, str(EXAMPLE), str(tmp_path)], capture_output=True, text=True, env=env,
                         timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "9 exposures stacked" in run.stdout
    with fits.open(tmp_path / "stack_EPN.pha") as pn, fits.open(tmp_path / "stack_EMOS.pha") as mos:
        assert len(pn["SPECTRUM"].data) == 3 and len(mos["SPECTRUM"].data) == 6
        assert pn["SPECTRUM"].header["HDUCLAS4"] == "TYPE:II"
