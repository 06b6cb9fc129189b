"""``xmmframe store ROOT FILE...``: add event lists to a hive-partitioned Parquet store."""

from __future__ import annotations

import argparse

from xmmframe.io.events import open_events
from xmmframe.io.parquet import write_to_store


def run(args: argparse.Namespace) -> int:
    """Add every file and print where it went."""
    for path in args.files:
        print(write_to_store(open_events(path), args.root, compact=args.compact))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``store`` subcommand."""
    parser = subparsers.add_parser(
        "store",
        help="add event lists to a Parquet store (ROOT/obs_id=.../instrume=.../EXPID.parquet)",
    )
    parser.add_argument("root", metavar="ROOT")
    parser.add_argument("files", nargs="+", metavar="FILE")
    parser.add_argument("--compact", action="store_true",
                        help="dictionary-encode every column, zstd (smaller, slower to scan)")
    parser.set_defaults(func=run)
