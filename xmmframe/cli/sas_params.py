"""SAS-style task parameters: ``name=value`` arguments with typed defaults.

SAS tasks take their parameters as ``name=value`` words (``table=events.fits:EVENTS
expression='PI>200' withspectrumset=yes``).  This module parses them against a task's
parameter list: names are matched case-insensitively, one layer of matching quotes is removed
from values (``expression='#XMMEA_EM && PI>200'`` as written in SAS threads), booleans are
``yes/no`` (also ``y/n``, ``true/false``, ``t/f``), and an unknown name, a missing ``=`` or a
value of the wrong type is a :class:`~xmmframe.errors.ParameterError` naming the task and the
parameter (with the closest known names).  Other SAS-style commands register through
:func:`add_task`.

Examples
--------
>>> params = (Param("table", None, "str"), Param("timebinsize", 1.0, "float"), Param("withrateset", False, "bool"))
>>> args = parse_parameters("evselect", ["table=ev.fits", "timebinsize=100", "withrateset=yes"], params)
>>> args["timebinsize"], args["withrateset"], args.given("table")
(100.0, True, True)
"""

from __future__ import annotations

import argparse
import difflib
import os
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from xmmframe.errors import OutputError, ParameterError
from xmmframe.model.options import ProductOptions

_TRUE = {"yes", "y", "true", "t", "1"}
_FALSE = {"no", "n", "false", "f", "0"}


@dataclass(frozen=True)
class Param:
    """One task parameter.

    Attributes
    ----------
    name : str
        The SAS name (``withspectrumset``).
    default : Any
        Typed default; None for a required parameter without default.
    kind : str
        ``str``, ``int``, ``float`` or ``bool``.
    help : str
        One line for ``--help``.
    """

    name: str
    default: Any
    kind: str = "str"
    help: str = ""

    def convert(self, text: str, task: str) -> Any:
        """The value of ``text`` as this parameter's type."""
        if self.kind == "bool":
            word = text.strip().lower()
            if word in _TRUE:
                return True
            if word in _FALSE:
                return False
            raise ParameterError(f"{task}: parameter {self.name} must be yes or no, got {text!r}")
        if self.kind in ("int", "float"):
            try:
                number = float(text)
            except ValueError:
                raise ParameterError(f"{task}: parameter {self.name} must be a number, got {text!r}") from None
            if self.kind == "int":
                if number != int(number):
                    raise ParameterError(f"{task}: parameter {self.name} must be an integer, got {text!r}")
                return int(number)
            return number
        return text


@dataclass(frozen=True)
class SasArguments:
    """Parsed parameters: every parameter's value (default or given) and which were given."""

    task: str
    values: dict[str, Any]
    explicit: frozenset[str]

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def given(self, name: str) -> bool:
        """Whether the user set this parameter on the command line."""
        return name in self.explicit

    def switched_on(self, switch: str, *children: str) -> bool:
        """Whether a ``with...`` switch is on, with SAS's implied-switch rule.

        A switch given on the command line is what it says; otherwise giving one of its child
        parameters turns it on, else it keeps its default.  SAS's user guide: "evselect
        -xcolumn=RAWX implies -withimageset=yes (unless -withimageset=NO explicitly set)".

        Examples
        --------
        >>> table = [Param("withrateset", False, "bool"), Param("rateset", "rate.fits", "str")]
        >>> parse_parameters("evselect", ["rateset=lc.fits"], table).switched_on("withrateset", "rateset")
        True
        >>> parse_parameters("evselect", ["withrateset=no", "rateset=lc.fits"], table).switched_on(
        ...     "withrateset", "rateset")
        False
        """
        if self.given(switch):
            return bool(self.values[switch])
        return bool(self.values[switch]) or any(self.given(name) for name in children)

    def require(self, name: str) -> Any:
        """The value of a parameter that has no default, or a ParameterError."""
        value = self.values.get(name)
        if value is None or value == "":
            raise ParameterError(f"{self.task}: parameter {name} is required")
        return value


def unquote(text: str) -> str:
    """Remove one layer of matching single or double quotes.

    Examples
    --------
    >>> unquote("'PI > 200'"), unquote('"x"'), unquote("a'b'")
    ('PI > 200', 'x', "a'b'")
    """
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def parse_parameters(task: str, tokens: Sequence[str], params: Sequence[Param]) -> SasArguments:
    """Parse ``name=value`` words against a task's parameters.

    Raises
    ------
    ParameterError
        A word without ``=``, an unknown parameter (with suggestions), a value of the wrong type.
    """
    by_name = {p.name.lower(): p for p in params}
    values = {p.name: p.default for p in params}
    explicit: set[str] = set()
    for token in tokens:
        name, sep, text = token.partition("=")
        if not sep or not name.strip():
            raise ParameterError(f"{task}: expected name=value, got {token!r}")
        param = by_name.get(name.strip().lower())
        if param is None:
            close = difflib.get_close_matches(name.strip().lower(), by_name, n=3)
            hint = f"; did you mean {', '.join(by_name[c].name for c in close)}?" if close else ""
            raise ParameterError(f"{task}: unknown parameter {name.strip()!r}{hint}")
        values[param.name] = param.convert(unquote(text.strip()), task)
        explicit.add(param.name)
    return SasArguments(task, values, frozenset(explicit))


