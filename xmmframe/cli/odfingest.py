"""``xmmframe odfingest odfdir=ODF outdir=DIR``: write the SAS summary file (``*SUM.SAS``) of an ODF.

Examples
--------
.. code-block:: console

    $ xmmframe odfingest odfdir=xmmframe-demo/odf outdir=xmmframe-demo/odf
"""

from __future__ import annotations

import argparse

from xmmframe.cli.sas_params import Param, SasArguments, add_task

PARAMS = (
    Param("odfdir", None, "str", "ODF directory (with its *SUM.ASC), or a tar archive of it"),
    Param("outdir", "", "str", "where to write the *SUM.SAS (default: the ODF directory)"),
)


def run(args: argparse.Namespace, values: SasArguments) -> int:
    """Write the summary and print its path."""
    from xmmframe.proc.odfingest import odfingest

    path = odfingest(values.require("odfdir"), values["outdir"] or None)
    print(f"odfingest: wrote {path}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``odfingest`` subcommand."""
    add_task(
        subparsers,
        "odfingest",
        PARAMS,
        run,
        "write the SAS summary file (*SUM.SAS) of an ODF (SAS odfingest)",
    )
