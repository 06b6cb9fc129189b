"""``xmmframe edetect_chain imagesets='m1.fits m2.fits' expimagesets='m1_exp.fits m2_exp.fits'``: SAS edetect_chain.

Parameters as SAS edetect_chain where they exist: ``imagesets`` (counts images, one per band and
camera, on one grid), ``eventsets`` and ``attitudeset`` (with ``witheexpmap=yes`` the exposure
maps are made from them, one event list per image, as the chain's eexpmap step does),
``expimagesets`` (given exposure maps instead; ``witheexpmap=no``), ``pimin``/``pimax`` (one band
per image, eV), ``likemin`` (smallest ``DET_ML`` of emldetect, 10), ``eboxl_likemin`` (local-mode
box likelihood of the sources cut out of the background), ``eboxm_likemin`` (map-mode box
candidates), ``eboxl_list``, ``eboxm_list``, ``eml_list`` (the outputs: both box lists and the
source list), ``esp_withootset`` (no; yes is refused), and emldetect's ``fitextent`` (no by default here:
point-source fits, quicker on fields of many sources; emldetect's default is yes as SAS's),
``dmlextmin``, ``minextent``, ``maxextent``.  xmmframe adds ``regionset`` (ds9 regions of the
sources), ``boxsize``, ``nruns`` and ``esp_bkgimagesets`` (write the background maps, one per
image).  The excision expression for evselect is printed.  The chain composes the same library
functions as the separate tasks eboxdetect, esplinemap and emldetect, with the same results.
Outputs are refused when they exist unless ``clobber=yes``.

Examples
--------
.. code-block:: console

    $ xmmframe edetect_chain imagesets='m1_img.fits m2_img.fits' \\
          expimagesets='m1_exp.fits m2_exp.fits' witheexpmap=no pimin='500 500' pimax='2000 2000'
"""

from __future__ import annotations

import argparse
import shlex

from xmmframe.cli.detect_params import EXTENT_PARAMS
from xmmframe.cli.emldetect import extent_settings
from xmmframe.cli.sas_params import Param, SasArguments, add_task, command_text, refuse_existing
from xmmframe.errors import ParameterError

PARAMS = (
    Param("imagesets", None, "str", "counts images, one per band and camera (space separated)"),
    Param("eventsets", "", "str", "event lists, one per image (witheexpmap=yes)"),
    Param("attitudeset", "", "str", "attitude file for the exposure maps (witheexpmap=yes)"),
    Param("witheexpmap", True, "bool", "make the exposure maps from eventsets (else expimagesets)"),
    Param("expimagesets", "", "str", "exposure maps, one per image (witheexpmap=no)"),
    Param("pimin", "500", "str", "lower band edge per image (eV; one value for all)"),
    Param("pimax", "2000", "str", "upper band edge per image (eV; one value for all)"),
    Param("likemin", 10.0, "float", "smallest detection likelihood DET_ML kept (emldetect mlmin)"),
    Param("eboxl_likemin", 15.0, "float", "box likelihood of the local-mode sources cut from the background"),
    Param("eboxm_likemin", 5.0, "float", "box likelihood of the map-mode candidates fitted"),
    Param("boxsize", 5, "int", "detection box (pixels)"),
    Param("nruns", 3, "int", "box sizes boxsize * 2**k, k < nruns"),
    Param("eboxl_list", "eboxlist_l.fits", "str", "output: local-mode box list"),
    Param("eboxm_list", "eboxlist_m.fits", "str", "output: map-mode box list"),
    Param("eml_list", "emllist.fits", "str", "output: source list (SRCLIST)"),
    Param("regionset", "", "str", "output: ds9 regions of the sources (empty: none)"),
    Param("esp_bkgimagesets", "", "str", "output: background maps, one per image (empty: none)"),
    Param("esp_withootset", False, "bool", "(no; yes is not supported)"),
    Param("fitextent", False, "bool", "fit the source extent (default no: point sources; emldetect's is yes)"),
    *(p for p in EXTENT_PARAMS if p.name != "fitextent"),
)


