"""``xmmframe esplinemap imageset=m1.fits expimageset=m1_exp.fits boxlistset=eboxlist_l.fits``: SAS esplinemap.

The background map of one image with the sources of a local-mode box list cut out
(:func:`~xmmframe.imaging.detect_chain.image_background`: a source-masked smoothed rate times
the exposure map, not SAS's spline fit).  Parameters as SAS's: ``imageset``, ``expimageset``
with ``withexpimage``, ``boxlistset`` (eboxdetect's list, whose ``IMGCTS`` shares its rates out
among the images it was made from), ``bkgimageset`` (the output map, on the image's grid),
``scut`` (cut-out: where a source falls below this fraction of the background).  xmmframe adds
``smoothing`` (Gaussian sigma, arcsec) and ``pimin``/``pimax`` (the band, eV; empty: the image's
own selection).  Outputs are refused when they exist unless ``clobber=yes``.

Examples
--------
.. code-block:: console

    $ xmmframe esplinemap imageset=m1_img.fits expimageset=m1_exp.fits boxlistset=eboxlist_l.fits \\
          bkgimageset=m1_bkg.fits
"""

from __future__ import annotations

import argparse

from xmmframe.cli.sas_params import Param, SasArguments, add_task, refuse_existing
from xmmframe.imaging.bkgmap import SMOOTHING

PARAMS = (
    Param("imageset", None, "str", "counts image"),
    Param("withexpimage", True, "bool", "use the exposure map expimageset"),
    Param("expimageset", "", "str", "exposure map of the image"),
    Param("boxlistset", None, "str", "local-mode box list (eboxdetect) of the sources to cut out"),
    Param("bkgimageset", "bkgimage.fits", "str", "output: background map"),
    Param("scut", 0.005, "float", "cut a source out to where it falls below scut times the background"),
    Param("smoothing", SMOOTHING, "float", "Gaussian sigma of the smoothing (arcsec)"),
    Param("pimin", "", "str", "lower band edge (eV; empty: from the image)"),
    Param("pimax", "", "str", "upper band edge (eV; empty: from the image)"),
)


def run(args: argparse.Namespace, values: SasArguments) -> int:
    """Make the background map and write it."""
    from xmmframe.cli.detect_inputs import bands, builtin_calibration_quiet, exposure_maps, read_images
    from xmmframe.imaging.bkgmap import background_image
    from xmmframe.imaging.detect_chain import image_background
    from xmmframe.imaging.srclist import read_box_list
    from xmmframe.io.atomic import check_not_input

    image = values.require("imageset")
    boxlist = values.require("boxlistset")
    maps = exposure_maps("esplinemap", values, [image], name="expimageset")
    output = values["bkgimageset"]
    overwrite = refuse_existing(args, values, output)
    check_not_input(output, [image, boxlist, *(m for m in maps if m)])
    prepared = read_images([image], maps, bands("esplinemap", values, 1))[0]
    sources, total = read_box_list(boxlist)
    with builtin_calibration_quiet():
        background = image_background(prepared, sources, total, smoothing=values["smoothing"], scut=values["scut"])
    background_image(prepared, background).write(output, overwrite=overwrite)
    print(f"esplinemap: background of {image} with {sources.height} sources cut out, "
          f"{float(background.sum()):.1f} counts; wrote {output}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``esplinemap`` subcommand."""
    add_task(subparsers, "esplinemap", PARAMS, run, "background map with the box list's sources cut out "
                                                    "(SAS esplinemap)")
