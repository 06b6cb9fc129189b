"""``xmmframe rmfgen spectrumset=src.pi rmfset=src.rmf``: the RMF of a spectrum (SAS rmfgen).

Parameters as SAS rmfgen: ``spectrumset``, ``rmfset`` (default ``response.ds``),
``withenergybins``/``energymin``/``energymax``/``nenergybins`` (even energy grid in keV;
default the calibration's grid), ``threshold`` (``LO_THRES``, 1e-6).  Calibration from
``SAS_CCF``/``SAS_CCFPATH``, else the built-in set (``CALSRC='xmmframe-builtin'``).

Examples
--------
.. code-block:: console

    $ xmmframe rmfgen spectrumset=PN_spectrum.fits rmfset=PN.rmf
"""

from __future__ import annotations

import argparse

from xmmframe.ccf.access import Calibration
from xmmframe.cli.sas_params import Param, SasArguments, add_task, command_text, refuse_existing
from xmmframe.io.responses import write_rmf
from xmmframe.products.context import ProductContext
from xmmframe.products.rmf import rmfgen

PARAMS = (
    Param("spectrumset", None, "str", "input spectrum"),
    Param("rmfset", "response.ds", "str", "output RMF"),
    Param("withenergybins", False, "bool", "use energymin/energymax/nenergybins"),
    Param("energymin", 0.0, "float", "lowest energy of the grid (keV)"),
    Param("energymax", 15.0, "float", "highest energy of the grid (keV)"),
    Param("nenergybins", 30, "int", "number of energy bins"),
    Param("threshold", 1e-6, "float", "drop matrix values below this (LO_THRES)"),
)


def run(args: argparse.Namespace, values: SasArguments) -> int:
    """Make and write the RMF."""
    output = values["rmfset"]
    refuse_existing(args, values, output)
    ctx = ProductContext.from_file(values.require("spectrumset"))
    cal = Calibration.open(observation_date=ctx.date_obs)
    bins = None
    if values.switched_on("withenergybins", "energymin", "energymax", "nenergybins"):
        bins = (values["energymin"], values["energymax"], values["nenergybins"])
    rmf = rmfgen(ctx, cal, energy_bins=bins, threshold=values["threshold"])
    write_rmf(output, rmf, history=[command_text("rmfgen", args.parameters), *cal.history()])
    print(f"rmfgen: {rmf.n_energies} energies x {rmf.detchans} channels written to {output}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``rmfgen`` subcommand."""
    add_task(subparsers, "rmfgen", PARAMS, run, "redistribution matrix of a spectrum (SAS rmfgen)")
