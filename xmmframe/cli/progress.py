"""Progress display of long command-line steps (rich), falling back to plain lines without a terminal.

Examples
--------
>>> from xmmframe.cli.progress import steps
>>> with steps("simulate", enabled=False) as say:
...     say("camera EPN")
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator


@contextlib.contextmanager
def steps(task: str, enabled: bool | None = None) -> Iterator[Callable[[str], None]]:
    """A context giving a ``say(text)`` callback: a rich spinner with elapsed time on a terminal."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        yield lambda text: None
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(),
        TextColumn(f"[bold]{task}[/bold] {{task.description}}"),
        TimeElapsedColumn(),
        transient=True,
    ) as progress:
        handle = progress.add_task("", total=None)
        yield lambda text: progress.update(handle, description=text)
