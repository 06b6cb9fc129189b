"""``xmmframe merge set1=ev1.fits set2=ev2.fits outset=merged.fits``: SAS merge for event lists.

Parameter names and defaults are SAS merge's (0.15): ``set1``, ``set2`` (the event lists),
``outset`` (the merged list), ``mergedifferentobs`` (allow lists of different observations),
``withradec``/``ra``/``dec`` (sky reference point of the merged X/Y; default the mean of the
lists' reference points).  Attitude and orbit files are not handled (event lists only).  The
output is refused when it exists unless ``clobber=yes``; see
:mod:`xmmframe.products.merge` for the rules.

Examples
--------
.. code-block:: console

    $ xmmframe merge set1=mos1S001.fits set2=mos1U002.fits outset=mos1_merged.fits
"""

from __future__ import annotations

import argparse
import warnings

from xmmframe.cli.sas_params import Param, SasArguments, add_task, command_text, refuse_existing
from xmmframe.errors import MergeWarning

PARAMS = (
    Param("set1", None, "str", "first event list"),
    Param("set2", None, "str", "second event list"),
    Param("outset", "merged.ds", "str", "merged event list"),
    Param("mergedifferentobs", False, "bool", "allow event lists of different observations"),
    Param("withradec", False, "bool", "use ra/dec as the sky reference point of the merged X/Y"),
    Param("ra", 0.0, "float", "reference right ascension (degrees, withradec=yes)"),
    Param("dec", 0.0, "float", "reference declination (degrees, withradec=yes)"),
)


def run(args: argparse.Namespace, values: SasArguments) -> int:
    """Merge the two event lists and write the result."""
    from xmmframe.io.atomic import check_not_input
    from xmmframe.io.events import open_events
    from xmmframe.products.merge import merge_events

    first, second, output = values.require("set1"), values.require("set2"), values["outset"]
    refuse_existing(args, values, output)
    check_not_input(output, [first, second])
    radec = {"ra": values["ra"], "dec": values["dec"]} if values.switched_on("withradec", "ra", "dec") else {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", MergeWarning)
        merged = merge_events([open_events(first), open_events(second)],
                              merge_different_obs=values["mergedifferentobs"],
                              command=command_text("merge", args.parameters), **radec)
    for warning in caught:
        print(f"merge: warning: {warning.message}")
    merged.write_fits(output)
    print(f"merge: {merged.count()} events from {first} and {second}; wrote {output}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``merge`` subcommand."""
    add_task(subparsers, "merge", PARAMS, run, "concatenate two event lists in time order (SAS merge)")
