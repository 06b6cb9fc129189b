"""``xmmframe epiclccorr srctslist=src.lc eventlist=evts.fits outset=corr.lc``: light-curve corrections (SAS epiclccorr).

Parameters as SAS epiclccorr 1.23 (recorded in the ``XPROC0`` keyword of the corrected curves in
``refdata/exod``): ``srctslist`` (source light curve), ``eventlist`` (the event list the curves
were made from), ``outset`` (default ``srctslistcorr.fits``), ``bkgtslist``/``withbkgset`` (a
background curve on the same bins), ``applyabsolutecorrections`` (no/yes).  ``detxbins``,
``detybins``, ``withdetbins``, ``allcamera=no`` and ``sourcecoords``/``sourcex``/``sourcey`` are
accepted; ``withsourcepos=yes`` and ``allcamera=yes`` are refused (the source is the centre of
the curve's region).  The background scaling ``BKGRATIO`` is the ratio of the two regions'
areas as backscale computes them from the event list.

Examples
--------
.. code-block:: console

    $ xmmframe epiclccorr srctslist=src.lc eventlist=M1_clean.fits outset=corr.lc \\
          bkgtslist=bgd.lc withbkgset=yes applyabsolutecorrections=yes
"""

from __future__ import annotations

import argparse

from xmmframe.cli.sas_params import Param, SasArguments, add_task, refuse_existing, command_text
from xmmframe.errors import ParameterError

PARAMS = (
    Param("srctslist", None, "str", "source light curve"),
    Param("eventlist", None, "str", "event list the curves were made from"),
    Param("outset", "srctslistcorr.fits", "str", "corrected light curve to write"),
    Param("bkgtslist", "", "str", "background light curve (same bins)"),
    Param("withbkgset", False, "bool", "subtract the background curve"),
    Param("applyabsolutecorrections", False, "bool", "apply vignetting, PSF, bad-pixel corrections"),
    Param("detxbins", 5, "int", "accepted for compatibility"),
    Param("detybins", 5, "int", "accepted for compatibility"),
    Param("withdetbins", False, "bool", "accepted for compatibility"),
    Param("sourcecoords", "eqpos", "str", "accepted for compatibility"),
    Param("sourcex", 0.0, "float", "accepted for compatibility"),
    Param("sourcey", 0.0, "float", "accepted for compatibility"),
    Param("withsourcepos", False, "bool", "source position instead of the region centre (not supported)"),
    Param("allcamera", False, "bool", "whole-camera curve (not supported)"),
)


def run(args: argparse.Namespace, values: SasArguments) -> int:
    """Correct the source curve and write it."""
    from xmmframe.io.ogip import write_lightcurve
    from xmmframe.products.epiclccorr import epiclccorr

    if values.switched_on("withsourcepos", "sourcex", "sourcey") or values["allcamera"]:
        raise ParameterError("epiclccorr: withsourcepos=yes and allcamera=yes are not supported")
    output = values["outset"]
    overwrite = refuse_existing(args, values, output)
    background = values.require("bkgtslist") if values.switched_on("withbkgset", "bkgtslist") else None
    net = epiclccorr(values.require("srctslist"), values.require("eventlist"), background,
                     absolute=values["applyabsolutecorrections"], command=command_text("epiclccorr", args.parameters))
    write_lightcurve(net, output, overwrite=overwrite)
    print(f"epiclccorr: {len(net)} bins, BKGRATIO {net.keyword('BKGRATIO')}, absolute factor "
          f"{net.keyword('ABSCORR'):.4f} written to {output}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``epiclccorr`` subcommand."""
    add_task(subparsers, "epiclccorr", PARAMS, run, "light-curve corrections and background subtraction "
                                                      "(SAS epiclccorr)")
