"""Running many exposures: per-exposure functions on local processes or Dask, and their combination.

Modules: :mod:`.exposures` (which exposures a run covers), :mod:`.backends` (process pool,
Dask), :mod:`.runner` (:func:`map_exposures` and its :class:`MapResult`), :mod:`.tasks`
(built-in per-exposure products), :mod:`.stack` (products of one position across exposures).

Examples
--------
>>> import xmmframe
>>> from xmmframe.exec import map_exposures, FlareTask
>>> store = xmmframe.open_store("store")                              # doctest: +SKIP
>>> run = map_exposures(store, FlareTask(), executor="dask", workers=2)  # doctest: +SKIP
>>> run.failures                                                     # doctest: +SKIP
[]
"""

from xmmframe.exec.backends import local_pool
from xmmframe.exec.exposures import ExposureSet, cone_exposures, resolve_exposures
from xmmframe.exec.runner import ExposureFailure, MapResult, map_exposures
from xmmframe.exec.stack import (
    LightCurveStack,
    MosaicStack,
    SpectrumStack,
    stack_lightcurves,
    stack_mosaic,
    stack_spectra,
)
from xmmframe.exec.tasks import (
    ExposureSpectrum,
    FlareTask,
    ImageTask,
    LightCurveTask,
    MosaicTask,
    SpectrumTask,
)

__all__ = [
    "ExposureFailure",
    "ExposureSet",
    "ExposureSpectrum",
    "FlareTask",
    "ImageTask",
    "LightCurveStack",
    "LightCurveTask",
    "MapResult",
    "MosaicStack",
    "MosaicTask",
    "SpectrumStack",
    "SpectrumTask",
    "cone_exposures",
    "local_pool",
    "map_exposures",
    "resolve_exposures",
    "stack_lightcurves",
    "stack_mosaic",
    "stack_spectra",
]
