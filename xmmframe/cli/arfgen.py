"""``xmmframe arfgen spectrumset=src.pi arfset=src.arf``: the ARF of a spectrum (SAS arfgen).

Parameters as SAS arfgen: ``spectrumset``, ``arfset`` (default ``arfset.ds``),
``withrmfset``/``rmfset`` (energy grid of an RMF), ``extendedsource`` (no/yes),
``detmaptype`` (``psf``, ``flat``, or ``dataset`` with ``detmaparray`` = an event list whose
events in the region weight the map), ``modelee`` (yes), ``withbadpixcorr`` (yes) and
``badpixlocation`` (an event list: its bad pixels and CCD footprints), ``withsourcepos``/
``sourcecoords`` (``pos``: sky X/Y, ``eqpos``: RA/Dec degrees)/``sourcex``/``sourcey`` (default
the region's centre).  Calibration from ``SAS_CCF``/``SAS_CCFPATH``, else the built-in set.

Examples
--------
.. code-block:: console

    $ xmmframe arfgen spectrumset=PN_spectrum.fits arfset=PN.arf withrmfset=yes rmfset=PN.rmf \\
          badpixlocation=PN_clean.fits
"""

from __future__ import annotations

import argparse

from xmmframe.ccf.access import Calibration
from xmmframe.cli.sas_params import Param, SasArguments, add_task, command_text, refuse_existing
from xmmframe.errors import ParameterError
from xmmframe.io.responses import read_rmf, write_arf
from xmmframe.products.arf import arfgen
from xmmframe.products.context import ProductContext
from xmmframe.products.sky_pixels import sky_pixel

PARAMS = (
    Param("spectrumset", None, "str", "input spectrum"),
    Param("arfset", "arfset.ds", "str", "output ARF"),
    Param("withrmfset", False, "bool", "take the energy grid from rmfset"),
    Param("rmfset", "response.ds", "str", "RMF giving the energy grid"),
    Param("extendedsource", False, "bool", "extended source (detector map, no EE)"),
    Param("detmaptype", "psf", "str", "psf, flat or dataset"),
    Param("detmaparray", "", "str", "event list for detmaptype=dataset"),
    Param("modelee", True, "bool", "apply the encircled-energy fraction of the region"),
    Param("withbadpixcorr", True, "bool", "remove bad pixels and chip gaps (needs badpixlocation)"),
    Param("badpixlocation", "", "str", "event list with BADPIXnn tables"),
    Param("withsourcepos", False, "bool", "use sourcex/sourcey instead of the region centre"),
    Param("sourcecoords", "pos", "str", "pos (sky X/Y) or eqpos (RA/Dec deg)"),
    Param("sourcex", 0.0, "float", "source X or RA"),
    Param("sourcey", 0.0, "float", "source Y or Dec"),
)


def run(args: argparse.Namespace, values: SasArguments) -> int:
    """Make and write the ARF."""
    output = values["arfset"]
    refuse_existing(args, values, output)
    ctx = ProductContext.from_file(values.require("spectrumset"))
    cal = Calibration.open(observation_date=ctx.date_obs)
    rmf = read_rmf(values.require("rmfset")) if values.switched_on("withrmfset", "rmfset") else None
    detmaptype = values["detmaptype"].lower()
    if detmaptype not in ("psf", "flat", "dataset"):
        raise ParameterError(f"arfgen: detmaptype must be psf, flat or dataset, got {values['detmaptype']!r}")
    source = None
    if values.switched_on("withsourcepos", "sourcex", "sourcey"):
        x, y = values["sourcex"], values["sourcey"]
        source = sky_pixel(ctx.keywords, x, y) if values["sourcecoords"].lower() == "eqpos" else (x, y)
    badpix = values["badpixlocation"] if values["withbadpixcorr"] and values["badpixlocation"] else None
    arf = arfgen(ctx, rmf=rmf, calibration=cal, extended=values["extendedsource"],
                 detmap_events=values.require("detmaparray") if detmaptype == "dataset" else None,
                 source=source, modelee=values["modelee"], badpixlocation=badpix)
    write_arf(output, arf, history=[command_text("arfgen", args.parameters), *cal.history()])
    print(f"arfgen: {arf.energ_lo.size} energies, max {arf.specresp.max():.1f} cm2 written to {output}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``arfgen`` subcommand."""
    add_task(subparsers, "arfgen", PARAMS, run, "ancillary response of a spectrum (SAS arfgen)")
