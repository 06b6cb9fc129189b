"""xmmframe: XMM-Newton EPIC data analysis on Polars LazyFrames.

The event-list core (``open_events``, ``scan_fits``, ``EventList``, ``GTI``) is imported at
once; products, shapes, ODF access and their numba kernels load on first use, so scripts that
only scan tables stay light.

Examples
--------
>>> import xmmframe
>>> events = xmmframe.open_events("P0001730201M1S002MIEVLI.FTZ")      # doctest: +SKIP
>>> events.filter("#XMMEA_EM && PATTERN<=12").count()                  # doctest: +SKIP
"""

from importlib import import_module
from typing import Any

from xmmframe import errors
from xmmframe._version import __version__
from xmmframe.io.events import open_events
from xmmframe.io.fits_scan import scan_fits
from xmmframe.model.events import EventList
from xmmframe.model.gti import GTI
from xmmframe.model.meta import ColumnInfo, EventMeta
from xmmframe.model import registry as _registry

#: Subpackages reachable as attributes (``xmmframe.select.compile``), imported on first access.
_SUBPACKAGES = ("ccf", "exec", "imaging", "io", "model", "proc", "products", "select", "sim", "store")

#: Public names loaded on first access, and the module that holds each.
_LAZY = {
    "open_odf": "xmmframe.io.odf_directory",
    "Observation": "xmmframe.model.observation",
    "Image": "xmmframe.model.products",
    "ImageOptions": "xmmframe.model.options",
    "LightCurveOptions": "xmmframe.model.options",
    "SpectrumOptions": "xmmframe.model.options",
    "LightCurve": "xmmframe.model.products",
    "Spectra": "xmmframe.model.products",
    "Spectrum": "xmmframe.model.products",
    "evselect": "xmmframe.products",
    "exposure_map": "xmmframe.imaging",
    "mosaic": "xmmframe.imaging",
    "flare_gti": "xmmframe.products",
    "ingest": "xmmframe.store",
    "map_exposures": "xmmframe.exec",
    "open_store": "xmmframe.store",
    "Store": "xmmframe.store",
    **{
        name: "xmmframe.select"
        for name in ("Annulus", "Box", "Circle", "Ellipse", "EllipticAnnulus", "Line", "Pie", "Point",
                     "Polygon", "Rectangle", "Region")
    },
}

__all__ = ["GTI", "ColumnInfo", "EventList", "EventMeta", "errors", "open_events", "scan_fits", *_LAZY]

#: The module that implements each model convenience (``Spectrum.write``, ``EventList.spectrum``,
#: ``Observation.epproc``...), imported on first use: model objects never import the layers
#: above them (see :mod:`xmmframe.model.registry`).
_PROVIDERS = {
    "xmmframe.io.events": ("EventList.write_fits",),
    "xmmframe.io.fits_scan": ("EventMeta.extensions",),
    "xmmframe.io.header_meta": ("EventMeta.metadata", "Product.metadata"),
    "xmmframe.io.odf_directory": ("Observation.attitude", "Observation.header", "Observation.scan_constituent"),
    "xmmframe.io.ogip": ("GTI.read", "Image.read", "Image.write", "LightCurve.read", "LightCurve.write",
                         "Spectra.read", "Spectra.write", "Spectrum.read", "Spectrum.write"),
    "xmmframe.io.parquet": ("EventList.write_parquet",),
    "xmmframe.io.responses": ("Arf.read", "Arf.write", "Rmf.read", "Rmf.write"),
    "xmmframe.proc.chain": ("Observation.emproc", "Observation.epproc"),
    "xmmframe.products.backscale": ("Spectrum.backscale",),
    "xmmframe.products.grouping": ("Spectrum.group",),
    "xmmframe.products.gti_from_rate": ("LightCurve.gti",),
    "xmmframe.products.image": ("EventList.image",),
    "xmmframe.products.lightcurve": ("EventList.lightcurve",),
    "xmmframe.products.quicklook": ("Image.plot", "LightCurve.plot", "Spectrum.plot"),
    "xmmframe.products.arf": ("Spectrum.arf",),
    "xmmframe.products.rmf": ("Spectrum.rmf",),
    "xmmframe.products.spectrum": ("EventList.spectrum",),
    "xmmframe.select.compiler": ("EventList.compile",),
}
for _module, _names in _PROVIDERS.items():
    _registry.provide(_module, _names)
del _module, _names


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    if name in _SUBPACKAGES:
        return import_module(f"xmmframe.{name}")
    raise AttributeError(f"module 'xmmframe' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | set(_SUBPACKAGES))
