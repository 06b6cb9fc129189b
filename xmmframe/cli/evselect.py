"""``xmmframe evselect table=... expression=... withspectrumset=yes ...``: SAS evselect.

Parameter names and defaults are evselect's (SAS 20, as recorded in the ``XPROC0`` keyword of
the EXOD products), so commands from SAS threads run unchanged.  As in SAS, giving a
product's file name (``spectrumset=src.pha``) or one of its parameters (``xcolumn=X``) implies
its ``with...set=yes``, and giving a range or option parameter explicitly (``specchannelmax``,
``ximagemin``, ``timemin``, ``imagedatatype``, ``zcolumn``) implies its ``with...`` switch.  The
spectrum, light-curve and image parameters, their defaults and help come from the SAS tables of
:mod:`xmmframe.model.options`.  Not supported (an error says
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
from dataclasses import replace
from typing import Any

from xmmframe.cli.sas_params import Param, SasArguments, add_task, clobber_requested, command_text, sas_params
from xmmframe.errors import ParameterError
from xmmframe.model.options import ImageOptions, LightCurveOptions, ProductOptions, SpectrumOptions

#: The product switches, their file names and the options each product takes.
PRODUCTS = (
    ("withspectrumset", "spectrumset", "spectrum.fits", "spectrum", SpectrumOptions),
    ("withrateset", "rateset", "rate.fits", "light curve", LightCurveOptions),
    ("withimageset", "imageset", "image.fits", "image", ImageOptions),
)
_HISTOGRAM = ("histogramcolumn", "histogrambinsize", "histogrammin", "histogrammax", "withhistoranges")
#: The order in which the parameters are listed by ``--help`` and recorded in the products' HISTORY.
ORDER = """table expression filtertype dssblock filteredset withfilteredset keepfilteroutput destruct flagcolumn
flagbit cleandss updateexposure filterexposure writedss blockstocopy attributestocopy energycolumn zcolumn
withzcolumn zerrorcolumn withzerrorcolumn ignorelegallimits imageset withimageset xcolumn ycolumn imagebinning
ximagebinsize yimagebinsize ximagesize yimagesize squarepixels ximagemin ximagemax withxranges yimagemin yimagemax
withyranges imagedatatype withimagedatatype raimagecenter decimagecenter withcelestialcenter spectrumset
withspectrumset spectralbinsize specchannelmin specchannelmax withspecranges nonStandardSpec rateset withrateset
timecolumn timebinsize timemin timemax withtimeranges maketimecolumn makeratecolumn histogramset withhistogramset
histogramcolumn histogrambinsize histogrammin histogrammax withhistoranges""".split()

_PARAMS = (
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
    *(param for switch, name, default, what, _ in PRODUCTS
      for param in (Param(name, default, "str", f"output {what}"), Param(switch, False, "bool", f"make a {what}"))),
    *sas_params(*(options for *_, options in PRODUCTS)),
    Param("histogramset", "histo.fits", "str", "(not supported)"),
    Param("withhistogramset", False, "bool", "(not supported)"),
    Param("histogramcolumn", "TIME", "str", "(not supported)"),
    Param("histogrambinsize", 1.0, "float", "(not supported)"),
    Param("histogrammin", 0.0, "float", "(not supported)"),
    Param("histogrammax", 1000.0, "float", "(not supported)"),
    Param("withhistoranges", False, "bool", "(not supported)"),
)
PARAMS = tuple(sorted(_PARAMS, key=lambda param: ORDER.index(param.name)))
assert len(PARAMS) == len(ORDER), "every evselect parameter has its place in ORDER"


def _check_supported(values: SasArguments) -> None:
    if values.switched_on("withhistogramset", "histogramset", *_HISTOGRAM):
        raise ParameterError("evselect: histogram sets are not supported")
    if values["filtertype"].lower() != "expression":
        raise ParameterError(f"evselect: filtertype={values['filtertype']} is not supported (use expression)")
    if values["withcelestialcenter"]:
        raise ParameterError("evselect: withcelestialcenter is not supported; give ximagemin/ximagemax")
    if values["imagebinning"] not in ("imageSize", "binSize"):
        raise ParameterError(f"evselect: imagebinning must be imageSize or binSize, got {values['imagebinning']!r}")


def product_options(values: SasArguments, meta: Any = None) -> dict[str, ProductOptions]:
    """The options of each product the parameters ask for: ``{"spectrum": SpectrumOptions(...), ...}``.

    A product is made when its ``with...set`` is on: given, or implied by giving its file name
    or any of its own parameters (``xcolumn=X`` implies ``withimageset=yes`` unless
    ``withimageset=no`` is given, as SAS's user guide says).  Without ``withspecranges`` a
    spectrum covers the energy column's TLMIN..TLMAX, as SAS's does; ``meta`` (the input's
    EventMeta) provides them.

    Examples
    --------
    >>> from xmmframe.cli.sas_params import parse_parameters
    >>> words = ["table=ev.fits", "xcolumn=X", "ycolumn=Y", "imagebinning=binSize", "ximagebinsize=80",
    ...          "yimagebinsize=80"]
    >>> made = product_options(parse_parameters("evselect", words, PARAMS))
    >>> list(made), made["image"].bin, made["image"].xcolumn
    (['image'], (80.0, 80.0), 'X')
    """
    _check_supported(values)
    made: dict[str, ProductOptions] = {}
    for (switch, name, _, _, options), key in zip(PRODUCTS, ("spectrum", "lightcurve", "image")):
        if values.switched_on(switch, name, *options.product_children()):
            made[key] = options.from_sas(values)
    spectrum = made.get("spectrum")
    if isinstance(spectrum, SpectrumOptions) and spectrum.channel_max is None and meta is not None:
        info = meta.columns.get(spectrum.energy_column)
        if info is not None and info.tlmin is not None and info.tlmax is not None:
            made["spectrum"] = replace(spectrum, channel_min=int(info.tlmin), channel_max=int(info.tlmax))
    return made


def options(values: SasArguments, meta: Any = None) -> dict[str, Any]:
    """The :func:`xmmframe.evselect` keyword arguments for parsed evselect parameters.

    Products and their options as :func:`product_options` finds them, the output file names,
    and the filtered event list's parameters.
    """
    kwargs: dict[str, Any] = {}
    names = {"spectrum": "spectrumset", "lightcurve": "rateset", "image": "imageset"}
    for key, chosen in product_options(values, meta).items():
        kwargs.update({key: values[names[key]], f"{key}_options": chosen})
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
