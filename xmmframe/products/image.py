"""Images in evselect's pixel convention, with sky and physical WCS.

Rules (reproduce every pixel and WCS keyword of the SAS images in ``refdata``):

* The binned range of a column is ``x_range`` (default the column's TLMIN..TLMAX, e.g. sky X/Y
  1..51840).  Pixel k of bin factor b covers the values ``xmin + k*b .. xmin + (k+1)*b - 1``,
  i.e. the edges are ``xmin - 0.5 + k*b`` (``0.5 + 80*k`` for the EXOD images).
* ``bin`` given (SAS ``imagebinning=binSize``): ``nx = ceil((xmax - xmin + 1) / b)``.
  ``size`` given (``imageSize``): the bin factor is ``ceil((xmax - xmin + 1) / nx)`` (rounded up
  for integer columns, as evselect does) and the image has ``nx`` pixels.  ``square=True`` uses
  the larger bin on both axes.
* Physical WCS: ``CTYPE1L`` = the column, ``CRPIX1L = 1``, ``CRVAL1L = xmin + (b - 1)/2`` (centre
  of pixel 1), ``CDELT1L = b``, ``LTM1_1 = 1/b``, ``LTV1 = 1 - CRVAL1L/b``.
* Sky WCS (X/Y images): ``CTYPE1``/``CRVAL1`` from the column's sky reference, ``CDELT1 =
  REFXCDLT * b``, ``CRPIX1 = (REFXCRPX - CRVAL1L)/b + 1``.  Other columns (DETX/DETY...) get
  the physical axes as their primary WCS, as eexpmap's detector images have.
* ``EXPOSURE`` = the largest ``ONTIMEnn``; int32 pixels for counts (``BITPIX = 32``), float64
  for weighted images or ``dtype="float64"`` (SAS ``imagedatatype=Real64``).

Examples
--------
>>> import xmmframe
>>> image = xmmframe.open_events("M1_clean.fits").image(bin=80)               # doctest: +SKIP
>>> image.data.shape, image.exposure                                          # doctest: +SKIP
((648, 648), 11953.2360060215)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import polars as pl

from xmmframe.errors import ProductError
from xmmframe.model.events import EventList
from xmmframe.model.gti import GTI
from xmmframe.model.options import ImageOptions
from xmmframe.model.products import Image
from xmmframe.io.cards import keyword_cards, merge_cards
from xmmframe.model.registry import register
from xmmframe.products.binning import Axis, histogram
from xmmframe.products.context import ProductContext

#: Largest image (pixels) xmmframe will allocate.
MAX_PIXELS = 1 << 28
_IMAGE_DTYPES = {"int32": np.int32, "float64": np.float64, "float32": np.float32, "int16": np.int16,
                 "Int32": np.int32, "Real64": np.float64, "Real32": np.float32, "Int16": np.int16}


def _legal_range(context: ProductContext, column: str, given: tuple[float, float] | None) -> tuple[float, float]:
    if given is not None:
        low, high = float(given[0]), float(given[1])
    else:
        info = context.meta.columns.get(column)
        if info is None:
            raise ProductError(f"no column {column!r} to bin; columns are {', '.join(context.meta.columns)}")
        if info.tlmin is None or info.tlmax is None:
            raise ProductError(f"column {column} has no TLMIN/TLMAX; give its range")
        low, high = info.tlmin, info.tlmax
    if high < low:
        raise ProductError(f"empty {column} range {low:g}..{high:g}")
    return low, high


#: Pixels per side when neither a bin nor a size is given (evselect ``ximagesize``/``yimagesize``).
DEFAULT_IMAGE_SIZE = 600


def image_axes(
    context: ProductContext,
    bin: float | tuple[float, float] | None = None,
    x_range: tuple[float, float] | None = None,
    y_range: tuple[float, float] | None = None,
    size: int | tuple[int, int] | None = None,
    xcolumn: str = "X",
    ycolumn: str = "Y",
    square: bool = False,
) -> tuple[Axis, Axis, float, float]:
    """The x and y axes of an image and the first pixels' low values ``(xaxis, yaxis, xmin, ymin)``.

    Raises
    ------
    ProductError
        For a bin size that is not positive, both ``bin`` and ``size``, or an image larger
        than :data:`MAX_PIXELS`.  With neither, the image is 600 x 600 pixels over the legal
        range (evselect's default ``imagebinning=imageSize``).
    """
    if bin is not None and size is not None:
        raise ProductError("give the image bin size or the image size, not both")
    if bin is None and size is None:
        size = DEFAULT_IMAGE_SIZE
    xmin, xmax = _legal_range(context, xcolumn, x_range)
    ymin, ymax = _legal_range(context, ycolumn, y_range)
    if bin is not None:
        xbin, ybin = (bin, bin) if np.isscalar(bin) else bin
        if not (xbin > 0 and ybin > 0):
            raise ProductError(f"image bin size must be positive, got {bin}")
        if square:
            xbin = ybin = max(xbin, ybin)
        nx, ny = math.ceil((xmax - xmin + 1) / xbin), math.ceil((ymax - ymin + 1) / ybin)
    else:
        nx, ny = (size, size) if np.isscalar(size) else size
        if not (nx >= 1 and ny >= 1):
            raise ProductError(f"image size must be positive, got {size}")
        xbin, ybin = math.ceil((xmax - xmin + 1) / nx), math.ceil((ymax - ymin + 1) / ny)
        if square:
            xbin = ybin = max(xbin, ybin)
    if nx * ny > MAX_PIXELS:
        raise ProductError(f"an image of {nx} x {ny} pixels is too large (limit {MAX_PIXELS} pixels); "
                           "use a larger bin or a smaller range")
    return Axis(xmin - 0.5, float(xbin), int(nx)), Axis(ymin - 0.5, float(ybin), int(ny)), xmin, ymin


def _sky_reference(context: ProductContext, column: str, axis: str) -> dict[str, Any] | None:
    """CTYP/CRVL/CDLT/CRPX of a sky column (TC*n column keywords, else REF{X,Y}*)."""
    meta = context.meta
    number = meta.column_number(column)
    values = {}
    for what in ("CTYP", "CRVL", "CDLT", "CRPX"):
        value = meta.header.get(f"T{what}{number}") if number else None
        if value is None:
            value = meta.keyword(f"REF{axis}{what}")
        values[what] = value
    if any(values[k] is None for k in ("CRVL", "CDLT", "CRPX")):
        return None
    return values


def wcs_cards(context: ProductContext, xaxis: Axis, yaxis: Axis, xmin: float, ymin: float, xcolumn: str,
              ycolumn: str) -> tuple[str, ...]:
    """The sky and physical WCS keywords of an image (evselect's layout)."""
    items: list[tuple[str, Any, str]] = []
    sky_pair = (xcolumn.upper(), ycolumn.upper()) == ("X", "Y")
    for n, (axis, low, column, ref) in enumerate(((xaxis, xmin, xcolumn, "X"), (yaxis, ymin, ycolumn, "Y")), 1):
        b = axis.width
        centre = low + (b - 1) / 2
        sky = _sky_reference(context, column, ref) if sky_pair else None
        if sky is not None:
            items += [
                (f"CTYPE{n}", str(sky["CTYP"] or ("RA---TAN", "DEC--TAN")[n - 1]).strip(),
                 "Coord. type: tangent plane projection"),
                (f"CRPIX{n}", (float(sky["CRPX"]) - centre) / b + 1, "WCS reference pixel"),
                (f"CRVAL{n}", float(sky["CRVL"]), "[deg] coord. at reference pixel"),
                (f"CUNIT{n}", "deg", "Physical units of the axis"),
                (f"CDELT{n}", float(sky["CDLT"]) * b, "WCS pixel size"),
            ]
        else:
            items += [
                (f"CTYPE{n}", column.upper(), "WCS coordinate name"),
                (f"CRPIX{n}", 1.0, "WCS reference pixel"),
                (f"CRVAL{n}", centre, "WCS reference pixel value"),
                (f"CDELT{n}", b, "WCS pixel size"),
            ]
        items += [
            (f"CTYPE{n}L", column.upper(), "WCS coordinate name"),
            (f"CRPIX{n}L", 1, "WCS reference pixel"),
            (f"CRVAL{n}L", centre, "WCS reference pixel value"),
            (f"CDELT{n}L", b, "WCS pixel size"),
            (f"LTV{n}", 1 - centre / b, "physical to image offset"),
            (f"LTM{n}_{n}", 1 / b, "physical to image scale"),
        ]
    items += [
        ("WCSNAMEL", "PHYSICAL", "WCS L name"),
        ("WCSAXESL", 2, "No. of axes for WCS L"),
        ("LTM1_2", 0, ""),
        ("LTM2_1", 0, ""),
    ]
    return keyword_cards(items)


def _exposure_cards(context: ProductContext) -> tuple[str, ...]:
    items: list[tuple[str, Any, str]] = []
    for ccd in sorted(context.times.ontime):
        name = f"EXPOSU{ccd:02d}"
        if name in context.meta.extension_names:
            frmtime = context.meta.extension(name).header.get("FRMTIME")
            if frmtime is not None:
                items.append((f"FRMTIM{ccd:02d}", float(frmtime) / 1000.0, f"[s] Frame time for CCD {ccd}"))
    items += [(f"ONTIME{ccd:02d}", value, "Sum of GTIs for a particular CCD")
              for ccd, value in sorted(context.times.ontime.items())]
    return keyword_cards(items)


def image_from_frame(frame: pl.DataFrame, context: ProductContext, options: ImageOptions) -> Image:
    """The image of already selected events (``frame`` has the two columns and the weight column)."""
    xcolumn, ycolumn, weights, dtype = options.xcolumn, options.ycolumn, options.weights, options.dtype
    xaxis, yaxis, xmin, ymin = image_axes(context, options.bin, options.x_range, options.y_range, options.size,
                                          xcolumn, ycolumn, options.square)
    w = frame[weights].to_numpy() if weights is not None else None
    data = histogram(frame[xcolumn].to_numpy(), xaxis, frame[ycolumn].to_numpy(), yaxis, w)
    if dtype is not None:
        if dtype not in _IMAGE_DTYPES:
            raise ProductError(f"unknown image data type {dtype!r}; use one of {', '.join(_IMAGE_DTYPES)}")
        data = data.astype(_IMAGE_DTYPES[dtype])
    elif w is None:
        data = data.astype(np.int32)
    product = context.product_cards()
    cards = merge_cards(product.pop("primary_cards"), product.pop("cards"))
    image_keywords = keyword_cards([
        ("HDUCLASS", "OGIP", "Format conforms to OGIP/GSFC conventions"),
        ("HDUCLAS1", "IMAGE", "File contains an Image"),
        ("HDUCLAS2", "TOTAL", "Gross Image"),
        ("HDUVERS1", "1.1.0", "Version of format"),
        ("BUNIT", "count" if w is None else None, "Pixel value unit"),
    ])
    cards = merge_cards(cards, image_keywords + wcs_cards(context, xaxis, yaxis, xmin, ymin, xcolumn, ycolumn)
                        + _exposure_cards(context))
    return Image(data=data, exposure=context.times.max_ontime, cards=cards, **product)


@register("EventList.image")
def make_image(
    events: EventList,
    selection: Any = None,
    *,
    options: ImageOptions | Mapping[str, Any] | float | tuple[float, float] | None = None,
    gti: GTI | None = None,
    **fields: Any,
) -> Image:
    """Bin the (selected) events into an image; see :meth:`EventList.image`.

    ``options`` (a :class:`~xmmframe.model.options.ImageOptions`, a mapping of its fields or
    the bin factor) and ``**fields`` build the ImageOptions
    (:meth:`~xmmframe.model.options.ProductOptions.build`).
    """
    options = ImageOptions.build(options, **fields)
    context = ProductContext.from_events(events, selection, gti, task="image", parameters=options.history())
    columns = [options.xcolumn, options.ycolumn] + ([options.weights] if options.weights else [])
    frame = context.selected(columns).collect()
    return image_from_frame(frame, context, options)


__all__ = ["MAX_PIXELS", "image_axes", "image_from_frame", "make_image", "wcs_cards"]
