"""The web service: submit-to-downloadable spectrum+RMF+ARF, and the image view of a 1e6-event exposure.

A store holds the real PPS MOS1 event list of obs 0001730201 (134685 events) and a 1e6-event
exposure made from it (its EVENTS table repeated 8 times, 1077480 events, as obs 0999999901).
A real server (``xmmframe serve``, 2 worker processes) runs in a subprocess on 127.0.0.1.

* **Spectrum job**: from ``POST /api/jobs`` (source circle, background annulus, spectrum + RMF +
  ARF, BACKSCAL) to the moment ``src.arf`` is listed and downloadable (polling every 50 ms; the
  quick looks and ``.tar.gz`` follow), and to the job's end: the first job after start-up (workers spawned, numba kernels compiled)
  and the median of ``--repeat`` warm jobs.  Peer in the same run: the same products made by
  the command-line tasks (``evselect``, ``backscale``, ``rmfgen``, ``arfgen``) in one warm
  process from the FITS file.
* **Image view**: ``GET .../image.json`` of the 1e6-event exposure (a new bin size each time,
  so never cached), and the peer: astropy reading X/Y/PI of the same FITS file and numpy
  ``histogram2d`` of the same band and bin.

    python benchmarks/bench_service.py --repeat 3 [--record]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

import httpx
import numpy as np
from astropy.io import fits

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import machine  # noqa: E402

import xmmframe.store as xstore  # noqa: E402
from xmmframe.cli.main import main as cli  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RESULTS = os.path.join(HERE, "RESULTS.md")
EVENTS = os.path.join(ROOT, "..", "shared", "refdata", "exod", "0001730201", "P0001730201M1S002MIEVLI.FTZ")
EXPRESSION = "#XMMEA_EM && (PATTERN<=12) && (PI in [500:10000])"
SOURCE, BACKGROUND = "circle(24635.6,24158.8,200)", "annulus(24635.6,24158.8,300,600)"
BIG_OBS = "0999999901"


def big_exposure(folder: str, copies: int = 8) -> str:
    """The event list with its EVENTS rows repeated ``copies`` times, as another observation."""
    path = os.path.join(folder, "big_events.fits")
    with fits.open(EVENTS) as hdus:
        table = hdus["EVENTS"]
        rows = np.concatenate([table.data] * copies)
        events = fits.BinTableHDU(data=rows, header=table.header)
        out = fits.HDUList([hdus[0].copy(), events, *[h.copy() for h in hdus[2:]]])
        for hdu in out:
            if "OBS_ID" in hdu.header:
                hdu.header["OBS_ID"] = BIG_OBS
        out.writeto(path)
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(store: str, jobs: str, port: int) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-m", "xmmframe.cli.main", "serve", "--store", store, "--jobs-dir",
                                jobs, "--port", str(port), "--max-jobs", "2"], start_new_session=True,
                               env=dict(os.environ, PYTHONPATH=ROOT), stdout=subprocess.DEVNULL)
    for _ in range(600):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError("the server did not start")


def spectrum_job(client: httpx.Client) -> tuple[float, float]:
    """Seconds from submit until src.arf can be downloaded, and until the job is done."""
    start = time.perf_counter()
    job_id = client.post("/api/jobs", json={"obs_id": "0001730201", "instrume": "EMOS1", "expression": EXPRESSION,
                                            "source": SOURCE, "background": BACKGROUND,
                                            "products": ["spectrum", "rmf", "arf"]}).json()["id"]
    while True:
        job = client.get(f"/api/jobs/{job_id}").json()
        if job["status"] == "failed":
            raise RuntimeError(job["error"])
        if "src.arf" in job["files"]:  # listed once complete (written atomically), while the quick looks are made
            break
        time.sleep(0.05)
    assert client.get(f"/api/jobs/{job_id}/files/src.arf").status_code == 200
    ready = time.perf_counter() - start
    while client.get(f"/api/jobs/{job_id}").json()["status"] == "running":
        time.sleep(0.05)
    return ready, time.perf_counter() - start


def cli_products(folder: str) -> float:
    """Seconds for the same products made by the command-line tasks in this (warm) process."""
    os.chdir(folder)
    start = time.perf_counter()
    for stem, region in (("src", SOURCE), ("bkg", BACKGROUND)):
        cli(["evselect", f"table={EVENTS}", f"expression=({EXPRESSION}) && ((X,Y) in {region})", "withspectrumset=yes",
             f"spectrumset={stem}.pha", "energycolumn=PI", "spectralbinsize=5", "withspecranges=yes",
             "specchannelmin=0", "specchannelmax=11999", "clobber=yes"])
        cli(["backscale", f"spectrumset={stem}.pha", f"badpixlocation={EVENTS}"])
    cli(["rmfgen", "spectrumset=src.pha", "rmfset=src.rmf", "clobber=yes"])
    cli(["arfgen", "spectrumset=src.pha", "arfset=src.arf", "withrmfset=yes", "rmfset=src.rmf",
         f"badpixlocation={EVENTS}", "clobber=yes"])
    return time.perf_counter() - start


def numpy_image(path: str, bin: float) -> float:
    start = time.perf_counter()
    with fits.open(path, memmap=True) as hdus:
        data = hdus["EVENTS"].data
        x, y, pi = np.asarray(data["X"], float), np.asarray(data["Y"], float), np.asarray(data["PI"])
    keep = (pi >= 500) & (pi <= 10000)
    x, y = x[keep], y[keep]
    edges_x = np.arange(np.floor(x.min()), x.max() + bin, bin)
    edges_y = np.arange(np.floor(y.min()), y.max() + bin, bin)
    counts, _, _ = np.histogram2d(y, x, bins=(edges_y, edges_x))
    counts.ravel().tolist()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--record", action="store_true", help=f"append the results to {RESULTS}")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as tmp:
        big = big_exposure(tmp)
        store = os.path.join(tmp, "store")
        xstore.ingest([EVENTS, big], store)
        big_events = int(xstore.open_store(store).exposures(BIG_OBS)["events"][0])
        port = free_port()
        server = serve(store, os.path.join(tmp, "jobs"), port)
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=300) as client:
                first = spectrum_job(client)
                spectrum_job(client)  # the second worker warms up too
                warm = [spectrum_job(client) for _ in range(args.repeat)]
                views = []
                for index in range(args.repeat + 1):
                    bin = 80.0 + index  # a new bin each time: never served from the cache
                    start = time.perf_counter()
                    response = client.get(f"/api/exposures/{BIG_OBS}/EMOS1/image.json", params={"bin": bin})
                    assert response.status_code == 200, response.text
                    response.json()
                    views.append(time.perf_counter() - start)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=60)
        peer_folder = os.path.join(tmp, "cli")
        os.makedirs(peer_folder)
        cli_products(peer_folder)  # warm-up: numba kernels, calibration
        peer = statistics.median(cli_products(peer_folder) for _ in range(args.repeat))
        os.chdir(ROOT)
        numpy_view = statistics.median(numpy_image(big, 80.0 + i) for i in range(args.repeat))
    first_view, warm_view = views[0], statistics.median(views[1:])
    lines = [
        "## Web service (`bench_service.py`, issue 12)",
        "",
        f"`python benchmarks/bench_service.py --repeat {args.repeat} --record`. {machine()}",
        "",
        "| measurement | service | peer in the same run | ratio |",
        "|---|---|---|---|",
        f"| submit to downloadable spectrum+RMF+ARF (+ background spectrum, BACKSCAL), 134685 events, warm "
        f"(median of {args.repeat}) | {statistics.median(w[0] for w in warm):.2f} s | CLI tasks in one warm process "
        f"{peer:.2f} s | {statistics.median(w[0] for w in warm) / peer:.2f} |",
        f"| the same, to the job's end (quick-look PNGs and .tar.gz too) | {statistics.median(w[1] for w in warm):.2f} s "
        "| | |",
        f"| the first job after start-up (workers spawned, kernels compiled): downloadable, end | {first[0]:.2f} s, "
        f"{first[1]:.2f} s | - | - |",
        f"| image view (`image.json`), {big_events} events, first request | {first_view:.2f} s | astropy + numpy "
        f"histogram2d {numpy_view:.2f} s | {first_view / numpy_view:.2f} |",
        f"| the same, later requests (new bin, not cached; median) | {warm_view:.2f} s | | "
        f"{warm_view / numpy_view:.2f} |",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.record:
        with open(RESULTS, "a", encoding="utf-8") as handle:
            handle.write("\n" + text + "\n")


if __name__ == "__main__":
    main()
