"""The top-level package: public names and subpackages reachable from ``import xmmframe``."""

from __future__ import annotations

import subprocess
import sys

import xmmframe


def test_subpackages_are_reachable_as_attributes():
    """``xmmframe.select.compile`` works after a plain ``import xmmframe`` (fresh interpreter)."""
    code = (
        "import xmmframe, polars as pl\n"
        "expr = xmmframe.select.compile('PI in [200:300]', columns={'PI': pl.Int16})\n"
        "print(pl.DataFrame({'PI': [100, 200, 300, 301]}, schema={'PI': pl.Int16}).filter(expr).height)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "2"


def test_every_public_name_resolves():
    for name in xmmframe.__all__:
        assert getattr(xmmframe, name) is not None, name
    assert {"select", "products", "ccf"} <= set(dir(xmmframe))


def test_unknown_attribute_is_an_attribute_error():
    try:
        xmmframe.no_such_thing  # noqa: B018
    except AttributeError as err:
        assert "no_such_thing" in str(err)
    else:  # pragma: no cover
        raise AssertionError("no AttributeError")
