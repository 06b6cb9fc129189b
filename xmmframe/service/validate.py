"""A parsed job request checked against its exposure: the selection and regions as SAS expressions.

Runs in the web process before a job is accepted, so that a bad request gets a 4xx answer and
leaves no job behind.  The selection is parsed by the SAS selection parser and compiled with
the exposure's header (its ``#XMMEA_..`` macros and columns); file references (``gti(...)``,
``region(...)``, ``mask(...)``) are refused, since a request may not name files on the server
(GTIs come as intervals, regions as ds9 text).  Regions are parsed as ds9 text
(:meth:`xmmframe.select.Region.from_ds9`), converted to physical X/Y through the exposure's sky
WCS when given in a sky frame, and written as SAS expressions.  Nothing is ever evaluated as
Python.

Examples
--------
>>> import xmmframe
>>> store = xmmframe.open_store("store")                                       # doctest: +SKIP
>>> job = resolve_job(store, parse_job_request({...}))                          # doctest: +SKIP
>>> job.source_sas                                                              # doctest: +SKIP
'((X,Y) in circle(24635.6,24158.8,200))'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from xmmframe.errors import RequestError, StoreError, XmmframeError
from xmmframe.model.meta import EventMeta
from xmmframe.select import Polygon, Region, compile as compile_selection, parse
from xmmframe.select.nodes import GtiTest, MaskTest, Node, RegionTest
from xmmframe.service.jobspec import JobSpec
from xmmframe.service.limits import ServiceLimits
from xmmframe.store import Store

_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


@dataclass(frozen=True)
class ResolvedJob:
    """A job ready to run: the exposure and its SAS selections.

    Attributes
    ----------
    spec : JobSpec
    expid : str
        The exposure id (resolved when the request left it out).
    source_sas, background_sas : str or None
        The regions as SAS selections on X/Y.
    """

    spec: JobSpec
    expid: str
    source_sas: str | None
    background_sas: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data (what the worker receives and the job record keeps)."""
        return {"spec": self.spec.to_dict(), "expid": self.expid, "source_sas": self.source_sas,
                "background_sas": self.background_sas}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ResolvedJob":
        """From :meth:`to_dict` data."""
        return cls(JobSpec.from_dict(data["spec"]), data["expid"], data["source_sas"], data["background_sas"])


def _nodes(node: Node) -> list[Node]:
    found, stack = [], [node]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(current.children())
    return found


def check_selection(selection: str, meta: EventMeta) -> None:
    """Parse and compile a selection with an exposure's header; refuse file references.

    Raises
    ------
    xmmframe.errors.RequestError
        With the parser's message (position included).
    """
    try:
        tree = parse(selection, strict_macros=False)
        for node in _nodes(tree):
            if isinstance(node, (GtiTest, RegionTest, MaskTest)):
                raise RequestError(f"expression: file references such as {node.label()!r} are not accepted by the "
                                   "service (give the GTI as intervals and regions as ds9 text)")
        compile_selection(selection, meta)
    except RequestError:
        raise
    except XmmframeError as err:
        raise RequestError(f"expression: {str(err).splitlines()[0]}") from None


def region_sas(text: str, meta: EventMeta, name: str, limits: ServiceLimits) -> str:
    """ds9 region text as a SAS selection on the exposure's X/Y (checked against the limits)."""
    numbers = len(_NUMBER.findall(text[: limits.max_region_chars]))
    if numbers > 2 * limits.max_region_vertices + 16:
        raise RequestError(f"{name}: the region has about {numbers // 2} vertices, more than the limit of "
                           f"{limits.max_region_vertices}")
    try:
        region = Region.from_ds9(text, source=name).to_physical(meta)
    except XmmframeError as err:
        raise RequestError(f"{name}: {str(err).splitlines()[0]}") from None
    shapes = region.include + region.exclude
    vertices = sum(len(s.vertices) for s in shapes if isinstance(s, Polygon)) + len(shapes)
    if vertices > limits.max_region_vertices:
        raise RequestError(f"{name}: the region has {vertices} vertices and shapes, more than the limit of "
                           f"{limits.max_region_vertices}")
    return region.to_sas()


def resolve_job(store: Store, spec: JobSpec, limits: ServiceLimits | None = None) -> ResolvedJob:
    """Check a job request against its exposure in the store.

    Raises
    ------
    xmmframe.errors.RequestError
        404 for an unknown exposure, 422 for a selection, region or time binning that does not fit it.
    """
    limits = limits or ServiceLimits()
    rows = store.exposures(spec.obs_id, spec.instrume, spec.expid)
    if rows.height == 0:
        what = f"{spec.obs_id} {spec.instrume}" + (f" {spec.expid}" if spec.expid else "")
        raise RequestError(f"no exposure {what} in the store", 404)
    if rows.height > 1:
        raise RequestError(f"{spec.obs_id} {spec.instrume} has exposures {', '.join(rows['expid'])}: give expid")
    expid = rows["expid"][0]
    try:
        meta = store.header(spec.obs_id, spec.instrume, expid)
    except StoreError as err:
        raise RequestError(str(err), 404) from None
    if spec.selection:
        check_selection(spec.selection, meta)
    source = region_sas(spec.source, meta, "source", limits) if spec.source else None
    background = region_sas(spec.background, meta, "background", limits) if spec.background else None
    tstart, tstop = rows["tstart"][0], rows["tstop"][0]
    if "lightcurve" in spec.products and tstart is not None and tstop is not None:
        bins = (tstop - tstart) / spec.timebinsize
        if bins > limits.max_time_bins:
            raise RequestError(f"timebinsize: {spec.timebinsize:g} s gives {bins:.0f} bins, more than the limit of "
                               f"{limits.max_time_bins}")
    return ResolvedJob(spec, expid, source, background)


__all__ = ["ResolvedJob", "check_selection", "region_sas", "resolve_job"]
