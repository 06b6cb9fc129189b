"""Long chains of shapes (source excision, big region files) tested in one grid pass.

The grid kernel must decide every row exactly as the shapes' own Polars expressions do
(borders, rotations, degenerate ellipses, nulls, NaN), and long selections must give what
numpy computes independently.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from xmmframe.errors import SelectionLimitError
from xmmframe.select.compiler import compile_selection
from xmmframe.select.limits import MAX_TESTS
from xmmframe.select.shapes import Annulus, Box, Circle, Ellipse, Polygon, Rectangle
from xmmframe.select.shapes.shape_set import MIN_SHAPES, ShapeGrid, any_inside

ROTATIONS = [0.0, 90.0, 180.0, 270.0, 30.5, -45.0, 12.25, 360.0]


def random_shapes(rng: np.random.Generator, m: int) -> list:
    shapes = []
    for k in range(m):
        x, y = (float(v) for v in rng.integers(0, 1000, 2))
        r = float(rng.integers(1, 40))
        rot = float(rng.choice(ROTATIONS))
        kind = k % 6
        if kind == 0:
            shapes.append(Circle(x, y, r))
        elif kind == 1:
            shapes.append(Annulus(x, y, r / 2, r))
        elif kind == 2:
            shapes.append(Ellipse(x, y, r, r / 3, rot))
        elif kind == 3:
            shapes.append(Box(x, y, r, r / 2, rot))
        elif kind == 4:
            shapes.append(Rectangle(x, y, x + r, y - r / 2))
        else:
            shapes.append(Ellipse(x, y, 0.0, r, rot))  # a segment
    return shapes


@pytest.fixture(scope="module")
def frame() -> pl.DataFrame:
    rng = np.random.default_rng(11)
    n = 200_000
    x = rng.integers(-20, 1020, n).astype(np.int32)
    y = rng.integers(-20, 1020, n).astype(np.int32)
    fx = x + rng.choice([0.0, 0.5, 0.25], n)
    fx[::997] = np.nan
    return pl.DataFrame({"X": x, "Y": y, "FX": fx, "PI": rng.integers(0, 12000, n).astype(np.int16)}).with_columns(
        pl.when(pl.int_range(pl.len()) % 1009 == 0).then(None).otherwise(pl.col("X")).alias("X"))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_grid_decides_every_row_as_the_shape_expressions(frame, seed):
    shapes = random_shapes(np.random.default_rng(seed), 120)
    for columns in (("X", "Y"), ("FX", "Y")):
        placed = [type(s)(*s.arguments, columns=columns) for s in shapes]
        ours = frame.select(any_inside(placed, columns).alias("v")).to_series()
        reference = frame.select(pl.any_horizontal([s.to_expr() for s in placed]).alias("v")).to_series()
        assert ours.null_count() == reference.null_count() == (frame["X"].null_count() if columns[0] == "X" else 0)
        assert ours.equals(reference)
        assert 0 < ours.sum() < frame.height


def test_integer_borders_are_inside(frame):
    """Points exactly on circle borders (integer centre, radius and positions: 3-4-5 triangles)."""
    grid = ShapeGrid([Circle(100.0, 100.0, 5.0)] + [Circle(500.0 + 20 * k, 500.0, 1.0) for k in range(10)])
    x = np.array([103.0, 104.0, 105.0, 106.0, 500.0, 501.0, 501.0])
    y = np.array([104.0, 103.0, 100.0, 100.0, 501.0, 500.0, 501.0])
    assert grid.inside(x, y).tolist() == [True, True, True, False, True, True, False]


def test_unsupported_shapes_are_left_to_their_expressions():
    assert any_inside([Circle(0, 0, 1)] * 10 + [Polygon(((0, 0), (1, 0), (0, 1)))], ("X", "Y")) is None


def _numpy_outside(frame: pl.DataFrame, circles: np.ndarray) -> np.ndarray:
    """Rows with X, Y outside every circle, computed with numpy (nulls are not selected)."""
    x = frame["X"].to_numpy(allow_copy=True).astype(np.float64)
    y = frame["Y"].to_numpy().astype(np.float64)
    outside = np.ones(frame.height, dtype=bool)
    for cx, cy, r in circles:
        outside &= (x - cx) ** 2 + (y - cy) ** 2 > r * r
    return outside & ~np.isnan(x)


def test_source_excision_chain_equals_numpy(frame):
    rng = np.random.default_rng(4)
    circles = np.column_stack([rng.integers(0, 1000, 1500), rng.integers(0, 1000, 1500), rng.integers(2, 12, 1500)])
    text = "(PI in [500:2000]) && " + " && ".join(f"!((X,Y) IN circle({a},{b},{r}))" for a, b, r in circles)
    selected = frame.filter(compile_selection(text, columns=frame.schema))
    pi = frame["PI"].to_numpy()
    expected = _numpy_outside(frame, circles) & (pi >= 500) & (pi <= 2000)
    assert selected.height == int(expected.sum()) > 0
    assert selected["PI"].to_list() == frame.filter(pl.Series(expected))["PI"].to_list()


def test_or_chain_and_its_negation(frame):
    rng = np.random.default_rng(5)
    circles = np.column_stack([rng.integers(0, 1000, 40), rng.integers(0, 1000, 40), rng.integers(5, 30, 40)])
    union = " || ".join(f"((X,Y) in circle({a},{b},{r}))" for a, b, r in circles)
    outside = _numpy_outside(frame, circles)
    inside = ~outside & frame["X"].is_not_null().to_numpy()
    assert frame.filter(compile_selection(union, columns=frame.schema)).height == int(inside.sum()) > 0
    assert frame.filter(compile_selection(f"!({union})", columns=frame.schema)).height == int(outside.sum())


def test_short_chains_keep_the_per_shape_expressions(frame):
    """Below MIN_SHAPES the chain compiles as before (no grid), and gives the same rows."""
    circles = [(100 * k, 500, 50) for k in range(MIN_SHAPES - 1)]
    text = " && ".join(f"!((X,Y) in circle({a},{b},{r}))" for a, b, r in circles)
    expr = compile_selection(text, columns=frame.schema)
    assert "map" not in str(expr).lower()
    assert frame.filter(expr).height == int(_numpy_outside(frame, np.array(circles)).sum())


def test_ds9_file_with_many_circles(frame, tmp_path):
    rng = np.random.default_rng(6)
    circles = np.column_stack([rng.integers(0, 1000, 300), rng.integers(0, 1000, 300), rng.integers(2, 20, 300)])
    lines = ["# Region file format: DS9", "physical"] + [f"-circle({a},{b},{r})" for a, b, r in circles]
    path = tmp_path / "sources.reg"
    path.write_text("\n".join(lines) + "\n")
    selected = frame.filter(compile_selection(f"region({path})", columns=frame.schema))
    assert selected.height == int(_numpy_outside(frame, circles).sum())


def test_ten_thousand_source_excision_is_not_limited_and_exact():
    """10000 excluded circles are not counted against MAX_TESTS and give numpy's rows."""
    rng = np.random.default_rng(8)
    n = 20_000
    frame = pl.DataFrame({"X": rng.integers(0, 5000, n).astype(np.int32), "Y": rng.integers(0, 5000, n).astype(np.int32)})
    circles = np.column_stack([rng.integers(0, 5000, 10_000), rng.integers(0, 5000, 10_000), rng.integers(3, 25, 10_000)])
    text = " && ".join(f"!((X,Y) in circle({a},{b},{r}))" for a, b, r in circles)
    assert frame.filter(compile_selection(text, columns=frame.schema)).height == int(_numpy_outside(frame, circles).sum())


def test_too_many_tests_are_refused_with_the_position():
    terms = [f"(PI=={k})" for k in range(MAX_TESTS + 5)]
    text = " || ".join(terms)
    with pytest.raises(SelectionLimitError) as caught:
        compile_selection(text, columns={"PI": pl.Int16})
    offset = sum(len(t) + 4 for t in terms[:MAX_TESTS])  # where the first test over the limit starts
    assert f"{MAX_TESTS + 5} tests" in str(caught.value)
    assert offset <= caught.value.position < offset + len(terms[MAX_TESTS])
