"""``xmmframe info FILE``: the HDUs of a FITS (or xmmframe Parquet) file and its key facts."""

from __future__ import annotations

import argparse

from xmmframe.io.events import is_parquet, open_events
from xmmframe.io.fits_structure import read_structure
from xmmframe.model.hdu import HeaderCards


def describe(path: str) -> str:
    """A human-readable summary: HDU list, observation facts, GTI total per CCD, event count.

    Examples
    --------
    >>> print(describe("M1_clean.fits"))           # doctest: +SKIP
    """
    lines = [path]
    if is_parquet(path):
        events = open_events(path)
        hdus: list[HeaderCards] = list(events.meta.hdus)
        lines.append("  (Parquet event list written by xmmframe; HDUs of the source FITS file:)")
    else:
        hdus = list(read_structure(path))
        events = None
        if any(h.kind == "BINTABLE" for h in hdus):
            events = open_events(path)
    lines.append(f"  {'#':>3}  {'name':<12} {'type':<9} {'rows':>9}  {'cols':>4}  dimensions")
    for index, hdu in enumerate(hdus):
        header = hdu.header
        naxis = int(header.get("NAXIS", 0))
        dims = "x".join(str(header.get(f"NAXIS{i}")) for i in range(1, naxis + 1)) if naxis else ""
        if events is not None and index == events.meta.table_index:
            rows = events.count()
        else:
            rows = hdu.nrows
        cols = int(header.get("TFIELDS", 0))
        table = hdu.kind in ("BINTABLE", "TABLE")
        lines.append(
            f"  {index:>3}  {hdu.name:<12} {hdu.kind:<9} {rows if table else '':>9}  "
            f"{cols if table else '':>4}  {'' if table else dims}"
        )
    if events is None:
        return "\n".join(lines)
    meta = events.meta
    facts = {
        "main table": meta.table.name,
        "instrument": meta.instrument,
        "mode": " ".join(str(v) for v in (meta.datamode, meta.submode) if v) or None,
        "filter": meta.filter,
        "obs id": meta.obs_id,
        "exposure id": meta.expidstr,
        "time range": f"{meta.tstart} - {meta.tstop} s ({meta.timesys}, MJDREF {meta.mjdref})"
        if meta.tstart is not None
        else None,
        "ONTIME": meta.exposure,
        "rows": events.count(),
    }
    lines.append("")
    lines.extend(f"  {key + ':':<13} {value}" for key, value in facts.items() if value is not None)
    if meta.gtis:
        lines.append("  GTI total per CCD:")
        for ccd, gti in sorted(meta.gtis.items()):
            label = f"CCD {ccd:>2}" if ccd else "all"
            lines.append(f"    {label}: {gti.duration:.3f} s in {len(gti)} intervals ({gti.name})")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Print the summary of each file."""
    for index, path in enumerate(args.files):
        if index:
            print()
        print(describe(path))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``info`` subcommand."""
    parser = subparsers.add_parser("info", help="list HDUs and key facts of FITS or Parquet files")
    parser.add_argument("files", nargs="+", metavar="FILE")
    parser.set_defaults(func=run)
