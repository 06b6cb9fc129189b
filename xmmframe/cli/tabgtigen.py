"""``xmmframe tabgtigen table=rate.fits expression='RATE<=0.4' gtiset=gti.fits``: GTIs from a binned table.

Parameters and defaults as SAS tabgtigen 2.13: ``table``, ``gtiset=gti.fits``, ``expression``,
``timecolumn=TIME``, ``prefraction=0.5``, ``postfraction=0.5``, ``mingtisize=0``.

Examples
--------
.. code-block:: console

    $ xmmframe tabgtigen table=M1_rate.fits expression='RATE<=0.4' gtiset=M1_gti.fits
"""

from __future__ import annotations

import argparse

from xmmframe.cli.sas_params import Param, SasArguments, add_task, clobber_requested, command_text
from xmmframe.products.gti_from_rate import tabgtigen

PARAMS = (
    Param("table", None, "str", "binned table, set or set:EXTENSION (e.g. a rate set)"),
    Param("gtiset", "gti.fits", "str", "output GTI file"),
    Param("expression", None, "str", "selection on the table's columns, e.g. RATE<=0.4"),
    Param("timecolumn", "TIME", "str", "time column"),
    Param("prefraction", 0.5, "float", "fraction of a bin before TIME a good row covers"),
    Param("postfraction", 0.5, "float", "fraction of a bin after TIME a good row covers"),
    Param("mingtisize", 0.0, "float", "drop GTIs shorter than this (s)"),
)


def run(args: argparse.Namespace, values: SasArguments) -> int:
    """Make and write the GTI file."""
    from xmmframe.select.filespec import parse_filespec

    spec = parse_filespec(values.require("table"))
    gti = tabgtigen(
        spec.path if spec else values["table"], values.require("expression"), values["gtiset"],
        hdu=spec.block if spec else None, time_column=values["timecolumn"], prefraction=values["prefraction"],
        postfraction=values["postfraction"], mingtisize=values["mingtisize"],
        overwrite=clobber_requested(args, values), command=command_text("tabgtigen", args.parameters),
    )
    print(f"tabgtigen: {len(gti)} intervals, {gti.duration:.3f} s written to {values['gtiset']}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``tabgtigen`` subcommand."""
    add_task(subparsers, "tabgtigen", PARAMS, run, "good time intervals from a binned table (SAS tabgtigen)")
