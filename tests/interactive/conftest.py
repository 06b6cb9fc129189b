"""Fixtures of the widget tests: the shared small simulated observation."""

from __future__ import annotations

import pytest

from tests.sim.simulated import Simulated, build


@pytest.fixture(scope="session")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Simulated:
    """A 5 ks simulated ODF (pn, MOS1, MOS2) and its calibrated event lists."""
    return build(str(tmp_path_factory.getbasetemp() / "simulated-observation"))
