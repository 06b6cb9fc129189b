"""``xmmframe evselect table=... expression=... withspectrumset=yes ...``: SAS evselect.

Parameter names and defaults are evselect's (SAS 20, as recorded in the ``XPROC0`` keyword of
the EXOD products), so commands from SAS threads run unchanged.  As in SAS, giving a
product's file name (``spectrumset=src.pha``) implies its ``with...set=yes``, and giving a range
or option parameter explicitly (``specchannelmax``, ``ximagemin``, ``timemin``,
``imagedatatype``, ``zcolumn``) implies its ``with...`` switch.  Not supported (an error says
so): histogram sets, ``filtertype=dataset``, celestial image centres.

Examples
--------
.. code-block:: console

    $ xmmframe evselect table=P0001730201M1S002MIEVLI.FTZ \\
          expression='#XMMEA_EM && (PI>10000) && (PATTERN==0)' \\
          withrateset=yes rateset=M1_rate.fits timebinsize=100 maketimecolumn=yes makeratecolumn=yes
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from xmmframe.cli.sas_params import Param, SasArguments, add_task, clobber_requested, command_text
from xmmframe.errors import ParameterError

PARAMS = (
    Param("table", None, "str", "input event list, set or set:EXTENSION"),
    Param("expression", "true", "str", "selection expression"),
    Param("filtertype", "expression", "str", "expression (dataset is not supported)"),
    Param("dssblock", "", "str", "(not used)"),
    Param("filteredset", "filtered.fits", "str", "filtered event list"),
    Param("withfilteredset", False, "bool", "write the filtered event list"),
    Param("keepfilteroutput", False, "bool", "keep only the selected rows"),
    Param("destruct", True, "bool", "drop rejected rows (else flag them)"),
    Param("flagcolumn", "EVFLAG", "str", "column recording the selection when rows are kept"),
    Param("flagbit", -1, "int", "bit of flagcolumn recording the selection (-1: a 0/1 column)"),
    Param("cleandss", False, "bool", "(accepted, not used)"),
    Param("updateexposure", True, "bool", "update ONTIME/LIVETIME"),
    Param("filterexposure", True, "bool", "filter the EXPOSUnn tables"),
    Param("writedss", True, "bool", "write the data subspace"),
    Param("blockstocopy", "", "str", "(accepted, not used: every block is copied)"),
    Param("attributestocopy", "", "str", "(accepted, not used)"),
    Param("energycolumn", "PHA", "str", "energy column of spectra and rate sets"),
    Param("zcolumn", "WEIGHT", "str", "weight column of images"),
    Param("withzcolumn", False, "bool", "weight images by zcolumn"),
    Param("zerrorcolumn", "EWEIGHT", "str", "(not supported)"),
    Param("withzerrorcolumn", False, "bool", "(not supported)"),
    Param("ignorelegallimits", False, "bool", "allow ranges outside TLMIN/TLMAX"),
    Param("imageset", "image.fits", "str", "output image"),
    Param("withimageset", False, "bool", "make an image"),
    Param("xcolumn", "RAWX", "str", "image x column"),
    Param("ycolumn", "RAWY", "str", "image y column"),
    Param("imagebinning", "imageSize", "str", "imageSize or binSize"),
    Param("ximagebinsize", 1.0, "float", "x bin (binSize)"),
    Param("yimagebinsize", 1.0, "float", "y bin (binSize)"),
    Param("ximagesize", 600, "int", "x pixels (imageSize)"),
    Param("yimagesize", 600, "int", "y pixels (imageSize)"),
    Param("squarepixels", False, "bool", "same bin on both axes"),
    Param("ximagemin", 1.0, "float", "x range minimum"),
    Param("ximagemax", 640.0, "float", "x range maximum"),
    Param("withxranges", False, "bool", "use ximagemin/ximagemax"),
    Param("yimagemin", 1.0, "float", "y range minimum"),
    Param("yimagemax", 640.0, "float", "y range maximum"),
    Param("withyranges", False, "bool", "use yimagemin/yimagemax"),
    Param("imagedatatype", "Real64", "str", "Int32, Real32 or Real64"),
    Param("withimagedatatype", False, "bool", "use imagedatatype (else Int32 counts)"),
    Param("raimagecenter", 0.0, "float", "(not supported)"),
    Param("decimagecenter", 0.0, "float", "(not supported)"),
    Param("withcelestialcenter", False, "bool", "(not supported)"),
    Param("spectrumset", "spectrum.fits", "str", "output spectrum"),
    Param("withspectrumset", False, "bool", "make a spectrum"),
    Param("spectralbinsize", 5, "int", "energy-column values per channel"),
    Param("specchannelmin", 0, "int", "first value binned"),
    Param("specchannelmax", 11999, "int", "last value binned (pn: 20479)"),
    Param("withspecranges", False, "bool", "use specchannelmin/max (else TLMIN/TLMAX)"),
    Param("nonStandardSpec", False, "bool", "(accepted, not used)"),
    Param("rateset", "rate.fits", "str", "output light curve"),
    Param("withrateset", False, "bool", "make a light curve"),
    Param("timecolumn", "TIME", "str", "time column"),
    Param("timebinsize", 1.0, "float", "bin size (s)"),
    Param("timemin", 0.0, "float", "start time"),
    Param("timemax", 1000.0, "float", "end time"),
    Param("withtimeranges", False, "bool", "use timemin/timemax (else TSTART/TSTOP)"),
    Param("maketimecolumn", False, "bool", "(TIME is always written)"),
    Param("makeratecolumn", False, "bool", "RATE/ERROR instead of COUNTS"),
    Param("histogramset", "histo.fits", "str", "(not supported)"),
    Param("withhistogramset", False, "bool", "(not supported)"),
    Param("histogramcolumn", "TIME", "str", "(not supported)"),
    Param("histogrambinsize", 1.0, "float", "(not supported)"),
    Param("histogrammin", 0.0, "float", "(not supported)"),
    Param("histogrammax", 1000.0, "float", "(not supported)"),
    Param("withhistoranges", False, "bool", "(not supported)"),
)


def _check_supported(values: SasArguments) -> None:
    if values.switched_on("withhistogramset", "histogramset"):
        raise ParameterError("evselect: histogram sets are not supported")
    if values["filtertype"].lower() != "expression":
        raise ParameterError(f"evselect: filtertype={values['filtertype']} is not supported (use expression)")
    if values["withcelestialcenter"]:
        raise ParameterError("evselect: withcelestialcenter is not supported; give ximagemin/ximagemax")
    if values["imagebinning"] not in ("imageSize", "binSize"):
        raise ParameterError(f"evselect: imagebinning must be imageSize or binSize, got {values['imagebinning']!r}")


def options(values: SasArguments, meta: Any = None) -> dict[str, Any]:
    """The :func:`xmmframe.evselect` keyword arguments for parsed evselect parameters.

    Without ``withspecranges`` (and no explicit channel limits) spectra cover the energy
    column's TLMIN..TLMAX, as SAS does; ``meta`` (the input's EventMeta) provides them.
    """
    _check_supported(values)
    kwargs: dict[str, Any] = {}
    if values.switched_on("withspectrumset", "spectrumset"):
        spec: dict[str, Any] = {"energy_column": values["energycolumn"], "channel_bin": values["spectralbinsize"],
                                "ignore_legal_limits": values["ignorelegallimits"]}
        if values.switched_on("withspecranges", "specchannelmin", "specchannelmax"):
            spec.update(channel_min=values["specchannelmin"], channel_max=values["specchannelmax"])
        elif meta is not None and values["energycolumn"] in meta.columns:
            info = meta.columns[values["energycolumn"]]
            if info.tlmin is not None and info.tlmax is not None:
                spec.update(channel_min=int(info.tlmin), channel_max=int(info.tlmax))
        kwargs.update(spectrum=values["spectrumset"], spectrum_options=spec)
    if values.switched_on("withrateset", "rateset"):
        rate: dict[str, Any] = {"bin": values["timebinsize"], "rate": values["makeratecolumn"],
                                "energy_column": values["energycolumn"], "time_column": values["timecolumn"]}
        if values.switched_on("withtimeranges", "timemin", "timemax"):
            rate.update(tmin=values["timemin"], tmax=values["timemax"])
        kwargs.update(lightcurve=values["rateset"], lightcurve_options=rate)
    if values.switched_on("withimageset", "imageset"):
        image: dict[str, Any] = {"xcolumn": values["xcolumn"], "ycolumn": values["ycolumn"],
                                 "square": values["squarepixels"]}
        if values["imagebinning"] == "binSize":
            image["bin"] = (values["ximagebinsize"], values["yimagebinsize"])
        else:
            image["size"] = (values["ximagesize"], values["yimagesize"])
        if values.switched_on("withxranges", "ximagemin", "ximagemax"):
            image["x_range"] = (values["ximagemin"], values["ximagemax"])
        if values.switched_on("withyranges", "yimagemin", "yimagemax"):
            image["y_range"] = (values["yimagemin"], values["yimagemax"])
        if values.switched_on("withimagedatatype", "imagedatatype"):
            image["dtype"] = values["imagedatatype"]
        if values.switched_on("withzcolumn", "zcolumn"):
            image["weights"] = values["zcolumn"]
        kwargs.update(image=values["imageset"], image_options=image)
    if values.switched_on("withfilteredset", "filteredset"):
        kwargs.update(filtered=values["filteredset"],
                      keep_filter_output=values["keepfilteroutput"] or values["destruct"],
                      flag_column=values["flagcolumn"], flag_bit=values["flagbit"])
    kwargs.update(update_exposure=values["updateexposure"], filter_exposure=values["filterexposure"],
                  write_dss=values["writedss"])
    return kwargs


def run(args: argparse.Namespace, values: SasArguments) -> int:
    """Run evselect and report what was written."""
    from xmmframe.io.events import open_events
    from xmmframe.products.evselect import evselect
    from xmmframe.select.filespec import parse_filespec

    spec = parse_filespec(values.require("table"))
    path = spec.path if spec else values["table"]
    if spec is not None and spec.block is not None and not os.path.exists(values["table"]):
        events = open_events(path, spec.block)
    else:
        events = open_events(values["table"] if os.path.exists(values["table"]) else path)
    kwargs = options(values, events.meta)
    expression = values["expression"].strip()
    result = evselect(
        events, None if expression.lower() in ("", "true") else expression, overwrite=clobber_requested(args, values),
        command=command_text("evselect", args.parameters),
        parameters={k: v for k, v in values.values.items() if values.given(k)}, **kwargs,
    )
    written = [kwargs[name] for name in ("filtered", "spectrum", "lightcurve", "image") if name in kwargs]
    print(f"evselect: {result.selected} events selected" + (f"; wrote {', '.join(written)}" if written else ""))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``evselect`` subcommand."""
    add_task(subparsers, "evselect", PARAMS, run, "select events and make spectra, light curves, images (SAS evselect)")
