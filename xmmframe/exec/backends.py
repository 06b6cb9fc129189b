"""Where per-exposure tasks run: a local process pool, or a Dask cluster.

Both take the same task tuples ``(function, *arguments)`` (small and picklable: a store path,
an exposure key, a catalogue row and the user's callable), run them, call ``on_done(index,
outcome)`` as each one finishes, and return the outcomes in task order.  The task function
(:func:`xmmframe.exec.runner.run_exposure`) never raises; a worker that dies is reported
through ``on_lost(index, text)``.

The local pool uses the ``spawn`` start method: forking a process whose Polars and numba
thread pools are running can deadlock the child, and spawned workers import xmmframe afresh
(they inherit the environment, ``PYTHONPATH`` included).

Examples
--------
>>> run_local([(len, "abc")], 1, on_done=lambda i, o: None, on_lost=lambda i, t: t)   # doctest: +SKIP
[3]
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import traceback
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from typing import Any

from xmmframe.errors import ParameterError

Task = tuple[Any, ...]
OnDone = Callable[[int, Any], None]
OnLost = Callable[[int, str], Any]


def default_workers() -> int:
    """Worker count when none is given: the CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _check_workers(workers: int | None) -> int:
    if workers is None:
        return default_workers()
    if int(workers) < 1:
        raise ParameterError(f"workers must be at least 1, not {workers}")
    return int(workers)


#: Environment variable that sets the size of Polars' thread pool when Polars is imported.
POLARS_THREADS = "POLARS_MAX_THREADS"


@contextlib.contextmanager
def _environment(name: str, value: str) -> Iterator[None]:
    """``os.environ[name] = value`` inside the block, unless the user has set it already."""
    if name in os.environ:
        yield
        return
    os.environ[name] = value
    try:
        yield
    finally:
        os.environ.pop(name, None)


class LocalPool(ProcessPoolExecutor):
    """A pool of spawned worker processes whose Polars thread pools share the CPUs between them.

    Each worker gets ``POLARS_MAX_THREADS = max(1, CPUs // workers)`` (unless the variable is
    set already): with as many workers as CPUs, a worker's Polars threads would otherwise
    compete with the other workers for the same cores.  Workers are spawned inside
    :meth:`submit`, so the variable is set there, for the spawn only.
    """

    def __init__(self, workers: int) -> None:
        super().__init__(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
        self.threads = max(1, default_workers() // workers)

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:  # type: ignore[override]
        with _environment(POLARS_THREADS, str(self.threads)):
            return super().submit(fn, *args, **kwargs)


def local_pool(workers: int | None = None) -> LocalPool:
    """A pool of ``workers`` spawned processes (default: one per available CPU), to reuse across runs.

    Examples
    --------
    >>> with local_pool(2) as pool:                                          # doctest: +SKIP
    ...     first = map_exposures(store, FlareTask(), executor=pool)
    ...     second = map_exposures(store, ImageTask(), executor=pool)
    """
    return LocalPool(_check_workers(workers))


def _collect(pool: Executor, tasks: Sequence[Task], on_done: OnDone, on_lost: OnLost) -> list[Any]:
    outcomes: list[Any] = [None] * len(tasks)
    futures = {pool.submit(*task): index for index, task in enumerate(tasks)}
    for future in as_completed(futures):
        index = futures[future]
        try:
            outcomes[index] = future.result()
        except Exception as err:  # the worker died (BrokenProcessPool) or the result did not unpickle
            outcomes[index] = on_lost(index, "".join(traceback.format_exception(err)))
        on_done(index, outcomes[index])
    return outcomes


def run_local(tasks: Sequence[Task], workers: int | None, on_done: OnDone, on_lost: OnLost,
              pool: Executor | None = None) -> list[Any]:
    """Run tasks on ``pool`` (left running), else on a new pool of ``workers`` spawned processes
    (at most one per task), shut down at the end."""
    if pool is not None:
        return _collect(pool, tasks, on_done, on_lost)
    with local_pool(min(_check_workers(workers), max(1, len(tasks)))) as owned:
        return _collect(owned, tasks, on_done, on_lost)


def _dask_client(client: Any, workers: int | None) -> tuple[Any, list[Any]]:
    """A Client from a Client, a scheduler address, or a new LocalCluster; and what to close after."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise ParameterError("the dask executor needs dask.distributed: pip install 'xmmframe[dask]'") from None
    if client is None:
        cluster = LocalCluster(n_workers=_check_workers(workers), threads_per_worker=1, processes=True,
                               dashboard_address=None)
        started = Client(cluster)
        return started, [started, cluster]
    if isinstance(client, str):
        try:
            started = Client(client, timeout="30s")
        except (OSError, TimeoutError) as err:
            raise ParameterError(f"cannot reach the Dask scheduler at {client}: {err}") from None
        return started, [started]
    if not hasattr(client, "submit"):
        raise ParameterError(f"client must be a dask.distributed Client or a scheduler address, not {client!r}")
    return client, []


def dask_client(client: Any = None, workers: int | None = None) -> tuple[Any, list[Any]]:
    """A ``dask.distributed`` Client for a Client, a scheduler address or (None) a new
    LocalCluster of ``workers`` processes with one thread each; and the things to ``close()``
    when done (what was started here).

    Raises
    ------
    ParameterError
        dask.distributed not installed, or the scheduler unreachable.

    Examples
    --------
    >>> client, owned = dask_client("tcp://127.0.0.1:8786")             # doctest: +SKIP
    """
    return _dask_client(client, workers)


def run_dask(tasks: Sequence[Task], client: Any, workers: int | None, on_done: OnDone, on_lost: OnLost) -> list[Any]:
    """Run tasks on a Dask cluster: ``client`` (a Client or scheduler address), else a LocalCluster
    of ``workers`` processes with one thread each, started here and closed at the end."""
    from dask.distributed import as_completed as dask_completed

    active, owned = _dask_client(client, workers)
    outcomes: list[Any] = [None] * len(tasks)
    try:
        futures = [active.submit(*task, pure=False) for task in tasks]
        index_of = {future.key: index for index, future in enumerate(futures)}
        for future in dask_completed(futures):
            index = index_of[future.key]
            try:
                outcomes[index] = future.result()
            except Exception as err:  # KilledWorker, a lost connection, a result that did not deserialise
                outcomes[index] = on_lost(index, "".join(traceback.format_exception(err)))
            on_done(index, outcomes[index])
            future.release()
    finally:
        for thing in owned:
            thing.close()
    return outcomes
