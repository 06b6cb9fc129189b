"""``xmmframe emosaic imagesets='a.fits b.fits' mosaicedset=merged.fits``: SAS emosaic.

Parameters as SAS emosaic 1.16: ``imagesets`` (the images or exposure maps, space separated;
the first gives the grid), ``mosaicedset`` (output), ``exposuresets`` and ``withexposure``
(yes: the output is the rate, summed counts over summed exposure, with the exposure in an
``EXPOSURE`` image extension), ``sampling`` (``point``), ``forceuniformkwds`` (accepted).
``minfraction`` (xmmframe) masks the rate (0) below that fraction of the largest exposure.
Without ``withexposure`` the inputs are summed on the grid: images by moving their counts,
exposure maps (``CONTENT = 'EPIC EXPOSURE MAP'``) by sampling.

Examples
--------
.. code-block:: console

    $ xmmframe emosaic imagesets='pn_exp.fits m1_exp.fits m2_exp.fits' mosaicedset=merged_exp.fits
"""

from __future__ import annotations

import argparse
import shlex

from xmmframe.cli.sas_params import Param, SasArguments, add_task, refuse_existing
from xmmframe.errors import ParameterError

PARAMS = (
    Param("imagesets", None, "str", "input images or exposure maps (space separated)"),
    Param("mosaicedset", "mosaic.ds", "str", "output"),
    Param("exposuresets", "", "str", "exposure maps, one per image (withexposure=yes)"),
    Param("withexposure", False, "bool", "write the rate (counts / exposure) and the exposure"),
    Param("sampling", "point", "str", "point (the only sampling)"),
    Param("forceuniformkwds", False, "bool", "(accepted, not used)"),
    Param("minfraction", 0.1, "float", "rate masked below this fraction of the largest exposure"),
)


def run(args: argparse.Namespace, values: SasArguments) -> int:
    """Mosaic the inputs and write the result."""
    from xmmframe.imaging.mosaic import mosaic
    from xmmframe.io.atomic import check_not_input
    from xmmframe.io.fits_write import ImageHdu, write_hdus
    from xmmframe.model.products import Image
    from xmmframe.io.cards import keyword_cards, with_longstrn

    if values["sampling"].lower() != "point":
        raise ParameterError("emosaic: only sampling=point is supported")
    inputs = shlex.split(values.require("imagesets"))
    exposures = shlex.split(values["exposuresets"])
    if not inputs:
        raise ParameterError("emosaic: imagesets names no file")
    output = values["mosaicedset"]
    overwrite = refuse_existing(args, values, output)
    check_not_input(output, inputs + exposures)
    images = [Image.read(p) for p in inputs]
    if values["withexposure"]:
        if not exposures:
            raise ParameterError("emosaic: withexposure=yes needs exposuresets")
        result = mosaic(images, exposures, min_fraction=values["minfraction"])
        rate = result.rate_image()
        extension = ImageHdu(keyword_cards([("EXTNAME", "EXPOSURE", "summed exposure (s)")]),
                             result.exposure.astype("float32"))
        write_hdus(output, [ImageHdu(with_longstrn(rate.cards), rate.data.astype("float32")), extension],
                   protect=inputs + exposures)
        print(f"emosaic: rate of {len(images)} images over {int(result.mask.sum())} pixels; wrote {output}")
        return 0
    is_map = [str(i.keyword("CONTENT", "")).strip().upper() == "EPIC EXPOSURE MAP" for i in images]
    if any(is_map) and not all(is_map):
        raise ParameterError("emosaic: imagesets mixes exposure maps and counts images")
    result = mosaic(expmaps=images) if all(is_map) else mosaic(images)
    merged = result.exposure_image() if all(is_map) else result.counts_image()
    cards = merged.cards + keyword_cards(
        [(f"EMSCF{n:03d}", p, "Input Filename") for n, p in enumerate(inputs, 1)]
        + [(f"EMSCI{n:03d}", str(i.keyword("INSTRUME", "")).strip(), "Instrument") for n, i in enumerate(images, 1)])
    Image(data=merged.data, exposure=None, cards=cards).write(output, overwrite=overwrite)
    print(f"emosaic: {len(images)} {'exposure maps' if all(is_map) else 'images'} summed; wrote {output}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``emosaic`` subcommand."""
    add_task(subparsers, "emosaic", PARAMS, run, "images or exposure maps of several exposures on one grid (SAS emosaic)")
