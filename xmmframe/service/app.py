"""The ASGI application: REST API, pages, the job queue and the guards around them.

:func:`create_app` builds a Starlette application over an event store and a jobs directory;
``xmmframe serve`` runs it with uvicorn.  Routes (``/openapi.json`` describes the API):

* ``POST /api/jobs``, ``GET /api/jobs``, ``GET|DELETE /api/jobs/{id}``, ``GET
  /api/jobs/{id}/log``, ``GET /api/jobs/{id}/files/{name}`` (``products.tar.gz``: all files);
* ``GET /api/observations`` (``obs_id``, ``object``, ``ra``/``dec``/``radius`` degrees);
* ``GET /api/exposures/{obs}/{inst}/image.png|image.fits|image.json|lightcurve.json``
  (``?expid=``, ``?bin=``);
* pages: ``/`` (observations), ``/exposures/{obs}/{inst}`` (viewer and RISA form),
  ``/jobs``, ``/jobs/{id}``, ``/login``; the viewer's files under ``/static``.

Guards: request bodies larger than ``limits.max_body_bytes`` get 413 before they are read in
full; malformed JSON 400; fields over their limits 422; more than ``limits.max_client_jobs``
active jobs of one client 429; with a token, API calls without the bearer token or session
cookie 401 and pages a redirect to the login page; state-changing requests made with the
cookie need the CSRF token.  Every error is JSON ``{"error": "<one line>"}`` on the API.

Examples
--------
>>> from starlette.testclient import TestClient
>>> app = create_app("store", "jobs")                                           # doctest: +SKIP
>>> with TestClient(app) as client:                                             # doctest: +SKIP
...     client.post("/api/jobs", json={...}).json()
{'id': '3f0c...', 'status': 'queued'}
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from urllib.parse import parse_qs
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import jinja2
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from xmmframe.errors import RequestError, StoreError, XmmframeError
from xmmframe.exec import cone_exposures
from xmmframe.service.auth import CSRF_FIELD, CSRF_HEADER, SESSION_COOKIE, Gate
from xmmframe.service.jobqueue import JobQueue
from xmmframe.service.jobspec import FLAGS, PATTERNS, PRODUCTS, parse_job_request
from xmmframe.service.jobstore import JobStore
from xmmframe.service.limits import ServiceLimits
from xmmframe.service.openapi import OPENAPI
from xmmframe.service.paths import check_file_name, check_job_id, inside
from xmmframe.service.validate import resolve_job
from xmmframe.service.views import ExposureViews
from xmmframe.service.worker import LOG_FILE, product_files
from xmmframe.store import Store, open_store

HERE = os.path.dirname(os.path.abspath(__file__))
STATIC_DIR = os.path.join(HERE, "static")
TEMPLATES = jinja2.Environment(loader=jinja2.FileSystemLoader(os.path.join(HERE, "templates")),
                               autoescape=jinja2.select_autoescape(["html"]))
_OBSERVATION_COLUMNS = ("obs_id", "instrume", "expid", "object", "datamode", "submode", "filter", "ra_pnt",
                        "dec_pnt", "tstart", "tstop", "ontime", "livetime", "events")
_OPEN = ("/login", "/static", "/openapi.json")


def _error(message: str, status: int) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it is longer than ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise RequestError(f"the request body of {int(declared)} bytes is larger than the limit of {limit}", 413)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestError(f"the request body is larger than the limit of {limit} bytes", 413)
        chunks.append(chunk)
    return b"".join(chunks)


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except UnicodeDecodeError:
        raise RequestError("the body is not UTF-8 JSON", 400) from None
    except json.JSONDecodeError as err:
        raise RequestError(f"the body is not valid JSON: {err.msg} at line {err.lineno} column {err.colno}",
                           400) from None


def _float_arg(request: Request, name: str, default: float | None, low: float, high: float) -> float | None:
    text = request.query_params.get(name)
    if text is None or text == "":
        return default
    try:
        value = float(text)
    except ValueError:
        raise RequestError(f"{name}: {text[:40]!r} is not a number", 400) from None
    if not low <= value <= high:
        raise RequestError(f"{name}: {value:g} is outside [{low:g}, {high:g}]", 400)
    return value


class Service:
    """The state behind the routes: store, jobs, queue, views, guard and limits."""

    def __init__(self, store: Store, jobs_dir: str, *, token: str | None = None, executor: str = "local",
                 scheduler: str | None = None, max_jobs: int = 2, limits: ServiceLimits | None = None) -> None:
        self.store = store
        self.jobs_dir = os.path.abspath(jobs_dir)
        self.limits = limits or ServiceLimits()
        self.jobs = JobStore(self.jobs_dir)
        self.queue = JobQueue(store.root, self.jobs, self.jobs_dir, executor=executor, scheduler=scheduler,
                              max_jobs=max_jobs, limits=self.limits)
        self.views = ExposureViews(store, self.jobs_dir)
        self.gate = Gate(token)
        self._accept = threading.Lock()

    # ------------------------------------------------------------------ jobs

    def client_of(self, request: Request) -> str:
        """Who a request comes from, for the per-client job limit."""
        return request.client.host if request.client else "unknown"

    def submit(self, body: Any, client: str) -> str:
        """Check a job request, record it and queue it; returns the job id."""
        spec = parse_job_request(body, self.limits)
        resolved = resolve_job(self.store, spec, self.limits)
        with self._accept:  # the count and the new record in one step: concurrent requests cannot pass the limit
            if self.jobs.active_count(client) >= self.limits.max_client_jobs:
                raise RequestError(f"{client} has {self.limits.max_client_jobs} jobs queued or running, the limit: "
                                   "wait for some to finish", 429)
            job_id = uuid.uuid4().hex
            self.jobs.create(job_id, client, spec.to_dict() | {"expid": resolved.expid})
        self.queue.submit(job_id, resolved)
        return job_id

    def record(self, job_id: str) -> Any:
        """The record of a job (404 when there is none)."""
        record = self.jobs.get(check_job_id(job_id))
        if record is None:
            raise RequestError(f"no job {job_id}", 404)
        return record

    def job_json(self, record: Any) -> dict[str, Any]:
        """A job as the API gives it; a running job lists the files it has finished so far
        (each is written atomically, so a listed file is complete and can be downloaded)."""
        data = record.to_json()
        if record.status == "running":
            data["files"] = product_files(os.path.join(self.jobs_dir, record.id))
        return data

    def exposure(self, request: Request) -> tuple[str, str, str]:
        """``(obs_id, instrume, expid)`` of an exposure route, checked against the catalogue."""
        obs_id, instrume = request.path_params["obs_id"], request.path_params["instrume"]
        expid = request.query_params.get("expid") or None
        rows = self.store.exposures(obs_id, instrume, expid)
        if rows.height == 0:
            raise RequestError(f"no exposure {obs_id[:20]} {instrume[:10]}{' ' + expid[:20] if expid else ''} "
                               "in the store", 404)
        if rows.height > 1:
            raise RequestError(f"{obs_id} {instrume} has exposures {', '.join(rows['expid'])}: give ?expid=", 400)
        return obs_id, instrume, rows["expid"][0]

    def observations(self, request: Request) -> list[dict[str, Any]]:
        """Catalogue rows matching the search parameters."""
        catalog = self.store.catalog()
        ra = _float_arg(request, "ra", None, -360.0, 360.0)
        dec = _float_arg(request, "dec", None, -90.0, 90.0)
        radius = _float_arg(request, "radius", None, 0.0, 180.0)
        if (ra is None) != (dec is None) or (radius is not None and ra is None):
            raise RequestError("a cone needs ra, dec and radius (degrees)", 400)
        if ra is not None:
            try:
                catalog = cone_exposures(self.store, ra, dec, radius if radius is not None else 0.5)
            except StoreError:
                return []
        obs_id = request.query_params.get("obs_id", "").strip()[:32]
        target = request.query_params.get("object", "").strip()[:128].lower()
        rows = []
        for row in catalog.select(_OBSERVATION_COLUMNS).iter_rows(named=True):
            if obs_id and obs_id not in (row["obs_id"] or ""):
                continue
            if target and target not in (row["object"] or "").lower():
                continue
            rows.append(row)
        return rows


def create_app(
    store: Store | str | os.PathLike[str],
    jobs_dir: str | os.PathLike[str],
    *,
    token: str | None = None,
    executor: str = "local",
    scheduler: str | None = None,
    max_jobs: int = 2,
    limits: ServiceLimits | None = None,
) -> Starlette:
    """The service application.

    Parameters
    ----------
    store : Store or path
        The event store served (its catalogue gives the observations).
    jobs_dir : path
        Job records (``jobs.sqlite``) and each job's folder of files.
    token : str, optional
        Bearer token required on every API call and page (via the login page's cookie).
    executor : {'local', 'dask'}
        Where jobs run: a pool of ``max_jobs`` spawned processes, or a Dask cluster.
    scheduler : str, optional
        Dask scheduler address.
    max_jobs : int
        Jobs running at a time.
    limits : ServiceLimits, optional

    Returns
    -------
    starlette.applications.Starlette
        ``app.state.service`` is its :class:`Service`.
    """
    opened = store if isinstance(store, Store) else open_store(store)
    service = Service(opened, os.fspath(jobs_dir), token=token, executor=executor, scheduler=scheduler,
                      max_jobs=max_jobs, limits=limits)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        service.jobs.recover()
        service.queue.start()
        threading.Thread(target=service.views.warm_up, name="xmmframe-views-warm-up", daemon=True).start()
        try:
            yield
        finally:
            service.queue.stop()

    routes = _api_routes(service) + _page_routes(service)
    if os.path.isdir(STATIC_DIR):
        routes.append(Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"))
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={XmmframeError: _request_error})
    app.state.service = service
    return _Guard(app, service)  # type: ignore[return-value]


async def _request_error(request: Request, err: Exception) -> Response:
    """A request error as JSON (API) or an error page; other library errors are 422."""
    status = err.status if isinstance(err, RequestError) else 422
    message = (str(err).splitlines() or [type(err).__name__])[0]
    if request.url.path.startswith("/api"):
        return _error(message, status)
    return HTMLResponse(TEMPLATES.get_template("error.html").render(message=message, status=status),
                        status_code=status)


class _Guard:
    """ASGI wrapper: the token check on every request but the login page, static files and OpenAPI."""

    def __init__(self, app: Starlette, service: Service) -> None:
        self.app, self.service = app, service
        self.state = app.state
        self.router = app.router

    async def __call__(self, scope: dict[str, Any], receive: Callable[[], Awaitable[Any]],
                       send: Callable[[Any], Awaitable[None]]) -> None:
        if scope["type"] != "http" or not self.service.gate.enabled or scope["path"].startswith(_OPEN):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        gate = self.service.gate
        api = scope["path"].startswith("/api")
        header = request.headers.get("authorization")
        session = request.cookies.get(SESSION_COOKIE)
        if api and header is not None:
            allowed = gate.bearer_ok(header)
        else:
            allowed = gate.session_ok(session)
            if allowed and api and request.method not in ("GET", "HEAD"):
                allowed = gate.csrf_ok(session, request.headers.get(CSRF_HEADER))
        if allowed:
            await self.app(scope, receive, send)
            return
        if api:
            response: Response = _error("a valid bearer token (Authorization: Bearer ...) or session is required", 401)
        else:
            response = RedirectResponse("/login", status_code=303)
        await response(scope, receive, send)


# ---------------------------------------------------------------------------------- API


def _api_routes(service: Service) -> list[Route]:
    async def openapi(request: Request) -> Response:
        return JSONResponse(OPENAPI)

    async def post_job(request: Request) -> Response:
        body = _json(await read_body(request, service.limits.max_body_bytes))
        job_id = await run_in_threadpool(service.submit, body, service.client_of(request))
        return JSONResponse({"id": job_id, "status": "queued"}, status_code=201,
                            headers={"Location": f"/api/jobs/{job_id}"})

    async def list_jobs(request: Request) -> Response:
        return JSONResponse([service.job_json(record) for record in service.jobs.list()])

    async def get_job(request: Request) -> Response:
        return JSONResponse(service.job_json(service.record(request.path_params["job_id"])))

    async def delete_job(request: Request) -> Response:
        record = service.record(request.path_params["job_id"])
        await run_in_threadpool(service.queue.delete, record.id)
        return Response(status_code=204)

    async def job_log(request: Request) -> Response:
        record = service.record(request.path_params["job_id"])
        try:
            path = inside(service.jobs_dir, record.id, LOG_FILE)
        except RequestError:
            return PlainTextResponse("")
        with open(path, encoding="utf-8", errors="replace") as handle:
            return PlainTextResponse(handle.read()[-200_000:])

    async def job_file(request: Request) -> Response:
        name = check_file_name(request.path_params["name"])
        record = service.record(request.path_params["job_id"])
        folder = os.path.join(service.jobs_dir, record.id)
        if record.status not in ("running", "done", "failed") or name not in product_files(folder):
            raise RequestError(f"job {record.id} has no file {name!r}", 404)
        return FileResponse(inside(service.jobs_dir, record.id, name), filename=name)

    async def observations(request: Request) -> Response:
        return JSONResponse(await run_in_threadpool(service.observations, request))

    async def exposure_view(request: Request) -> Response:
        obs_id, instrume, expid = service.exposure(request)
        view = request.path_params["view"]
        bin = _float_arg(request, "bin", 80.0 if view.startswith("image") else 100.0, 1.0, 100000.0)
        if view == "image.json":
            data = await run_in_threadpool(service.views.image_json, obs_id, instrume, expid, bin)
        elif view == "lightcurve.json":
            data = await run_in_threadpool(service.views.lightcurve_json, obs_id, instrume, expid, bin)
        elif view in ("image.fits", "image.png"):
            path = await run_in_threadpool(service.views.image_file, obs_id, instrume, expid, bin, view[6:])
            return FileResponse(path, media_type="image/png" if view.endswith("png") else "application/fits")
        else:
            raise RequestError(f"no view {view[:40]!r}: use image.png, image.fits, image.json or lightcurve.json", 404)
        return Response(data, media_type="application/json")

    return [
        Route("/openapi.json", openapi),
        Route("/api/jobs", post_job, methods=["POST"]),
        Route("/api/jobs", list_jobs, methods=["GET"]),
        Route("/api/jobs/{job_id}", get_job, methods=["GET"]),
        Route("/api/jobs/{job_id}", delete_job, methods=["DELETE"]),
        Route("/api/jobs/{job_id}/log", job_log, methods=["GET"]),
        Route("/api/jobs/{job_id}/files/{name:path}", job_file, methods=["GET"]),
        Route("/api/observations", observations, methods=["GET"]),
        Route("/api/exposures/{obs_id}/{instrume}/{view}", exposure_view, methods=["GET"]),
    ]


# ---------------------------------------------------------------------------------- pages


def _form_request(form: Any, instrume: str, obs_id: str) -> dict[str, Any]:
    """The JSON job request of the exposure page's form."""
    body: dict[str, Any] = {"obs_id": obs_id, "instrume": instrume, "expid": form.get("expid") or None,
                            "products": form.getlist("products")}
    for name in ("flag", "pattern", "source", "background", "expression"):
        value = (form.get(name) or "").strip()
        if value:
            body[name] = value
    low, high = (form.get("pi_min") or "").strip(), (form.get("pi_max") or "").strip()
    try:
        if low or high:
            body["pi"] = [float(low or 0), float(high or 100000)]
        if form.get("timebinsize"):
            body["timebinsize"] = float(form["timebinsize"])
    except ValueError:
        raise RequestError("pi_min, pi_max and timebinsize must be numbers") from None
    if form.get("optimise"):
        body["optimise"] = True
    gti = (form.get("gti") or "").strip()
    if gti:
        body["gti"] = "flare" if gti == "flare" else _json(gti.encode())
    return body


def _page_routes(service: Service) -> list[Route]:
    def render(request: Request, name: str, **values: Any) -> HTMLResponse:
        session = request.cookies.get(SESSION_COOKIE)
        return HTMLResponse(TEMPLATES.get_template(name).render(
            csrf=service.gate.csrf_token(session), csrf_field=CSRF_FIELD, auth=service.gate.enabled, **values))

    async def checked_form(request: Request) -> Any:
        body = await read_body(request, service.limits.max_body_bytes)
        form = {k: v for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}
        session = request.cookies.get(SESSION_COOKIE)
        token = (form.get(CSRF_FIELD) or [""])[0]
        if not service.gate.csrf_ok(session, token):
            raise RequestError("the form's CSRF token is missing or wrong: reload the page", 403)
        return _Form(form)

    async def observations(request: Request) -> Response:
        rows = await run_in_threadpool(service.observations, request)
        return render(request, "observations.html", rows=rows, query=dict(request.query_params))

    async def exposure(request: Request) -> Response:
        obs_id, instrume, expid = service.exposure(request)
        return render(request, "exposure.html", obs_id=obs_id, instrume=instrume, expid=expid, flags=list(FLAGS),
                      patterns=list(PATTERNS), products=PRODUCTS,
                      default_flag="#XMMEA_EP" if instrume == "EPN" else "#XMMEA_EM")

    async def submit(request: Request) -> Response:
        form = await checked_form(request)
        body = _form_request(form, request.path_params["instrume"], request.path_params["obs_id"])
        job_id = await run_in_threadpool(service.submit, body, service.client_of(request))
        return RedirectResponse(f"/jobs/{job_id}", status_code=303)

    async def jobs(request: Request) -> Response:
        return render(request, "jobs.html", jobs=[record.to_json() for record in service.jobs.list()])

    async def job(request: Request) -> Response:
        record = service.record(request.path_params["job_id"])
        return render(request, "job.html", job=service.job_json(record))

    async def login(request: Request) -> Response:
        if request.method == "GET":
            return render(request, "login.html", message="")
        body = await read_body(request, 4096)
        token = (parse_qs(body.decode("utf-8", "replace")).get("token") or [""])[0]
        if not service.gate.token_ok(token):
            return HTMLResponse(TEMPLATES.get_template("login.html").render(message="wrong token", auth=True),
                                status_code=401)
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(SESSION_COOKIE, service.gate.session_value(), httponly=True, samesite="strict")
        return response

    return [
        Route("/", observations),
        Route("/exposures/{obs_id}/{instrume}", exposure),
        Route("/exposures/{obs_id}/{instrume}/jobs", submit, methods=["POST"]),
        Route("/jobs", jobs),
        Route("/jobs/{job_id}", job),
        Route("/login", login, methods=["GET", "POST"]),
    ]


class _Form:
    """A parsed urlencoded form: first value or all values of a field."""

    def __init__(self, values: dict[str, list[str]]) -> None:
        self.values = values

    def get(self, name: str, default: str | None = None) -> str | None:
        items = self.values.get(name)
        return items[0] if items else default

    def getlist(self, name: str) -> list[str]:
        return list(self.values.get(name, []))

    def __getitem__(self, name: str) -> str:
        return self.values[name][0]


__all__ = ["Service", "create_app", "read_body"]
