"""SAS shape names (with aliases), what arguments each takes, and building shapes from a call.

Examples
--------
>>> from xmmframe.select.shapes.catalog import build_shape, signature
>>> build_shape("ring", [0, 0, 1, 2]).to_sas()
'(X,Y) in annulus(0,0,1,2)'
>>> signature("box")
'box(x, y, xhalf, yhalf[, rot])'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields

from xmmframe.errors import ShapeArgumentError
from xmmframe.select.shapes.base import SimpleShape
from xmmframe.select.shapes.circular import Annulus, Circle, Pie, Point
from xmmframe.select.shapes.elliptical import Ellipse, EllipticAnnulus
from xmmframe.select.shapes.polygonal import Line, Polygon
from xmmframe.select.shapes.rectangular import Box, Rectangle, Rhombus

#: Every SAS shape class.
SHAPE_CLASSES: tuple[type[SimpleShape], ...] = (
    Circle,
    Annulus,
    Pie,
    Point,
    Ellipse,
    EllipticAnnulus,
    Box,
    Rectangle,
    Rhombus,
    Polygon,
    Line,
)
#: SAS function name (lower case, aliases included) -> class.
SHAPES: dict[str, type[SimpleShape]] = {name: cls for cls in SHAPE_CLASSES for name in cls.sas_names}


def shape_class(name: str) -> type[SimpleShape] | None:
    """The class of a SAS shape name (any case, aliases allowed), or None."""
    return SHAPES.get(name.lower())


def _argument_names(cls: type[SimpleShape]) -> list[str]:
    return [f.name for f in fields(cls) if f.name != "columns"]


def signature(name: str) -> str:
    """The SAS call signature of a shape, optional arguments in brackets."""
    cls = SHAPES[name.lower()]
    if cls is Polygon:
        return f"{name.lower()}(x1, y1, x2, y2, x3, y3, ...)"
    names = _argument_names(cls)
    required = ", ".join(names[: cls.required])
    optional = "".join(f"[, {n}" for n in names[cls.required :]) + "]" * (len(names) - cls.required)
    return f"{name.lower()}({required}{optional})"


def accepts(name: str, count: int) -> bool:
    """Whether a shape takes ``count`` numeric arguments."""
    cls = SHAPES[name.lower()]
    if cls is Polygon:
        return count >= 6 and count % 2 == 0
    return cls.required <= count <= len(_argument_names(cls))


def arity(name: str) -> str:
    """How many arguments a shape takes, in words (for error messages)."""
    cls = SHAPES[name.lower()]
    if cls is Polygon:
        return "an even number of arguments, at least 6 (3 vertices)"
    total = len(_argument_names(cls))
    counts = " to ".join(str(n) for n in sorted({cls.required, total}))
    if total == cls.required + 1:
        counts = f"{cls.required} or {total}"
    return f"{counts} argument{'s' if total > 1 else ''}"


def arity_message(name: str, got: int) -> str:
    """The message of a wrong-arity :class:`~xmmframe.errors.ShapeArgumentError`."""
    return (
        f"shape {name.lower()} takes {arity(name)}: {signature(name)}, optionally followed by two "
        f"column names; got {got}"
    )


def build_shape(name: str, values: Sequence[float], columns: tuple[str, str] = ("X", "Y")) -> SimpleShape:
    """A shape object from a SAS call's numeric arguments.

    Raises
    ------
    xmmframe.errors.ShapeArgumentError
        When the number of arguments does not fit the shape.
    """
    cls = SHAPES[name.lower()]
    if not accepts(name, len(values)):
        raise ShapeArgumentError(arity_message(name, len(values)))
    if cls is Polygon:
        return Polygon.from_flat(list(values), columns=columns)
    return cls(*values, columns=columns)
