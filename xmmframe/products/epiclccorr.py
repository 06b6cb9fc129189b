"""SAS epiclccorr on existing light curves: exposure, background and absolute corrections together.

epiclccorr takes a source light curve, optionally a background curve on the same bins, and the
event list both were made from, and writes the corrected source rate.  The pieces:

* ``FRACEXP`` of each curve, from the event list's frames (``EXPOSUnn``) within the curve's
  own good times (the GTI tables its data subspace refers to, one per CCD), CCDs weighted by
  the events of the curve's region (:func:`curve_fracexp`, the same computation as
  ``lightcurve(fracexp=True)``);
* ``BKGRATIO``: the background region's area over the source region's, both computed as SAS
  backscale does (:mod:`xmmframe.products.backscale`, bad pixels and chip gaps from the event
  list), else the geometric ratio of the regions;
* the absolute factor ``C`` (``applyabsolutecorrections``):
  :func:`xmmframe.products.lightcurve_corrections.lightcurve_absolute_correction`;
* the relative corrections and the background subtraction:
  :func:`xmmframe.products.lightcurve_corrections.correct_lightcurve`.

The output follows the SAS file: ``RATE`` table (TIME, RATE, ERROR, FRACEXP, BACKV, BACKE),
``SRC_GTIS`` and ``BKG_GTIS`` tables (the runs of bins with ``FRACEXP > 0``, on the bin edges,
as in the SAS file), the source region, and the source's data subspace without its TIME entry.

Examples
--------
>>> from xmmframe.products.epiclccorr import epiclccorr
>>> net = epiclccorr("J173442-323451_lc_2.604_src.lc", "M1_clean.fits",
...                  background="J173442-323451_lc_2.604_bgd.lc", absolute=True)    # doctest: +SKIP
>>> net.keyword("BKGRATIO")                                                          # doctest: +SKIP
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from typing import Any


from xmmframe.model.events import EventList
from xmmframe.model.gti import GTI
from xmmframe.model.provenance import Provenance
from xmmframe.model.products import LightCurve
from xmmframe.io.cards import drop_keywords, keyword_cards, provenance_keywords, set_keywords
from xmmframe.select.dss import DataSubspace
from xmmframe.products.lightcurve_corrections import (
    correct_lightcurve,
    curve_fracexp,
    exposed_gti,
    lightcurve_absolute_correction,
    open_event_list,
    region_area_ratio,
)

_DSS_KEY = re.compile(r"^(\d*DS(TYP|VAL|UNI|FORM|REF)\d+|MTYPE\d+|MFORM\d+)$")


def _read_curve(curve: LightCurve | str | os.PathLike[str]) -> LightCurve:
    return curve if isinstance(curve, LightCurve) else LightCurve.read(curve)


def _output_cards(source: LightCurve) -> tuple[str, ...]:
    from xmmframe.io.ogip import REGION_EXTNAME

    dss = DataSubspace.from_header(source.header).without("TIME")
    dss = DataSubspace(tuple(replace(e, ref=f":{REGION_EXTNAME}") if e.name.upper().startswith("POS(") else e
                             for e in dss.entries))
    keys = {c[:8].strip() for c in source.cards if _DSS_KEY.match(c[:8].strip())}
    return drop_keywords(source.cards, keys) + dss.cards()


def epiclccorr(
    source: LightCurve | str | os.PathLike[str],
    events: EventList | str | os.PathLike[str],
    background: LightCurve | str | os.PathLike[str] | None = None,
    *,
    absolute: bool = False,
    calibration: Any = None,
    area_ratio: float | None = None,
    command: str | None = None,
) -> LightCurve:
    """The corrected source light curve (SAS epiclccorr).

    Parameters
    ----------
    source, background : LightCurve or path
        The source curve and the background curve on the same bins (``withbkgset``).
    events : EventList or path
        The event list the curves were made from (``eventlist``): frames, good times, bad
        pixels and CCD outlines.
    absolute : bool
        Apply the absolute corrections (``applyabsolutecorrections``); the bad-pixel part needs
        ``events`` as a path.
    calibration : Calibration, optional
        For the absolute corrections (default: the built-in set or SAS_CCF/SAS_CCFPATH).
    area_ratio : float, optional
        ``BKGRATIO`` to use instead of the backscale areas.
    command : str, optional
        The command line that runs the task: with it the primary header says the file was made
        by xmmframe epiclccorr (``CREATOR``, ``DATE``, ``XPROC0``, replacing the source curve's
        processing keywords) and HISTORY gives the command and the calibration files used.

    Returns
    -------
    LightCurve
        ``HDUCLAS2 = 'NET'`` with a background, ``'TOTAL'`` without.
    """
    path = os.fspath(events) if isinstance(events, (str, os.PathLike)) else None
    events = open_event_list(events)
    src = _read_curve(source)
    src = replace(src, fracexp=curve_fracexp(src, events))
    gtis = [exposed_gti(src, "SRC_GTIS")]
    bkg = None
    if background is not None:
        bkg = _read_curve(background)
        bkg = replace(bkg, fracexp=curve_fracexp(bkg, events))
        gtis.append(exposed_gti(bkg, "BKG_GTIS"))
        if area_ratio is None:
            area_ratio = region_area_ratio(src, bkg, events)
    factor, calsrc = 1.0, None
    if absolute:
        if calibration is None:
            from xmmframe.ccf.access import Calibration

            date = src.keyword("DATE-OBS")
            calibration = Calibration.open(observation_date=str(date)[:19] if date else None)
        factor = lightcurve_absolute_correction(src, calibration, badpixlocation=path)
        calsrc = calibration.calsrc
    net = correct_lightcurve(src, bkg, area_ratio=area_ratio, absolute=factor)
    cards = set_keywords(_output_cards(net), [("ABSCORR", factor, "Absolute correction factor applied to RATE"),
                                              ("CALSRC", calsrc, "Calibration used for the absolute correction")])
    net = replace(net, cards=cards, gtis=tuple(gtis))
    return net if command is None else _made_by(net, command, calibration if absolute else None)


def _made_by(net: LightCurve, command: str, calibration: Any) -> LightCurve:
    """``net`` with the primary header and HISTORY of a file epiclccorr wrote from ``command``."""
    history = [command, *(calibration.history() if calibration is not None else [])]
    processing = {c[:8].strip() for c in net.primary_cards if c.startswith(("XPROC", "XDAL"))}
    primary = set_keywords(drop_keywords(net.primary_cards, processing),
                           provenance_keywords(Provenance("epiclccorr", command)))
    return replace(net, primary_cards=primary, cards=net.cards + keyword_cards([("HISTORY", h, "") for h in history]))


__all__ = ["epiclccorr"]
