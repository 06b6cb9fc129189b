"""Fixtures: the shared small simulated observation (built once per session)."""

from __future__ import annotations

import pytest

from tests.sim.simulated import Simulated, build


@pytest.fixture(scope="session")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Simulated:
    """A 5 ks simulated ODF (pn, MOS1, MOS2), its truth table and calibrated event lists."""
    return build(str(tmp_path_factory.getbasetemp() / "simulated-observation"))
