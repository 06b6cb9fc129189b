"""``xmmframe eregionanalyse imageset=evts.fits srcexp='(X,Y) in circle(...)' backexp=...``: SAS eregionanalyse.

Parameter names and defaults are SAS eregionanalyse's: ``imageset`` (the input; here an event
list -- SAS takes an image binned from it), ``srcexp`` (the source region as a SAS spatial
selection, ``(X,Y) in CIRCLE(x,y,r)``), ``backexp`` (the background region; ``NotSet``: use
``backval``), ``backval`` (background in counts per arcsec², default 0).  ``bkgimageset`` and
``exposuremap`` are accepted only unset.  Beyond SAS: ``table`` (the event list, as evselect
names it; same as ``imageset``), ``expression`` (events to use, e.g. a PI band) and ``method``
(``psf``: SAS's PSF encircled-energy optimisation; ``counts``: the S/N measured on the events).

The output is SAS's (scripts that grep it keep working): ``xcentroid:``, ``ycentroid:``,
``optradius: R arcsecs N image units``, ``counts in source region:``, and the
``SASCIRCLE: (X,Y) in CIRCLE(x,y,r)`` string for evselect, plus the circle as ds9 text.

Examples
--------
.. code-block:: console

    $ xmmframe eregionanalyse imageset=M1_clean.fits srcexp='(X,Y) in CIRCLE(24635.6,24158.8,400)' \\
          backexp='(X,Y) in ANNULUS(24635.6,24158.8,1000,2000)' expression='PI in [500:10000]'
"""

from __future__ import annotations

import argparse

from xmmframe.cli.sas_params import Param, SasArguments, add_task
from xmmframe.errors import ParameterError

PARAMS = (
    Param("imageset", "", "str", "input event list (SAS: an image made from it)"),
    Param("table", "", "str", "input event list (same as imageset)"),
    Param("srcexp", None, "str", "source region: (X,Y) in CIRCLE(x,y,r), annulus, box, ... or (RA,DEC) in ..."),
    Param("backexp", "NotSet", "str", "background region (NotSet: use backval)"),
    Param("bkgimageset", "NotSet", "str", "background image (not supported: NotSet only)"),
    Param("exposuremap", "NotSet", "str", "exposure map (not supported: NotSet only)"),
    Param("backval", 0.0, "float", "background in counts per square arcsec, without backexp"),
    Param("expression", "", "str", "events to use (SAS selection), e.g. PI in [500:10000]"),
    Param("method", "psf", "str", "psf (SAS: PSF encircled energy) or counts (S/N measured on the events)"),
)


def _unset(value: str) -> bool:
    return value.strip() == "" or value.strip().lower() == "notset"


def run(args: argparse.Namespace, values: SasArguments) -> int:
    """Centroid the source region, optimise its radius and print SAS's report."""
    from xmmframe.io.events import open_events
    from xmmframe.products.regionanalyse import optimise_source_region
    from xmmframe.select.compiler import selection_region

    for name in ("bkgimageset", "exposuremap"):
        if not _unset(values[name]):
            raise ParameterError(f"eregionanalyse: {name} is not supported (leave it NotSet)")
    table, imageset = values["table"], values["imageset"]
    if table and imageset and table != imageset:
        raise ParameterError("eregionanalyse: give the event list as imageset or table, not two different files")
    path = table or imageset
    if not path:
        raise ParameterError("eregionanalyse: parameter imageset (the event list) is required")
    method = values["method"].strip().lower()
    if method not in ("psf", "counts"):
        raise ParameterError(f"eregionanalyse: method must be psf or counts, got {values['method']!r}")
    events = open_events(path)
    if not {"X", "Y"} <= {c.upper() for c in events.columns}:
        raise ParameterError(f"eregionanalyse: {path} holds no event list (its table {events.meta.table.name or ''} "
                             "has no X/Y columns): give the event list the image was made from")
    source = selection_region(values.require("srcexp"), events.meta)
    background = None if _unset(values["backexp"]) else selection_region(values["backexp"], events.meta)
    result = optimise_source_region(events, source, background, selection=values["expression"] or None,
                                    backval=values["backval"], method=method)
    print(f"eregionanalyse:-  input region centre: {result.input_x:.6g} {result.input_y:.6g}")
    print(f" counts in source region: {result.region_counts}")
    print(f" xcentroid: {result.x:.2f}")
    print(f" ycentroid: {result.y:.2f}")
    print(f" Bckgnd cnts per square arcsec: {result.background_density / 0.05**2:.6g}")
    print(f" optradius: {result.radius_arcsec:g} arcsecs {result.radius:g} image units")
    print(f" S/N at optradius: {result.snr:.4g} ({result.counts} counts, {result.background_counts:.4g} background)")
    print()
    print(f" SASCIRCLE: {result.sas}")
    print(f" ds9: {result.ds9}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``eregionanalyse`` subcommand."""
    add_task(subparsers, "eregionanalyse", PARAMS, run,
             "centroid of a source region and its signal-to-noise optimal radius (SAS eregionanalyse)")
