"""``xmmframe epatplot set=src_events.fits plotfile=epat.png``: SAS epatplot (pile-up diagnostics).

Parameters as SAS epatplot: ``set`` (the event list, already filtered to the source region as
SAS users do, or with ``srcx``/``srcy``/``srcradius`` the source circle is selected here),
``plotfile`` (the plot; PNG here), ``useplotfile`` (write it), ``pileupnumberenergyrange`` (band
of the observed-to-model ratios, eV: ``'500 2000'``).  xmmframe adds ``srcx``/``srcy`` (sky X/Y
pixels), ``srcradius`` (arcsec) and ``expression`` (a selection applied first); with a source
position the inner radius of an annulus that removes pile-up is recommended.  The expected
curves are the simulator's isolated-photon pattern model
(:func:`xmmframe.sim.pattern_model.isolated_pattern_model`).

Examples
--------
.. code-block:: console

    $ xmmframe epatplot set=pn_clean.fits plotfile=epat.png srcx=25921 srcy=25900 srcradius=40
    0.5-2.0 keV observed-to-model singles fraction: 0.980 +/- 0.004; doubles fraction: 1.081 +/- 0.016
"""

from __future__ import annotations

import argparse
import shlex

from xmmframe.cli.sas_params import Param, SasArguments, add_task, refuse_existing
from xmmframe.errors import ParameterError

PARAMS = (
    Param("set", None, "str", "event list (filtered to the source, or use srcx/srcy/srcradius)"),
    Param("plotfile", "epat.png", "str", "output plot (PNG)"),
    Param("useplotfile", True, "bool", "write the plot"),
    Param("pileupnumberenergyrange", "500 2000", "str", "band of the observed-to-model ratios (eV)"),
    Param("srcx", "", "str", "source sky X (pixels); with srcy and srcradius"),
    Param("srcy", "", "str", "source sky Y (pixels)"),
    Param("srcradius", 40.0, "float", "source radius (arcsec)"),
    Param("expression", "", "str", "selection applied first"),
)


def _band(text: str) -> tuple[float, float]:
    parts = shlex.split(text)
    try:
        lo, hi = (float(p) for p in parts)
    except ValueError:
        raise ParameterError(f"epatplot: pileupnumberenergyrange must be two numbers (eV), not {text!r}") from None
    if not 0 <= lo < hi:
        raise ParameterError(f"epatplot: pileupnumberenergyrange {lo:g}-{hi:g} is empty")
    return lo, hi


def run(args: argparse.Namespace, values: SasArguments) -> int:
    """Compute the pattern fractions, print the ratios, write the plot."""
    from xmmframe.io.atomic import check_not_input
    from xmmframe.io.events import open_events
    from xmmframe.products.pileup import pattern_fractions, recommend_annulus
    from xmmframe.sim.pattern_model import isolated_pattern_model

    path = values.require("set")
    band = _band(values["pileupnumberenergyrange"])
    center = None
    if values["srcx"] or values["srcy"]:
        try:
            center = (float(values["srcx"]), float(values["srcy"]))
        except ValueError:
            raise ParameterError("epatplot: srcx and srcy must both be numbers (sky X/Y pixels)") from None
    overwrite = refuse_existing(args, values, values["plotfile"]) if values["useplotfile"] else False
    if values["useplotfile"]:
        check_not_input(values["plotfile"], [path])
    events = open_events(path)
    model = isolated_pattern_model(str(events.meta.instrument or "EPN").strip())
    selection = values["expression"] or None
    radius = values["srcradius"] if center is not None else None
    report = pattern_fractions(events, model, center=center, radius=radius, selection=selection, band=band)
    print(report.summary())
    print(f"SNGL_OTM = {report.singles_ratio:.4f}  ESGL_OTM = {report.singles_error:.4f}  "
          f"DBLE_OTM = {report.doubles_ratio:.4f}  EDBL_OTM = {report.doubles_error:.4f}")
    print("pile-up: " + ("yes" if report.piled else "no evidence") + f" ({report.band_counts} events in the band)")
    if center is not None and report.piled:
        print(recommend_annulus(events, model, center, float(values["srcradius"]), selection=selection,
                                band=band).summary())
    if values["useplotfile"]:
        if not overwrite:
            refuse_existing(args, values, values["plotfile"])
        report.plot(values["plotfile"], protect=[path])
        print(f"epatplot: wrote {values['plotfile']}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``epatplot`` subcommand."""
    add_task(subparsers, "epatplot", PARAMS, run, "pattern fractions against energy, pile-up check (SAS epatplot)")
