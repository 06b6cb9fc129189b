"""Run a function on every exposure of a store, in parallel, collecting results and failures.

:func:`map_exposures` sends each worker only the store directory, the exposure's key and
catalogue row, and the function; the worker opens the exposure itself
(``open_store(root).events(obs_id, instrume, expid)``, lazily) and calls
``func(events, row)``.  Event data never travel between processes; only results do, so
functions should return products (spectra, curves, count maps), not event tables.

``func`` must be picklable: a module-level function or an instance of a (data)class with
``__call__``, such as the built-in products of :mod:`xmmframe.exec.tasks`.  Workers open the
store by its absolute path, so on a remote Dask cluster the store must be on a file system
every worker sees at that path.

Examples
--------
>>> import xmmframe
>>> from xmmframe.exec import map_exposures
>>> from xmmframe.exec.tasks import SpectrumTask
>>> store = xmmframe.open_store("store")                                          # doctest: +SKIP
>>> run = map_exposures(store, SpectrumTask(149.5916, -11.0887, 30 / 3600), workers=2)  # doctest: +SKIP
>>> run.failures, [r.spectrum.total for r in run.values()]                         # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from xmmframe.errors import ParameterError, XmmframeError
from xmmframe.exec.backends import run_dask, run_local
from xmmframe.exec.exposures import ExposureSet, resolve_exposures
from xmmframe.model.events import EventList
from xmmframe.store import Store, open_store
from xmmframe.store.layout import KEY_COLUMNS, exposure_key

#: Executors :func:`map_exposures` knows.
EXECUTORS = ("local", "dask")

_OPEN_STORES: dict[str, Store] = {}


@dataclass(frozen=True)
class Outcome:
    """What one exposure's task gave: its value, or the error and traceback text."""

    value: Any = None
    error: str | None = None
    traceback: str = ""


@dataclass(frozen=True)
class ExposureFailure:
    """An exposure whose function raised (or whose worker was lost).

    Attributes
    ----------
    obs_id, instrume, expid : str
        The exposure.
    error : str
        ``ExceptionType: message``.
    traceback : str
        The traceback text, as printed in the worker.
    """

    obs_id: str
    instrume: str
    expid: str
    error: str
    traceback: str

    @property
    def key(self) -> tuple[str, str, str]:
        """``(obs_id, instrume, expid)``."""
        return self.obs_id, self.instrume, self.expid

    def __str__(self) -> str:
        return f"{exposure_key(*self.key)}: {self.error}"


@dataclass
class MapResult:
    """The results of :func:`map_exposures`, in the order of the catalogue rows given.

    Attributes
    ----------
    rows : polars.DataFrame
        The catalogue rows of the exposures run on.
    results : list
        ``func``'s value for each row; ``None`` where it failed.
    failures : list of ExposureFailure
        The exposures that failed, in row order.
    seconds : float
        Wall time of the run.
    """

    rows: pl.DataFrame
    results: list[Any]
    failures: list[ExposureFailure] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def keys(self) -> list[tuple[str, str, str]]:
        """``(obs_id, instrume, expid)`` of every row."""
        return list(self.rows.select(KEY_COLUMNS).iter_rows())

    @property
    def ok(self) -> bool:
        """True when no exposure failed."""
        return not self.failures

    def items(self) -> Iterator[tuple[tuple[str, str, str], Any]]:
        """``(key, value)`` of every exposure that succeeded, in row order."""
        failed = {failure.key for failure in self.failures}
        return ((key, value) for key, value in zip(self.keys, self.results) if key not in failed)

    def values(self) -> list[Any]:
        """The values of the exposures that succeeded, in row order."""
        return [value for _, value in self.items()]

    def succeeded(self) -> pl.DataFrame:
        """The catalogue rows of the exposures that succeeded."""
        failed = [failure.key for failure in self.failures]
        if not failed:
            return self.rows
        keys = pl.DataFrame(failed, schema=list(KEY_COLUMNS), orient="row")
        return self.rows.join(keys, on=list(KEY_COLUMNS), how="anti", maintain_order="left")

    def raise_on_failure(self) -> "MapResult":
        """This result, or an :class:`~xmmframe.errors.XmmframeError` listing the failed exposures."""
        if self.failures:
            lines = "; ".join(str(f) for f in self.failures[:5])
            more = f" (and {len(self.failures) - 5} more)" if len(self.failures) > 5 else ""
            raise XmmframeError(f"{len(self.failures)} of {self.rows.height} exposures failed: {lines}{more}")
        return self

    def __repr__(self) -> str:
        return (f"MapResult({self.rows.height} exposures, {self.rows.height - len(self.failures)} succeeded, "
                f"{len(self.failures)} failed, {self.seconds:.2f} s)")


def _store(root: str) -> Store:
    """The worker's open store (one per store directory and process)."""
    if root not in _OPEN_STORES:
        _OPEN_STORES[root] = open_store(root)
    return _OPEN_STORES[root]


