"""The SAS selection language (selectlib) as Polars expressions.

``compile(selection, meta)`` turns a SAS expression such as
``'#XMMEA_EM && gti(M1_gti.fits,TIME) && (PATTERN<=12) && (PI in [500:10000])'`` into one
lazy Polars boolean expression; ``explain(selection)`` shows how it was parsed.  Region
shapes (:class:`Circle`, :class:`Box`, ...) and :class:`Region` are the same selections as
Python objects; like :class:`~xmmframe.model.gti.GTI` they can be given to
``EventList.filter``.

Modules: :mod:`.lexer` (tokens), :mod:`.parser` and :mod:`.nodes` (grammar, precedence and
the tree), :mod:`.compiler` (tree -> Polars, typing rules), :mod:`.macros` (``#NAME``),
:mod:`.filespec` (``set:EXT`` block specs), :mod:`.shapes` (geometry), :mod:`.region`
(region files), :mod:`.explain`.

Examples
--------
>>> import xmmframe
>>> from xmmframe.select import Circle, compile
>>> events = xmmframe.open_events("M1_clean.fits")                                   # doctest: +SKIP
>>> events.filter("#XMMEA_EM && (PATTERN<=12) && (PI in [500:10000])").count()       # doctest: +SKIP
>>> events.lazy.filter(compile("PI > 2000", events.meta) & Circle(24635.6, 24158.8, 200).to_expr())  # doctest: +SKIP
"""

from xmmframe.select.compiler import compile_selection as compile
from xmmframe.select.explain import explain
from xmmframe.select.parser import parse
from xmmframe.select.region import Region, SkyShape
from xmmframe.select.shapes import (
    Annulus,
    Box,
    Circle,
    Complement,
    Ellipse,
    EllipticAnnulus,
    Intersection,
    Line,
    Pie,
    Point,
    Polygon,
    Rectangle,
    Rhombus,
    Shape,
    Union,
)

__all__ = [
    "Annulus",
    "Box",
    "Circle",
    "Complement",
    "Ellipse",
    "EllipticAnnulus",
    "Intersection",
    "Line",
    "Pie",
    "Point",
    "Polygon",
    "Rectangle",
    "Region",
    "Rhombus",
    "Shape",
    "SkyShape",
    "Union",
    "compile",
    "explain",
    "parse",
]
