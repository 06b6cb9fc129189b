"""``xmmframe query STORE`` and ``xmmframe catalog STORE``: events across exposures, and the exposures."""

from __future__ import annotations

import argparse

import polars as pl

from xmmframe.io.frames import frame_format, write_frame
from xmmframe.store import open_store

#: Catalogue columns printed by ``xmmframe catalog`` (all of them go to ``--out``).
CATALOG_COLUMNS = ("obs_id", "instrume", "expid", "submode", "filter", "object", "ra_pnt", "dec_pnt",
                   "tstart", "tstop", "ontime", "events")


def run_query(args: argparse.Namespace) -> int:
    """Run the query; write it to ``--out`` or print the events per exposure."""
    if args.out:
        frame_format(args.out)  # refuse an unknown format before reading anything
    store = open_store(args.store)
    cone = (args.cone[0], args.cone[1], args.cone[2] / 60.0) if args.cone else None
    lazy = store.query(cone=cone, selection=args.selection, time=tuple(args.time) if args.time else None,
                       obs_id=args.obs, instrume=args.instrument)
    if args.columns:
        lazy = lazy.select([c.strip() for c in args.columns.split(",")])
    if args.out:
        frame = lazy.collect()
        write_frame(frame, args.out)
        print(f"{frame.height} events written to {args.out}")
        return 0
    counts = (lazy.group_by("obs_id", "instrume", "expid").len("events")
              .with_columns(pl.col(pl.Categorical).cast(pl.String)).sort("obs_id", "instrume", "expid").collect())
    with pl.Config(tbl_rows=-1):
        print(counts)
    print(f"{int(counts['events'].sum()) if counts.height else 0} events in {counts.height} exposure(s)")
    return 0


def run_catalog(args: argparse.Namespace) -> int:
    """Print (or write) the store's catalogue."""
    catalog = open_store(args.store).catalog()
    if args.out:
        if frame_format(args.out) != "parquet":  # one text cell per list and time in FITS and CSV
            catalog = catalog.with_columns(
                pl.col(pl.List(pl.String), pl.List(pl.Int64)).cast(pl.List(pl.String)).list.join(" "),
                pl.col("ingested").dt.strftime("%Y-%m-%dT%H:%M:%S%.6f"))
        write_frame(catalog, args.out, extname="CATALOG")
        print(f"{catalog.height} exposures written to {args.out}")
        return 0
    with pl.Config(tbl_rows=-1, tbl_cols=-1, tbl_width_chars=200):
        print(catalog.select(CATALOG_COLUMNS))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``query`` and ``catalog`` subcommands."""
    query = subparsers.add_parser("query", help="events across the exposures of a store (cone, selection, time)")
    query.add_argument("store", metavar="STORE")
    query.add_argument("--cone", nargs=3, type=float, metavar=("RA", "DEC", "RADIUS_ARCMIN"),
                       help="events within RADIUS_ARCMIN of RA, DEC (degrees)")
    query.add_argument("--selection", metavar="EXPR", help="SAS selection expression, e.g. 'PATTERN<=4 && FLAG==0'")
    query.add_argument("--time", nargs=2, type=float, metavar=("START", "STOP"),
                       help="START <= TIME < STOP, mission seconds")
    query.add_argument("--obs", action="append", metavar="ID", help="only this observation (repeatable)")
    query.add_argument("--instrument", action="append", metavar="INSTRUME", help="EPN, EMOS1 or EMOS2 (repeatable)")
    query.add_argument("--columns", metavar="A,B,...", help="only these columns")
    query.add_argument("--out", metavar="FILE", help="write the events: .parquet, .fits or .csv")
    query.set_defaults(func=run_query)
    catalog = subparsers.add_parser("catalog", help="the exposures of a store, one row each")
    catalog.add_argument("store", metavar="STORE")
    catalog.add_argument("--out", metavar="FILE", help="write the catalogue: .parquet, .fits or .csv")
    catalog.set_defaults(func=run_catalog)
