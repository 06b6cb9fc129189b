"""Property tests: random expressions from a small grammar, written with as few parentheses as
the precedence rules allow, give what a direct numpy evaluation of the same tree gives."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from xmmframe.select import compile

# Precedence levels of the parser (higher binds tighter).
OR, AND, NOT, CMP, BITOR, BITAND, ADD, MUL, UNARY, ATOM = range(1, 11)

N = 64
RNG = np.random.default_rng(11)
COLUMNS = {
    "A": RNG.integers(-50, 50, N).astype(np.int16),
    "B": RNG.integers(0, 1 << 12, N).astype(np.int32),
    "U": RNG.integers(0, 30, N).astype(np.uint8),
    "F": np.round(RNG.normal(0, 20, N), 1),
}
COLUMNS["F"][::9] = np.nan
FRAME = pl.DataFrame(COLUMNS)
VALUES = {name: values.astype(np.float64 if name == "F" else np.int64) for name, values in COLUMNS.items()}


@dataclass(frozen=True)
class Expr:
    """A generated expression: its SAS text, precedence level, kind and numpy value."""

    text: str
    level: int
    kind: str  # "int", "float" or "bool"
    value: Callable[[], np.ndarray]


def wrap(expr: Expr, need: int) -> str:
    """The text of an operand that must bind at least as tightly as ``need``."""
    return expr.text if expr.level >= need else f"({expr.text})"


@st.composite
def numbers(draw, depth: int = 0, integer: bool = False) -> Expr:
    choices = ["column", "literal"] + (["unary", "binary", "bitwise", "paren"] if depth < 3 else [])
    choice = draw(st.sampled_from(choices))
    if choice == "column":
        names = ["A", "B", "U"] if integer else ["A", "B", "U", "F"]
        name = draw(st.sampled_from(names))
        written = draw(st.sampled_from([name, name.lower()]))
        kind = "float" if name == "F" else "int"
        return Expr(written, ATOM, kind, lambda: VALUES[name])
    if choice == "literal":
        if integer or draw(st.booleans()):
            value = draw(st.integers(0, 300))
            text = draw(st.sampled_from([str(value), hex(value), f"b{value:b}"]))
            return Expr(text, ATOM, "int", lambda: np.full(N, value, dtype=np.int64))
        value = draw(st.sampled_from([0.5, 2.25, 10.0, 1.5e1, 3e-1]))
        return Expr(repr(value), ATOM, "float", lambda: np.full(N, value))
    if choice == "unary":
        operand = draw(numbers(depth + 1, integer))
        return Expr(f"-{wrap(operand, UNARY)}", UNARY, operand.kind, lambda: -operand.value())
    if choice == "paren":
        inner = draw(numbers(depth + 1, integer))
        return Expr(f"({inner.text})", ATOM, inner.kind, inner.value)
    if choice == "bitwise":
        left, right = draw(numbers(depth + 1, True)), draw(numbers(depth + 1, True))
        op = draw(st.sampled_from(["&", "|"]))
        level = BITAND if op == "&" else BITOR
        text = f"{wrap(left, level)} {op} {wrap(right, level + 1)}"
        func = np.bitwise_and if op == "&" else np.bitwise_or
        return Expr(text, level, "int", lambda: func(left.value(), right.value()))
    op = draw(st.sampled_from(["+", "-", "*"] + ([] if integer else ["/"])))
    left, right = draw(numbers(depth + 1, integer)), draw(numbers(depth + 1, integer))
    level = ADD if op in "+-" else MUL
    text = f"{wrap(left, level)} {op} {wrap(right, level + 1)}"
    kind = "float" if op == "/" or "float" in (left.kind, right.kind) else "int"

    def value() -> np.ndarray:
        a, b = left.value(), right.value()
        with np.errstate(all="ignore"):
            if op == "/":
                return a.astype(np.float64) / b
            return {"+": np.add, "-": np.subtract, "*": np.multiply}[op](a, b)

    return Expr(text, level, kind, value)


COMPARE = {
    "==": np.equal,
    "!=": np.not_equal,
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
}
FORTRAN = {"==": ".eq.", "!=": ".ne.", "<": ".lt.", "<=": ".le.", ">": ".gt.", ">=": ".ge."}


@st.composite
def ranges(draw) -> tuple[str, Callable[[np.ndarray], np.ndarray]]:
    """One range item and its numpy test (NaN is never inside)."""
    low = draw(st.one_of(st.none(), st.integers(-60, 60)))
    high = draw(st.one_of(st.none(), st.integers(-60, 60)))
    if draw(st.booleans()) and low is not None:  # a single value
        bracketed = draw(st.booleans())
        return (f"[{low}]" if bracketed else str(low)), (lambda x: x == low)
    if low is None and high is None:
        low = 0
    style = draw(st.sampled_from(["bare", "[]", "()", "(]", "[)"]))
    open_ = "" if style == "bare" else style[0]
    close = "" if style == "bare" else style[1]
    text = f"{open_}{'' if low is None else low}:{'' if high is None else high}{close}"
    low_closed, high_closed = open_ != "(", close != ")"

    def test(x: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            ok = np.ones(x.shape, bool)
            if low is not None:
                ok &= (x >= low) if low_closed else (x > low)
            if high is not None:
                ok &= (x <= high) if high_closed else (x < high)
        return ok

    return text, test


@st.composite
def conditions(draw, depth: int = 0) -> Expr:
    choices = ["compare", "in"] + (["and", "or", "not", "paren", "number"] if depth < 3 else [])
    choice = draw(st.sampled_from(choices))
    if choice == "compare":
        left, right = draw(numbers()), draw(numbers())
        op = draw(st.sampled_from(list(COMPARE)))
        written = FORTRAN[op] if draw(st.booleans()) else op
        text = f"{wrap(left, BITOR)} {written} {wrap(right, BITOR)}"
        return Expr(text, CMP, "bool", lambda: COMPARE[op](left.value(), right.value()))
    if choice == "in":
        operand = draw(numbers())
        items = draw(st.lists(ranges(), min_size=1, max_size=3))
        written = draw(st.sampled_from(["in", "IN"]))
        text = f"{wrap(operand, BITOR)} {written} {','.join(t for t, _ in items)}"

        def value() -> np.ndarray:
            x = operand.value()
            result = np.zeros(N, bool)
            for _, test in items:
                result |= test(x)
            return result

        return Expr(text, CMP, "bool", value)
    if choice == "number":  # a number as a condition: true when non-zero
        operand = draw(numbers(2))
        return Expr(operand.text, operand.level, "num", lambda: operand.value() != 0)
    if choice == "not":
        operand = draw(conditions(depth + 1))
        written = draw(st.sampled_from(["!", ".not. "]))
        return Expr(f"{written}{wrap(operand, NOT)}", NOT, "bool", lambda: ~truth(operand))
    if choice == "paren":
        inner = draw(conditions(depth + 1))
        return Expr(f"({inner.text})", ATOM, "bool", lambda: truth(inner))
    op = "&&" if choice == "and" else "||"
    level = AND if op == "&&" else OR
    left, right = draw(conditions(depth + 1)), draw(conditions(depth + 1))
    written = draw(st.sampled_from([op, ".and." if op == "&&" else ".or."]))
    text = f"{wrap(left, level)} {written} {wrap(right, level + 1)}"
    combine = np.logical_and if op == "&&" else np.logical_or
    return Expr(text, level, "bool", lambda: combine(truth(left), truth(right)))


def truth(expr: Expr) -> np.ndarray:
    """A condition's value as booleans (numbers: non-zero; NaN is non-zero, hence true, in C)."""
    value = expr.value()
    return value if value.dtype == bool else value != 0


