"""``xmmframe ingest SRC... --store DIR``: add event lists (files or folders of them) to an event store."""

from __future__ import annotations

import argparse
import sys

from xmmframe.store import ingest
from xmmframe.store.ingest import expand_sources


def run(args: argparse.Namespace) -> int:
    """Ingest every source; list what was skipped and why; exit 1 when something was skipped."""
    files = expand_sources(args.sources)
    show = sys.stderr.isatty() and not args.quiet
    if show:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        with Progress(TextColumn("[bold]ingest[/bold]"), BarColumn(), MofNCompleteColumn(),
                      TimeRemainingColumn(), transient=True) as progress:
            task = progress.add_task("", total=len(files))
            report = ingest(files, args.store, on_file=lambda path, reason: progress.advance(task))
    else:
        report = ingest(files, args.store)
    for path, reason in report.skipped:
        print(f"xmmframe: skipped {reason}", file=sys.stderr)
    rate = report.events / report.seconds if report.seconds > 0 else 0.0
    print(f"ingested {len(report.ingested)} exposure(s), {report.events} events in {report.seconds:.1f} s "
          f"({rate / 1e6:.1f} M events/s); skipped {len(report.skipped)} of {len(files)} file(s)")
    return 1 if report.skipped or not files else 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``ingest`` subcommand."""
    parser = subparsers.add_parser(
        "ingest", help="add event lists (FITS or Parquet files, or folders of them) to an event store")
    parser.add_argument("sources", nargs="+", metavar="SRC")
    parser.add_argument("--store", required=True, metavar="DIR", help="the store directory (created if missing)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)
