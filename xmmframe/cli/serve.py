"""``xmmframe serve --store DIR``: run the web service (REST API, pages, job queue) with uvicorn.

Binds to 127.0.0.1 unless ``--host`` says otherwise.  With ``--token-file`` every API call
needs ``Authorization: Bearer <token>`` and every page a login with the token.  Jobs run on
``--max-jobs`` worker processes (``--executor local``) or a Dask cluster (``--executor dask``,
``--scheduler tcp://host:8786``; default a local cluster).  Job records and files live in
``--jobs-dir`` (default ``<store>/../jobs``); a restarted server lists the finished jobs and marks
the interrupted ones failed.

Examples
--------
.. code-block:: console

    $ xmmframe serve --store store --jobs-dir jobs --port 8000 --max-jobs 2
"""

from __future__ import annotations

import argparse
import os

from xmmframe.errors import ParameterError

#: Default limits of ``--max-client-jobs`` and ``--max-job-seconds`` (as ``ServiceLimits``).
MAX_CLIENT_JOBS, MAX_JOB_SECONDS = 100, 600.0


def run(args: argparse.Namespace) -> int:
    """Start the server (returns when it is stopped)."""
    import uvicorn  # the service extra: pip install 'xmmframe[service]'

    from xmmframe.service import ServiceLimits, create_app
    from xmmframe.service.auth import read_token

    if not 0 < args.port < 65536:
        raise ParameterError(f"--port {args.port} is not a TCP port")
    if args.scheduler and args.executor != "dask":
        raise ParameterError("--scheduler is for --executor dask")
    jobs_dir = args.jobs_dir or os.path.join(os.path.dirname(os.path.abspath(args.store)), "jobs")
    token = read_token(args.token_file) if args.token_file else None
    limits = ServiceLimits(max_client_jobs=args.max_client_jobs, max_job_seconds=args.max_job_seconds)
    app = create_app(args.store, jobs_dir, token=token, executor=args.executor, scheduler=args.scheduler,
                     max_jobs=args.max_jobs, limits=limits)
    print(f"serve: {os.path.abspath(args.store)} on http://{args.host}:{args.port} (jobs in {jobs_dir})", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, access_log=False)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``serve`` subcommand."""
    parser = subparsers.add_parser("serve", help="run the web service over an event store")
    parser.add_argument("--store", required=True, help="event store directory (xmmframe ingest)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="TCP port (default 8000)")
    parser.add_argument("--jobs-dir", help="job records and files (default: jobs beside the store)")
    parser.add_argument("--token-file", help="file whose first line is the access token")
    parser.add_argument("--executor", choices=("local", "dask"), default="local", help="where jobs run")
    parser.add_argument("--scheduler", help="Dask scheduler address (with --executor dask)")
    parser.add_argument("--max-jobs", type=int, default=2, help="jobs running at a time (default 2)")
    parser.add_argument("--max-client-jobs", type=int, default=MAX_CLIENT_JOBS,
                        help="queued and running jobs per client")
    parser.add_argument("--max-job-seconds", type=float, default=MAX_JOB_SECONDS,
                        help="run time after which a job is failed")
    parser.add_argument("--log-level", default="warning", help="uvicorn log level")
    parser.set_defaults(func=run)
