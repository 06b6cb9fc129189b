"""Spectra: PHA Type I from one selection, PHA Type II from many.

evselect's rule: the energy column (integer, normally ``PI`` in eV) is binned plainly into
channels of ``channel_bin`` values from ``channel_min``: channel k counts values
``channel_min + k*channel_bin .. channel_min + (k+1)*channel_bin - 1`` up to ``channel_max``.
The standard XMM grids are PI 0..20479 for pn (4096 channels of 5 eV) and 0..11999 for MOS
(2400 channels of 5 eV).  ``EXPOSURE`` is the per-CCD live time averaged with weights = the
selected events per CCD (:mod:`xmmframe.products.exposure`).

Examples
--------
>>> import xmmframe
>>> events = xmmframe.open_events("M1_clean.fits")                                # doctest: +SKIP
>>> spec = events.spectrum(selection="(X,Y) in CIRCLE(24635.6,24158.8,200)")      # doctest: +SKIP
>>> spec.channel.size, spec.exposure                                              # doctest: +SKIP
(2400, 11807.1423120499)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import polars as pl

from xmmframe.errors import ProductError
from xmmframe.model.events import EventList
from xmmframe.model.gti import GTI
from xmmframe.model.meta import EventMeta
from xmmframe.model.options import SpectrumOptions
from xmmframe.model.products import Spectra, Spectrum
from xmmframe.model.registry import register
from xmmframe.products.binning import histogram, integer_axis
from xmmframe.products.context import ProductContext

#: Last channel of the standard spectral grid per instrument (PI in eV).
STANDARD_CHANNEL_MAX = {"EPN": 20479, "EMOS1": 11999, "EMOS2": 11999}


def default_channel_max(meta: EventMeta) -> int:
    """20479 for pn, 11999 for MOS (by INSTRUME); 11999 when the instrument is unknown."""
    return STANDARD_CHANNEL_MAX.get((meta.instrument or "").upper(), 11999)


def channel_grid(
    meta: EventMeta,
    channel_bin: int = 5,
    channel_min: int = 0,
    channel_max: int | None = None,
    energy_column: str = "PI",
    ignore_legal_limits: bool = False,
) -> tuple[int, int, int]:
    """Check and complete the channel parameters: ``(channel_bin, channel_min, channel_max)``.

    Raises
    ------
    ProductError
        For a bin size below 1, an empty range, or (unless ``ignore_legal_limits``) an
        explicitly given range outside the column's TLMIN/TLMAX.
    """
    if int(channel_bin) != channel_bin or channel_bin < 1:
        raise ProductError(f"spectral bin size must be a positive integer, got {channel_bin}")
    explicit_max = channel_max is not None
    channel_max = default_channel_max(meta) if channel_max is None else int(channel_max)
    if channel_max < channel_min:
        raise ProductError(f"channel range {channel_min}..{channel_max} is empty")
    info = meta.columns.get(energy_column)
    if info is None:
        raise ProductError(f"no energy column {energy_column!r}; columns are {', '.join(meta.columns)}")
    if info.tform.strip().lstrip("0123456789")[:1] not in ("B", "I", "J", "K"):
        raise ProductError(f"energy column {energy_column} must be an integer column (TFORM {info.tform})")
    if not ignore_legal_limits:
        low_bad = info.tlmin is not None and channel_min < info.tlmin
        high_bad = explicit_max and info.tlmax is not None and channel_max > info.tlmax
        if low_bad or high_bad:
            raise ProductError(
                f"channel range {channel_min}..{channel_max} is outside the legal range of {energy_column} "
                f"({info.tlmin:g}..{info.tlmax:g}); use ignore_legal_limits=True (ignorelegallimits=yes) to bin it"
            )
    return int(channel_bin), int(channel_min), channel_max


def _counts(values: np.ndarray, channel_bin: int, channel_min: int, channel_max: int) -> np.ndarray:
    axis = integer_axis(channel_min, channel_max, channel_bin)
    if (channel_max - channel_min + 1) % channel_bin:
        values = values[values <= channel_max]  # the last channel is partial: keep it to channel_max
    return histogram(values, axis)


def spectrum_from_frame(frame: pl.DataFrame, context: ProductContext, options: SpectrumOptions) -> Spectrum:
    """The spectrum of already selected events (``frame`` has the energy column and CCDNR)."""
    energy_column = options.energy_column
    channel_bin, channel_min, channel_max = channel_grid(
        context.meta, options.channel_bin, options.channel_min, options.channel_max, energy_column,
        options.ignore_legal_limits,
    )
    counts = _counts(frame[energy_column].to_numpy(), channel_bin, channel_min, channel_max)
    exposure = context.times.weighted_livetime(context.events_per_ccd(frame))
    return Spectrum(
        channel=np.arange(counts.size, dtype=np.int32),
        counts=counts.astype(np.int64),
        exposure=float(exposure) if exposure is not None else 0.0,
        chantype=energy_column.upper(),
        channel_bin=channel_bin,
        channel_min=channel_min,
        **context.product_cards(),
    )


@register("EventList.spectrum")
def make_spectrum(
    events: EventList,
    selection: Any = None,
    *,
    options: SpectrumOptions | Mapping[str, Any] | int | None = None,
    gti: GTI | None = None,
    **fields: Any,
) -> Spectrum:
    """Bin the (selected) events into a PHA Type I spectrum; see :meth:`EventList.spectrum`.

    ``options`` (a :class:`~xmmframe.model.options.SpectrumOptions`, a mapping of its fields or
    the channel bin) and ``**fields`` build the SpectrumOptions
    (:meth:`~xmmframe.model.options.ProductOptions.build`).
    """
    options = SpectrumOptions.build(options, **fields)
    recorded = replace(options, channel_max=options.channel_max if options.channel_max is not None
                       else default_channel_max(events.meta))
    context = ProductContext.from_events(events, selection, gti, task="spectrum", parameters=recorded.history())
    columns = [options.energy_column] + (["CCDNR"] if "CCDNR" in events.meta.columns else [])
    frame = context.selected(columns).collect()
    return spectrum_from_frame(frame, context, options)


def make_spectra(
    events: EventList,
    selections: Mapping[str, Any] | Sequence[Any],
    *,
    options: SpectrumOptions | Mapping[str, Any] | int | None = None,
    **fields: Any,
) -> Spectra:
    """Many spectra on one channel grid (PHA Type II), one per selection (regions, time slices...).

    Parameters
    ----------
    selections : mapping or sequence
        ``label -> selection`` (or selections, labelled by their position).  Each entry is
        anything :meth:`EventList.filter` accepts; a :class:`GTI` selects a time slice and
        gets the matching EXPOSURE.
    options : SpectrumOptions, optional
        The channel grid of every spectrum; ``**fields`` override its fields.

    Examples
    --------
    >>> make_spectra(events, {"src": "(X,Y) in CIRCLE(24635.6,24158.8,200)",
    ...                       "bkg": "(X,Y) in CIRCLE(23290.1,27609.7,200)"})     # doctest: +SKIP
    """
    items = list(selections.items()) if isinstance(selections, Mapping) else [
        (str(i + 1), s) for i, s in enumerate(selections)
    ]
    if not items:
        raise ProductError("no selections given for the spectra")
    options = SpectrumOptions.build(options, **fields)
    spectra = [make_spectrum(events, sel, options=options) for _, sel in items]
    first = spectra[0]
    base = ProductContext.from_events(events, None, task="spectra")
    return Spectra(
        channel=first.channel,
        counts=np.stack([s.counts for s in spectra]),
        exposure=np.array([s.exposure for s in spectra]),
        backscal=np.array([s.backscal for s in spectra]),
        labels=tuple(label for label, _ in items),
        chantype=first.chantype,
        channel_bin=first.channel_bin,
        channel_min=first.channel_min,
        cards=base.table_cards(),
        primary_cards=base.primary_cards(),
        gtis=base.gti_tables(),
    )


__all__ = ["STANDARD_CHANNEL_MAX", "channel_grid", "default_channel_max", "make_spectra", "make_spectrum",
           "spectrum_from_frame"]
