"""The job queue: accepted jobs run one per worker on an :mod:`xmmframe.exec` executor.

The web process only keeps the books.  ``max_jobs`` dispatcher threads each take the oldest
queued job, mark it running, hand :func:`xmmframe.service.worker.run_job` to the executor (a
pool of ``max_jobs`` spawned processes from :func:`xmmframe.exec.local_pool`, or a Dask
cluster through :func:`xmmframe.exec.backends.dask_client`), copy its progress file into the
record while it runs, and record its files or its one-line error when it ends.  A job that
outlives ``max_job_seconds`` (the worker's own timer failed to stop it, e.g. on a Dask worker
thread) is marked failed; a worker process that dies fails its job with the reason.

Examples
--------
>>> queue = JobQueue("store", JobStore("jobs"), "jobs", max_jobs=2)           # doctest: +SKIP
>>> queue.start(); queue.submit("ab12cd34ef56", resolved)                     # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import threading
import time
from typing import Any

from xmmframe.errors import ParameterError
from xmmframe.exec import local_pool
from xmmframe.exec.backends import dask_client
from xmmframe.service.jobstore import JobStore
from xmmframe.service.limits import ServiceLimits
from xmmframe.service.validate import ResolvedJob
from xmmframe.service.worker import PROGRESS_FILE, JobTimeout, product_files, run_job

EXECUTORS = ("local", "dask")
_POLL = 0.2


class JobQueue:
    """Runs jobs on an executor and records what happens to them.

    Parameters
    ----------
    store_root : str
        The event store directory (absolute: workers open it themselves).
    jobs : JobStore
        The job records.
    jobs_dir : str
        Where each job's folder is made (``jobs_dir/<id>``).
    executor : {'local', 'dask'}
    scheduler : str, optional
        Dask scheduler address (default: a LocalCluster of ``max_jobs`` processes).
    max_jobs : int
        Jobs running at a time (worker processes).
    limits : ServiceLimits
    """

    def __init__(self, store_root: str, jobs: JobStore, jobs_dir: str, *, executor: str = "local",
                 scheduler: str | None = None, max_jobs: int = 2, limits: ServiceLimits | None = None) -> None:
        if executor not in EXECUTORS:
            raise ParameterError(f"unknown executor {executor!r}: use local or dask")
        if int(max_jobs) < 1:
            raise ParameterError(f"max_jobs must be at least 1, not {max_jobs}")
        self.store_root = os.path.abspath(store_root)
        self.jobs, self.jobs_dir = jobs, os.path.abspath(jobs_dir)
        self.executor, self.scheduler, self.max_jobs = executor, scheduler, int(max_jobs)
        self.limits = limits or ServiceLimits()
        self._waiting: queue.Queue[tuple[str, ResolvedJob] | None] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._pool: Any = None
        self._owned: list[Any] = []
        self._deleted: set[str] = set()
        self._lock = threading.Lock()

    def folder(self, job_id: str) -> str:
        """The folder of a job's files."""
        return os.path.join(self.jobs_dir, job_id)

    def start(self) -> None:
        """Start the executor and the dispatcher threads."""
        if self._threads:
            return
        if self.executor == "local":
            self._pool = local_pool(self.max_jobs)
        else:
            self._pool, self._owned = dask_client(self.scheduler, self.max_jobs)
        for number in range(self.max_jobs):
            thread = threading.Thread(target=self._dispatch, name=f"xmmframe-job-{number}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        """Stop taking jobs and shut the executor down (running jobs are abandoned)."""
        for _ in self._threads:
            self._waiting.put(None)
        if self.executor == "local" and self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        for thing in self._owned:
            thing.close()
        self._threads = []

    def submit(self, job_id: str, job: ResolvedJob) -> None:
        """Queue a recorded job (its folder is made now)."""
        os.makedirs(self.folder(job_id), exist_ok=True)
        self._waiting.put((job_id, job))

    def delete(self, job_id: str) -> None:
        """Forget a job: its record and folder (a running job's folder goes when it ends)."""
        with self._lock:
            self._deleted.add(job_id)
        self.jobs.delete(job_id)
        shutil.rmtree(self.folder(job_id), ignore_errors=True)

    def _progress(self, job_id: str) -> None:
        try:
            with open(os.path.join(self.folder(job_id), PROGRESS_FILE), encoding="utf-8") as handle:
                value = float(json.load(handle)["progress"])
        except (OSError, ValueError, KeyError, TypeError):
            return
        self.jobs.progress(job_id, min(value, 0.99))

    def _dispatch(self) -> None:
        while True:
            item = self._waiting.get()
            if item is None:
                return
            job_id, job = item
            with self._lock:
                if job_id in self._deleted:
                    continue
            self._run(job_id, job)

    def _submit(self, job_id: str, job: ResolvedJob) -> Any:
        args = (run_job, self.store_root, self.folder(job_id), job.to_dict(), self.limits.max_job_seconds)
        if self.executor == "dask":
            return self._pool.submit(*args, pure=False)
        return self._pool.submit(*args)

    def _run(self, job_id: str, job: ResolvedJob) -> None:
        self.jobs.started(job_id)
        deadline = time.monotonic() + self.limits.max_job_seconds + 30.0
        try:
            future = self._submit(job_id, job)
            while not future.done():
                if time.monotonic() > deadline:
                    future.cancel()
                    raise TimeoutError(f"the job ran longer than the limit of {self.limits.max_job_seconds:g} s")
                time.sleep(_POLL)
                self._progress(job_id)
            result = future.result()
        except (Exception, JobTimeout) as err:  # the job's error, its time limit, a lost worker, the deadline
            message = f"{type(err).__name__}: {err}" if not str(err).startswith(type(err).__name__) else str(err)
            self.jobs.failed(job_id, message, product_files(self.folder(job_id)))
        else:
            self.jobs.finished(job_id, list(result["files"]))
        with self._lock:
            if job_id in self._deleted:
                shutil.rmtree(self.folder(job_id), ignore_errors=True)


__all__ = ["EXECUTORS", "JobQueue"]
