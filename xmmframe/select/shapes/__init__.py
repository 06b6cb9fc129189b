"""Region shapes in SAS selectlib conventions, as Polars expressions.

One module per family: :mod:`.circular` (circle, annulus, pie, point), :mod:`.elliptical`
(ellipse, elliptical annulus), :mod:`.rectangular` (box, rectangle, rhombus),
:mod:`.polygonal` (polygon, line); :mod:`.base` holds what they share and the set
operations, :mod:`.catalog` the SAS names and argument counts.

Examples
--------
>>> from xmmframe.select.shapes import Circle, Box
>>> (Circle(0, 0, 10) | Box(20, 0, 5, 5)).to_sas()
'((X,Y) in circle(0,0,10) || (X,Y) in box(20,0,5,5,0))'
"""

from xmmframe.select.shapes.base import Complement, Intersection, Shape, SimpleShape, Union
from xmmframe.select.shapes.circular import Annulus, Circle, Pie, Point
from xmmframe.select.shapes.elliptical import Ellipse, EllipticAnnulus
from xmmframe.select.shapes.polygonal import Line, Polygon
from xmmframe.select.shapes.rectangular import Box, Rectangle, Rhombus

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
    "Rhombus",
    "Shape",
    "SimpleShape",
    "Union",
]
