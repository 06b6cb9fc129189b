"""``xmmframe convert IN OUT``: FITS <-> Parquet (by the output's extension), losslessly."""

from __future__ import annotations

import argparse

from xmmframe.cli.sas_params import refuse_existing
from xmmframe.errors import OutputError
from xmmframe.io.events import open_events

_PARQUET = (".parquet", ".pq")


def convert(source: str, target: str, hdu: str | None = None, *, compact: bool = False) -> None:
    """Convert an event list between FITS and Parquet.

    The format of ``target`` follows its extension: ``.parquet``/``.pq`` write Parquet,
    anything else FITS. ``compact`` selects the smaller Parquet layout.

    Examples
    --------
    >>> convert("M1_clean.fits", "M1_clean.parquet")          # doctest: +SKIP
    """
    events = open_events(source, hdu=int(hdu) if hdu and hdu.isdigit() else hdu)
    if target.lower().endswith(_PARQUET):
        events.write_parquet(target, compact=compact)
    elif target.lower().endswith((".fits", ".fit", ".fts", ".evt", ".ds", ".ftz", ".gz")):
        if target.lower().endswith((".ftz", ".gz")):
            raise OutputError("writing gzip-compressed FITS is not supported; use .fits", target)
        events.write_fits(target)
    else:
        raise OutputError("unknown output format; use .parquet or .fits", target)


def run(args: argparse.Namespace) -> int:
    """Run the conversion; an existing output is replaced only with ``--clobber`` (as SAS tasks)."""
    refuse_existing(args, None, args.target)
    convert(args.source, args.target, args.hdu, compact=args.compact)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``convert`` subcommand."""
    parser = subparsers.add_parser("convert", help="convert an event list between FITS and Parquet")
    parser.add_argument("source", metavar="IN")
    parser.add_argument("target", metavar="OUT")
    parser.add_argument("--hdu", default=None, help="main table of the FITS input (default EVENTS)")
    parser.add_argument("--compact", action="store_true",
                        help="Parquet: dictionary-encode every column, zstd (smaller, slower to scan)")
    parser.add_argument("-c", "--clobber", action="store_true", help="replace an existing output (also SAS_CLOBBER=1)")
    parser.set_defaults(func=run)
