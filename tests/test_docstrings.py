"""The public API documents itself in numpydoc form, with an example (doctests run with the suite)."""

from __future__ import annotations

import inspect

import pytest

import xmmframe

PUBLIC = [name for name in xmmframe.__all__
          if inspect.isfunction(getattr(xmmframe, name)) or inspect.isclass(getattr(xmmframe, name))]


def test_there_is_a_public_api():
    assert len(PUBLIC) >= 20


@pytest.mark.parametrize("name", PUBLIC)
def test_public_name_has_numpydoc_sections_and_an_example(name):
    obj = getattr(xmmframe, name)
    doc = inspect.getdoc(obj) or ""
    assert doc, f"xmmframe.{name} has no docstring"
    assert "Examples\n--------\n>>> " in doc, f"xmmframe.{name} has no Examples section"
    if inspect.isfunction(obj):
        signature = inspect.signature(obj)
        if len(signature.parameters) >= 2 or any(p.default is inspect.Parameter.empty
                                                 for p in signature.parameters.values()):
            assert "Parameters\n----------\n" in doc, f"xmmframe.{name} has no Parameters section"
        if signature.return_annotation not in (None, "None"):
            assert "Returns\n-------\n" in doc or "Yields\n------\n" in doc, f"xmmframe.{name} has no Returns"
