"""A SAS selection and a histogram in one pass over memory-mapped query columns (numba).

:func:`translate` turns a parsed selection (macros expanded with one exposure's header) into
the source of a numba function that, for every row, evaluates the selection exactly as
:mod:`xmmframe.select.compiler` defines it and, when the row is selected, adds it to a
histogram of an integer column.  It handles what selections of event lists are made of:
numbers, columns, ``! && ||``, comparisons, ``in`` ranges, bitwise ``& |``, ``+ - * /``,
``#MACROS``, circles and annuli; anything else (``gti()``, ``region()``, strings, ``#ROW``,
other shapes, long chains of shapes, columns outside the query-column files) raises
:class:`Unsupported` and the store answers through Polars instead.

The compiler's rules, as the kernel keeps them:

* integer columns and literals are int64, float ones float64; ``+ - *`` of integers stay
  int64, ``/`` is float64; comparisons follow IEEE (NaN: only ``!=`` is true);
* nulls (FITS TNULL values) follow Polars' three-valued logic: a comparison with a null is
  null, ``null && false`` is false, ``null || true`` is true, ``!null`` is null, and a row is
  selected only when the selection is true.  Each boolean node is generated as two flags,
  "is true" and "is false" (neither: null);
* a number used as a condition is true when it is not 0, a condition used as a number is 1/0.

Constants are passed to the compiled function in arrays, so the function depends only on the
selection's structure and the column types: exposures with different pointings, macros with
the same structure, or other numbers reuse one compilation.

Blocks of rows are skipped when their per-block bounds (:mod:`xmmframe.store.hot`) cannot
meet a bound implied by the selection's top-level conjunction (``PI in [200:12000]``,
``PATTERN<=4``, the box around a circle, a time range).

Examples
--------
>>> import numpy as np
>>> from xmmframe.select.columns import ColumnTable
>>> from xmmframe.select.parser import parse
>>> table = ColumnTable.from_schema({"PI": pl.Int16, "PATTERN": pl.UInt8})
>>> program = translate(parse("PATTERN<=4 && PI in [200:300]"), table, {"PI", "PATTERN"})
>>> program.columns
('PATTERN', 'PI')
>>> counts = np.zeros(2, dtype=np.int64)
>>> run(program, {"PI": np.array([150, 210, 260, 299], np.uint16), "PATTERN": np.array([0, 0, 9, 4], np.uint8)},
...     {}, "PI", [(0, 4)], low=200, high=299, width=50, counts=counts)
>>> counts.tolist()
[1, 1]
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import math
import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Callable

import numba
import numpy as np
import polars as pl

from xmmframe.errors import XmmframeError
from xmmframe.io.atomic import atomic_output
from xmmframe.select.columns import ColumnTable
from xmmframe.select.nodes import (
    ARITHMETIC,
    BITWISE,
    COMPARISON,
    Binary,
    Boolean,
    Column,
    InRanges,
    Macro,
    Node,
    Number,
    Range,
    ShapeTest,
    Unary,
)
from xmmframe.select.shapes.catalog import build_shape
from xmmframe.select.shapes.circular import Annulus, Circle
from xmmframe.select.shapes.shape_set import MIN_SHAPES

_OPS = {"==": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_MIRROR = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


class Unsupported(Exception):
    """The selection needs something the kernel does not do (the caller uses Polars)."""


@dataclass(frozen=True)
class Program:
    """A translated selection: its kernel source, columns, constants and block bounds.

    Attributes
    ----------
    source : str
        Body statements; the selection's "is true" flag is ``t_root``.
    columns : tuple of str
        The query columns it reads, in argument order.
    ints, floats : tuple
        The constants (``ki[n]``, ``kf[n]`` in the source).
    bounds : tuple of (str, float, float)
        ``(column, low, high)``: a row can be selected only if ``low <= column <= high``.
    """

    source: str
    columns: tuple[str, ...]
    ints: tuple[int, ...]
    floats: tuple[float, ...]
    bounds: tuple[tuple[str, float, float], ...]


@dataclass
class _Num:
    kind: str  # "int" or "float"
    code: str
    valid: str
    const: int | float | None = None
    column: str | None = None


@dataclass
class _Bool:
    true: str
    false: str


@dataclass
class _Builder:
    table: ColumnTable
    hot: set[str] | frozenset[str]
    lines: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    ints: list[int] = field(default_factory=list)
    floats: list[float] = field(default_factory=list)
    count: int = 0

    def var(self, code: str) -> str:
        self.count += 1
        name = f"n{self.count}"
        self.lines.append(f"{name} = {code}")
        return name

    def const(self, value: int | float) -> _Num:
        if isinstance(value, bool):
            value = int(value)
        if isinstance(value, int):
            if not -(2**63) <= value < 2**63:
                raise Unsupported("integer beyond 64 bits")
            self.ints.append(value)
            return _Num("int", f"ki[{len(self.ints) - 1}]", "True", value)
        self.floats.append(float(value))
        return _Num("float", f"kf[{len(self.floats) - 1}]", "True", float(value))

    def column(self, name: str) -> _Num:
        try:
            real, kind = self.table.resolve(name)
        except Exception:
            raise Unsupported(f"column {name}") from None
        if real not in self.hot or kind not in ("int", "float"):
            raise Unsupported(f"column {real} is not a query column")
        if real not in self.columns:
            self.columns.append(real)
        j = self.columns.index(real)
        return _Num(kind, f"x{j}", f"v{j}", column=real)

    # -------------------------------------------------------------- conversions

    def boolean(self, value: _Num | _Bool) -> _Bool:
        if isinstance(value, _Bool):
            return value
        if value.valid == "True":
            t = self.var(f"{value.code} != 0")
            return _Bool(t, f"(not {t})")
        t = self.var(f"{value.valid} & ({value.code} != 0)")
        f = self.var(f"{value.valid} & ({value.code} == 0)")
        return _Bool(t, f)

    def number(self, value: _Num | _Bool) -> _Num:
        if isinstance(value, _Num):
            return value
        code = self.var(f"np.int64(1) if {value.true} else np.int64(0)")
        return _Num("int", code, self.var(f"{value.true} | {value.false}"))

    def both_valid(self, a: _Num, b: _Num) -> str:
        parts = [v for v in (a.valid, b.valid) if v != "True"]
        return " & ".join(parts) if parts else "True"

    # -------------------------------------------------------------- nodes

    def visit(self, node: Node) -> _Num | _Bool:
        if isinstance(node, Number):
            return self.const(node.value)
        if isinstance(node, Boolean):
            return _Bool("True", "False") if node.value else _Bool("False", "True")
        if isinstance(node, Column):
            return self.column(node.name)
        if isinstance(node, Macro):
            if node.body is None:
                raise Unsupported("unknown macro")
            return self.visit(node.body)
        if isinstance(node, Unary):
            return self.unary(node)
        if isinstance(node, Binary):
            return self.binary(node)
        if isinstance(node, InRanges):
            return self.in_ranges(node)
        if isinstance(node, ShapeTest):
            return self.shape(node)
        raise Unsupported(type(node).__name__)

    def unary(self, node: Unary) -> _Num | _Bool:
        operand = self.visit(node.operand)
        if node.op == "!":
            value = self.boolean(operand)
            return _Bool(value.false, value.true)
        number = self.number(operand)
        if node.op == "+":
            return number
        const = -number.const if number.const is not None else None
        if const is not None:
            return self.const(const)
        return _Num(number.kind, self.var(f"-{number.code}"), number.valid)

    def logical(self, op: str, a: _Bool, b: _Bool) -> _Bool:
        if op in ("&&", "&"):
            return _Bool(self.var(f"{a.true} & {b.true}"), self.var(f"{a.false} | {b.false}"))
        return _Bool(self.var(f"{a.true} | {b.true}"), self.var(f"{a.false} & {b.false}"))

    def binary(self, node: Binary) -> _Num | _Bool:
        left, right = self.visit(node.left), self.visit(node.right)
        if node.op in ("&&", "||"):
            return self.logical(node.op, self.boolean(left), self.boolean(right))
        if node.op in COMPARISON:
            return self.compare(node.op, self.number(left), self.number(right))
        if node.op in BITWISE:
            if isinstance(left, _Bool) and isinstance(right, _Bool):
                return self.logical(node.op, left, right)
            a, b = self.number(left), self.number(right)
            if "float" in (a.kind, b.kind):
                raise Unsupported("bitwise operator on a float")
            if a.const is not None and b.const is not None:
                return self.const(a.const & b.const if node.op == "&" else a.const | b.const)  # type: ignore[operator]
            return _Num("int", self.var(f"{a.code} {node.op} {b.code}"), self.both_valid(a, b))
        assert node.op in ARITHMETIC
        a, b = self.number(left), self.number(right)
        integer = node.op != "/" and a.kind == "int" and b.kind == "int"
        if a.const is not None and b.const is not None and node.op != "/":
            value = {"+": a.const + b.const, "-": a.const - b.const, "*": a.const * b.const}[node.op]
            return self.const(value if integer else float(value))
        ca = a.code if integer or a.kind == "float" else f"np.float64({a.code})"
        cb = b.code if integer or b.kind == "float" else f"np.float64({b.code})"
        return _Num("int" if integer else "float", self.var(f"{ca} {node.op} {cb}"), self.both_valid(a, b))

    def compare(self, op: str, a: _Num, b: _Num) -> _Bool:
        result = self.var(f"{a.code} {_OPS[op]} {b.code}")
        valid = self.both_valid(a, b)
        if valid == "True":
            return _Bool(result, f"(not {result})")
        return _Bool(self.var(f"{valid} & {result}"), self.var(f"{valid} & (not {result})"))

    def in_ranges(self, node: InRanges) -> _Bool:
        operand = self.number(self.visit(node.operand))
        tests = [self.range_test(operand, item) for item in node.ranges]
        result = tests[0]
        for test in tests[1:]:
            result = self.logical("||", result, test)
        return result

    def range_test(self, operand: _Num, item: Range) -> _Bool:
        if item.single:
            assert item.low is not None
            return self.compare("==", operand, self.number(self.visit(item.low)))
        tests = []
        if item.low is not None:
            tests.append(self.compare(">=" if item.low_closed else ">", operand, self.number(self.visit(item.low))))
        if item.high is not None:
            tests.append(self.compare("<=" if item.high_closed else "<", operand, self.number(self.visit(item.high))))
        return tests[0] if len(tests) == 1 else self.logical("&&", tests[0], tests[1])

    def shape(self, node: ShapeTest) -> _Bool:
        values = []
        for arg in node.args:
            value = self.visit(arg)
            if not isinstance(value, _Num) or value.const is None:
                raise Unsupported("shape argument that is not a number")
            values.append(value.const)
        xname, yname = node.columns or ("X", "Y")
        x, y = self.column(xname), self.column(yname)
        try:
            shape = build_shape(node.name, values, columns=(x.column, y.column))
        except Exception:
            raise Unsupported("shape arguments") from None
        if type(shape) not in (Circle, Annulus):
            raise Unsupported(f"shape {node.name}")
        cx, cy = self.const(float(shape.x)), self.const(float(shape.y))
        dx = self.var(f"np.float64({x.code}) - {cx.code}")
        dy = self.var(f"np.float64({y.code}) - {cy.code}")
        d2 = self.var(f"{dx} * {dx} + {dy} * {dy}")
        if isinstance(shape, Circle):
            inside = self.var(f"{d2} <= {self.const(float(shape.r * shape.r)).code}")
        else:
            low, high = self.const(float(shape.r1 * shape.r1)), self.const(float(shape.r2 * shape.r2))
            inside = self.var(f"({d2} >= {low.code}) & ({d2} <= {high.code})")
        valid = self.both_valid(x, y)
        if valid == "True":
            return _Bool(inside, f"(not {inside})")
        return _Bool(self.var(f"{valid} & {inside}"), self.var(f"{valid} & (not {inside})"))


def _count_shapes(node: Node) -> int:
    own = 1 if isinstance(node, ShapeTest) else 0
    return own + sum(_count_shapes(child) for child in node.children())


def _conjuncts(node: Node) -> list[Node]:
    if isinstance(node, Macro) and node.body is not None:
        return _conjuncts(node.body)
    if isinstance(node, Binary) and node.op == "&&":
        return _conjuncts(node.left) + _conjuncts(node.right)
    return [node]


def _number(node: Node | None) -> float | None:
    if isinstance(node, Number):
        return float(node.value)
    if isinstance(node, Unary) and node.op in "+-" and (value := _number(node.operand)) is not None:
        return -value if node.op == "-" else value
    return None


def _bounds_of(node: Node, table: ColumnTable) -> list[tuple[str, float, float]]:
    """Bounds ``(column, low, high)`` that every row the conjunct ``node`` selects satisfies."""
    def real(column: Node) -> str | None:
        if not isinstance(column, Column):
            return None
        try:
            return table.resolve(column.name)[0]
        except Exception:
            return None

    if isinstance(node, Binary) and node.op in COMPARISON and node.op != "!=":
        op, column, value = node.op, real(node.left), _number(node.right)
        if column is None:
            op, column, value = _MIRROR[node.op], real(node.right), _number(node.left)
        if column is None or value is None or math.isnan(value):
            return []
        low = value if op in ("==", ">", ">=") else -math.inf
        high = value if op in ("==", "<", "<=") else math.inf
        return [(column, low, high)]
    if isinstance(node, InRanges) and (column := real(node.operand)) is not None:
        lows, highs = [], []
        for item in node.ranges:
            low = _number(item.low) if item.low is not None else -math.inf
            high = low if item.single else (_number(item.high) if item.high is not None else math.inf)
            if low is None or high is None:
                return []
            lows.append(low)
            highs.append(high)
        return [(column, min(lows), max(highs))]
    if isinstance(node, ShapeTest):
        values = [_number(arg) for arg in node.args]
        xname, yname = node.columns or ("X", "Y")
        x, y = real(Column(xname)), real(Column(yname))
        if None in values or x is None or y is None:
            return []
        try:
            shape = build_shape(node.name, values, columns=(x, y))
        except Exception:
            return []
        if type(shape) not in (Circle, Annulus):
            return []
        reach = shape.reach()
        return [(x, shape.x - reach, shape.x + reach), (y, shape.y - reach, shape.y + reach)]
    return []


def translate(
    tree: Node | None, table: ColumnTable, hot: set[str] | frozenset[str],
    time: tuple[float, float] | None = None,
) -> Program:
    """The kernel program of a parsed selection (None: every row) and an optional time range.

    ``time`` is ``(start, stop)``: ``start <= TIME < stop`` is ANDed with the selection.

    Raises
    ------
    Unsupported
        When the selection needs what the kernel does not do.
    """
    builder = _Builder(table, hot)
    bounds: list[tuple[str, float, float]] = []
    result = _Bool("True", "False")
    if tree is not None:
        if _count_shapes(tree) >= MIN_SHAPES:
            raise Unsupported("a chain of many shapes")
        result = builder.boolean(builder.visit(tree))
        for conjunct in _conjuncts(tree):
            bounds += _bounds_of(conjunct, table)
    if time is not None:
        column = builder.column("TIME")
        start, stop = builder.const(float(time[0])), builder.const(float(time[1]))
        after = builder.compare(">=", column, start)
        before = builder.compare("<", column, stop)
        result = builder.logical("&&", result, builder.logical("&&", after, before))
        bounds.append((column.column, float(time[0]), float(time[1])))  # type: ignore[arg-type]
    builder.lines.append(f"t_root = {result.true}")
    return Program("\n".join(_live(builder.lines)), tuple(builder.columns), tuple(builder.ints), tuple(builder.floats),
                   tuple(bounds))


def _live(lines: list[str]) -> list[str]:
    """The assignments that ``t_root`` depends on (the others dropped), in order."""
    needed = {"t_root"}
    kept = []
    for line in reversed(lines):
        name, code = line.split(" = ", 1)
        if name in needed:
            kept.append(line)
            needed |= set(re.findall(r"\bn\d+\b", code))
    return kept[::-1]


_TEMPLATE = """
def kernel(starts, stops, {args}hv, hm, ki, kf, low, bins, counts):
    span = bins.shape[0]
    for b in range(starts.shape[0]):
        for i in range(starts[b], stops[b]):
{loads}
{body}
            if t_root and {valid}:
                d = np.int64(hv[i]) - low
                if d >= 0 and d < span:
                    counts[bins[d]] += 1
    return 0
