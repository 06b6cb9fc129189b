"""``xmmframe eexpmap imageset=img.fits attitudeset=att.fits eventset=evts.fits expimageset=exp.fits``: SAS eexpmap.

Parameter names and defaults are SAS eexpmap's (4.6.5, as recorded in the ``XPROC0`` of the XGA
maps): ``imageset`` (template image: its grid and WCS), ``attitudeset`` (atthkgen ATTHK or ODF
ATS file), ``eventset`` (the event list), ``expimageset`` (output), ``pimin``/``pimax`` (band in
eV, one band), ``withvignetting``, ``withdetcoords`` (a DETX/DETY template), ``attrebin``
(arcsec).  ``usefastpixelization`` (yes: one sample per pixel, else
``subpixels`` x ``subpixels``) and ``usedlimap`` (no; yes is refused) are accepted.  The
output is refused when it exists unless ``clobber=yes``.  Calibration: SAS_CCF/SAS_CCFPATH,
else the built-in set.

Examples
--------
.. code-block:: console

    $ xmmframe eexpmap imageset=mos1_img.fits attitudeset=P0201903501OBX000ATTTSR0000.FIT \\
          eventset=mos1_clean_evts.fits expimageset=mos1_expmap.fits pimin=500 pimax=2000
"""

from __future__ import annotations

import argparse
import warnings

from xmmframe.cli.sas_params import Param, SasArguments, add_task, command_text, refuse_existing
from xmmframe.errors import CalibrationWarning, ParameterError

PARAMS = (
    Param("imageset", None, "str", "template image (its grid and WCS)"),
    Param("attitudeset", "", "str", "attitude file (atthkgen ATTHK or ODF ATS); empty: RA_PNT/DEC_PNT/PA_PNT"),
    Param("eventset", None, "str", "event list (GTIs, frames, bad pixels, CCD layout)"),
    Param("expimageset", "expimage.ds", "str", "output exposure map"),
    Param("pimin", "500", "str", "lower end of the band (PI, eV)"),
    Param("pimax", "12000", "str", "upper end of the band (PI, eV)"),
    Param("withvignetting", True, "bool", "apply the mirror vignetting"),
    Param("withdetcoords", False, "bool", "the template is a DETX/DETY image"),
    Param("attrebin", 4.0, "float", "largest pointing change within an attitude step (arcsec)"),
    Param("usefastpixelization", False, "bool", "one sample per pixel (else subpixels x subpixels)"),
    Param("subpixels", 8, "int", "samples per pixel along each axis"),
    Param("usedlimap", False, "bool", "(no; yes is not supported)"),
)


def _band(values: SasArguments) -> tuple[float, float]:
    parts = [values["pimin"].split(), values["pimax"].split()]
    if len(parts[0]) != 1 or len(parts[1]) != 1:
        raise ParameterError("eexpmap: give one band (one pimin and one pimax value)")
    try:
        return float(parts[0][0]), float(parts[1][0])
    except ValueError:
        raise ParameterError(f"eexpmap: pimin/pimax must be numbers, not {values['pimin']!r}/{values['pimax']!r}") from None


def run(args: argparse.Namespace, values: SasArguments) -> int:
    """Make the exposure map and write it."""
    from xmmframe.imaging.expmap import exposure_map
    from xmmframe.io.atomic import check_not_input

    if values["usedlimap"]:
        raise ParameterError("eexpmap: usedlimap=yes is not supported")
    image, events, output = values.require("imageset"), values.require("eventset"), values["expimageset"]
    attitude = values["attitudeset"] or None
    pimin, pimax = _band(values)
    overwrite = refuse_existing(args, values, output)
    check_not_input(output, [p for p in (image, events, attitude) if p])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        emap = exposure_map(events, image, pimin=pimin, pimax=pimax, attitude=attitude,
                            withvignetting=values["withvignetting"], withdetcoords=values["withdetcoords"],
                            attrebin=values["attrebin"], subpixels=1 if values["usefastpixelization"] else
                            values["subpixels"], command=command_text("eexpmap", args.parameters))
    emap.write(output, overwrite=overwrite)
    print(f"eexpmap: {emap.data.shape[1]} x {emap.data.shape[0]} map, max {float(emap.data.max()):.1f} s, "
          f"{emap.keyword('NATTSTEP')} attitude steps; wrote {output}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``eexpmap`` subcommand."""
    add_task(subparsers, "eexpmap", PARAMS, run, "exposure map of an event list on an image's grid (SAS eexpmap)")