def run(args: argparse.Namespace, values: SasArguments) -> int:
    """Run the detection chain and write the lists."""
    from xmmframe.cli.detect_inputs import bands as band_list
    from xmmframe.cli.detect_inputs import builtin_calibration_quiet, read_images, words
    from xmmframe.imaging.bkgmap import background_image
    from xmmframe.imaging.detect_chain import detect_sources, total_counts
    from xmmframe.imaging.expmap import exposure_map
    from xmmframe.imaging.srclist import write_box_list
    from xmmframe.io.atomic import check_not_input

    if values["esp_withootset"]:
        raise ParameterError("edetect_chain: esp_withootset=yes is not supported")
    images = shlex.split(values.require("imagesets"))
    bands = band_list("edetect_chain", values, len(images))
    backgrounds = words(values, "esp_bkgimagesets")
    if backgrounds and len(backgrounds) != len(images):
        raise ParameterError(f"edetect_chain: give one background map per image in esp_bkgimagesets "
                             f"({len(images)} images, {len(backgrounds)} maps)")
    outputs = [values["eboxl_list"], values["eboxm_list"], values["eml_list"], *backgrounds] + (
        [values["regionset"]] if values["regionset"] else [])
    extent = extent_settings(values)
    if values["witheexpmap"]:
        if any(b is None for b in bands):
            raise ParameterError("edetect_chain: witheexpmap=yes needs the bands in pimin and pimax")
        events = words(values, "eventsets")
        if len(events) != len(images):
            raise ParameterError(f"edetect_chain: witheexpmap=yes needs one event list per image in eventsets "
                                 f"({len(images)} images, {len(events)} event lists); or give expimagesets and "
                                 "witheexpmap=no")
        inputs = images + events + ([values["attitudeset"]] if values["attitudeset"] else [])
    else:
        maps = words(values, "expimagesets")
        if len(maps) != len(images):
            raise ParameterError(f"edetect_chain: give one exposure map per image in expimagesets ({len(images)} "
                                 f"images, {len(maps)} maps)")
        inputs = images + maps
    overwrite = refuse_existing(args, values, *outputs)
    for output in outputs:
        check_not_input(output, inputs)
    with builtin_calibration_quiet():
        if values["witheexpmap"]:
            maps = [exposure_map(ev, image, pimin=lo, pimax=hi, attitude=values["attitudeset"] or None)
                    for ev, image, (lo, hi) in zip(events, images, bands, strict=True)]  # type: ignore[misc]
        prepared = read_images(images, maps, bands)
        result = detect_sources(prepared, likemin=values["eboxl_likemin"], box_likemin=values["eboxm_likemin"],
                                mlmin=values["likemin"], boxsize=values["boxsize"], nruns=values["nruns"],
                                command=command_text("edetect_chain", args.parameters), extent=extent)
    total = total_counts(prepared)
    write_box_list(result.local_list, values["eboxl_list"], overwrite=overwrite, total_counts=total)
    write_box_list(result.map_list, values["eboxm_list"], overwrite=overwrite, total_counts=total)
    for image, path in zip(result.images, backgrounds, strict=False):
        background_image(image, image.background).write(path, overwrite=overwrite)  # type: ignore[arg-type]
    result.sources.write(values["eml_list"], overwrite=overwrite)
    if values["regionset"]:
        result.sources.write_regions(values["regionset"], overwrite=overwrite)
    print(f"edetect_chain: {result.local_list.height} local and {result.map_list.height} map box candidates, "
          f"{len(result.sources)} sources with DET_ML >= {values['likemin']:g}; wrote {values['eml_list']}")
    if len(result.sources):
        print(f"excision expression: {result.sources.excision_expression()}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``edetect_chain`` subcommand."""
    add_task(subparsers, "edetect_chain", PARAMS, run,
             "source detection: box detection, background maps, PSF fit (SAS edetect_chain)")
