"""``xmmframe eboxdetect imagesets='m1.fits m2.fits' expimagesets='m1_exp.fits m2_exp.fits'``: SAS eboxdetect.

Sliding-box detection on the sum of the images (:func:`~xmmframe.imaging.boxdetect.box_detect`),
in local mode or, with ``usemap=yes``, against the background maps ``bkgimagesets`` (esplinemap's).
Parameters as SAS's: ``imagesets``, ``expimagesets`` with ``withexpimage``, ``bkgimagesets``,
``usemap``, ``boxlistset`` (the output list), ``likemin``, ``boxsize``, ``nruns``, ``pimin``/``pimax``
(one band per image, eV; empty: the images' own selection).  The list's header records the
images' counts (``IMGCTS``) for esplinemap.  Outputs are refused when they exist unless
``clobber=yes``.

Examples
--------
.. code-block:: console

    $ xmmframe eboxdetect imagesets='m1_img.fits m2_img.fits' expimagesets='m1_exp.fits m2_exp.fits' \\
          likemin=15 boxlistset=eboxlist_l.fits
"""

from __future__ import annotations

import argparse

from xmmframe.cli.detect_params import BAND_PARAMS, IMAGE_PARAMS
from xmmframe.cli.sas_params import Param, SasArguments, add_task, refuse_existing

PARAMS = (
    *IMAGE_PARAMS,
    Param("usemap", False, "bool", "map mode: background from bkgimagesets (else local mode)"),
    Param("bkgimagesets", "", "str", "background maps, one per image (usemap=yes)"),
    Param("boxlistset", "eboxlist.fits", "str", "output: box list (SRCLIST)"),
    Param("likemin", 8.0, "float", "smallest box likelihood kept"),
    Param("boxsize", 5, "int", "detection box (pixels)"),
    Param("nruns", 3, "int", "box sizes boxsize * 2**k, k < nruns"),
    *BAND_PARAMS,
)


def run(args: argparse.Namespace, values: SasArguments) -> int:
    """Run the box detection and write the list."""
    from xmmframe.cli.detect_inputs import (bands, builtin_calibration_quiet, exposure_maps, read_images,
                                            with_backgrounds, words)
    from xmmframe.imaging.boxdetect import box_detect
    from xmmframe.imaging.detect_chain import total_counts
    from xmmframe.imaging.srclist import write_box_list
    from xmmframe.io.atomic import check_not_input

    images = words(values, "imagesets") or [values.require("imagesets")]
    maps = exposure_maps("eboxdetect", values, images)
    backgrounds = words(values, "bkgimagesets") if values["usemap"] else []
    output = values["boxlistset"]
    overwrite = refuse_existing(args, values, output)
    check_not_input(output, [*images, *(m for m in maps if m), *backgrounds])
    prepared = read_images(images, maps, bands("eboxdetect", values, len(images)))
    if values["usemap"]:
        prepared = with_backgrounds("eboxdetect", prepared, backgrounds)
    with builtin_calibration_quiet():
        found = box_detect(prepared, boxsize=values["boxsize"], likemin=values["likemin"], nruns=values["nruns"],
                           usemap=values["usemap"])
    write_box_list(found, output, overwrite=overwrite, total_counts=total_counts(prepared))
    print(f"eboxdetect: {found.height} {'map' if values['usemap'] else 'local'}-mode candidates with likelihood >= "
          f"{values['likemin']:g}; wrote {output}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``eboxdetect`` subcommand."""
    add_task(subparsers, "eboxdetect", PARAMS, run, "sliding-box source detection, local or map mode (SAS eboxdetect)")
