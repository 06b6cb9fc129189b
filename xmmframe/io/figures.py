"""Figures as PNG files, written atomically.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import matplotlib.pyplot as plt
>>> fig, ax = plt.subplots()
>>> write_png(fig, "plot.png")                                     # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from xmmframe.io.atomic import atomic_path


def write_png(
    figure: Any,
    path: str | os.PathLike[str],
    dpi: int = 110,
    protect: Iterable[str | os.PathLike[str]] = (),
) -> None:
    """Save a matplotlib figure as PNG through a temporary file renamed into place.

    Parameters
    ----------
    figure : matplotlib.figure.Figure
        The figure.
    path : str or path-like
        The PNG to write.
    dpi : int
        Resolution.
    protect : iterable of paths
        Input files that must not be overwritten (an :class:`~xmmframe.errors.OutputError` otherwise).
    """
    with atomic_path(path, protect=[os.fspath(p) for p in protect]) as tmp:
        figure.savefig(tmp, format="png", dpi=dpi)


__all__ = ["write_png"]
