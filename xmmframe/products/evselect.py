"""evselect: one selection, one pass over the events, several products.

The selection is resolved once (filter, time selection, data subspace), the columns every
requested product needs are read in one lazy query (all columns when a filtered event list is
wanted), and each product is binned from that one frame.

Examples
--------
>>> import xmmframe
>>> result = xmmframe.evselect(
...     "M1_clean.fits", "(X,Y) in CIRCLE(24635.6,24158.8,200)",
...     spectrum="src.pha", lightcurve="src.lc", lightcurve_options={"bin": 100},
...     image="src.img", image_options=xmmframe.ImageOptions(bin=80), overwrite=True)  # doctest: +SKIP
>>> result.selected, result.spectrum.exposure                                    # doctest: +SKIP
(2456, 11807.1423120499)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from xmmframe.errors import OutputError
from xmmframe.io.atomic import atomic_group, check_not_input
from xmmframe.io.events import open_events
from xmmframe.io.ogip import check_output
from xmmframe.model.events import EventList
from xmmframe.model.gti import GTI
from xmmframe.model.options import ImageOptions, LightCurveOptions, SpectrumOptions
from xmmframe.model.products import Image, LightCurve, Spectrum
from xmmframe.products.context import ProductContext
from xmmframe.products.filtered import filtered_events, flag_rows
from xmmframe.products.image import image_from_frame
from xmmframe.products.lightcurve import lightcurve_from_frame
from xmmframe.products.spectrum import spectrum_from_frame

Target = str | os.PathLike[str] | bool | None
_SELECTED = "__xmmframe_selected"


@dataclass(frozen=True)
class EvselectResult:
    """What :func:`evselect` made (products not asked for are None).

    Attributes
    ----------
    selected : int
        Number of events the selection kept.
    spectrum, lightcurve, image : product or None
    filtered : EventList or None
        The filtered event list (in memory; also written when a path was given).
    """

    selected: int
    spectrum: Spectrum | None = None
    lightcurve: LightCurve | None = None
    image: Image | None = None
    filtered: EventList | None = None


def _wanted(target: Target) -> bool:
    return target is not None and target is not False


def _path(target: Target) -> str | None:
    return None if isinstance(target, bool) or target is None else os.fspath(target)


def evselect(
    events: EventList | str | os.PathLike[str],
    selection: Any = None,
    *,
    spectrum: Target = None,
    lightcurve: Target = None,
    image: Target = None,
    filtered: Target = None,
    gti: GTI | None = None,
    spectrum_options: SpectrumOptions | Mapping[str, Any] | None = None,
    lightcurve_options: LightCurveOptions | Mapping[str, Any] | None = None,
    image_options: ImageOptions | Mapping[str, Any] | None = None,
    keep_filter_output: bool = True,
    flag_column: str = "EVFLAG",
    flag_bit: int = -1,
    update_exposure: bool = True,
    filter_exposure: bool = True,
    write_dss: bool = True,
    overwrite: bool = False,
    command: str | None = None,
    parameters: dict[str, Any] | None = None,
    base_dir: str | os.PathLike[str] | None = None,
) -> EvselectResult:
    """Select events once and make every requested product from the same pass.

    Parameters
    ----------
    events : EventList or path
        The input event list.
    selection : str, polars.Expr, GTI or shape, optional
        The SAS selection (``'#XMMEA_EM && gti(gti.fits,TIME) && (PATTERN<=12)'``) or an
        equivalent object; recorded in every product (``SLCTEXPR``, data subspace).
    spectrum, lightcurve, image, filtered : path or bool, optional
        A path writes the product there; ``True`` makes it without writing.
    gti : GTI, optional
        An extra time selection.
    spectrum_options : SpectrumOptions or mapping, optional
        How the spectrum is binned (a mapping gives its fields: ``{"channel_bin": 10}``).
    lightcurve_options : LightCurveOptions or mapping
        How the light curve is binned; its ``bin`` is required when a light curve is asked for.
    image_options : ImageOptions or mapping, optional
        How the image is binned.
    keep_filter_output : bool
        The filtered list keeps only the selected rows (True), or every row with the selection
        result in ``flag_column`` (a 0/1 column, or bit ``flag_bit`` of it when ``flag_bit >= 0``).
    update_exposure, filter_exposure, write_dss : bool
        SAS ``updateexposure``, ``filterexposure``, ``writedss`` for the filtered list.
    overwrite : bool
        Replace existing output files (otherwise :class:`~xmmframe.errors.OutputError`).
    command, parameters : optional
        The command line and parameters recorded in the headers.
    base_dir : path, optional
        Directory for relative file names in the selection.

    Returns
    -------
    EvselectResult

    Examples
    --------
    >>> result = evselect("M1_clean.fits", "#XMMEA_EM && (PATTERN<=12) && (PI in [500:10000])",
    ...                   spectrum="all.pha", image=True, image_options={"bin": 80})   # doctest: +SKIP
    >>> result.selected, result.image.data.shape                                      # doctest: +SKIP
    """
    if not isinstance(events, EventList):
        events = open_events(events)
    targets = {"spectrum": spectrum, "lightcurve": lightcurve, "image": image, "filtered": filtered}
    paths = [p for p in map(_path, targets.values()) if p is not None]
    if len(set(map(os.path.abspath, paths))) != len(paths):
        raise OutputError("two products would be written to the same file")
    for path in paths:
        check_output(path, overwrite)
        check_not_input(path, [events.meta.source] if events.meta.source else [])
    chosen = _Choices(
        SpectrumOptions.build(spectrum_options) if _wanted(spectrum) else None,
        LightCurveOptions.build(lightcurve_options) if _wanted(lightcurve) else None,
        ImageOptions.build(image_options) if _wanted(image) else None,
    )
    context = ProductContext.from_events(events, selection, gti, task="evselect", parameters=parameters, command=command,
                           base_dir=base_dir)

    columns = _columns(events, _wanted(filtered), chosen)
    if _wanted(filtered) and not keep_filter_output:
        expr = context.selection.expr if context.selection.expr is not None else pl.lit(True)
        everything = events.lazy.with_columns(expr.fill_null(False).alias(_SELECTED)).collect()
        frame = everything.filter(pl.col(_SELECTED)).drop(_SELECTED)
        rows = flag_rows(everything.drop(_SELECTED), everything[_SELECTED], flag_column, flag_bit)
    else:
        frame = context.selected(columns).collect()
        rows = frame

    made: dict[str, Any] = {}
    if chosen.spectrum is not None:
        made["spectrum"] = spectrum_from_frame(frame, context, chosen.spectrum)
    if chosen.lightcurve is not None:
        made["lightcurve"] = lightcurve_from_frame(frame, context, chosen.lightcurve)
    if chosen.image is not None:
        made["image"] = image_from_frame(frame, context, chosen.image)
    if _wanted(filtered):
        made["filtered"] = filtered_events(rows, context, update_exposure=update_exposure,
                                           filter_exposure=filter_exposure, write_dss=write_dss)
    with atomic_group():  # all products or none
        for name, product in made.items():
            path = _path(targets[name])
            if path is not None:
                product.write_fits(path) if name == "filtered" else product.write(path, overwrite=overwrite)
    return EvselectResult(frame.height, **made)


@dataclass(frozen=True)
class _Choices:
    """The options of the products one evselect run makes (None: not made)."""

    spectrum: SpectrumOptions | None = None
    lightcurve: LightCurveOptions | None = None
    image: ImageOptions | None = None


def _columns(events: EventList, filtered: bool, chosen: _Choices) -> list[str] | None:
    """The columns the requested products need (None: all of them, for a filtered list)."""
    if filtered:
        return None
    columns = ["CCDNR"] if "CCDNR" in events.meta.columns else []
    if chosen.spectrum is not None:
        columns.append(chosen.spectrum.energy_column)
    if chosen.lightcurve is not None:
        columns.append(chosen.lightcurve.time_column)
    if chosen.image is not None:
        columns += [chosen.image.xcolumn, chosen.image.ycolumn]
        if chosen.image.weights:
            columns.append(chosen.image.weights)
    return list(dict.fromkeys(columns)) or ["TIME"]


__all__ = ["EvselectResult", "evselect"]