def evaluate(text: str) -> np.ndarray:
    mask = FRAME.select(compile(text, columns=FRAME.schema).alias("m"))["m"]
    return mask.fill_null(False).to_numpy() if mask.len() == N else np.full(N, bool(mask[0]))


#: Examples per property (raise it for a deeper run: XMMFRAME_PROPERTY_EXAMPLES=2000).
EXAMPLES = int(os.environ.get("XMMFRAME_PROPERTY_EXAMPLES", "100"))


@settings(max_examples=EXAMPLES, deadline=None)
@given(conditions())
def test_random_expressions_equal_numpy(expression):
    with np.errstate(all="ignore"):
        expected = truth(expression)
    assert np.array_equal(evaluate(expression.text), expected), expression.text


@settings(max_examples=EXAMPLES // 2, deadline=None)
@given(conditions(), conditions())
def test_parentheses_do_not_change_a_fully_parenthesised_expression(left, right):
    """``a && b`` without parentheses equals ``(a) && (b)``: operands bind as the levels say."""
    with np.errstate(all="ignore"):
        loose = evaluate(f"{wrap(left, AND)} && {wrap(right, AND + 1)}")
        tight = evaluate(f"({left.text}) && ({right.text})")
    assert np.array_equal(loose, tight)


@settings(max_examples=EXAMPLES // 2, deadline=None)
@given(st.lists(ranges(), min_size=1, max_size=4), st.sampled_from(["A", "F", "A*2-B"]))
def test_range_lists_equal_numpy(items, operand):
    text = f"{operand} in {','.join(t for t, _ in items)}"
    x = {"A": VALUES["A"], "F": VALUES["F"], "A*2-B": VALUES["A"] * 2 - VALUES["B"]}[operand]
    expected = np.zeros(N, bool)
    for _, test in items:
        expected |= test(x)
    assert np.array_equal(evaluate(text), expected), text


#: Integer dtypes of event-list columns, each with its full value range.
NARROW = {
    pl.Int8: (-(1 << 7), (1 << 7) - 1),
    pl.Int16: (-(1 << 15), (1 << 15) - 1),
    pl.Int32: (-(1 << 31), (1 << 31) - 1),
    pl.UInt8: (0, (1 << 8) - 1),
    pl.UInt16: (0, (1 << 16) - 1),
    pl.UInt32: (0, (1 << 32) - 1),
}


def _extremes(dtype) -> pl.DataFrame:
    """A column of ``dtype`` holding both ends of its range, values around 0 and a null."""
    low, high = NARROW[dtype]
    values = [v for v in (low, low + 1, -1, 0, 1, 2, 100, 200, high - 1, high) if low <= v <= high]
    return pl.DataFrame({"C": pl.Series([*values, None], dtype=dtype)})


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    st.sampled_from(list(NARROW)),
    st.sampled_from(["==", "!=", "<", "<=", ">", ">="]),
    st.sampled_from(["low", "high", "zero", "200"]),
    st.integers(-2, 2),
    st.booleans(),
)
def test_narrow_integer_columns_compare_as_int64(dtype, op, anchor, offset, flipped):
    """Comparing a stored Int8..UInt32 column with a constant, inside or outside its range, selects
    what the comparison in arbitrary-precision integers selects (nulls are not selected)."""
    low, high = NARROW[dtype]
    constant = {"low": low, "high": high, "zero": 0, "200": 200}[anchor] + offset
    frame = _extremes(dtype)
    text = f"{constant} {op} C" if flipped else f"C {op} {constant}"
    python_op = {"==": "__eq__", "!=": "__ne__", "<": "__lt__", "<=": "__le__", ">": "__gt__", ">=": "__ge__"}[op]
    expected = [
        False if v is None else bool(getattr(constant, python_op)(v) if flipped else getattr(v, python_op)(constant))
        for v in frame["C"].to_list()
    ]
    got = frame.select(compile(text, columns=frame.schema).fill_null(False).alias("m"))["m"].to_list()
    assert got == expected, text


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    st.sampled_from(list(NARROW)),
    st.sampled_from([0, 1, 0x7F, 0xFF, 0x7FFF, 0xFA0000, 0x7FFFFFFF, 0xFFFFFFFF, -1, -256, 1 << 40]),
    st.integers(-1, 3),
)
def test_narrow_integer_masks_equal_int64(dtype, mask, compared):
    """``(C & mask) == k`` with masks that fit the stored dtype or not, negative or wider than 32
    bits, agrees with two's-complement arithmetic in Python integers."""
    frame = _extremes(dtype)
    text = f"(C & {mask}) == {compared}"
    expected = [False if v is None else (v & mask) == compared for v in frame["C"].to_list()]
    got = frame.select(compile(text, columns=frame.schema).fill_null(False).alias("m"))["m"].to_list()
    assert got == expected, text


