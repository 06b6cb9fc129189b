"""``xmmframe stack STORE --cone RA DEC RADIUS_ARCMIN --product ... --out PATH``: one position, every exposure.

Products (``--product``):

* ``spectrum`` - ``PATH``: the source spectrum of every exposure covering the cone as a PHA
  Type II file (one file per channel grid, ``PATH`` with ``_EPN``/``_EMOS`` before the
  extension when the store has both), and per instrument the summed spectrum
  ``<stem>_<INSTRUME>_sum.pha`` with its response ``<stem>_<INSTRUME>_sum.rsp`` (RMF x ARF,
  exposure-weighted, as SAS epicspeccombine) and, with ``--background``, the summed background
  ``<stem>_<INSTRUME>_sum_bkg.pha``;
* ``lightcurve`` - ``PATH``: one FITS table ``RATE`` with TIME, RATE, ERROR, COUNTS, TIMEDEL,
  obs_id, instrume, expid of every bin of every exposure;
* ``image`` - ``PATH``: a counts mosaic on a TAN grid centred on the cone (``--pixel``).

Exposures that fail are listed on stderr, one line each, and the exit status is then 1.

Examples
--------
.. code-block:: console

    $ xmmframe stack store --cone 149.5916 -11.0887 0.5 --product spectrum --out a2034.pha
    $ xmmframe stack store --cone 149.5916 -11.0887 15 --product image --pixel 4 --out mosaic.fits --executor dask
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace
from typing import Any

from xmmframe.errors import OutputError, ParameterError
from xmmframe.exec import stack_lightcurves, stack_mosaic, stack_spectra
from xmmframe.exec.runner import MapResult
from xmmframe.io.ogip import check_output
from xmmframe.model.responses import Rmf
from xmmframe.store import open_store

PRODUCTS = ("spectrum", "lightcurve", "image")

def _stem(path: str) -> tuple[str, str]:
    stem, extension = os.path.splitext(path)
    return stem, extension or ".fits"


def _check_all(paths: list[str], overwrite: bool) -> None:
    for path in paths:
        check_output(path, overwrite)
    directory = os.path.dirname(os.path.abspath(paths[0]))
    if not os.path.isdir(directory):
        raise OutputError(f"output directory {directory} does not exist", paths[0])


def _write_spectra(stack: Any, out: str, overwrite: bool) -> list[str]:
    stem, extension = _stem(out)
    tables = {name if len(stack.tables) > 1 else "": table for name, table in stack.tables.items()}
    planned: list[tuple[str, Any]] = [(f"{stem}_{name}{extension}" if name else out, table)
                                      for name, table in tables.items()]
    for instrument, summed in stack.sums.items():
        base = f"{stem}_{instrument}_sum"
        response, background = f"{base}.rsp", f"{base}_bkg{extension}"
        backfile = os.path.basename(background) if summed.background is not None else "NONE"
        planned.append((f"{base}{extension}", replace(summed.spectrum, respfile=os.path.basename(response),
                                                      backfile=backfile)))
        planned.append((response, summed.response))
        if summed.background is not None:
            planned.append((background, summed.background))
    _check_all([path for path, _ in planned], overwrite)
    for path, product in planned:
        if isinstance(product, Rmf):
            product.write(path)
        else:
            product.write(path, overwrite=overwrite)
    return [path for path, _ in planned]


def _report(run: MapResult, written: list[str]) -> int:
    for failure in run.failures:
        print(f"xmmframe stack: {failure}", file=sys.stderr)
    done = run.rows.height - len(run.failures)
    print(f"{done} of {run.rows.height} exposures in {run.seconds:.1f} s; wrote {', '.join(written)}")
    return 1 if run.failures else 0


def run(args: argparse.Namespace) -> int:
    """Run the stack and write its products."""
    if args.scheduler and args.executor != "dask":
        raise ParameterError("--scheduler needs --executor dask")
    store = open_store(args.store)
    ra, dec, radius = args.cone[0], args.cone[1], args.cone[2] / 60.0
    options = {"executor": args.executor, "workers": args.workers, "client": args.scheduler,
               "progress": None if not args.quiet else False}
    if args.product == "spectrum":
        background = tuple(r / 60.0 for r in args.background) if args.background else None
        stack = stack_spectra(store, ra, dec, radius, selection=args.selection, background=background, **options)
        return _report(stack.run, _write_spectra(stack, args.out, args.overwrite))
    if args.product == "lightcurve":
        curves = stack_lightcurves(store, ra, dec, radius, bin=args.bin, selection=args.selection, **options)
        _check_all([args.out], args.overwrite)
        curves.write(args.out, overwrite=args.overwrite)
        return _report(curves.run, [args.out])
    mosaic = stack_mosaic(store, ra, dec, radius, pixel=args.pixel / 3600.0, selection=args.selection, **options)
    _check_all([args.out], args.overwrite)
    mosaic.write(args.out, overwrite=args.overwrite)
    return _report(mosaic.run, [args.out])


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``stack`` subcommand."""
    parser = subparsers.add_parser("stack", help="one sky position in every exposure of a store: "
                                                 "stacked spectra, light curves or a mosaic")
    parser.add_argument("store", metavar="STORE")
    parser.add_argument("--cone", nargs=3, type=float, required=True, metavar=("RA", "DEC", "RADIUS_ARCMIN"),
                        help="source position (degrees) and radius (arcmin); for images the mosaic's half size")
    parser.add_argument("--product", choices=PRODUCTS, required=True)
    parser.add_argument("--out", required=True, metavar="PATH", help="output file (see the module help)")
    parser.add_argument("--selection", metavar="EXPR", help="SAS selection applied with the region, "
                        "e.g. '#XMMEA_EM && PATTERN<=12'")
    parser.add_argument("--background", nargs=2, type=float, metavar=("RIN", "ROUT"),
                        help="spectrum: background annulus radii around the source (arcmin)")
    parser.add_argument("--bin", type=float, default=100.0, help="lightcurve: bin size in seconds (100)")
    parser.add_argument("--pixel", type=float, default=4.0, help="image: mosaic pixel size in arcsec (4)")
    parser.add_argument("--executor", choices=("local", "dask"), default="local")
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: the CPUs)")
    parser.add_argument("--scheduler", metavar="ADDRESS", default=None,
                        help="dask: scheduler address (default: a local cluster of --workers processes)")
    parser.add_argument("--overwrite", action="store_true", help="replace existing output files")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)
