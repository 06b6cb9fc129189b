"""From a parsed selection to one Polars boolean expression.

Evaluation rules (SAS evaluates selections in double precision; where it leaves a choice, the
rule is written here):

* Integer columns are used as Int64 and floating-point columns as Float64, so ``PI*PI`` does
  not overflow Int16 and ``RATE<=0.4`` compares a Float32 column in double precision as SAS
  does.  Integer literals are Int64, others Float64.
* ``+ - *`` on two integers stay integer (Int64); with a float operand they are Float64.
  ``/`` is always true division in Float64 (SAS doubles: ``PI/1000``).
* ``&`` and ``|`` are bitwise on integers (Int64, so masks above 2^31 such as
  ``0xfffffeff`` work on Int32 FLAG); on two booleans they are logical.  A floating-point
  operand is an error.
* ``&&``, ``||``, ``!`` and the whole selection take a number as true when it is non-zero
  (C rule): ``TIME-1.005e8`` selects rows where the difference is not 0.
* Comparisons follow IEEE rules: with a NaN operand only ``!=`` is true (Polars alone would
  order NaN above every number).  Comparisons with a null (a TNULL value) are null and the
  row is not selected.  Ranges compare with the bracket rules of :mod:`~xmmframe.select.parser`.
* ``#ROW`` is ``1, 2, ...`` over the table the expression filters (the whole table: Polars
  does not push this term into the scan).
* ``gti(file, TIME)`` is ``START <= TIME < STOP`` for some interval (half-open, the
  :class:`~xmmframe.model.gti.GTI` convention; the EXOD reference data gives the same rows
  either way), computed with a sorted search inside Polars.
* ``(RA,DEC) in circle(ra, dec, r)`` / ``annulus`` / ``box(ra, dec, xhalf, yhalf, rot)``
  (degrees), on a table without RA/DEC columns, is converted to X/Y through the table's sky
  WCS (sizes / |pixel size|, the box angle unchanged).

Examples
--------
>>> import polars as pl
>>> from xmmframe.select.compiler import compile_selection
>>> frame = pl.DataFrame({"PI": [400, 600, 2500], "FLAG": [0, 0x100, 0x10000]})
>>> frame.filter(compile_selection("PI in [500:3000] && #XMMEA_SM", columns=frame.schema))["PI"].to_list()
[600]
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from collections.abc import Sequence
from typing import Any

import polars as pl

from xmmframe.errors import (
    ColumnError,
    FileAccessError,
    HduNotFoundError,
    SelectionTypeError,
    ShapeArgumentError,
    UnknownMacroError,
    UnsupportedSelectionError,
)
from xmmframe.model.gti import GTI
from xmmframe.model.meta import EventMeta
from xmmframe.model.registry import register
from xmmframe.select.columns import ColumnTable, column_table, integer_literal
from xmmframe.select.filespec import FileSpec
from xmmframe.select.limits import stack_room
from xmmframe.select.macros import MacroTable
from xmmframe.select.nodes import (
    ARITHMETIC,
    BITWISE,
    COMPARISON,
    LOGICAL,
    Binary,
    Boolean,
    Column,
    GtiTest,
    InRanges,
    Macro,
    MaskTest,
    Node,
    Number,
    Range,
    RegionTest,
    RowNumber,
    ShapeTest,
    String,
    Unary,
)
from xmmframe.select.parser import parse
from xmmframe.select.region import Region
from xmmframe.select.shapes.catalog import SHAPES, build_shape
from xmmframe.select.shapes.circular import Annulus, Circle
from xmmframe.select.shapes.base import Intersection, Shape, SimpleShape
from xmmframe.select.shapes.rectangular import Box
from xmmframe.select.shapes.shape_set import MIN_SHAPES, any_inside, supported

_INT64_MAX = (1 << 63) - 1
#: Shapes SAS accepts on (RA,DEC), sizes in degrees.
CELESTIAL_SHAPES = (Circle, Annulus, Box)


def celestial_shape(
    name: str, values: Sequence[float], meta: EventMeta | None, *, columns: tuple[str, str] = ("X", "Y"),
    where: str = "",
) -> Circle | Annulus | Box:
    """A SAS ``(RA,DEC) in circle/annulus/box(...)`` shape (degrees) as the same shape on X/Y.

    The centre goes through the table's sky WCS; radii and half widths are divided by the sky
    pixel size, and a box keeps its angle (the sky X/Y frame has north up).  A ds9 sky region
    goes through astropy ``regions`` instead, which also turns a box by the small angle between
    north and +Y at the box's position (far below a pixel at its corners).

    Examples
    --------
    >>> shape = celestial_shape("circle", [263.6579, -32.556, 0.01], events.meta)   # doctest: +SKIP
    >>> shape.arguments                                                             # doctest: +SKIP
    """
    kind = SHAPES[name.lower()]
    if kind not in CELESTIAL_SHAPES:
        allowed = ", ".join(shape.sas_names[0] for shape in CELESTIAL_SHAPES)
        raise UnsupportedSelectionError(f"(RA,DEC) in {name}() is not supported (only {allowed}){where}")
    wcs = meta.sky_wcs if meta is not None else None
    if wcs is None:
        raise UnsupportedSelectionError(f"(RA,DEC) shapes need the table's sky WCS of X/Y{where}")
    x, y = (float(v) for v in wcs.all_world2pix(values[0], values[1], 1))
    scale = abs(float(wcs.wcs.cdelt[1]))
    if kind is Box:
        return Box(x, y, values[2] / scale, values[3] / scale, *values[4:], columns=columns)
    return kind(x, y, *(v / scale for v in values[2:]), columns=columns)


@register("EventList.compile")
def compile_selection(
    selection: str,
    meta: EventMeta | None = None,
    *,
    columns: Any = None,
    base_dir: str | os.PathLike[str] | None = None,
) -> pl.Expr:
    """Compile a SAS selection expression into a Polars boolean expression.

    Parameters
    ----------
    selection : str
        The expression, e.g. ``'#XMMEA_EM && (PATTERN<=12) && (PI in [500:10000])'``.
    meta : EventMeta, optional
        Metadata of the table to filter: its columns (matched case-insensitively), header
        keywords for ``#NAME`` macros, sky WCS for sky regions.
    columns : schema, list of str or ColumnTable, optional
        The columns, when there is no ``meta`` (e.g. ``frame.schema`` of a DataFrame).
    base_dir : str or path-like, optional
        Directory against which relative file names in ``gti()`` and ``region()`` are
        resolved (default: the current directory).

    Returns
    -------
    polars.Expr
        A boolean expression for ``LazyFrame.filter``.

    Raises
    ------
    xmmframe.errors.SelectionError
        Subclasses say what is wrong: syntax (with a caret), unknown column, unknown macro,
        shape arguments, operand types; missing files raise
        :class:`~xmmframe.errors.FileAccessError` naming the path.

    Examples
    --------
    >>> events = xmmframe.open_events("M1_clean.fits")                            # doctest: +SKIP
    >>> expr = compile_selection("(X,Y) in CIRCLE(24635.6,24158.8,200)", events.meta)  # doctest: +SKIP
    >>> events.lazy.filter(expr).select(pl.len()).collect().item()                 # doctest: +SKIP
    2456
    """
    tree = parse(selection, MacroTable(meta))
    compiler = _Compiler(meta, column_table(meta, columns), base_dir)
    with stack_room():
        return compiler.boolean(compiler.visit(tree), tree)


def selection_region(selection: str, meta: EventMeta | None = None, *, columns: Any = None) -> Region:
    """The region of a SAS spatial selection made of shape tests only.

    ``||`` between shape tests adds include shapes, ``&& !shape`` excludes, ``&&`` between
    shape tests intersects them; ``(RA,DEC)`` shapes are converted to X/Y through the sky WCS
    of ``meta``.  This is the form of SAS ``srcexp``/``backexp`` parameters
    (``(X,Y) in circle(...)``, ``(X,Y) in annulus(...) && !((X,Y) in circle(...))``).

    Raises
    ------
    xmmframe.errors.UnsupportedSelectionError
        When the selection holds anything but shape tests (column comparisons, gti(), ...).

    Examples
    --------
    >>> region = selection_region("((X,Y) in circle(100,200,50) || (X,Y) in circle(400,200,50)) && !circle(100,200,5)")
    >>> [str(s) for s in region.include], [str(s) for s in region.exclude]
    (['(X,Y) in circle(100,200,50)', '(X,Y) in circle(400,200,50)'], ['(X,Y) in circle(100,200,5)'])
    """
    tree = parse(selection, MacroTable(meta))
    compiler = _Compiler(meta, column_table(meta, columns), None)

    def fail(node: Node) -> UnsupportedSelectionError:
        return UnsupportedSelectionError(
            f"a spatial region must consist of shape tests joined by ||, && and !; "
            f"found {_describe(node)}{compiler.where(node)}")

    def union(node: Node) -> list[Shape]:
        if isinstance(node, ShapeTest):
            return [compiler.shape(node)[0]]
        if isinstance(node, Binary) and node.op == "||":
            return [s for leaf in _chain(node) for s in union(leaf)]
        if isinstance(node, Binary) and node.op == "&&":
            parts = [union(leaf) for leaf in _chain(node)]
            if all(len(p) == 1 for p in parts):
                return [Intersection(tuple(p[0] for p in parts))]
        raise fail(node)

    include: list[Shape] = []
    exclude: list[Shape] = []
    leaves = _chain(tree) if isinstance(tree, Binary) and tree.op == "&&" else [tree]
    positive = []
    for leaf in leaves:
        if isinstance(leaf, Unary) and leaf.op == "!":
            exclude.extend(union(leaf.operand))
        else:
            positive.append(union(leaf))
    if len(positive) == 1:
        include = positive[0]
    elif positive:
        if not all(len(p) == 1 for p in positive):
            raise fail(tree)
        include = [Intersection(tuple(p[0] for p in positive))]
    return Region(tuple(include), tuple(exclude), selection)


@dataclass
class _Value:
    """A compiled operand: its expression, kind (``bool``, ``int``, ``float``, ``str``, None
    when unknown), its value when it is a constant, and - for an integer column narrower
    than Int64 (or such a column ANDed with a mask it can hold) - the same values as an
    expression in that stored dtype."""

    expr: pl.Expr
    kind: str | None
    const: Any = None
    narrow: pl.Expr | None = None
    narrow_dtype: pl.DataType | None = None

    def narrow_literal(self, other: _Value) -> pl.Expr | None:
        """``other`` as a literal of this value's stored dtype, when it is an integer constant that fits."""
        return integer_literal(self.narrow_dtype, other.const)