_GRID = np.stack(np.meshgrid(np.arange(-12, 13), np.arange(-12, 13)), -1).reshape(-1, 2)
_VALUES = st.sampled_from([0, 1, 2, 3, 5, 7, 8, -2, -3, -5, 2.5, 0.5, 4.25])
_SIZES = st.sampled_from([0, 1, 2, 3, 5, 7, 2.5, 0.5, 4.25, 6.1])
_ANGLES = st.sampled_from([0, 30, 45, 90, 135, 200])


@st.composite
def _integer_shapes(draw) -> str:
    """A bounded shape on (X,Y) with borders on grid points, as SAS text."""
    shape = draw(st.sampled_from(["circle", "annulus", "ellipse", "elliptannulus", "box", "rectangle",
                                  "polygon", "point"]))
    x, y = draw(_VALUES), draw(_VALUES)
    sizes = [draw(_SIZES) for _ in range(4)]
    angle = draw(_ANGLES)
    args = {
        "circle": [x, y, sizes[0]],
        "annulus": [x, y, min(sizes[:2]), max(sizes[:2])],
        "ellipse": [x, y, sizes[0], sizes[1], angle],
        "elliptannulus": [x, y, min(sizes[0], sizes[2]), min(sizes[1], sizes[3]), max(sizes[0], sizes[2]),
                          max(sizes[1], sizes[3]), angle],
        "box": [x, y, sizes[0], sizes[1], angle],
        "rectangle": [x, y, x + sizes[0], y + sizes[1], angle],
        "polygon": [x, y, x + sizes[0], y, x + sizes[1], y + sizes[2], x - sizes[3], y + sizes[0]],
        "point": [x, y],
    }[shape]
    return f"(X,Y) in {shape}({','.join(map(str, args))})"


@settings(max_examples=EXAMPLES, deadline=None)
@given(_integer_shapes(), st.sampled_from([pl.Int16, pl.Int32, pl.UInt16]), st.booleans())
def test_shapes_on_integer_columns_equal_the_double_precision_test(text, dtype, negate):
    """The bounding-box prefilter on integer columns changes no row: every grid point, border points
    included, is selected as the same shape on Float64 columns selects it."""
    if negate:
        text = f"!({text})"
    points = _GRID + (12 if dtype == pl.UInt16 else 0)  # unsigned: points 0..24, shapes partly outside
    narrow = pl.DataFrame({"X": pl.Series(points[:, 0], dtype=dtype), "Y": pl.Series(points[:, 1], dtype=dtype)})
    wide = narrow.cast(pl.Float64)
    got = narrow.select(compile(text, columns=narrow.schema).alias("m"))["m"].to_list()
    expected = wide.select(compile(text, columns=wide.schema).alias("m"))["m"].to_list()
    assert got == expected, text
