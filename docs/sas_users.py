"""The "for SAS users" page, generated from the command line's own parameter tables.

Every SAS-style subcommand of ``xmmframe`` (a module of :mod:`xmmframe.cli` listed in
``COMMAND_MODULES`` that registers its task through :func:`xmmframe.cli.sas_params.add_task`)
is listed with its Python counterpart and a table of its parameters (SAS name, type,
default, meaning, the keyword of the Python call that takes it), read from the task's
``PARAMS``.  The other subcommands are listed with their options from their argparse parsers.
Nothing here is written by hand but the Python counterpart of each task, so a new parameter or
task shows up on the page by itself, and a SAS task without a Python counterpart stops the
build.

Used as a Sphinx extension (the ``sas-tasks`` and ``xmmframe-commands`` directives) and by
``tests/docs/test_sas_users_page.py``.

Examples
--------
>>> [task.name for task in sas_tasks()][:3]        # doctest: +SKIP
['evselect', 'tabgtigen', 'cifbuild']
"""

from __future__ import annotations

import argparse
import inspect
import re
from dataclasses import dataclass
from importlib import import_module

from xmmframe.cli import evselect as evselect_cli
from xmmframe.cli.main import COMMAND_MODULES
from xmmframe.cli.sas_params import CLOBBER, Param

#: The Python call of each SAS task: (callable, example).  A SAS task missing here is an error.
PYTHON_CALLS: dict[str, tuple[str, str]] = {
    "evselect": ("xmmframe.evselect",
                 'xmmframe.evselect(events, "#XMMEA_EM && PATTERN<=12", spectrum="src.pha")'),
    "tabgtigen": ("xmmframe.products.gti_from_rate.tabgtigen",
                  'tabgtigen("rate.fits", "RATE<=0.4", "gti.fits")'),
    "cifbuild": ("xmmframe.ccf.cifbuild.cifbuild", 'cifbuild(["ccf/"], "2006-05-27T10:00:00")'),
    "rmfgen": ("xmmframe.products.rmfgen", "spectrum.rmf()  # or rmfgen(spectrum)"),
    "arfgen": ("xmmframe.products.arfgen", "spectrum.arf()  # or arfgen(spectrum, rmf)"),
    "backscale": ("xmmframe.products.backscale", "backscale(spectrum, events)  # or spectrum.backscale(events)"),
    "specgroup": ("xmmframe.products.group_spectrum", "spectrum.group(mincounts=25)"),
    "epiclccorr": ("xmmframe.products.epiclccorr", 'epiclccorr("src.lc", "events.fits", "bkg.lc")'),
    "odfingest": ("xmmframe.proc.odfingest.odfingest", 'odfingest("odf/")'),
    "epproc": ("xmmframe.proc.chain.epproc", 'xmmframe.open_odf("odf/").epproc()'),
    "emproc": ("xmmframe.proc.chain.emproc", 'xmmframe.open_odf("odf/").emproc()'),
    "eexpmap": ("xmmframe.exposure_map",
                'xmmframe.exposure_map(events, image, attitude="atthk.fits", pimin=500, pimax=2000)'),
    "emosaic": ("xmmframe.mosaic", 'xmmframe.mosaic(images, expmaps).rate'),
    "eregionanalyse": ("xmmframe.products.optimise_source_region",
                       'optimise_source_region(events, "circle(24635.6,24158.8,400)", '
                       '"annulus(24635.6,24158.8,1000,2000)").ds9'),
    "merge": ("xmmframe.products.merge_events", 'merge_events([events1, events2]).write_fits("merged.fits")'),
    "eboxdetect": ("xmmframe.imaging.boxdetect.box_detect",
                   'box_detect([detection_image("m1_img.fits", "m1_exp.fits")], likemin=15)'),
    "esplinemap": ("xmmframe.imaging.detect_chain.image_background",
                   'image_background(detection_image("m1_img.fits", "m1_exp.fits"), *read_box_list("eboxlist_l.fits"))'),
    "emldetect": ("xmmframe.imaging.mldetect.ml_detect",
                  "ml_detect(images_with_backgrounds, box_list, mlmin=10, extent=ExtentFit())"),
    "edetect_chain": ("xmmframe.imaging.detect_chain.detect_sources",
                      'detect_sources([detection_image("m1_img.fits", "m1_exp.fits")]).sources.write("emllist.fits")'),
    "epatplot": ("xmmframe.products.pileup.pattern_fractions",
                 'pattern_fractions(events, isolated_pattern_model("EPN"), center=(x, y), radius=40).summary()'),
}

