"""``xmmframe epproc odf=ODF`` and ``xmmframe emproc odf=ODF``: calibrated pn / MOS event lists from an ODF.

Each imaging exposure gives ``P<OBSID><PN|M1|M2><EXPID><PI|MI>EVLI0000.FIT`` in ``outdir``.

Examples
--------
.. code-block:: console

    $ xmmframe epproc odf=xmmframe-demo/odf outdir=events
    $ xmmframe emproc odf=0001730201.tar.gz outdir=events atthkset=P0001730201OBX000ATTTSR0000.FIT
"""

from __future__ import annotations

import argparse

from xmmframe.cli.sas_params import Param, SasArguments, add_task

PARAMS = (
    Param("odf", None, "str", "ODF directory, its summary file, or a tar archive"),
    Param("outdir", ".", "str", "directory for the calibrated event lists"),
    Param("workdir", "", "str", "where a tar archive is extracted (default: a temporary directory)"),
    Param("randomize", True, "bool", "randomise energies in the adu bin and positions in the pixel"),
    Param("seed", 1, "int", "random seed of the randomisation"),
    Param("findhotpixels", True, "bool", "search the data for hot and flickering pixels"),
    Param(
        "atthkset",
        "",
        "str",
        "attitude file to use instead of the ODF's *ATS.FIT (e.g. an atthkgen ATTHK file)",
    ),
)


def _run(task: str, values: SasArguments) -> int:
    from xmmframe.io.odf_directory import open_odf, read_attitude
    from xmmframe.proc.chain import emproc, epproc

    obs = open_odf(values.require("odf"), values["workdir"] or None)
    options = {
        "seed": values["seed"] if values["randomize"] else None,
        "find_hot": values["findhotpixels"],
    }
    if values["atthkset"]:
        options["attitude"] = read_attitude(values["atthkset"])
    chain = epproc if task == "epproc" else emproc
    for events in chain(
        obs, outdir=values["outdir"], progress=lambda text: print(f"{task}: {text}"), **options
    ):
        print(
            f"{task}: {events.meta.source} ({events.meta.instrument} {events.meta.expidstr}, "
            f"{events.count()} events)"
        )
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``epproc`` and ``emproc`` subcommands."""
    add_task(
        subparsers,
        "epproc",
        PARAMS,
        lambda args, values: _run("epproc", values),
        "calibrated EPIC pn event lists from an ODF (SAS epproc)",
    )
    add_task(
        subparsers,
        "emproc",
        PARAMS,
        lambda args, values: _run("emproc", values),
        "calibrated EPIC MOS event lists from an ODF (SAS emproc)",
    )
