"""``xmmframe simulate --out DIR [--seed N] [--exposure 20ks] [--sources SPEC]``: a simulated ODF with truth.

Examples
--------
.. code-block:: console

    $ xmmframe simulate --out sim-odf --seed 3 --exposure 5ks
    $ xmmframe simulate --out sim-odf --exposure 100ks --instruments PN --pn-mode PrimeFullWindow
    $ xmmframe simulate --out sim-odf --sources "point:dra=0,ddec=0,flux=2e-12,gamma=1.7,line=6.4,eqw=0.3"
"""

from __future__ import annotations

import argparse
import re
from dataclasses import replace

from xmmframe.errors import XmmframeError


def parse_duration(text: str) -> float:
    """Seconds of ``20ks``, ``2000``, ``2000s``, ``1.5h``.

    Examples
    --------
    >>> parse_duration("20ks"), parse_duration("1.5h"), parse_duration("300")
    (20000.0, 5400.0, 300.0)
    """
    match = re.fullmatch(r"\s*([0-9.]+(?:[eE][+-]?\d+)?)\s*(ks|s|h|min)?\s*", text)
    if match is None:
        raise XmmframeError(f"not a duration: {text!r} (e.g. 20ks, 2000s, 1.5h)")
    scale = {"ks": 1000.0, "s": 1.0, "h": 3600.0, "min": 60.0, None: 1.0}[match.group(2)]
    return float(match.group(1)) * scale


def run(args: argparse.Namespace) -> int:
    """Simulate and print what was written."""
    from xmmframe.cli.progress import steps
    from xmmframe.sim import default_config, parse_sources, simulate

    config = default_config(exposure=parse_duration(args.exposure), seed=args.seed)
    if args.sources:
        config = replace(config, sources=parse_sources(args.sources, config))
    if args.no_flares:
        config = replace(config, flares=())
    if args.instruments:
        config = replace(config, instruments=tuple(i.strip().upper() for i in args.instruments.split(",")))
    if args.pn_mode:
        config = replace(config, pn_mode=args.pn_mode)
    with steps("simulate") as say:
        result = simulate(args.out, config, progress=say)
    print(f"simulate: ODF in {result.odf_dir} ({len(result.files)} files, summary {result.summary})")
    for instrument, count in sorted(result.counts.items()):
        print(f"simulate: {instrument}: {count} transmitted rows")
    print(f"simulate: truth table {result.truth} ({result.truth_rows} photons and particles)")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``simulate`` subcommand."""
    parser = subparsers.add_parser(
        "simulate", help="simulate an observation: ODF (pn, MOS1, MOS2) + truth table"
    )
    parser.add_argument("--out", required=True, metavar="DIR", help="output ODF directory")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument(
        "--exposure", default="20ks", help="exposure per camera, e.g. 20ks, 5000s (default 20ks)"
    )
    parser.add_argument(
        "--sources",
        default="",
        metavar="SPEC",
        help="sources replacing the default ones, e.g. 'point:dra=1,ddec=0,flux=1e-12,gamma=2;"
        "extended:dra=-5,ddec=2,flux=2e-12,kt=3,rc=40'",
    )
    parser.add_argument("--no-flares", action="store_true", help="no soft-proton flares")
    parser.add_argument(
        "--instruments", default="", help="cameras to simulate, e.g. PN,M1 (default PN,M1,M2)"
    )
    parser.add_argument(
        "--pn-mode",
        default="",
        choices=["PrimeFullWindow", "PrimeFullWindowExtended"],
        help="pn submode: full frame (73.4 ms frames) or extended full frame (199.1 ms, the default)",
    )
    parser.set_defaults(func=run)