def option_keywords() -> dict[str, str]:
    """evselect's product parameters -> the option fields they set, from the option classes' SAS tables.

    Examples
    --------
    >>> option_keywords()["ximagebinsize"]
    'ImageOptions.bin[0]'
    """
    keywords: dict[str, list[str]] = {}
    for *_, options in evselect_cli.PRODUCTS:
        for parameter in options.SAS:
            if parameter.field is not None:
                index = f"[{parameter.index}]" if parameter.index is not None else ""
                keywords.setdefault(parameter.name, []).append(f"{options.__name__}.{parameter.field}{index}")
    return {name: ", ".join(fields) for name, fields in keywords.items()}


#: Keywords that do not follow from the names (the CLI's own conversion, e.g. cli/evselect.py
#: ``options``).  Every name here must be a parameter of its task (checked by the tests).
KEYWORDS: dict[str, dict[str, str]] = {
    "evselect": {
        "table": "events", "expression": "expression", "filteredset": "filtered", "spectrumset": "spectrum",
        "rateset": "lightcurve", "imageset": "image",
        **option_keywords(),
    },
    "rmfgen": {"spectrumset": "spectrum", "nenergybins": "energy_bins[2]", "energymin": "energy_bins[0]",
               "energymax": "energy_bins[1]"},
    "arfgen": {"spectrumset": "spectrum", "rmfset": "rmf", "extendedsource": "extended",
               "detmaparray": "detmap_events", "sourcex": "source[0]", "sourcey": "source[1]"},
    "backscale": {"spectrumset": "spectrum", "badpixlocation": "events"},
    "eexpmap": {"imageset": "image_or_wcs", "attitudeset": "attitude", "eventset": "events"},
    "emosaic": {"imagesets": "images", "exposuresets": "expmaps", "minfraction": "min_fraction"},
    "eregionanalyse": {"imageset": "events", "table": "events", "srcexp": "source", "backexp": "background",
                       "expression": "selection"},
    "merge": {"set1": "lists[0]", "set2": "lists[1]", "outset": "write_fits(path)",
              "mergedifferentobs": "merge_different_obs"},
    "specgroup": {"spectrumset": "spectrum", "ratioabovebgnd": "ratio_above_background",
                  "backgndset": "background", "rmfset": "rmf", "grouptemplate": "template"},
    "epiclccorr": {"srctslist": "source", "eventlist": "events", "bkgtslist": "background",
                   "applyabsolutecorrections": "absolute"},
    "odfingest": {"odfdir": "odf"},
    "eboxdetect": {"imagesets": "images", "boxlistset": "write_box_list(path)"},
    "esplinemap": {"imageset": "image", "boxlistset": "box_list", "bkgimageset": "background_image(...).write(path)"},
    "emldetect": {"imagesets": "images", "boxlistset": "candidates", "mllistset": "source_list(...).write(path)",
                  "fitextent": "extent", "dmlextmin": "ExtentFit.dmlextmin", "minextent": "ExtentFit.minextent",
                  "maxextent": "ExtentFit.maxextent"},
    "edetect_chain": {"imagesets": "images", "likemin": "mlmin", "eboxl_likemin": "likemin",
                      "eboxm_likemin": "box_likemin", "fitextent": "extent", "dmlextmin": "ExtentFit.dmlextmin",
                      "minextent": "ExtentFit.minextent", "maxextent": "ExtentFit.maxextent"},
    "epatplot": {"set": "events", "srcradius": "radius", "expression": "selection",
                 "pileupnumberenergyrange": "band"},
}


@dataclass(frozen=True)
class SasTask:
    """One SAS-style subcommand: its name, one-line help, parameters and Python call."""

    name: str
    module: str
    help: str
    params: tuple[Param, ...]
    python: str
    example: str

    def keyword(self, param: Param) -> str:
        """The keyword of the Python call that takes ``param`` ('' when it is command-line only)."""
        if param.name in KEYWORDS.get(self.name, {}):
            return KEYWORDS[self.name][param.name]
        if param.name == "clobber":
            return "overwrite"
        try:
            signature = inspect.signature(_resolve(self.python))
        except (TypeError, ValueError):  # pragma: no cover - builtins
            return ""
        wanted = param.name.lower().replace("_", "")
        for name in signature.parameters:
            if name.lower().replace("_", "") == wanted:
                return name
        return ""


def _resolve(dotted: str):
    module, _, name = dotted.rpartition(".")
    return getattr(import_module(module), name)


