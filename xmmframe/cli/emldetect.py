"""``xmmframe emldetect imagesets=... expimagesets=... bkgimagesets=... boxlistset=eboxlist_m.fits``: SAS emldetect.

Maximum-likelihood PSF fit of a box list's candidates in all images at once
(:func:`~xmmframe.imaging.mldetect.ml_detect`), written as the source list
(:class:`~xmmframe.imaging.srclist.SourceList`).  Parameters as SAS's: ``imagesets``,
``expimagesets`` with ``withexpimage``, ``bkgimagesets`` (esplinemap's maps), ``boxlistset``
(eboxdetect's map-mode list), ``mllistset`` (the output), ``mlmin``, ``fitextent`` (the beta-model
extent fit, yes as SAS), ``dmlextmin``, ``minextent``, ``maxextent`` (core radii, image pixels),
``ecut`` (fit window: PSF fraction; xmmframe's default 0.8, SAS's 0.68), ``nmaxfit``, ``pimin``/``pimax``
(one band per image, eV; empty: the images' own selection).  xmmframe adds ``regionset`` (ds9
regions of the sources).  Outputs are refused when they exist unless ``clobber=yes``.

Examples
--------
.. code-block:: console

    $ xmmframe emldetect imagesets='m1_img.fits' expimagesets='m1_exp.fits' bkgimagesets='m1_bkg.fits' \\
          boxlistset=eboxlist_m.fits mllistset=emllist.fits mlmin=10 fitextent=yes
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from xmmframe.cli.detect_params import BAND_PARAMS, EXTENT_PARAMS, IMAGE_PARAMS
from xmmframe.cli.sas_params import Param, SasArguments, add_task, command_text, refuse_existing

if TYPE_CHECKING:
    from xmmframe.imaging.mldetect import ExtentFit

PARAMS = (
    *IMAGE_PARAMS,
    Param("bkgimagesets", None, "str", "background maps, one per image"),
    Param("boxlistset", None, "str", "box list of the candidates (eboxdetect, map mode)"),
    Param("mllistset", "emllist.fits", "str", "output: source list (SRCLIST)"),
    Param("mlmin", 10.0, "float", "smallest detection likelihood DET_ML kept"),
    *EXTENT_PARAMS,
    Param("ecut", 0.8, "float", "fit window: the radius holding this PSF fraction"),
    Param("nmaxfit", 0, "int", "fit at most this many candidates (0: all)"),
    *BAND_PARAMS,
    Param("regionset", "", "str", "output: ds9 regions of the sources (empty: none)"),
)


def extent_settings(values: SasArguments) -> "ExtentFit | None":
    """The :class:`~xmmframe.imaging.mldetect.ExtentFit` of ``fitextent`` and its parameters (None without)."""
    from xmmframe.imaging.mldetect import ExtentFit

    if not values["fitextent"]:
        return None
    return ExtentFit(dmlextmin=values["dmlextmin"], minextent=values["minextent"], maxextent=values["maxextent"])


def run(args: argparse.Namespace, values: SasArguments) -> int:
    """Fit the candidates and write the source list."""
    from xmmframe.cli.detect_inputs import (bands, builtin_calibration_quiet, exposure_maps, read_images,
                                            with_backgrounds, words)
    from xmmframe.imaging.mldetect import ml_detect
    from xmmframe.imaging.srclist import read_box_list, source_list
    from xmmframe.io.atomic import check_not_input

    images = words(values, "imagesets") or [values.require("imagesets")]
    maps = exposure_maps("emldetect", values, images)
    backgrounds = words(values, "bkgimagesets")
    boxlist = values.require("boxlistset")
    outputs = [values["mllistset"]] + ([values["regionset"]] if values["regionset"] else [])
    overwrite = refuse_existing(args, values, *outputs)
    for output in outputs:
        check_not_input(output, [*images, *(m for m in maps if m), *backgrounds, boxlist])
    extent = extent_settings(values)
    prepared = with_backgrounds("emldetect", read_images(images, maps, bands("emldetect", values, len(images))),
                                backgrounds)
    candidates, _ = read_box_list(boxlist)
    with builtin_calibration_quiet():
        fitted = ml_detect(prepared, candidates, mlmin=values["mlmin"], ecut=values["ecut"],
                           nmaxfit=values["nmaxfit"] or None, extent=extent)
        sources = source_list(fitted, prepared, command=command_text("emldetect", args.parameters))
    sources.write(values["mllistset"], overwrite=overwrite)
    if values["regionset"]:
        sources.write_regions(values["regionset"], overwrite=overwrite)
    extended = int((sources.frame["EXT"] > 0).sum()) if len(sources) else 0
    print(f"emldetect: {len(sources)} sources with DET_ML >= {values['mlmin']:g} ({extended} extended) of "
          f"{candidates.height} candidates; wrote {values['mllistset']}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``emldetect`` subcommand."""
    add_task(subparsers, "emldetect", PARAMS, run, "maximum-likelihood PSF fit of box candidates (SAS emldetect)")