def run_exposure(root: str, key: tuple[str, str, str], row: dict[str, Any],
                 func: Callable[[EventList, dict[str, Any]], Any]) -> Outcome:
    """Open one exposure from the store and apply ``func``; runs in the worker and never raises."""
    try:
        events = _store(root).events(*key)
        return Outcome(value=func(events, row))
    except Exception as err:
        return Outcome(error=f"{type(err).__name__}: {err}", traceback=traceback.format_exc())


@contextlib.contextmanager
def _progress_bar(total: int, enabled: bool | None, label: str) -> Iterator[Callable[[], None]]:
    """A rich progress bar on stderr (when it is a terminal, or when asked); yields ``advance()``."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn(f"[bold]{label}[/bold]"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        handle = bar.add_task(label, total=total)
        yield lambda: bar.advance(handle)


def map_exposures(
    exposures: Store | str | os.PathLike[str] | pl.DataFrame,
    func: Callable[[EventList, dict[str, Any]], Any],
    *,
    executor: str | Executor = "local",
    client: Any = None,
    workers: int | None = None,
    progress: bool | None = None,
    store: Store | str | os.PathLike[str] | None = None,
) -> MapResult:
    """Apply ``func(events, row)`` to every selected exposure of a store, in parallel.

    Parameters
    ----------
    exposures : Store, path or polars.DataFrame
        A store (all its exposures) or catalogue rows of one (e.g. ``store.exposures(...)``,
        :func:`~xmmframe.exec.exposures.cone_exposures`); rows need ``store``.
    func : callable
        ``func(events: EventList, row: dict) -> value``: ``events`` is the exposure as ingested
        (headers, GTIs, every extension; a lazy frame), ``row`` its catalogue row.  Must be
        picklable (module-level function, or a dataclass with ``__call__`` as in
        :mod:`xmmframe.exec.tasks`).
    executor : {'local', 'dask'} or concurrent.futures.Executor
        ``local``: a pool of spawned processes, started for this run.  ``dask``: a
        ``dask.distributed`` cluster (``pip install 'xmmframe[dask]'``).  An Executor (e.g.
        :func:`~xmmframe.exec.backends.local_pool`) is used as it is and left running, so many
        runs share its warm workers.
    client : dask.distributed.Client or str, optional
        For ``dask``: the client to use, or a scheduler address (``tcp://host:8786``); default
        a LocalCluster of ``workers`` processes (one thread each), closed when the run ends.
    workers : int, optional
        Processes of the local pool or of the LocalCluster started (default: the CPUs
        available).  Ignored when ``client`` is given.
    progress : bool, optional
        Show a progress bar on stderr (default: when stderr is a terminal).
    store : Store or path, optional
        The store the catalogue rows come from.

    Returns
    -------
    MapResult
        ``results`` in row order; an exposure whose ``func`` raised is in ``failures`` with its
        traceback text, and the others are unaffected.

    Raises
    ------
    StoreError
        No exposures, rows without their store, or rows naming unknown exposures.
    ParameterError
        An unknown executor, bad ``workers``, dask not installed or its scheduler unreachable.

    Examples
    --------
    >>> def counts(events, row):
    ...     return events.count()
    >>> run = map_exposures(store, counts, workers=2)                      # doctest: +SKIP
    >>> dict(run.items())                                                  # doctest: +SKIP
    {('0201901401', 'EMOS1', 'U002'): 22124, ...}
    >>> run = map_exposures(store.exposures(instrume="EMOS1"), counts, store=store, executor="dask")  # doctest: +SKIP
    """
    pool = executor if isinstance(executor, Executor) else None
    if pool is None and executor not in EXECUTORS:
        raise ParameterError(f"unknown executor {executor!r}: use one of {', '.join(EXECUTORS)}")
    if client is not None and executor != "dask":
        raise ParameterError("client= is for executor='dask'")
    if not callable(func):
        raise ParameterError(f"func must be callable, not {func!r}")
    chosen: ExposureSet = resolve_exposures(exposures, store)
    keys = chosen.keys
    tasks = [(run_exposure, chosen.root, key, row, func) for key, row in zip(keys, chosen.rows.iter_rows(named=True))]

    def lost(index: int, text: str) -> Outcome:
        return Outcome(error=f"worker lost: {text.strip().splitlines()[-1]}", traceback=text)

    start = time.perf_counter()
    with _progress_bar(len(tasks), progress, f"{getattr(func, '__name__', type(func).__name__)}") as advance:
        def done(index: int, outcome: Outcome) -> None:
            advance()

        if pool is not None or executor == "local":
            outcomes = run_local(tasks, workers, done, lost, pool)
        else:
            outcomes = run_dask(tasks, client, workers, done, lost)
    failures = [ExposureFailure(*key, outcome.error, outcome.traceback)
                for key, outcome in zip(keys, outcomes) if outcome.error is not None]
    return MapResult(chosen.rows, [outcome.value for outcome in outcomes], failures, time.perf_counter() - start)
