"""The web service: a self-hosted remote reprocessing service (RISA) over an event store.

``xmmframe serve --store DIR`` runs :func:`create_app` with uvicorn; ``xmmframe submit`` and
:class:`Client` use it from scripts.  Jobs (spectra with RMF and ARF, light curves, images,
filtered event lists) are parsed and checked in the web process (:mod:`.jobspec`,
:mod:`.validate`), recorded in SQLite (:mod:`.jobstore`) and run by :mod:`.worker` on an
:mod:`xmmframe.exec` executor (:mod:`.jobqueue`).  Pages are server-rendered (``templates/``)
and host the browser viewer (``static/viewer.js``: a canvas viewer of our own, no build
step, fed by :mod:`.views`).  :mod:`.auth`, :mod:`.paths` and :mod:`.limits` keep requests
inside their bounds; :mod:`.openapi` describes the API.

Examples
--------
>>> from xmmframe.service import Client, create_app
>>> app = create_app("store", "jobs", token=None, max_jobs=2)                    # doctest: +SKIP
"""

from importlib import import_module
from typing import Any

#: Public names and the module that holds each: loaded on first use, so that the viewer's
#: payloads (:mod:`.viewdata`, used by the Jupyter widget) need no web framework.
_PUBLIC = {
    "Client": "xmmframe.service.client",
    "JobSpec": "xmmframe.service.jobspec",
    "ServiceLimits": "xmmframe.service.limits",
    "create_app": "xmmframe.service.app",
    "parse_job_request": "xmmframe.service.jobspec",
}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