def command_text(task: str, tokens: Sequence[str]) -> str:
    """The command as typed, for the ``XPROC0`` header keyword.

    Examples
    --------
    >>> command_text("tabgtigen", ["table=rate.fits", "expression=RATE<=0.4"])
    "tabgtigen table=rate.fits 'expression=RATE<=0.4'"
    """
    return " ".join([task, *(shlex.quote(t) for t in tokens)])


def clobber_requested(args: argparse.Namespace, values: SasArguments | None = None) -> bool:
    """Whether existing outputs may be replaced: ``clobber=yes``, ``-c/--clobber`` or ``SAS_CLOBBER=1``."""
    if values is not None and values.given("clobber"):
        return bool(values["clobber"])
    if getattr(args, "clobber", False):
        return True
    return os.environ.get("SAS_CLOBBER", "").strip().lower() in _TRUE


def refuse_existing(
    args: argparse.Namespace, values: SasArguments | None, *paths: str | os.PathLike[str]
) -> bool:
    """SAS clobber semantics: refuse to replace an existing output unless clobber was asked for.

    Returns whether existing outputs may be replaced (to pass on as ``overwrite``).

    Raises
    ------
    xmmframe.errors.OutputError
        Naming the first output that exists, when clobber was not requested.
    """
    overwrite = clobber_requested(args, values)
    for path in paths:
        if not overwrite and path and os.path.exists(path):
            raise OutputError("exists; use clobber=yes (or --clobber) to replace it", path)
    return overwrite


def _kind(value: Any) -> str:
    for python, kind in ((bool, "bool"), (int, "int"), (float, "float"), (str, "str")):
        if isinstance(value, python):
            return kind
    raise TypeError(f"no parameter kind for {value!r}")


def sas_params(*options: type[ProductOptions]) -> tuple[Param, ...]:
    """The task parameters of option classes' SAS tables, with SAS's defaults and help.

    A SAS parameter that several classes share (``energycolumn``) is listed once.

    Examples
    --------
    >>> from xmmframe.model.options import LightCurveOptions, SpectrumOptions
    >>> params = sas_params(SpectrumOptions, LightCurveOptions)
    >>> [p for p in params if p.name == "energycolumn"]
    [Param(name='energycolumn', default='PHA', kind='str', help='energy column of spectra and rate sets')]
    """
    found: dict[str, Param] = {}
    for cls in options:
        for parameter in cls.SAS:
            default = cls.sas_default(parameter)
            param = Param(parameter.name, default, _kind(default), parameter.help)
            if found.setdefault(parameter.name, param) != param:
                raise ValueError(f"SAS parameter {parameter.name} is described twice, differently")
    return tuple(found.values())


#: The parameter every task accepts: replace existing outputs.
CLOBBER = Param("clobber", False, "bool", "replace existing output files (also -c, --clobber, SAS_CLOBBER=1)")


def add_task(
    subparsers: argparse._SubParsersAction,
    task: str,
    params: Sequence[Param],
    run: Callable[[argparse.Namespace, SasArguments], int],
    help: str,
) -> argparse.ArgumentParser:
    """Register a SAS-style subcommand: ``xmmframe TASK name=value ...``.

    ``--help`` lists the parameters with their defaults.
    """
    listing = "\n".join(
        f"  {p.name:<20} {_show_default(p):<14} {p.help}" for p in (*params, CLOBBER)
    )
    parser = subparsers.add_parser(
        task, help=help, description=f"{help}\n\nparameters (name=value):\n{listing}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-c", "--clobber", action="store_true", help="replace existing output files")
    parser.add_argument("parameters", nargs=argparse.REMAINDER, metavar="name=value")

    def func(args: argparse.Namespace) -> int:
        values = parse_parameters(task, args.parameters, (*params, CLOBBER))
        return run(args, values)

    parser.set_defaults(func=func)
    return parser


def _show_default(param: Param) -> str:
    if param.default is None:
        return "(required)"
    if param.kind == "bool":
        return "yes" if param.default else "no"
    return repr(param.default) if param.default == "" else str(param.default)


__all__ = ["CLOBBER", "Param", "SasArguments", "add_task", "clobber_requested", "command_text", "parse_parameters",
           "refuse_existing", "sas_params", "unquote"]
