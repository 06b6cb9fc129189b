"""Quick views of a whole exposure for the pages: its image (JSON for the viewer, FITS, PNG) and flare curve.

Made on demand in a thread of the web process (not on the job executor: they are views of
one exposure, read-only, the same for every user) and cached: the JSON payloads in memory,
the FITS and PNG images as files under ``<jobs dir>/.views/`` (written atomically).  The
payloads are :mod:`xmmframe.service.viewdata`'s; the FITS image is ``evselect
withimageset=yes xcolumn=X ycolumn=Y imagebinning=binSize`` of every event, the PNG its
quick look (:func:`xmmframe.products.quicklook.save_quicklook`).

Examples
--------
>>> views = ExposureViews(xmmframe.open_store("store"), "jobs")                 # doctest: +SKIP
>>> views.image_json("0001730201", "EMOS1", "S001", 80)[:20]                   # doctest: +SKIP
b'{"nx": 648, "ny": 64'
"""

from __future__ import annotations

import json
import os
import threading
from collections import OrderedDict
from typing import Any

from xmmframe.errors import XmmframeError
from xmmframe.model.events import EventList
from xmmframe.model.options import ImageOptions
from xmmframe.products.evselect import evselect
from xmmframe.products.quicklook import save_quicklook
from xmmframe.service.viewdata import image_payload, lightcurve_payload
from xmmframe.store import Store
from xmmframe.store.layout import exposure_key

VIEWS_DIR = ".views"
_CACHED = 32


class ExposureViews:
    """Cached views of the store's exposures.

    Parameters
    ----------
    store : Store
    jobs_dir : str
        The image files go to ``jobs_dir/.views``.
    """

    def __init__(self, store: Store, jobs_dir: str) -> None:
        self.store = store
        self.folder = os.path.join(jobs_dir, VIEWS_DIR)
        os.makedirs(self.folder, exist_ok=True)
        self._memory: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
        self._locks: dict[tuple[Any, ...], threading.Lock] = {}
        self._guard = threading.Lock()

    def _lock(self, key: tuple[Any, ...]) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def _remember(self, key: tuple[Any, ...], make: Any) -> bytes:
        with self._lock(key):
            if key in self._memory:
                self._memory.move_to_end(key)
                return self._memory[key]
            value = make()
            self._memory[key] = value
            while len(self._memory) > _CACHED:
                self._memory.popitem(last=False)
            return value

    def events(self, obs_id: str, instrume: str, expid: str) -> EventList:
        """The exposure's events in the store's row order (the views do not depend on the order;
        restoring the ingested order would sort every event)."""
        ingested = self.store.events(obs_id, instrume, expid)
        schema = ingested.lazy.collect_schema()
        lazy = self.store.scan(obs_id, instrume, expid).select(list(schema.names())).cast(dict(schema))
        return EventList(lazy, ingested.meta)

    def warm_up(self) -> None:
        """Make the image view of the store's smallest exposure, so that the binning kernels are
        loaded before the first page asks for a view (run in a thread when the server starts)."""
        catalog = self.store.catalog()
        if catalog.height == 0:
            return
        row = catalog.sort("events").row(0, named=True)
        try:
            self.image_json(row["obs_id"], row["instrume"], row["expid"], 80.0)
        except XmmframeError:  # a damaged exposure: its page will say so
            return

    def image_json(self, obs_id: str, instrume: str, expid: str, bin: float) -> bytes:
        """The viewer's image payload as JSON bytes."""
        return self._remember(("image", obs_id, instrume, expid, bin), lambda: json.dumps(
            image_payload(self.events(obs_id, instrume, expid), bin=bin)).encode())

    def lightcurve_json(self, obs_id: str, instrume: str, expid: str, bin: float) -> bytes:
        """The viewer's flare light-curve payload as JSON bytes."""
        return self._remember(("lightcurve", obs_id, instrume, expid, bin), lambda: json.dumps(
            lightcurve_payload(self.events(obs_id, instrume, expid), timebin=bin)).encode())

    def image_file(self, obs_id: str, instrume: str, expid: str, bin: float, kind: str) -> str:
        """The path of the exposure's FITS image (``kind='fits'``) or its PNG quick look (``'png'``)."""
        stem = os.path.join(self.folder, f"{exposure_key(obs_id, instrume, expid)}_bin{bin:g}")
        fits_path, png_path = f"{stem}.fits", f"{stem}.png"
        with self._lock(("file", stem)):
            if not os.path.exists(fits_path):
                evselect(self.events(obs_id, instrume, expid), None, image=fits_path, overwrite=True,
                         image_options=ImageOptions(bin=(bin, bin), xcolumn="X", ycolumn="Y"))
            if kind == "png" and not os.path.exists(png_path):
                save_quicklook(fits_path, png_path, overwrite=True)
        return png_path if kind == "png" else fits_path


__all__ = ["VIEWS_DIR", "ExposureViews"]
