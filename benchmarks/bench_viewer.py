"""The exposure view's data: image and flare-curve payloads (JSON) of a generated pn event list.

Times, on one FITS file written by ``generate_pn_events.py``, the viewer's two payloads
(:mod:`xmmframe.service.viewdata`, JSON encoding included: what the page waits for) and, as the
peer in the same run, astropy memmap + numpy doing the same work (read the columns, select the
band, ``histogram2d`` / ``histogram``, JSON encoding).  Issue 12 asks for the image view of a
1e6-event exposure in under 1 s.

    python benchmarks/generate_pn_events.py --events 1e6 --out /tmp/pn_1e6.fits
    python benchmarks/bench_viewer.py /tmp/pn_1e6.fits
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np
from astropy.io import fits

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import best_of, machine, table  # noqa: E402

import xmmframe  # noqa: E402
from xmmframe.service.viewdata import image_payload, lightcurve_payload  # noqa: E402

MASK_EP = 0xCFA0000


def peer_image(path: str, payload: dict) -> str:
    """astropy + numpy: the same pixels, from a memory-mapped read."""
    with fits.open(path, memmap=True) as hdul:
        data = hdul["EVENTS"].data
        x, y, pi = np.asarray(data["X"]), np.asarray(data["Y"]), np.asarray(data["PI"])
        keep = (pi >= 500) & (pi <= 10000)
        xedges = payload["xmin"] + payload["bin"] * np.arange(payload["nx"] + 1)
        yedges = payload["ymin"] + payload["bin"] * np.arange(payload["ny"] + 1)
        counts, _, _ = np.histogram2d(y[keep], x[keep], bins=[yedges, xedges])
    return json.dumps({"data": counts.ravel().tolist()})


def peer_curve(path: str) -> str:
    with fits.open(path, memmap=True) as hdul:
        data, header = hdul["EVENTS"].data, hdul["EVENTS"].header
        t, pi = np.asarray(data["TIME"]), np.asarray(data["PI"])
        keep = (pi >= 10000) & (pi <= 12000) & (np.asarray(data["PATTERN"]) == 0) \
            & ((np.asarray(data["FLAG"]) & MASK_EP) == 0)
        n = int(np.ceil((header["TSTOP"] - header["TSTART"]) / 100))
        counts, _ = np.histogram(t[keep], bins=header["TSTART"] + 100.0 * np.arange(n + 1))
    return json.dumps({"rate": (counts / 100.0).tolist()})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", help="a pn event list (generate_pn_events.py)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="append the result to RESULTS.md")
    args = parser.parse_args()

    def ours_image() -> str:
        return json.dumps(image_payload(xmmframe.open_events(args.path)))

    def ours_curve() -> str:
        return json.dumps(lightcurve_payload(xmmframe.open_events(args.path)))

    ours_image()                    # numba kernels compiled / loaded from cache once
    payload = image_payload(xmmframe.open_events(args.path))
    rows = []
    image_best, image_median, text = best_of(ours_image, args.repeat)
    peer_best, peer_median, _ = best_of(lambda: peer_image(args.path, payload), args.repeat)
    rows.append(["image payload (bin 80, PI 500-10000)", f"{image_best:.3f}", f"{image_median:.3f}",
                 f"{peer_best:.3f}", f"{peer_best / image_best:.2f}", f"{len(text) / 1e6:.1f} MB"])
    curve_best, curve_median, text = best_of(ours_curve, args.repeat)
    pcurve_best, _, _ = best_of(lambda: peer_curve(args.path), args.repeat)
    rows.append(["flare-curve payload (100 s, 10-12 keV singles)", f"{curve_best:.3f}", f"{curve_median:.3f}",
                 f"{pcurve_best:.3f}", f"{pcurve_best / curve_best:.2f}", f"{len(text) / 1e3:.1f} kB"])
    events = xmmframe.open_events(args.path).count()
    body = (f"{events} events, `{os.path.basename(args.path)}`; best of {args.repeat} (s), each run "
            "opening the file afresh; peer: astropy memmap + numpy on the same file in the same run.\n\n"
            + table(["payload", "xmmframe best", "median", "astropy+numpy best", "peer/xmmframe", "JSON"],
                    rows)
            + "\n" + machine() + "\n")
    print(body)
    if args.write:
        results = os.path.join(os.path.dirname(os.path.abspath(__file__)), "RESULTS.md")
        with open(results, "a") as fh:
            fh.write("\n## Viewer payloads (`bench_viewer.py`, issue 12)\n\n"
                     "    python benchmarks/generate_pn_events.py --events 1e6 --out /tmp/pn_1e6.fits\n"
                     f"    python benchmarks/bench_viewer.py /tmp/pn_1e6.fits --write\n\n{body}")


if __name__ == "__main__":
    main()
