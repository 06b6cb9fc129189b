"""The ``xmmframe`` command line.

Subcommands live in their own modules of :mod:`xmmframe.cli`; each provides
``register(subparsers)`` which adds its parser and sets ``func`` to the function that runs
it.  Errors on bad input print one line (``xmmframe: error: <file>: <problem>``) and exit
with status 1; ``--debug`` shows the traceback instead.

Examples
--------
.. code-block:: console

    $ xmmframe info P0001730201M1S002MIEVLI.FTZ
    $ xmmframe convert M1_clean.fits M1_clean.parquet
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import import_module

from polars.exceptions import PolarsError

from xmmframe._version import __version__
from xmmframe.errors import XmmframeError
from xmmframe.io.events import opened_files

#: Modules of xmmframe.cli that register subcommands, in the order they are listed in --help.
COMMAND_MODULES = ("info", "convert", "ingest", "query", "stack", "evselect", "tabgtigen", "cifbuild", "rmfgen",
                   "arfgen", "backscale", "specgroup", "epiclccorr", "quicklook", "odfingest", "epproc", "simulate",
                   "eexpmap", "emosaic", "eregionanalyse", "eboxdetect", "esplinemap", "emldetect", "edetect_chain",
                   "epatplot", "merge", "serve", "submit", "demo")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="xmmframe",
        description="XMM-Newton EPIC analysis on Polars: event lists to OGIP products.",
    )
    parser.add_argument("--version", action="version", version=f"xmmframe {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        import_module(f"xmmframe.cli.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args_list
    parser = build_parser()
    args = parser.parse_args(args_list)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    already_open = len(opened_files())
    try:
        return int(args.func(args) or 0)
    except XmmframeError as err:
        if debug:
            raise
        print(f"xmmframe: error: {_first_line(err)}", file=sys.stderr)
        return 1
    except PolarsError as err:  # e.g. a damaged Parquet data page, found only while reading
        if debug:
            raise
        files = ", ".join(opened_files()[already_open:]) or "the data"
        print(f"xmmframe: error: reading {files} failed: {_first_line(err)} (--debug for details)", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("xmmframe: interrupted", file=sys.stderr)
        return 130


def _first_line(err: BaseException) -> str:
    """The first line of an error's message: it names the file, column or position (a
    selection error's caret display follows on the next lines, shown in Python and with
    ``--debug``)."""
    lines = str(err).strip().splitlines()
    return lines[0] if lines else type(err).__name__


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
