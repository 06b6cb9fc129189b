"""``xmmframe submit URL ...``: submit a job to a running service, wait for it, download its files.

Examples
--------
.. code-block:: console

    $ xmmframe submit http://127.0.0.1:8000 --obs 0001730201 --instrument EMOS1 \\
          --expression '#XMMEA_EM && (PATTERN<=12) && (PI in [500:10000])' \\
          --source 'circle(24635.6,24158.8,200)' --background 'annulus(24635.6,24158.8,300,600)' \\
          --products spectrum,rmf,arf --out products
"""

from __future__ import annotations

import argparse
import json
import os

from xmmframe.errors import ParameterError, RequestError


def _gti(text: str | None) -> object:
    if text is None or text == "none":
        return None
    if text == "flare":
        return "flare"
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise ParameterError(f"--gti must be flare, none or JSON intervals [[start, stop], ...], not {text!r}") from None


def run(args: argparse.Namespace) -> int:
    """Submit, wait, download."""
    from xmmframe.service import Client  # the service extra: pip install 'xmmframe[service]'
    from xmmframe.service.auth import read_token

    request = {"obs_id": args.obs, "instrume": args.instrument, "expid": args.expid, "expression": args.expression,
               "source": args.source, "background": args.background, "gti": _gti(args.gti),
               "products": [p.strip() for p in args.products.split(",") if p.strip()],
               "timebinsize": args.timebinsize}
    request = {k: v for k, v in request.items() if v is not None}
    token = read_token(args.token_file) if args.token_file else None
    with Client(args.url, token=token) as client:
        job = client.submit(request)
        print(f"submit: job {job['id']} queued", flush=True)
        if args.no_wait:
            return 0
        final = client.wait(job["id"], timeout=args.timeout)
        if final["status"] == "failed":
            raise RequestError(f"job {job['id']} failed: {final['error']}")
        os.makedirs(args.out, exist_ok=True)
        names = ["products.tar.gz"] if args.archive else [n for n in final["files"] if n != "products.tar.gz"]
        for name in names:
            client.download(job["id"], name, os.path.join(args.out, name))
        print(f"submit: job {job['id']} done; {len(names)} file(s) in {args.out}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``submit`` subcommand."""
    parser = subparsers.add_parser("submit", help="submit a job to a running xmmframe service")
    parser.add_argument("url", help="the service, e.g. http://127.0.0.1:8000")
    parser.add_argument("--obs", required=True, help="observation id")
    parser.add_argument("--instrument", required=True, choices=("EPN", "EMOS1", "EMOS2"))
    parser.add_argument("--expid", help="exposure id (when the observation has several)")
    parser.add_argument("--expression", help="SAS selection expression")
    parser.add_argument("--source", help="source region (ds9 text, physical or fk5)")
    parser.add_argument("--background", help="background region (ds9 text)")
    parser.add_argument("--gti", help="flare, none, or JSON intervals [[start, stop], ...]")
    parser.add_argument("--products", default="spectrum,rmf,arf", help="comma-separated product types")
    parser.add_argument("--timebinsize", type=float, help="light-curve bin (s)")
    parser.add_argument("--out", default=".", help="folder for the downloaded files")
    parser.add_argument("--archive", action="store_true", help="download one products.tar.gz")
    parser.add_argument("--no-wait", action="store_true", help="only submit; print the job id")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds to wait for the job")
    parser.add_argument("--token-file", help="file whose first line is the access token")
    parser.set_defaults(func=run)