@dataclass
class _Compiler:
    meta: EventMeta | None
    columns: ColumnTable | None
    base_dir: str | os.PathLike[str] | None
    macro_stack: list[str] = field(default_factory=list)
    gti_cache: dict[tuple[str, Any], GTI] = field(default_factory=dict)

    # ------------------------------------------------------------------ helpers

    def where(self, node: Node) -> str:
        """`` at column N`` (of the selection, or of the macro being expanded)."""
        inside = f" of macro #{self.macro_stack[-1]}" if self.macro_stack else ""
        return f" at column {node.pos + 1}{inside}"

    def boolean(self, value: _Value, node: Node) -> pl.Expr:
        """The value as a boolean (numbers: non-zero is true)."""
        if value.kind == "bool":
            return value.expr
        if value.kind == "str":
            raise SelectionTypeError(f"a string cannot be used as a condition{self.where(node)}")
        return value.expr != 0

    def numeric(self, value: _Value, node: Node, what: str) -> _Value:
        """The value as a number (booleans become 0/1)."""
        if value.kind == "str":
            raise SelectionTypeError(f"{what} needs numbers, not a string{self.where(node)}")
        if value.kind == "bool":
            return _Value(value.expr.cast(pl.Int64), "int")
        return value

    def column(self, name: str, node: Node) -> tuple[str, pl.Expr, str | None]:
        if self.columns is None:
            return name, pl.col(name), None
        real, kind = self.columns.resolve(name, self.where(node))
        expr, _ = self.columns.expr(real)
        return real, expr, kind

    # ------------------------------------------------------------------ dispatch

    def visit(self, node: Node) -> _Value:
        method = getattr(self, f"visit_{type(node).__name__}")
        return method(node)

    def visit_Number(self, node: Number) -> _Value:
        if isinstance(node.value, int):
            if abs(node.value) > _INT64_MAX:
                raise SelectionTypeError(
                    f"integer {node.text or node.value} is too large (64 bits){self.where(node)}"
                )
            return _Value(pl.lit(node.value, dtype=pl.Int64), "int", node.value)
        return _Value(pl.lit(float(node.value), dtype=pl.Float64), "float", float(node.value))

    def visit_String(self, node: String) -> _Value:
        return _Value(pl.lit(node.value, dtype=pl.String), "str", node.value)

    def visit_Boolean(self, node: Boolean) -> _Value:
        return _Value(pl.lit(node.value), "bool", node.value)

    def visit_Column(self, node: Column) -> _Value:
        real, expr, kind = self.column(node.name, node)
        stored = self.columns.stored_integer(real) if self.columns is not None else None
        return _Value(expr, kind, narrow=pl.col(real) if stored is not None else None, narrow_dtype=stored)

    def visit_RowNumber(self, node: RowNumber) -> _Value:
        return _Value(pl.int_range(1, pl.len() + 1, dtype=pl.Int64), "int")

    def visit_Macro(self, node: Macro) -> _Value:
        if node.body is None:  # only explain() keeps unresolved macros
            raise UnknownMacroError(node.name, MacroTable(self.meta).known(), self.where(node))
        self.macro_stack.append(node.name.upper())
        try:
            return self.visit(node.body)
        finally:
            self.macro_stack.pop()

    def visit_Unary(self, node: Unary) -> _Value:
        operand = self.visit(node.operand)
        if node.op == "!":
            const = (not operand.const) if operand.const is not None else None
            return _Value(~self.boolean(operand, node.operand), "bool", const)
        value = self.numeric(operand, node.operand, f"unary {node.op}")
        if node.op == "+":
            return value
        const = -value.const if value.const is not None else None
        return _Value(-value.expr, value.kind, const)

    def visit_Binary(self, node: Binary) -> _Value:
        if node.op in LOGICAL and (chain := self.shape_chain(node)) is not None:
            return chain
        left, right = self.visit(node.left), self.visit(node.right)
        if node.op in LOGICAL:
            a, b = self.boolean(left, node.left), self.boolean(right, node.right)
            return _Value(a & b if node.op == "&&" else a | b, "bool")
        if node.op in COMPARISON:
            return self.compare(node.op, left, right, node)
        if node.op in BITWISE:
            return self.bitwise(node, left, right)
        assert node.op in ARITHMETIC
        return self.arithmetic(node, left, right)

    def compare(self, op: str, left: _Value, right: _Value, node: Node) -> _Value:
        if (left.kind == "str") != (right.kind == "str") and None not in (left.kind, right.kind):
            raise SelectionTypeError(f"cannot compare a string with a number{self.where(node)}")
        if left.kind != "str":
            left, right = self.numeric(left, node, op), self.numeric(right, node, op)
        a, b = left.expr, right.expr
        # An integer column and a constant it can hold compare alike in the stored dtype.
        if (literal := left.narrow_literal(right)) is not None:
            a, b = left.narrow, literal
        elif (literal := right.narrow_literal(left)) is not None:
            a, b = literal, right.narrow
        result = {"==": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
        # IEEE rule (as in SAS/C): every comparison with NaN is false except !=, which is true.
        # (Polars orders NaN above every number, so NaN > 0.4 would otherwise be true.)
        nans = [v.expr.is_nan() for v in (left, right) if v.kind == "float" and v.const is None]
        if nans:
            any_nan = nans[0] if len(nans) == 1 else nans[0] | nans[1]
            result = result | any_nan if op == "!=" else result & ~any_nan
        return _Value(result, "bool")

    def bitwise(self, node: Binary, left: _Value, right: _Value) -> _Value:
        if left.kind == "bool" and right.kind == "bool":
            return _Value(left.expr & right.expr if node.op == "&" else left.expr | right.expr, "bool")
        operands = []
        for value, side in ((left, node.left), (right, node.right)):
            value = self.numeric(value, side, f"bitwise {node.op}")
            if value.kind == "float":
                raise SelectionTypeError(
                    f"bitwise {node.op} needs integer operands, {_describe(side)} is floating point{self.where(node)}"
                )
            operands.append(value.expr if value.kind == "int" else value.expr.cast(pl.Int64))
        a, b = operands
        const = None
        if left.const is not None and right.const is not None:
            const = left.const & right.const if node.op == "&" else left.const | right.const
        value = _Value(a & b if node.op == "&" else a | b, "int", const)
        # ``column & mask`` with a mask the stored dtype holds (and is not negative) has the
        # same value in that dtype: only bits inside the mask survive.
        if node.op == "&":
            for column, mask in ((left, right), (right, left)):
                literal = column.narrow_literal(mask)
                if literal is not None and mask.const >= 0:
                    value.narrow, value.narrow_dtype = column.narrow & literal, column.narrow_dtype
                    break
        return value

    def arithmetic(self, node: Binary, left: _Value, right: _Value) -> _Value:
        left = self.numeric(left, node.left, node.op)
        right = self.numeric(right, node.right, node.op)
        op = node.op
        integer = op != "/" and left.kind == "int" and right.kind == "int"
        a, b = left.expr, right.expr
        if not integer:
            a = a if left.kind == "float" else a.cast(pl.Float64)
            b = b if right.kind == "float" else b.cast(pl.Float64)
        const = None
        if left.const is not None and right.const is not None:
            try:
                const = _fold(op, left.const, right.const)
            except ZeroDivisionError:
                const = None
        result = {"+": a + b, "-": a - b, "*": a * b, "/": a / b}[op]
        return _Value(result, "int" if integer else "float", const)

    # ------------------------------------------------------------------ ranges

    def visit_InRanges(self, node: InRanges) -> _Value:
        operand = self.visit(node.operand)
        if operand.kind != "str":
            operand = self.numeric(operand, node.operand, "in")
        tests = [self.range_test(operand, item) for item in node.ranges]
        result = tests[0]
        for test in tests[1:]:
            result = result | test
        return _Value(result, "bool")

    def range_test(self, operand: _Value, item: Range) -> pl.Expr:
        if item.single:
            assert item.low is not None
            return self.compare("==", operand, self.visit(item.low), item).expr
        conditions = []
        if item.low is not None:
            low = self.visit(item.low)
            conditions.append(self.compare(">=" if item.low_closed else ">", operand, low, item.low).expr)
        if item.high is not None:
            high = self.visit(item.high)
            conditions.append(self.compare("<=" if item.high_closed else "<", operand, high, item.high).expr)
        return conditions[0] & conditions[1] if len(conditions) == 2 else conditions[0]

    # ------------------------------------------------------------------ shapes, GTIs, regions

    def constant(self, node: Node, shape: str, index: int) -> float:
        value = self.visit(node)
        if value.const is None or isinstance(value.const, (str, bool)):
            raise ShapeArgumentError(
                f"argument {index} of {shape}() must be a number, not {_describe(node)}{self.where(node)}"
            )
        return value.const

    def visit_ShapeTest(self, node: ShapeTest) -> _Value:
        shape, celestial = self.shape(node)
        return _Value(shape.to_expr(None) if celestial else shape.to_expr(columns=self.columns), "bool")

    def shape(self, node: ShapeTest) -> tuple[SimpleShape, bool]:
        """The shape of a shape test on its real columns, and whether it came from (RA,DEC) degrees."""
        values = [self.constant(arg, node.name, i) for i, arg in enumerate(node.args, start=1)]
        xname, yname = node.columns or ("X", "Y")
        if node.columns and self.is_celestial(xname, yname):
            return self.celestial_shape(node, values), True
        realx = self.column(xname, node)[0]
        realy = self.column(yname, node)[0]
        return build_shape(node.name, values, columns=(realx, realy)), False

    def shape_chain(self, node: Binary) -> _Value | None:
        """A long ``||`` chain of shape tests, or ``&&`` chain of excluded shapes, as one grid test.

        Source-excision selections (``!((X,Y) in circle(...)) && ...`` for every source) would
        otherwise cost one full pass over the events per shape; see
        :mod:`~xmmframe.select.shapes.shape_set`.  None when the chain has too few such shapes.
        """
        leaves = _chain(node)

        def shape_test(leaf: Node) -> ShapeTest | None:
            if node.op == "&&":
                leaf = leaf.operand if isinstance(leaf, Unary) and leaf.op == "!" else None
            return leaf if isinstance(leaf, ShapeTest) else None

        tests = [(leaf, shape_test(leaf)) for leaf in leaves]
        if sum(test is not None for _, test in tests) < MIN_SHAPES:
            return None
        groups: dict[tuple[str, str], list[tuple[Node, SimpleShape]]] = {}
        rest: list[Node] = []
        for leaf, test in tests:
            shape = self.shape(test)[0] if test is not None else None
            if shape is not None and supported(shape):
                groups.setdefault(shape.columns, []).append((leaf, shape))
            else:
                rest.append(leaf)
        if all(len(members) < MIN_SHAPES for members in groups.values()):
            return None
        parts = []
        for columns, members in groups.items():
            if len(members) < MIN_SHAPES:
                rest.extend(leaf for leaf, _ in members)
                continue
            inside = any_inside([shape for _, shape in members], columns)
            parts.append(inside if node.op == "||" else ~inside)
        parts.extend(self.boolean(self.visit(leaf), leaf) for leaf in rest)
        return _Value(_balanced(parts, node.op), "bool")

    def is_celestial(self, xname: str, yname: str) -> bool:
        has = self.columns.has if self.columns is not None else (lambda name: True)
        return (xname.upper(), yname.upper()) == ("RA", "DEC") and not (has(xname) and has(yname))

    def celestial_shape(self, node: ShapeTest, values: list[float]) -> Circle | Annulus | Box:
        """``(RA,DEC) in circle/annulus/box(...)`` in degrees, as the same shape on X/Y."""
        columns = (self.column("X", node)[0], self.column("Y", node)[0])
        return celestial_shape(node.name, values, self.meta, columns=columns, where=self.where(node))

    def path(self, file: FileSpec) -> str:
        return file.resolve(self.base_dir)

    def visit_GtiTest(self, node: GtiTest) -> _Value:
        _, expr, kind = self.column(node.column, node)
        path = self.path(node.file)
        key = (path, node.file.block)
        if key not in self.gti_cache:
            self.gti_cache[key] = _read_gti(path, node.file.block, self.where(node))
        gti = self.gti_cache[key]
        return _Value(gti.expr(expr if kind == "float" else expr.cast(pl.Float64)), "bool")

    def visit_RegionTest(self, node: RegionTest) -> _Value:
        from xmmframe.select.region import Region

        path = self.path(node.file)
        columns = node.columns
        if columns is not None:  # the real spelling of the pair
            columns = (self.column(columns[0], node)[0], self.column(columns[1], node)[0])
        try:
            region = Region.read(path, node.file.block, columns)
        except (FileAccessError, HduNotFoundError) as err:
            raise type(err)(f"{err.message} (region file of the selection{self.where(node)})", path) from None
        if self.columns is not None:
            for shape in (*region.include, *region.exclude):
                for name in _shape_columns(shape):
                    self.column(name, node)
        return _Value(region.to_expr(self.meta), "bool")

    def visit_MaskTest(self, node: MaskTest) -> _Value:
        raise UnsupportedSelectionError(
            f"mask() is not supported by xmmframe{self.where(node)} (its image-lookup rules are not documented)"
        )


def _read_gti(path: str, block: int | str | None, where: str) -> GTI:
    try:
        return GTI.read(path, block)
    except (FileAccessError, HduNotFoundError) as err:
        raise type(err)(f"{err.message} (GTI file of the selection{where})", path) from None
    except KeyError:
        raise ColumnError(f"no START and STOP columns (GTI file of the selection{where})", path) from None


def _shape_columns(shape: Any) -> list[str]:
    """Column names used by a (possibly compound) shape."""
    if hasattr(shape, "shapes"):
        return [c for s in shape.shapes for c in _shape_columns(s)]
    if hasattr(shape, "shape"):
        return _shape_columns(shape.shape)
    return list(getattr(shape, "columns", ()))


def _chain(node: Binary) -> list[Node]:
    """The operands of the chain of ``node.op`` rooted at ``node``, left to right (no recursion)."""
    leaves, stack = [], [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Binary) and current.op == node.op:
            stack.extend((current.right, current.left))
        else:
            leaves.append(current)
    return leaves


def _balanced(parts: list[pl.Expr], op: str) -> pl.Expr:
    """``parts`` joined by ``&`` or ``|`` as a balanced tree (shallow for Polars)."""
    while len(parts) > 1:
        paired = [parts[k] & parts[k + 1] if op == "&&" else parts[k] | parts[k + 1]
                  for k in range(0, len(parts) - 1, 2)]
        parts = paired + ([parts[-1]] if len(parts) % 2 else [])
    return parts[0]


def _fold(op: str, a: Any, b: Any) -> Any:
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    return a / b


def _describe(node: Node) -> str:
    if isinstance(node, Column):
        return f"column {node.name}"
    if isinstance(node, Number):
        return f"the number {node.text or node.value}"
    return f"'{node.label()}'"
