"""``xmmframe demo [DIR]``: simulate an observation and run the whole chain on it (:mod:`xmmframe.sim.demo`).

The steps, their outputs and the summary are described in :mod:`xmmframe.sim.demo`; this
command shows them with a progress bar and prints the summary.

Examples
--------
.. code-block:: console

    $ xmmframe demo                       # into ./xmmframe-demo/
    $ xmmframe demo /tmp/demo --exposure 5ks
"""

from __future__ import annotations

import argparse
import os


def run(args: argparse.Namespace) -> int:
    """Run the demo with a progress bar and print the summary."""
    from xmmframe.cli.simulate import parse_duration
    from xmmframe.sim.demo import STEPS, run_demo

    directory = args.directory
    os.makedirs(directory, exist_ok=True)
    exposure = parse_duration(args.exposure)
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("[bold]demo[/bold] {task.description:<22}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        disable=not os.isatty(2),
    ) as progress:
        task = progress.add_task("", total=len(STEPS))
        state = {"first": True}

        def advance(step: str) -> None:
            if not state["first"]:
                progress.advance(task)
            state["first"] = False
            progress.update(task, description=step)

        run_demo(directory, exposure, args.seed, advance)
    with open(os.path.join(directory, "summary.txt")) as handle:
        print(handle.read(), end="")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``demo`` subcommand."""
    parser = subparsers.add_parser("demo", help="simulate an observation and run the whole chain on it")
    parser.add_argument(
        "directory",
        nargs="?",
        default="xmmframe-demo",
        metavar="DIR",
        help="output directory (default ./xmmframe-demo)",
    )
    parser.add_argument("--exposure", default="20ks", help="exposure per camera (default 20ks)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.set_defaults(func=run)
