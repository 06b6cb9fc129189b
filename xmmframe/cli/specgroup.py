"""``xmmframe specgroup spectrumset=src.pha mincounts=25 oversample=3 groupedset=src_grp.pha``: grouping (SAS specgroup).

Parameter names and defaults are specgroup 1.7's (as recorded in the ``XPROC`` keywords of the
grouped spectra in ``refdata/jaxspec``): ``spectrumset``, ``groupedset`` (``SpecGrp.ds``),
``overwrite`` (group the input file in place), ``backgndset``, ``mincounts``, ``minSN``,
``ratioabovebgnd``, ``oversample``, ``grouptemplate``, ``ranges``/``units`` (``CHAN``/``KEV``),
``regbinstart``/``regbinend``/``regbinwid``, ``rmfset``, ``arfset``, ``addfilenames``,
``hightolow``, ``lastbin`` (``addtogroup``/``setbad``/``owngroup``) and ``setbad`` (``CCF``, ``no``
or ranges).  Each option is active when its ``with...`` flag is yes or, without the flag,
when the option is given on the command line (``withCounts``, ``withminSN``,
``withratioabovebgnd``, ``withoversampling``, ``withtemplate``, ``withranges``,
``withRegularBins``, ``withbgdset``, ``withrmfset``, ``witharfset``), so the full parameter
lists SAS records in ``XPROCn`` run unchanged.  The output is a copy of the input with
GROUPING and QUALITY columns (every other HDU and keyword kept); ``addfilenames=yes`` sets
BACKFILE/RESPFILE/ANCRFILE to the given files.

Examples
--------
.. code-block:: console

    $ xmmframe specgroup spectrumset=PN_src.pha groupedset=PN_grp.pha mincounts=20 oversample=3 \\
          rmfset=PN.rmf arfset=PN.arf backgndset=PN_bkg.pha addfilenames=yes
"""

from __future__ import annotations

import argparse
import os

from xmmframe.cli.sas_params import Param, SasArguments, add_task, clobber_requested, refuse_existing, command_text

PARAMS = (
    Param("spectrumset", None, "str", "input spectrum"),
    Param("groupedset", "SpecGrp.ds", "str", "output grouped spectrum"),
    Param("overwrite", False, "bool", "write the grouping into the input spectrum instead"),
    Param("backgndset", "", "str", "background spectrum"),
    Param("withbgdset", False, "bool", "use backgndset"),
    Param("mincounts", 25, "int", "minimum counts (source + background) per group"),
    Param("withCounts", False, "bool", "group by mincounts"),
    Param("minSN", 5.0, "float", "minimum signal-to-noise ratio per group"),
    Param("withminSN", False, "bool", "group by minSN"),
    Param("ratioabovebgnd", 0.0, "float", "minimum (source - background) / background per group"),
    Param("withratioabovebgnd", False, "bool", "group by ratioabovebgnd"),
    Param("oversample", 3.0, "float", "groups at least FWHM/oversample wide"),
    Param("withoversampling", False, "bool", "apply oversample"),
    Param("grouptemplate", "", "str", "spectrum to copy GROUPING/QUALITY from"),
    Param("withtemplate", False, "bool", "use grouptemplate"),
    Param("ranges", "", "str", "ranges to group, e.g. 2-20,63-97 (channels) or 0.2:0.5 (units=KEV)"),
    Param("withranges", False, "bool", "use ranges"),
    Param("units", "CHAN", "str", "CHAN or KEV for ranges and setbad"),
    Param("regbinstart", 0, "int", "first position (from 1) of regular groups"),
    Param("regbinend", 0, "int", "last position of regular groups"),
    Param("regbinwid", 0, "int", "channels per regular group"),
    Param("withRegularBins", False, "bool", "make regular groups"),
    Param("rmfset", "", "str", "RMF: channel energies and resolution"),
    Param("withrmfset", False, "bool", "use rmfset"),
    Param("arfset", "", "str", "ARF (its name goes into ANCRFILE)"),
    Param("witharfset", False, "bool", "use arfset"),
    Param("addfilenames", False, "bool", "set BACKFILE, RESPFILE, ANCRFILE"),
    Param("hightolow", False, "bool", "group from high to low channels"),
    Param("lastbin", "addtogroup", "str", "addtogroup, setbad or owngroup"),
    Param("setbad", "CCF", "str", "CCF, no, or channel/keV ranges to set bad"),
)


def run(args: argparse.Namespace, values: SasArguments) -> int:
    """Group the spectrum and write the grouped copy."""
    from xmmframe.io.ogip import rewrite_table
    from xmmframe.model.products import Spectrum
    from xmmframe.products.grouping import group_spectrum

    source = values.require("spectrumset")
    target = source if values["overwrite"] else values["groupedset"]
    if not values["overwrite"]:
        refuse_existing(args, values, target)
    background = values["backgndset"] if values.switched_on("withbgdset", "backgndset") else ""
    rmf = values["rmfset"] if values.switched_on("withrmfset", "rmfset") else ""
    arf = values["arfset"] if values.switched_on("witharfset", "arfset") else ""
    template = values["grouptemplate"] if values.switched_on("withtemplate", "grouptemplate") else ""
    regular = None
    if values.switched_on("withRegularBins", "regbinwid"):
        regular = (values["regbinstart"] or 1, values["regbinend"], values["regbinwid"])
    spectrum = Spectrum.read(source)
    grouped = group_spectrum(
        spectrum,
        mincounts=values["mincounts"] if values.switched_on("withCounts", "mincounts") else None,
        min_sn=values["minSN"] if values.switched_on("withminSN", "minSN") else None,
        ratio_above_background=(values["ratioabovebgnd"] if values.switched_on("withratioabovebgnd", "ratioabovebgnd")
                                else None),
        oversample=values["oversample"] if values.switched_on("withoversampling", "oversample") else None,
        background=Spectrum.read(values.require("backgndset")) if background else None,
        rmf=rmf or None, regbin=regular,
        ranges=values["ranges"] if values.switched_on("withranges", "ranges") else None,
        units=values["units"].upper(), setbad=values["setbad"], hightolow=values["hightolow"],
        lastbin=values["lastbin"].lower(), template=Spectrum.read(template) if template else None,
    )
    names = []
    if values["addfilenames"]:
        names = [(key, os.path.basename(path), comment) for key, path, comment in (
            ("BACKFILE", background, "Background FITS file"), ("RESPFILE", rmf, "redistribution matrix"),
            ("ANCRFILE", arf, "ancillary response")) if path]
    groups = int((grouped.grouping == 1).sum())
    rewrite_table(source, target, "SPECTRUM", columns={"GROUPING": grouped.grouping, "QUALITY": grouped.quality},
                  keywords=names, drop=("GROUPING", "QUALITY"), overwrite=values["overwrite"] or clobber_requested(
                      args, values), history=[f"xmmframe specgroup: {groups} groups"],
                  command=command_text("specgroup", args.parameters),
                  protect=[p for p in (background, template) if p])
    print(f"specgroup: {groups} groups, {int((grouped.quality != 0).sum())} bad channels written to {target}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``specgroup`` subcommand."""
    add_task(subparsers, "specgroup", PARAMS, run, "group a spectrum's channels (SAS specgroup)")
