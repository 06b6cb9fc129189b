"""Operations on model objects that a higher layer implements (writers, readers, products, processing).

Model objects offer conveniences (``EventList.write_fits``, ``Spectrum.read``, ``Spectrum.rmf``,
``Observation.epproc``) whose work is done in ``io/``, ``select/``, ``products/`` or ``proc/``.  Layers import one way, so ``model/`` never imports those
packages: each convenience looks its implementation up here by name, and the implementing module
registers it when it is imported (as ``astropy.io.registry`` and ``regions`` do).  So that a
method works on its first call without importing every layer at start-up, the package root tells
the registry, with :func:`provide`, which module registers each name; :func:`implementation`
imports that module on first use.

Names are ``"<Class>.<method>"`` of the convenience they serve.

Examples
--------
>>> from xmmframe.model import registry
>>> @registry.register("Example.double")
... def double(value):
...     return 2 * value
>>> registry.implementation("Example.double")(21)
42
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from importlib import import_module
from typing import Any, TypeVar

Function = TypeVar("Function", bound=Callable[..., Any])

_implementations: dict[str, Callable[..., Any]] = {}
_providers: dict[str, str] = {}


def register(name: str) -> Callable[[Function], Function]:
    """Decorator: ``function`` implements the operation ``name`` (returned unchanged).

    Parameters
    ----------
    name : str
        ``"<Class>.<method>"``, e.g. ``"Spectrum.write"``.

    Examples
    --------
    >>> from xmmframe.model.registry import register
    >>> @register("Example.triple")
    ... def triple(value):
    ...     return 3 * value
    """

    def add(function: Function) -> Function:
        _implementations[name] = function
        return function

    return add


def provide(module: str, names: Iterable[str]) -> None:
    """Say that importing ``module`` registers the operations ``names``; it is imported on first use.

    Parameters
    ----------
    module : str
        An importable module name.
    names : iterable of str
        The operations it registers.

    Examples
    --------
    >>> from xmmframe.model.registry import provide
    >>> provide("xmmframe.io.ogip", ["Spectrum.write", "Spectrum.read"])
    """
    _providers.update(dict.fromkeys(names, module))


def implementation(name: str) -> Callable[..., Any]:
    """The function registered for ``name``, importing its provider module first if needed.

    Parameters
    ----------
    name : str
        ``"<Class>.<method>"``.

    Returns
    -------
    callable

    Raises
    ------
    NotImplementedError
        Nothing registers ``name`` (its provider module, if any, was imported and did not).

    Examples
    --------
    >>> from xmmframe.model.registry import implementation
    >>> implementation("EventList.write_fits").__name__
    'write_events_fits'
    """
    found = _implementations.get(name)
    if found is None and name in _providers:
        import_module(_providers[name])
        found = _implementations.get(name)
    if found is None:
        where = f" (module {_providers[name]} does not register it)" if name in _providers else ""
        raise NotImplementedError(f"no implementation of {name} is registered{where}")
    return found


def providers() -> dict[str, str]:
    """Operation name -> module that registers it, as given to :func:`provide`.

    Examples
    --------
    >>> from xmmframe.model.registry import providers
    >>> providers()["Spectrum.write"]
    'xmmframe.io.ogip'
    """
    return dict(_providers)
