"""What a job does in its worker process: the products of one exposure, as the SAS tasks make them.

:func:`run_job` runs in a worker of :mod:`xmmframe.exec` (a spawned local process, or a Dask
worker), never in the web process.  It opens the exposure from the store and makes the
products asked for, in this order, with the library functions behind the command-line tasks
and the same parameters as a SAS thread gives them:

* ``gti.fits`` - the job's GTI (its intervals, or :func:`~xmmframe.products.flare_gti` of the
  exposure), used as ``gti(gti.fits,TIME)`` in every selection;
* ``optimised.reg`` - with ``optimise``, the source circle centred and of best signal-to-noise
  (:func:`~xmmframe.products.regionanalyse.optimise_source_region`, SAS eregionanalyse), which
  then replaces the source region;
* ``src.pha`` (and ``bkg.pha``) - ``evselect withspectrumset=yes energycolumn=PI
  spectralbinsize=5 withspecranges=yes specchannelmin=0 specchannelmax=11999`` (pn: 20479),
  then ``backscale badpixlocation=<the exposure>``;
* ``src.rmf`` - ``rmfgen spectrumset=src.pha``; ``src.arf`` - ``arfgen spectrumset=src.pha
  withrmfset=yes rmfset=src.rmf badpixlocation=<the exposure>`` (with the RMF when one was asked);
* ``src.lc`` (and ``bkg.lc``) - ``evselect withrateset=yes timebinsize=.. maketimecolumn=yes
  makeratecolumn=yes energycolumn=PI``;
* ``image.fits`` - ``evselect withimageset=yes xcolumn=X ycolumn=Y imagebinning=binSize
  ximagebinsize=.. yimagebinsize=..`` of the selection (no region);
* ``events.fits`` - ``evselect withfilteredset=yes destruct=yes keepfilteroutput=yes`` of the
  selection (no region);
* ``<product>.png`` - quick looks (:func:`xmmframe.products.quicklook.save_quicklook`);
* ``products.tar.gz`` - every file of the job (written atomically).

Every file is written atomically by the library's writers.  Progress (0..1) goes to
``progress.json`` and the log to ``job.log`` in the job's folder, which the web process reads.
The job stops with :class:`JobTimeout` after ``max_seconds`` (an interval timer, in a worker's
main thread).

Examples
--------
>>> run_job("store", "jobs/ab12", job.to_dict(), max_seconds=600)              # doctest: +SKIP
{'files': ['image.fits', 'image.fits.png', 'job.log']}
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shlex
import signal
import tarfile
import threading
import time
from collections.abc import Iterator
from typing import Any

from xmmframe.ccf.access import Calibration
from xmmframe.io.atomic import atomic_output
from xmmframe.io.ogip import write_gti
from xmmframe.io.responses import read_rmf, write_arf, write_rmf
from xmmframe.model.events import EventList
from xmmframe.model.gti import GTI
from xmmframe.model.options import ImageOptions, LightCurveOptions, SpectrumOptions
from xmmframe.products.backscale import backscale_file
from xmmframe.products.evselect import evselect
from xmmframe.products.gti_from_rate import flare_gti
from xmmframe.products.quicklook import save_quicklook
from xmmframe.products.regionanalyse import optimise_source_region
from xmmframe.products.spectrum import default_channel_max
from xmmframe.select import Region
from xmmframe.products.arf import arfgen
from xmmframe.products.context import ProductContext
from xmmframe.products.rmf import rmfgen
from xmmframe.service.validate import ResolvedJob
from xmmframe.store import Store, open_store
from xmmframe.store.layout import exposure_key

PROGRESS_FILE = "progress.json"
ARCHIVE = "products.tar.gz"
LOG_FILE = "job.log"
#: Files of a job's folder that are not products.
BOOKKEEPING = (PROGRESS_FILE,)
_STORES: dict[str, Store] = {}


class JobTimeout(BaseException):
    """A job ran longer than the service allows.

    Raised by an interval timer wherever the job happens to be, so it derives from
    ``BaseException`` (as ``KeyboardInterrupt`` does): the library's handlers of its own errors
    and of ``Exception`` (a calibration file tried before the next, a damaged file reported
    with its name) must not swallow it, or the job would carry on past its limit.
    """


def _command(task: str, params: dict[str, Any]) -> str:
    """The SAS command line a product records (``XPROC0``)."""
    words = [f"{k}={'yes' if v is True else 'no' if v is False else v}" for k, v in params.items()]
    return " ".join([task, *(shlex.quote(w) for w in words)])


def _and(*parts: str | None) -> str | None:
    chosen = [p for p in parts if p]
    if not chosen:
        return None
    return chosen[0] if len(chosen) == 1 else " && ".join(f"({p})" for p in chosen)


class JobLog:
    """The job's log file and progress file in its folder."""

    def __init__(self, folder: str, steps: int) -> None:
        self.folder = folder
        self.steps = max(1, steps)
        self.done = 0

    def line(self, text: str) -> None:
        """Append a time-stamped line to ``job.log``."""
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%H:%M:%S")
        with open(os.path.join(self.folder, LOG_FILE), "a", encoding="utf-8") as handle:
            handle.write(f"{stamp} {text}\n")

    def step(self, text: str) -> None:
        """One step finished: log it and write the progress."""
        self.done += 1
        self.line(text)
        with atomic_output(os.path.join(self.folder, PROGRESS_FILE)) as stream:
            stream.write(json.dumps({"progress": min(1.0, self.done / self.steps)}).encode())


