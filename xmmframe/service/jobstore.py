"""Job records in SQLite (standard library ``sqlite3``) under the jobs directory.

One row per job: its id, the client that submitted it, status (``queued``, ``running``,
``done``, ``failed``), progress, times, the request, its files and its error.  The database is
in WAL mode and every write is one transaction, so a crash never leaves a half-updated record;
:meth:`JobStore.recover` (run when the server starts) marks the jobs a stopped server left
queued or running as failed, with the reason.

Examples
--------
>>> import tempfile
>>> jobs = JobStore(tempfile.mkdtemp())
>>> record = jobs.create("ab12cd34ef56", "client", {"obs_id": "0001730201"})
>>> jobs.get("ab12cd34ef56").status
'queued'
>>> jobs.recover()
1
>>> jobs.get("ab12cd34ef56").error
'interrupted: the server stopped before the job finished'
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from typing import Any

DATABASE = "jobs.sqlite"
STATUSES = ("queued", "running", "done", "failed")
ACTIVE = ("queued", "running")
INTERRUPTED = "interrupted: the server stopped before the job finished"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    client TEXT NOT NULL,
    status TEXT NOT NULL,
    progress REAL NOT NULL DEFAULT 0,
    created REAL NOT NULL,
    started REAL,
    finished REAL,
    request TEXT NOT NULL,
    files TEXT NOT NULL DEFAULT '[]',
    error TEXT
)
"""


@dataclass(frozen=True)
class JobRecord:
    """One job as the database holds it."""

    id: str
    client: str
    status: str
    progress: float
    created: float
    started: float | None
    finished: float | None
    request: dict[str, Any]
    files: list[str] = field(default_factory=list)
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The job as recorded (the job contract, plus times and the request)."""
        return {"id": self.id, "status": self.status, "progress": self.progress, "files": self.files,
                "error": self.error, "created": self.created, "started": self.started, "finished": self.finished,
                "request": self.request}


class JobStore:
    """The job database of a jobs directory (created when missing).

    Parameters
    ----------
    folder : str
        The jobs directory; the database is ``folder/jobs.sqlite``.
    """

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = os.fspath(folder)
        os.makedirs(self.folder, exist_ok=True)
        self.path = os.path.join(self.folder, DATABASE)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(_SCHEMA)

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def _write(self, sql: str, args: tuple[Any, ...]) -> int:
        with self._lock:
            cursor = self._db.execute(sql, args)
            return cursor.rowcount

    def _rows(self, sql: str, args: tuple[Any, ...] = ()) -> list[JobRecord]:
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        return [JobRecord(r[0], r[1], r[2], r[3], r[4], r[5], r[6], json.loads(r[7]), json.loads(r[8]), r[9])
                for r in rows]

    _COLUMNS = "id, client, status, progress, created, started, finished, request, files, error"

    def create(self, job_id: str, client: str, request: dict[str, Any]) -> JobRecord:
        """Record a new queued job."""
        now = time.time()
        self._write("INSERT INTO jobs (id, client, status, progress, created, request) VALUES (?, ?, 'queued', 0, ?, ?)",
                    (job_id, client, now, json.dumps(request)))
        return JobRecord(job_id, client, "queued", 0.0, now, None, None, request)

    def get(self, job_id: str) -> JobRecord | None:
        """The job, or None."""
        rows = self._rows(f"SELECT {self._COLUMNS} FROM jobs WHERE id = ?", (job_id,))
        return rows[0] if rows else None

    def list(self, limit: int = 1000) -> list[JobRecord]:
        """The newest jobs first."""
        return self._rows(f"SELECT {self._COLUMNS} FROM jobs ORDER BY created DESC LIMIT ?", (limit,))

    def active_count(self, client: str) -> int:
        """Queued and running jobs of one client."""
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM jobs WHERE client = ? AND status IN ('queued', 'running')",
                                        (client,)).fetchone()[0])

    def started(self, job_id: str) -> None:
        """The job began running."""
        self._write("UPDATE jobs SET status = 'running', started = ? WHERE id = ? AND status = 'queued'",
                    (time.time(), job_id))

    def progress(self, job_id: str, value: float) -> None:
        """Record a running job's progress."""
        self._write("UPDATE jobs SET progress = ? WHERE id = ? AND status = 'running'", (value, job_id))

    def finished(self, job_id: str, files: list[str]) -> None:
        """The job made its products."""
        self._write("UPDATE jobs SET status = 'done', progress = 1, finished = ?, files = ? WHERE id = ? "
                    "AND status IN ('queued', 'running')", (time.time(), json.dumps(files), job_id))

    def failed(self, job_id: str, error: str, files: list[str] | None = None) -> None:
        """The job failed; ``error`` is one line."""
        line = (error.strip().splitlines() or ["failed"])[0][:2000]
        self._write("UPDATE jobs SET status = 'failed', finished = ?, error = ?, files = ? WHERE id = ? "
                    "AND status IN ('queued', 'running')", (time.time(), line, json.dumps(files or []), job_id))

    def delete(self, job_id: str) -> bool:
        """Remove the record; False when there was none."""
        return self._write("DELETE FROM jobs WHERE id = ?", (job_id,)) > 0

    def recover(self) -> int:
        """Mark the jobs left queued or running by a stopped server as failed; returns how many."""
        return self._write("UPDATE jobs SET status = 'failed', finished = ?, error = ? "
                           "WHERE status IN ('queued', 'running')", (time.time(), INTERRUPTED))


__all__ = ["ACTIVE", "INTERRUPTED", "STATUSES", "JobRecord", "JobStore"]
