"""A small Python client of the service's REST API (what ``xmmframe submit`` uses).

Examples
--------
>>> client = Client("http://127.0.0.1:8000", token=None)                        # doctest: +SKIP
>>> job = client.submit({"obs_id": "0001730201", "instrume": "EMOS1", "products": ["image"]})  # doctest: +SKIP
>>> client.wait(job["id"])["files"]                                             # doctest: +SKIP
['image.fits', 'image.fits.png', 'job.log', 'products.tar.gz']
>>> client.download(job["id"], "image.fits", "image.fits")                      # doctest: +SKIP
"""

from __future__ import annotations

import os
import time
from typing import Any

import httpx

from xmmframe.errors import RequestError
from xmmframe.io.atomic import atomic_output


class Client:
    """Talks to one service.

    Parameters
    ----------
    url : str
        The service's address (``http://127.0.0.1:8000``).
    token : str, optional
        The bearer token, when the service needs one.
    timeout : float
        Seconds per request.
    transport : httpx transport, optional
        E.g. an ``httpx.ASGITransport`` to talk to an application in the same process.
    """

    def __init__(self, url: str, token: str | None = None, timeout: float = 60.0, transport: Any = None) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=timeout, transport=transport)

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _check(self, response: httpx.Response) -> httpx.Response:
        if response.status_code >= 400:
            try:
                message = response.json().get("error", response.text)
            except ValueError:
                message = response.text[:200]
            raise RequestError(f"{response.request.method} {response.request.url.path}: {message}",
                               response.status_code)
        return response

    def submit(self, request: dict[str, Any]) -> dict[str, Any]:
        """``POST /api/jobs``: ``{"id", "status"}``."""
        return self._check(self.http.post("/api/jobs", json=request)).json()

    def job(self, job_id: str) -> dict[str, Any]:
        """``GET /api/jobs/{id}``."""
        return self._check(self.http.get(f"/api/jobs/{job_id}")).json()

    def jobs(self) -> list[dict[str, Any]]:
        """``GET /api/jobs``."""
        return self._check(self.http.get("/api/jobs")).json()

    def delete(self, job_id: str) -> None:
        """``DELETE /api/jobs/{id}``."""
        self._check(self.http.delete(f"/api/jobs/{job_id}"))

    def observations(self, **search: Any) -> list[dict[str, Any]]:
        """``GET /api/observations`` (``obs_id``, ``object``, ``ra``, ``dec``, ``radius``)."""
        return self._check(self.http.get("/api/observations", params=search)).json()

    def wait(self, job_id: str, timeout: float = 600.0, interval: float = 0.5) -> dict[str, Any]:
        """Poll a job until it is done or failed; the final status."""
        end = time.monotonic() + timeout
        while True:
            job = self.job(job_id)
            if job["status"] in ("done", "failed"):
                return job
            if time.monotonic() > end:
                raise RequestError(f"job {job_id} still {job['status']} after {timeout:g} s", 408)
            time.sleep(interval)

    def download(self, job_id: str, name: str, path: str | os.PathLike[str]) -> str:
        """Download one file of a job to ``path`` (written atomically); returns the path."""
        with self.http.stream("GET", f"/api/jobs/{job_id}/files/{name}") as response:
            if response.status_code >= 400:
                response.read()
                self._check(response)
            with atomic_output(path) as stream:
                for chunk in response.iter_bytes():
                    stream.write(chunk)
        return os.fspath(path)


__all__ = ["Client"]
