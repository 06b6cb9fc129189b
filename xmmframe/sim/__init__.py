"""The observation simulator: realistic ODFs (pn and MOS imaging) with a truth table of every photon.

Examples
--------
>>> from xmmframe.sim import simulate, default_config
>>> result = simulate("sim-odf", default_config(exposure=2000.0, seed=3))     # doctest: +SKIP
"""

from xmmframe.sim.config import (
    Background,
    ExtendedSource,
    Flare,
    Line,
    PointSource,
    SimulationConfig,
    default_config,
    parse_sources,
)
from xmmframe.sim.simulate import SimulationResult, simulate

__all__ = [
    "Background",
    "ExtendedSource",
    "Flare",
    "Line",
    "PointSource",
    "SimulationConfig",
    "SimulationResult",
    "default_config",
    "parse_sources",
    "simulate",
]