def _subcommands(module: str) -> dict[str, argparse.ArgumentParser]:
    """The subcommands one CLI module registers, by name."""
    parser = argparse.ArgumentParser(prog="xmmframe")
    subparsers = parser.add_subparsers()
    import_module(f"xmmframe.cli.{module}").register(subparsers)
    return dict(subparsers.choices)


def _is_sas_task(parser: argparse.ArgumentParser) -> bool:
    """Whether a subcommand takes SAS ``name=value`` parameters (registered by ``add_task``)."""
    return any(action.dest == "parameters" and action.nargs == argparse.REMAINDER for action in parser._actions)


def sas_tasks() -> list[SasTask]:
    """Every SAS-style subcommand of ``xmmframe``, in ``COMMAND_MODULES`` order.

    Raises
    ------
    KeyError
        A SAS task without an entry in :data:`PYTHON_CALLS`.
    """
    tasks = []
    for module in COMMAND_MODULES:
        params = tuple(getattr(import_module(f"xmmframe.cli.{module}"), "PARAMS", ()))
        for name, parser in _subcommands(module).items():
            if not _is_sas_task(parser):
                continue
            if name not in PYTHON_CALLS:
                raise KeyError(f"SAS task {name!r} (xmmframe/cli/{module}.py) has no Python call in docs/sas_users.py")
            python, example = PYTHON_CALLS[name]
            help_text = (parser.description or "").split("\n\n")[0]
            tasks.append(SasTask(name, module, help_text, (*params, CLOBBER), python, example))
    return tasks


def other_commands() -> list[tuple[str, str, list[str]]]:
    """The subcommands that are not SAS tasks: (name, help, options)."""
    out = []
    for module in COMMAND_MODULES:
        for name, parser in _subcommands(module).items():
            if _is_sas_task(parser):
                continue
            options = [
                " ".join(action.option_strings) or action.dest
                for action in parser._actions
                if not isinstance(action, argparse._HelpAction)
            ]
            out.append((name, parser.description or parser.format_usage().strip(), options))
    return out


def _default(param: Param) -> str:
    if param.default is None:
        return "(required)"
    if param.kind == "bool":
        return "yes" if param.default else "no"
    return "''" if param.default == "" else str(param.default)


def _cell(text: str) -> str:
    """Text for one RST table cell: markup characters escaped, on one line."""
    return re.sub(r"([*`|\\]|_(?=\W|$))", r"\\\1", text).replace("\n", " ") or " "


def task_rst(task: SasTask) -> list[str]:
    """The RST section of one SAS task."""
    title = f"{task.name}"
    lines = [title, "-" * len(title), "", _cell(task.help) + ".", "",
             f"Python: :code:`{task.python}` — for example :code:`{task.example}`", "",
             f"Command line: :code:`xmmframe {task.name} name=value ...`", "",
             ".. list-table::", "   :header-rows: 1", "   :widths: 18 8 12 44 18", "",
             "   * - parameter", "     - type", "     - default", "     - meaning", "     - Python keyword"]
    for param in task.params:
        keyword = task.keyword(param)
        lines += [f"   * - ``{param.name}``", f"     - {param.kind}", f"     - ``{_cell(_default(param))}``",
                  f"     - {_cell(param.help)}", f"     - {f'``{keyword}``' if keyword else '—'}"]
    return [*lines, ""]


def page_rst() -> list[str]:
    """The generated part of the page: every SAS task, then the other subcommands."""
    lines: list[str] = []
    for task in sas_tasks():
        lines += task_rst(task)
    title = "Commands that are not SAS tasks"
    lines += [title, "-" * len(title), "", ".. list-table::", "   :header-rows: 1", "   :widths: 15 45 40", "",
              "   * - command", "     - what it does", "     - options"]
    for name, help_text, options in other_commands():
        lines += [f"   * - ``xmmframe {name}``", f"     - {_cell(help_text)}",
                  f"     - {', '.join(f'``{o}``' for o in options) or ' '}"]
    return ["", *lines, ""]


def setup(app):
    """Register the ``sas-tasks`` directive."""
    from docutils import nodes
    from docutils.statemachine import StringList
    from sphinx.util.docutils import SphinxDirective
    from sphinx.util.nodes import nested_parse_with_titles

    class SasTasksDirective(SphinxDirective):
        """Insert the generated task sections."""

        def run(self) -> list:
            node = nodes.section()
            node.document = self.state.document
            nested_parse_with_titles(self.state, StringList(page_rst(), source="sas_users.py"), node)
            return node.children

    app.add_directive("sas-tasks", SasTasksDirective)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