@contextlib.contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise :class:`JobTimeout` in the block after ``seconds`` (main thread only; else no limit)."""
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise JobTimeout(f"the job ran longer than the limit of {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _events(root: str, job: ResolvedJob) -> EventList:
    if root not in _STORES:
        _STORES[root] = open_store(root)
    return _STORES[root].events(job.spec.obs_id, job.spec.instrume, job.expid)


def _spectrum_options(events: EventList) -> tuple[dict[str, Any], SpectrumOptions]:
    options = SpectrumOptions(channel_bin=5, channel_min=0, channel_max=default_channel_max(events.meta),
                              energy_column="PI")
    params = {"energycolumn": options.energy_column, "spectralbinsize": options.channel_bin, "withspecranges": True,
              "specchannelmin": options.channel_min, "specchannelmax": options.channel_max}
    return params, options


def _steps(job: ResolvedJob) -> int:
    products, regions = job.spec.products, 2 if job.background_sas else 1
    count = 1 + (job.spec.gti is not None) + job.spec.optimise
    count += regions if ("spectrum" in products or "lightcurve" in products) else 0
    count += ("rmf" in products) + ("arf" in products) + ("image" in products) + ("events" in products)
    return count + 1


class _Job:
    """The products of one job, made step by step."""

    def __init__(self, root: str, folder: str, job: ResolvedJob) -> None:
        self.folder, self.job, self.spec = folder, job, job.spec
        self.log = JobLog(folder, _steps(job))
        self.events = _events(root, job)
        self.table = exposure_key(self.spec.obs_id, self.spec.instrume, job.expid)
        self.quicklooks: list[str] = []
        self.gti: GTI | None = None

    def path(self, name: str) -> str:
        return os.path.join(self.folder, name)

    def selection(self) -> str | None:
        spec = self.spec
        if spec.gti is None:
            return spec.selection
        if spec.gti == "flare":
            screening = flare_gti(self.events, spec.flare_threshold)
            gti, how = screening.gti, f"flare screening ({screening.selection}; {screening.expression})"
        else:
            gti = GTI([a for a, _ in spec.gti], [b for _, b in spec.gti])
            how = f"{len(spec.gti)} interval(s) given"
        self.gti = gti
        write_gti(gti, self.path("gti.fits"), overwrite=True)
        self.log.step(f"gti.fits: {how}, {gti.duration:.1f} s")
        return _and(spec.selection, "gti(gti.fits,TIME)")

    def optimised_source(self) -> str:
        """The source circle centred and of best signal-to-noise (SAS eregionanalyse); also ``optimised.reg``."""
        events = self.events.filter(self.gti) if self.gti is not None else self.events
        best = optimise_source_region(events, self.spec.source, self.spec.background, selection=self.spec.selection)
        with atomic_output(self.path("optimised.reg")) as stream:
            stream.write(f"# Region file format: DS9\nphysical\n{best.ds9}\n".encode())
        self.log.step(f"optimised.reg: {best.ds9}, S/N {best.snr:.2f}")
        return Region.from_ds9(best.ds9).to_sas()

    def region_products(self, selection: str | None, region: str, stem: str) -> None:
        products = self.spec.products
        expression = _and(selection, region)
        params: dict[str, Any] = {"table": self.table, "expression": expression or "true"}
        kwargs: dict[str, Any] = {}
        if "spectrum" in products:
            spec_params, spec_options = _spectrum_options(self.events)
            params.update(withspectrumset=True, spectrumset=f"{stem}.pha", **spec_params)
            kwargs.update(spectrum=self.path(f"{stem}.pha"), spectrum_options=spec_options)
        if "lightcurve" in products:
            params.update(withrateset=True, rateset=f"{stem}.lc", timebinsize=self.spec.timebinsize,
                          maketimecolumn=True, makeratecolumn=True)
            params.setdefault("energycolumn", "PI")
            kwargs.update(lightcurve=self.path(f"{stem}.lc"),
                          lightcurve_options=LightCurveOptions(bin=self.spec.timebinsize, rate=True,
                                                               energy_column="PI", time_column="TIME"))
        result = evselect(self.events, expression, overwrite=True, command=_command("evselect", params),
                          parameters=params, base_dir=self.folder, **kwargs)
        made = [name for name in (f"{stem}.pha", f"{stem}.lc") if os.path.exists(self.path(name))]
        if "spectrum" in products:
            area = backscale_file(self.path(f"{stem}.pha"), self.events, command=_command(
                "backscale", {"spectrumset": f"{stem}.pha", "badpixlocation": self.table}))
            self.log.line(f"{stem}.pha: BACKSCAL {area.backscal:.0f}")
        self.quicklooks += made
        self.log.step(f"{', '.join(made)}: {result.selected} events in {region}")

    def responses(self) -> None:
        products = self.spec.products
        spectrum = self.path("src.pha")
        context = ProductContext.from_file(spectrum)
        calibration = Calibration.open(observation_date=context.date_obs)
        if "rmf" in products:
            rmf = rmfgen(context, calibration, energy_bins=None, threshold=1e-6)
            command = _command("rmfgen", {"spectrumset": "src.pha", "rmfset": "src.rmf"})
            write_rmf(self.path("src.rmf"), rmf, history=[command, *calibration.history()])
            self.log.step(f"src.rmf: {rmf.n_energies} energies x {rmf.detchans} channels")
        if "arf" in products:
            params: dict[str, Any] = {"spectrumset": "src.pha", "arfset": "src.arf"}
            rmf = None
            if "rmf" in products:
                params.update(withrmfset=True, rmfset="src.rmf")
                rmf = read_rmf(self.path("src.rmf"))
            params["badpixlocation"] = self.table
            arf = arfgen(context, rmf=rmf, calibration=calibration, badpixlocation=self.events)
            write_arf(self.path("src.arf"), arf, history=[_command("arfgen", params), *calibration.history()])
            self.log.step(f"src.arf: {arf.energ_lo.size} energies, max {arf.specresp.max():.1f} cm2")

    def image(self, selection: str | None) -> None:
        binsize = self.spec.imagebinsize
        params = {"table": self.table, "expression": selection or "true", "withimageset": True,
                  "imageset": "image.fits", "xcolumn": "X", "ycolumn": "Y", "imagebinning": "binSize",
                  "ximagebinsize": binsize, "yimagebinsize": binsize}
        result = evselect(self.events, selection, image=self.path("image.fits"), overwrite=True,
                          image_options=ImageOptions(bin=(binsize, binsize), xcolumn="X", ycolumn="Y", square=False),
                          command=_command("evselect", params), parameters=params, base_dir=self.folder)
        self.quicklooks.append("image.fits")
        self.log.step(f"image.fits: {result.selected} events, {binsize:g}-pixel bins")

    def filtered(self, selection: str | None) -> None:
        params = {"table": self.table, "expression": selection or "true", "withfilteredset": True,
                  "filteredset": "events.fits", "destruct": True, "keepfilteroutput": True}
        result = evselect(self.events, selection, filtered=self.path("events.fits"), overwrite=True,
                          keep_filter_output=True, command=_command("evselect", params), parameters=params,
                          base_dir=self.folder)
        self.log.step(f"events.fits: {result.selected} events")

    def run(self) -> list[str]:
        spec = self.spec
        self.log.step(f"job of {self.table}: {', '.join(spec.products)}; selection {spec.selection or 'none'}")
        selection = self.selection()
        source = self.optimised_source() if spec.optimise else self.job.source_sas
        if "spectrum" in spec.products or "lightcurve" in spec.products:
            self.region_products(selection, source or "", "src")
            if self.job.background_sas:
                self.region_products(selection, self.job.background_sas, "bkg")
            if "rmf" in spec.products or "arf" in spec.products:
                self.responses()
        if "image" in spec.products:
            self.image(selection)
        if "events" in spec.products:
            self.filtered(selection)
        for name in self.quicklooks:
            save_quicklook(self.path(name), self.path(f"{name}.png"), overwrite=True)
        self.log.step(f"quick looks: {len(self.quicklooks)}")
        write_archive(self.folder, ARCHIVE)
        return product_files(self.folder)


def write_archive(folder: str, name: str) -> None:
    """All files of a job's folder in one ``.tar.gz`` beside them (written atomically)."""
    stem = os.path.basename(os.path.normpath(folder))
    with atomic_output(os.path.join(folder, name)) as stream:
        with tarfile.open(fileobj=stream, mode="w:gz") as archive:
            for member in product_files(folder):
                if member != name:
                    archive.add(os.path.join(folder, member), arcname=f"{stem}/{member}", recursive=False)


def product_files(folder: str) -> list[str]:
    """The finished files of a job's folder (temporary and bookkeeping files left out), sorted."""
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return []
    return sorted(n for n in names if not n.startswith(".") and n not in BOOKKEEPING
                  and os.path.isfile(os.path.join(folder, n)))


def run_job(root: str, folder: str, job: dict[str, Any], max_seconds: float | None = None) -> dict[str, Any]:
    """Make one job's products in ``folder`` (runs in a worker process).

    Returns ``{"files": [...], "seconds": float}``; raises on failure (the message is the job's error).
    """
    start = time.perf_counter()
    resolved = ResolvedJob.from_dict(job)
    with time_limit(max_seconds):
        work = _Job(root, folder, resolved)
        try:
            work.run()
        except (Exception, JobTimeout) as err:
            work.log.line(f"failed: {type(err).__name__}: {err}")
            raise
    seconds = time.perf_counter() - start
    work.log.line(f"done in {seconds:.2f} s")
    return {"files": product_files(folder), "seconds": seconds}


__all__ = ["ARCHIVE", "LOG_FILE", "PROGRESS_FILE", "JobLog", "JobTimeout", "product_files", "run_job", "time_limit", "write_archive"]
