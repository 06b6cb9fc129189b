"""epproc / emproc: ODF -> calibrated event lists, one per EPIC imaging exposure.

Per exposure: frames and bad frames (:mod:`~xmmframe.proc.frames`), bad pixels from the
calibration plus hot/flickering pixels found in the data (:mod:`~xmmframe.proc.badpix`),
pattern recognition (pn) and energy correction in numba, RAW -> DET -> sky with the attitude,
FLAG bits, per-CCD GTIs, ``OFFSETS``/``EXPOSUnn``/``BADPIXnn``/``STDGTInn``/``CALINDEX``.  The
event rows are a lazy Polars plan; nothing is computed until the list is written or collected.
Unlike SAS no event is dropped (no destructive ``#XMMEA_EP`` filter): screening is left to
selections, which the header's ``XMMEA_*`` macros support.

Output names follow the PPS: ``P<OBSID><PN|M1|M2><EXPIDSTR><PIEVLI|MIEVLI>0000.FIT``.

Examples
--------
>>> import xmmframe
>>> obs = xmmframe.open_odf("xmmframe-demo/odf")                                   # doctest: +SKIP
>>> [ev.meta.instrument for ev in obs.emproc(outdir="events")]                      # doctest: +SKIP
['EMOS1', 'EMOS2']
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from xmmframe.errors import OdfError
from xmmframe.model.attitude import Attitude
from xmmframe.model.events import EventList
from xmmframe.model.observation import Observation, instrument_code
from xmmframe.model.odf_set import ExposureRecord
from xmmframe.model.provenance import Provenance
from xmmframe.model.registry import register
from xmmframe.proc.calibration import DetectorCalibration
from xmmframe.proc.exposure import extensions, prepare_exposure
from xmmframe.proc.header import event_meta
from xmmframe.proc.event_format import columns_for
from xmmframe.proc.mos_events import mos_events
from xmmframe.proc.pn_events import pn_events


def event_list_name(obs_id: str, code: str, expidstr: str) -> str:
    """PPS file name of a calibrated event list.

    Examples
    --------
    >>> event_list_name("0001730201", "M1", "S002")
    'P0001730201M1S002MIEVLI0000.FIT'
    """
    return f"P{obs_id}{code}{expidstr}{'PI' if code == 'PN' else 'MI'}EVLI0000.FIT"


def process_exposure(
    obs: Observation,
    code: str,
    record: ExposureRecord,
    *,
    seed: int | None = 1,
    calibration: DetectorCalibration | None = None,
    attitude: Attitude | None = None,
    find_hot: bool = True,
) -> EventList:
    """The calibrated event list of one exposure (lazy rows, complete metadata).

    Parameters
    ----------
    obs : Observation
        The ODF.
    code : str
        ``PN``, ``M1`` or ``M2``.
    record : ExposureRecord
        The exposure (``obs.imaging_exposures(code)``).
    seed : int or None
        Randomisation of energies in the adu bin, positions in the pixel and MOS times in the
        frame; ``None`` turns randomisation off.
    calibration : DetectorCalibration, optional
        Gain/CTI/bad pixels (default: the built-in calibration).
    attitude : Attitude, optional
        Attitude history (default: the ODF's ``*ATS.FIT``).
    find_hot : bool
        Search the data for hot and flickering pixels.
    """
    inp = prepare_exposure(obs, code, record, calibration=calibration, attitude=attitude, find_hot=find_hot)
    cam = inp.camera
    specs = columns_for(inp.instrument, inp.facts.grid, cam.det_limits())
    lazy = pn_events(inp, specs, seed) if code == "PN" else mos_events(inp, specs, seed)
    provenance = Provenance("epproc" if code == "PN" else "emproc")
    history = [
        provenance.created_from(f"ODF {obs.obs_id} exposure {inp.facts.expidstr}"),
        f"Calibration: {inp.calibration.source}; attitude: {inp.facts.attitude_source}; "
        f"randomisation seed: {seed}; hot-pixel search: {'yes' if find_hot else 'no'}",
    ]
    meta = event_meta(inp.facts, specs, extensions(inp), history, provenance)
    return EventList(lazy, meta)


def _run(
    obs: Observation,
    codes: Sequence[str],
    outdir: str | os.PathLike[str] | None,
    progress: Callable[[str], None] | None,
    **options: object,
) -> list[EventList]:
    from xmmframe.io.events import open_events

    records = [(code, record) for code in codes for record in obs.imaging_exposures(code)]
    if not records:
        raise OdfError(f"the ODF has no imaging exposure of {', '.join(codes)}", obs.directory)
    results = []
    for code, record in records:
        if progress:
            progress(f"{code} {record.expidstr}")
        events = process_exposure(obs, code, record, **options)  # type: ignore[arg-type]
        if outdir is not None:
            os.makedirs(outdir, exist_ok=True)
            path = os.path.join(
                os.fspath(outdir), event_list_name(obs.obs_id, code, events.meta.expidstr or "")
            )
            events.write_fits(path)
            events = open_events(path)
        results.append(events)
    return results


@register("Observation.epproc")
def epproc(
    obs: Observation,
    *,
    outdir: str | os.PathLike[str] | None = None,
    progress: Callable[[str], None] | None = None,
    **options: object,
) -> list[EventList]:
    """Calibrated pn event lists of every pn imaging exposure (written to ``outdir`` when given).

    ``options`` go to :func:`process_exposure` (``seed``, ``calibration``, ``attitude``, ``find_hot``).
    """
    return _run(obs, ["PN"], outdir, progress, **options)


@register("Observation.emproc")
def emproc(
    obs: Observation,
    *,
    instruments: Sequence[str] = ("M1", "M2"),
    outdir: str | os.PathLike[str] | None = None,
    progress: Callable[[str], None] | None = None,
    **options: object,
) -> list[EventList]:
    """Calibrated MOS1/MOS2 event lists of every MOS imaging exposure (written to ``outdir`` when given)."""
    codes = [instrument_code(i) for i in instruments]
    codes = [c for c in codes if obs.files(c, "IME").height]
    return _run(obs, codes or ["M1", "M2"], outdir, progress, **options)
