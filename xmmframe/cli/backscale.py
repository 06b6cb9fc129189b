"""``xmmframe backscale spectrumset=src.pha badpixlocation=evts.fits``: BACKSCAL of a spectrum (SAS backscale).

Parameters as SAS backscale 1.6: ``spectrumset`` (the spectrum, updated in place: written to
a temporary file and renamed), ``badpixlocation`` (the event list giving bad pixels, CCD
outlines and field of view), ``withbadpixcorr`` (yes; no: the pure geometric area),
``ignoreoutoffov`` (yes), ``badpixelresolution`` (grid resolution in arcsec; 0 = by data mode,
0.5" imaging, 0.25" timing), ``useodfatt`` (no; yes is refused: xmmframe measures the CCD
positions from the event list) and ``detmaptype`` (flat; dataset is refused).  The region is
the spectrum's (its data subspace's ``POS`` entry and region table).

Examples
--------
.. code-block:: console

    $ xmmframe backscale spectrumset=M1_src.pha badpixlocation=M1_clean.fits
"""

from __future__ import annotations

import argparse

from xmmframe.cli.sas_params import Param, SasArguments, add_task, command_text
from xmmframe.errors import ParameterError

PARAMS = (
    Param("spectrumset", "spectrum.ds", "str", "spectrum to update (BACKSCAL keyword)"),
    Param("badpixlocation", "", "str", "event list with BADPIXnn tables (also gives CCD outlines and FOV)"),
    Param("withbadpixcorr", True, "bool", "remove bad pixels and chip gaps from the area"),
    Param("useodfatt", False, "bool", "use the ODF attitude (not supported)"),
    Param("ignoreoutoffov", True, "bool", "leave out the area outside the field of view"),
    Param("badpixelresolution", 0.0, "float", "grid resolution in arcsec (0: 0.5 imaging, 0.25 timing)"),
    Param("detmaptype", "flat", "str", "flat (dataset is not supported)"),
    Param("detmaparray", "", "str", "detector map (detmaptype=dataset only)"),
)


def run(args: argparse.Namespace, values: SasArguments) -> int:
    """Compute the area and write BACKSCAL into the spectrum."""
    from xmmframe.products.backscale import backscale_file

    if values["useodfatt"]:
        raise ParameterError("backscale: useodfatt=yes is not supported (the CCD positions come from the event list)")
    if values["detmaptype"].lower() != "flat":
        raise ParameterError("backscale: only detmaptype=flat is supported")
    spectrum = values.require("spectrumset")
    events = values["badpixlocation"] or None
    if events is not None and events.lower() == "notspecified":
        events = None
    resolution = values["badpixelresolution"] if values["badpixelresolution"] > 0 else None
    area = backscale_file(spectrum, events, withbadpixcorr=values["withbadpixcorr"], resolution=resolution,
                          ignore_out_of_fov=values["ignoreoutoffov"], command=command_text("backscale", args.parameters))
    print(f"backscale: BACKSCAL = {area.backscal:.0f} (geometric {area.geometric:.0f}, {area.bad_pixels} bad pixels) "
          f"written to {spectrum}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``backscale`` subcommand."""
    add_task(subparsers, "backscale", PARAMS, run, "area of a spectrum's region on the detector (SAS backscale)")
