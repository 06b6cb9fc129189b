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

from xmmframe.service.app import create_app
from xmmframe.service.client import Client
from xmmframe.service.jobspec import JobSpec, parse_job_request
from xmmframe.service.limits import ServiceLimits

__all__ = ["Client", "JobSpec", "ServiceLimits", "create_app", "parse_job_request"]
