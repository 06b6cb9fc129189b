"""Good time intervals from a binned table (SAS tabgtigen) and the soft-proton flare recipe.

tabgtigen's rule (reproduces the 10 intervals of ``refdata/exod/*/M{1,2}_gti.fits`` exactly):
each row satisfying the expression contributes ``[TIME - prefraction*TIMEDEL,
TIME + postfraction*TIMEDEL]`` (defaults 0.5/0.5: the whole bin), touching intervals merge, and
intervals shorter than ``mingtisize`` are dropped.  The last interval therefore ends at the end
of the last good bin, possibly after the event list's TSTOP.

:func:`flare_gti` is the ESA thread recipe: a 100 s light curve of single events above
10 keV (pn: 10-12 keV) with the standard flag mask, then ``RATE <= 0.4`` (pn) or ``0.35``
(MOS).

Examples
--------
>>> import xmmframe
>>> from xmmframe.products import flare_gti
>>> events = xmmframe.open_events("P0001730201M1S002MIEVLI.FTZ")        # doctest: +SKIP
>>> screening = flare_gti(events, threshold=0.4)                       # doctest: +SKIP
>>> len(screening.gti), screening.gti.duration                          # doctest: +SKIP
(10, 21300.0)
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import polars as pl

from xmmframe.errors import ProductError
from xmmframe.model.events import EventList
from xmmframe.model.gti import GTI
from xmmframe.model.products import LightCurve
from xmmframe.model.provenance import Provenance
from xmmframe.model.registry import register

#: Flare-screening defaults per instrument family: (selection, rate threshold in count/s).
FLARE_DEFAULTS = {
    "EPN": ("#XMMEA_EP && (PI in [10000:12000]) && (PATTERN==0)", 0.4),
    "EMOS": ("#XMMEA_EM && (PI>10000) && (PATTERN==0)", 0.35),
}


@register("LightCurve.gti")
def gti_from_table(
    frame: pl.DataFrame,
    expression: str | pl.Expr,
    timedel: float,
    prefraction: float = 0.5,
    postfraction: float = 0.5,
    mingtisize: float = 0.0,
    time_column: str = "TIME",
) -> GTI:
    """GTIs where the rows of a binned table satisfy ``expression`` (tabgtigen).

    Parameters
    ----------
    frame : polars.DataFrame
        The table (a light curve: TIME, RATE, ERROR...).
    expression : str or polars.Expr
        A SAS selection on the table's columns (``'RATE<=0.4'``) or a Polars expression.
    timedel : float
        Bin size of the table.
    prefraction, postfraction : float
        Fractions of a bin before and after TIME that a good row covers.
    mingtisize : float
        Intervals shorter than this are dropped.

    Examples
    --------
    >>> frame = pl.DataFrame({"TIME": [5.0, 15.0, 25.0], "RATE": [0.1, 0.9, 0.2]})
    >>> gti_from_table(frame, "RATE<=0.4", 10.0).intervals
    [(0.0, 10.0), (20.0, 30.0)]
    """
    if not timedel > 0:
        raise ProductError(f"bin size must be positive, got {timedel}")
    if isinstance(expression, str):
        from xmmframe.select import compile as compile_selection

        expression = compile_selection(expression, columns=frame.schema)
    good = frame.select(expression.fill_null(False).alias("good"))["good"].to_numpy().astype(bool)
    time = frame[time_column].to_numpy().astype(np.float64)[good]
    gti = GTI(time - prefraction * timedel, time + postfraction * timedel)
    if mingtisize > 0 and len(gti):
        keep = (gti.stop - gti.start) >= mingtisize
        gti = GTI(gti.start[keep], gti.stop[keep])
    return gti


def tabgtigen(
    table: str | os.PathLike[str],
    expression: str | pl.Expr,
    gtiset: str | os.PathLike[str] | None = None,
    *,
    hdu: int | str | None = None,
    time_column: str = "TIME",
    prefraction: float = 0.5,
    postfraction: float = 0.5,
    mingtisize: float = 0.0,
    overwrite: bool = False,
    command: str | None = None,
) -> GTI:
    """SAS tabgtigen on a file: GTIs where the rows of a binned table satisfy ``expression``.

    Parameters
    ----------
    table : path
        A binned table (light curve); ``hdu`` picks the extension (default the first table).
    expression : str or polars.Expr
        Selection on the table's columns.
    gtiset : path, optional
        Where to write the GTI file (STDGTI extension, ``MINGTISZ`` and ``SUMSHORT`` keywords).
    time_column, prefraction, postfraction, mingtisize
        As for :func:`gti_from_table`; TIMEDEL is read from the table header.

    Examples
    --------
    >>> tabgtigen("M1_rate.fits", "RATE<=0.4", "M1_gti.fits")              # doctest: +SKIP
    GTI(10 intervals, 21300.000 s)
    """
    from xmmframe.io.fits_scan import FitsTable
    from xmmframe.io.cards import provenance_cards
    from xmmframe.io.ogip import write_gti

    source = FitsTable.open(table, hdu)
    header = source.info.header
    if "TIMEDEL" not in header:
        raise ProductError(f"table {source.info.name or source.info.index} has no TIMEDEL keyword", table)
    timedel = float(header["TIMEDEL"])
    frame = source.read()
    full = gti_from_table(frame, expression, timedel, prefraction, postfraction, 0.0, time_column)
    gti = gti_from_table(frame, expression, timedel, prefraction, postfraction, mingtisize, time_column)
    if gtiset is not None:
        short = full.duration - gti.duration
        primary = provenance_cards(Provenance("tabgtigen", command))
        write_gti(gti, gtiset, overwrite=overwrite, cards=source.info.cards, primary_cards=primary, extra=[
            ("MINGTISZ", float(mingtisize), "[s] minimum allowed GTI length"),
            ("SUMSHORT", float(short), "[s] sum of all GTIs shorter than MINGTISZ"),
        ])
    return gti


@dataclass(frozen=True)
class FlareScreening:
    """The result of :func:`flare_gti`: the good times and how they were found.

    Attributes
    ----------
    gti : GTI
        Times with a high-energy rate at or below the threshold.
    lightcurve : LightCurve
        The diagnostic light curve the threshold was applied to.
    threshold : float
        Rate threshold (count/s).
    selection : str
        Event selection of the diagnostic light curve.
    """

    gti: GTI
    lightcurve: LightCurve
    threshold: float
    selection: str

    @property
    def expression(self) -> str:
        """The tabgtigen expression applied."""
        return f"RATE<={self.threshold:g}"


def flare_gti(
    events: EventList,
    threshold: float | None = None,
    bin: float = 100.0,
    selection: str | None = None,
) -> FlareScreening:
    """Soft-proton flare screening: high-energy single-event light curve, rate threshold, GTI.

    Parameters
    ----------
    events : EventList
        A pn or MOS event list (INSTRUME picks the defaults).
    threshold : float, optional
        Rate threshold in count/s (default 0.4 for pn, 0.35 for MOS).
    bin : float
        Light-curve bin in seconds.
    selection : str, optional
        Event selection (default pn ``#XMMEA_EP && (PI in [10000:12000]) && (PATTERN==0)``,
        MOS ``#XMMEA_EM && (PI>10000) && (PATTERN==0)``).

    Returns
    -------
    FlareScreening
        ``gti`` (use it as ``events.filter(screening.gti)`` or write it with
        :func:`xmmframe.io.ogip.write_gti`) and the diagnostic ``lightcurve``.

    Examples
    --------
    >>> screening = flare_gti(events)                                    # doctest: +SKIP
    >>> clean = events.filter(screening.gti)                             # doctest: +SKIP
    """
    instrument = (events.meta.instrument or "").upper()
    family = "EPN" if instrument == "EPN" else "EMOS" if instrument.startswith("EMOS") else None
    if family is None and (selection is None or threshold is None):
        raise ProductError(f"no flare-screening defaults for instrument {instrument or '(unknown)'}; "
                           "give selection and threshold")
    default_selection, default_threshold = FLARE_DEFAULTS.get(family or "", ("", 0.0))
    selection = selection or default_selection
    threshold = default_threshold if threshold is None else float(threshold)
    curve = events.lightcurve(bin, selection=selection)
    return FlareScreening(curve.gti(pl.col("RATE") <= threshold), curve, threshold, selection)


__all__ = ["FLARE_DEFAULTS", "FlareScreening", "flare_gti", "gti_from_table", "tabgtigen"]