"""

_COMPILED: dict[tuple[str, tuple[str, ...], tuple[bool, ...], bool], Callable[..., int]] = {}


def compiled(program: Program, kinds: Sequence[str], nulls: Sequence[bool], hist_nulls: bool) -> Callable[..., int]:
    """The numba function of a program, compiled once per source, column kinds and columns with nulls."""
    key = (program.source, tuple(kinds), tuple(nulls), hist_nulls)
    if key not in _COMPILED:
        pad = " " * 12
        loads = []
        for j, (kind, null) in enumerate(zip(kinds, nulls)):
            cast = "np.int64" if kind == "int" else "np.float64"
            loads.append(f"{pad}v{j} = ((m{j}[i >> 3] >> (i & 7)) & 1) == 1" if null else f"{pad}v{j} = True")
            loads.append(f"{pad}x{j} = {cast}(c{j}[i])")
        args = "".join(f"c{j}, m{j}, " for j in range(len(kinds)))
        body = "\n".join(pad + line for line in program.source.splitlines())
        valid = "((hm[i >> 3] >> (i & 7)) & 1) == 1" if hist_nulls else "True"
        source = _TEMPLATE.format(args=args, loads="\n".join(loads) or pad + "pass", body=body, valid=valid)
        _COMPILED[key] = _load(source)
    return _COMPILED[key]


def kernel_directory() -> str:
    """Where generated kernels are kept, with numba's compiled-code cache (``$XMMFRAME_KERNEL_DIR``,
    default ``~/.cache/xmmframe/kernels``)."""
    default = os.path.join(os.path.expanduser("~"), ".cache", "xmmframe", "kernels")
    return os.environ.get("XMMFRAME_KERNEL_DIR", default)


def _load(source: str) -> Callable[..., int]:
    """Compile a generated kernel.

    The source is written to a module file named by its hash in :func:`kernel_directory` and
    compiled with ``cache=True``, so a later process loads the machine code instead of
    compiling again (1.5-4 s per kernel on this machine).  When that directory cannot be
    written, the kernel is compiled in memory.
    """
    text = "import numpy as np\n" + source
    name = "xmmframe_kernel_" + hashlib.sha1(text.encode()).hexdigest()[:20]
    path = os.path.join(kernel_directory(), name + ".py")
    options = {"nogil": True, "error_model": "numpy", "boundscheck": False}
    try:
        if not os.path.exists(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with atomic_output(path) as stream:
                stream.write(text.encode())
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        sys.modules[name] = module  # numba's cache finds the kernel's globals by module name
        spec.loader.exec_module(module)  # type: ignore[union-attr]
        return numba.njit(cache=True, **options)(module.kernel)
    except (OSError, XmmframeError):
        namespace: dict[str, Any] = {}
        exec(compile(text, "<xmmframe.store.kernel>", "exec"), namespace)  # noqa: S102 - generated above
        return numba.njit(**options)(namespace["kernel"])


_NO_NULLS = np.ones(1, dtype=np.uint8)


def kept_blocks(program: Program, bounds: Mapping[str, tuple[list, list]], rows: int, block_rows: int) -> np.ndarray:
    """Indexes of the blocks whose bounds can meet every bound of the program."""
    count = (rows + block_rows - 1) // block_rows
    keep = np.ones(count, dtype=bool)
    for column, low, high in program.bounds:
        if column not in bounds:
            continue
        mins, maxs = bounds[column]
        lo = np.array([math.inf if v is None else v for v in mins], dtype=np.float64)
        hi = np.array([-math.inf if v is None else v for v in maxs], dtype=np.float64)
        keep &= (hi >= low) & (lo <= high)
    return np.flatnonzero(keep)


def block_ranges(indexes: np.ndarray, rows: int, block_rows: int) -> list[tuple[int, int]]:
    """Row ranges ``[start, stop)`` of blocks (sorted indexes), neighbours merged."""
    ranges: list[tuple[int, int]] = []
    for k in indexes:
        start, stop = int(k) * block_rows, min(rows, (int(k) + 1) * block_rows)
        if ranges and ranges[-1][1] == start:
            ranges[-1] = (ranges[-1][0], stop)
        else:
            ranges.append((start, stop))
    return ranges


def blocks(program: Program, bounds: Mapping[str, tuple[list, list]], rows: int, block_rows: int
           ) -> list[tuple[int, int]]:
    """Row ranges ``[start, stop)`` of the blocks whose bounds can meet every bound of the program (merged)."""
    return block_ranges(kept_blocks(program, bounds, rows, block_rows), rows, block_rows)


def run(
    program: Program, values: Mapping[str, np.ndarray], validity: Mapping[str, np.ndarray], column: str,
    ranges: Sequence[tuple[int, int]], *, low: int, high: int, width: int, counts: np.ndarray,
    kinds: Sequence[str] | None = None,
) -> None:
    """Add to ``counts`` the rows of ``ranges`` that the program selects, by ``(column - low) // width``.

    Values of ``column`` outside ``low..high`` and nulls are not counted.  ``kinds`` (``int`` or
    ``float`` per program column) default to the arrays' dtypes.
    """
    if not ranges:
        return
    if kinds is None:
        kinds = ["float" if values[c].dtype.kind == "f" else "int" for c in program.columns]
    args: list[Any] = []
    for name in program.columns:
        mask = validity.get(name)
        args += [values[name], _NO_NULLS if mask is None else mask]
    hist_mask = validity.get(column)
    starts = np.array([a for a, _ in ranges], dtype=np.int64)
    stops = np.array([b for _, b in ranges], dtype=np.int64)
    kernel = compiled(program, kinds, [c in validity for c in program.columns], hist_mask is not None)
    kernel(starts, stops, *args, values[column], _NO_NULLS if hist_mask is None else hist_mask,
           np.array(program.ints or (0,), dtype=np.int64),
           np.array(program.floats or (0.0,), dtype=np.float64), np.int64(low), _bins(high - low + 1, width),
           counts)


@functools.lru_cache(maxsize=16)
def _bins(values: int, width: int) -> np.ndarray:
    """The bin of each value ``low + d`` (``d = 0 .. values-1``): a table, so that the kernel does not divide."""
    table = np.arange(values, dtype=np.int32) // np.int32(width)
    table.flags.writeable = False
    return table
