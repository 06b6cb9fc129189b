"""xmmframe: XMM-Newton EPIC data analysis on Polars LazyFrames.

Examples
--------
>>> import xmmframe
>>> events = xmmframe.open_events("P0001730201M1S002MIEVLI.FTZ")      # doctest: +SKIP
>>> events.filter("#XMMEA_EM && PATTERN<=12").count()                  # doctest: +SKIP
"""

from xmmframe import errors
from xmmframe.io.events import open_events
from xmmframe.io.fits_scan import scan_fits
from xmmframe.io.odf import open_odf
from xmmframe.io.parquet import scan_store, write_to_store
from xmmframe.model.events import EventList
from xmmframe.model.gti import GTI
from xmmframe.model.meta import ColumnInfo, EventMeta
from xmmframe.model.observation import Observation
from xmmframe.model.products import Image, LightCurve, Spectra, Spectrum
from xmmframe.products import evselect, flare_gti
from xmmframe.select import (
    Annulus,
    Box,
    Circle,
    Ellipse,
    EllipticAnnulus,
    Line,
    Pie,
    Point,
    Polygon,
    Rectangle,
    Region,
)

__all__ = ["GTI", "ColumnInfo", "EventList", "EventMeta", "errors", "open_events", "scan_fits", "scan_store", "write_to_store",
           "Annulus", "Box", "Circle", "Ellipse", "EllipticAnnulus", "Line", "Pie", "Point", "Polygon",
           "Rectangle", "Region",
           "Image", "LightCurve", "Spectra", "Spectrum", "evselect", "flare_gti",
           "Observation", "open_odf"]
__version__ = "0.1.0"
