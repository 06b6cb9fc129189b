"""The selection language's size limits: no recursion error on any input, and deep but legal
expressions compile and select the right rows."""

from __future__ import annotations

import sys

import numpy as np
import polars as pl
import pytest

from tests.select.helpers import event_meta
from xmmframe.errors import SelectionLimitError, SelectionSyntaxError, XmmframeError
from xmmframe.select import compile, explain
from xmmframe.select.limits import MAX_DEPTH, MAX_LENGTH, tree_depth
from xmmframe.select.parser import parse

FRAME = pl.DataFrame(
    {
        "PI": pl.Series([1, 2, 3, 600, 7000], dtype=pl.Int16),
        "TIME": [1.0, 2.0, float("nan"), 4.0, 5.0],
        "FLAG": pl.Series([0, 1, 0, 0, 8], dtype=pl.Int32),
    }
)


def select(expression: str) -> list[int]:
    return FRAME.filter(compile(expression, columns=FRAME.schema))["PI"].to_list()


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 500, 10_000])
def test_too_many_parentheses_is_a_limit_error_at_the_column_crossing_it(depth):
    text = "(" * depth + "PI > 1" + ")" * depth
    with pytest.raises(SelectionLimitError) as err:
        compile(text, columns=FRAME.schema)
    assert isinstance(err.value, SelectionSyntaxError) and isinstance(err.value, XmmframeError)
    assert err.value.position == MAX_DEPTH  # the first '(' beyond the limit
    assert f"column {MAX_DEPTH + 1}" in str(err.value) and f"{MAX_DEPTH} levels" in str(err.value)


def test_parentheses_up_to_the_limit_are_accepted():
    text = "(" * MAX_DEPTH + "PI > 1" + ")" * MAX_DEPTH
    assert select(text) == [2, 3, 600, 7000]


def _nested_arithmetic(depth: int) -> tuple[str, np.ndarray]:
    """``(PI - (PI*2 - (PI - ... 1)))`` with ``depth`` parenthesised levels and its value per row."""
    pi = FRAME["PI"].to_numpy().astype(np.int64)
    text, value = "1", np.ones_like(pi)
    for level in range(depth):
        if level % 2:
            text, value = f"(PI - {text})", pi - value
        else:
            text, value = f"(PI*2 - {text})", 2 * pi - value
    return text, value


def test_depth_200_expression_compiles_and_evaluates_like_numpy():
    text, value = _nested_arithmetic(200)
    assert tree_depth(parse(text)) > 200
    threshold = int(np.median(value))
    expected = FRAME["PI"].to_numpy()[value > threshold].tolist()
    assert select(f"{text} > {threshold}") == expected
    assert 0 < len(expected) < FRAME.height
    assert explain(f"{text} > {threshold}").count("\n") > 400


def test_deep_expression_compiles_from_a_deep_caller_stack():
    text, value = _nested_arithmetic(120)

    def nested_call(levels: int) -> list[int]:
        return nested_call(levels - 1) if levels else select(f"{text} == {int(value[0])}")

    limit = sys.getrecursionlimit()
    assert nested_call(limit - 150) == [1]
    assert sys.getrecursionlimit() == limit  # put back


def test_long_chain_of_or_is_balanced_and_correct():
    assert tree_depth(parse(" || ".join(f"PI=={i}" for i in range(10_000)))) == 14 + 2
    assert select(" || ".join(f"PI=={i}" for i in range(2000)) + " || PI==7000") == [1, 2, 3, 600, 7000]
    assert select(" && ".join(["PI>1"] * 2000 + ["TIME<5"])) == [2, 600]
    assert explain("a && b && c && d").splitlines() == ["and", "  column a", "  column b", "  column c", "  column d"]


def test_chains_of_three_keep_the_left_to_right_shape():
    tree = parse("PI>1 && PI<5 && FLAG==0")
    assert tree.op == "&&" and tree.left.op == "&&" and tree.right.op == "=="


@pytest.mark.parametrize(
    "text",
    [" + ".join(["PI"] * 1000) + " > 0", "!" * 1000 + "(PI > 1)", "-" * 600 + "PI > 0", "FLAG" + " & 1" * 400],
    ids=["sum", "not", "negate", "bitand"],
)
def test_long_operator_chains_beyond_the_limit_are_limit_errors(text):
    with pytest.raises(SelectionLimitError, match=f"more than {MAX_DEPTH} levels deep") as err:
        compile(text, columns=FRAME.schema)
    assert 0 <= err.value.position < len(text)


def test_prefix_chains_within_the_limit_evaluate():
    assert select("!" * 200 + "(PI > 2)") == [3, 600, 7000]
    assert select("!" * 201 + "(PI > 2)") == [1, 2]
    assert select("-" * 200 + "PI == 600") == [600]  # folded into the number: -(-...(PI))


def test_overlong_expression_is_refused_before_parsing():
    text = "PI>1 || " * (MAX_LENGTH // 8) + "PI>1"
    with pytest.raises(SelectionLimitError, match=f"more than the limit of {MAX_LENGTH}"):
        parse(text)


def test_macros_nested_beyond_the_limit_are_a_limit_error():
    depth = MAX_DEPTH + 10
    keywords = {f"M{k}": f"#M{k + 1}" for k in range(depth)}
    keywords[f"M{depth}"] = "PI > 1"
    meta = event_meta(keywords, {"PI": "1I"})
    with pytest.raises(SelectionLimitError, match="nested more than"):
        compile("#M0", meta)
    shallow = event_meta({"M0": "#M1", "M1": "#M2", "M2": "PI > 1"}, {"PI": "1I"})
    assert compile("#M0", shallow) is not None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("PI == \u00b2", "unexpected character"),  # superscript two: isdigit() but not a digit
        ("PI == \u0663", "unexpected character"),  # Arabic-Indic three
        ("PI == " + "9" * 5000, "5000 digits is too large"),  # beyond Python's int-from-str limit
        ("PI == 0x" + "f" * 5000, "too large"),
        ("PI == b" + "1" * 500, "too large"),
    ],
    ids=["superscript", "arabic-indic", "decimal", "hex", "binary"],
)
def test_unicode_digits_and_huge_integers_are_syntax_errors(text, message):
    with pytest.raises(SelectionSyntaxError, match=message) as err:
        parse(text)
    assert err.value.position == 6
