"""The generic SAS ``name=value`` parameter parsing shared by SAS-style commands."""

from __future__ import annotations

import pytest

from xmmframe.cli.sas_params import Param, parse_parameters, unquote
from xmmframe.errors import ParameterError

PARAMS = (
    Param("table", None, "str"),
    Param("expression", "true", "str"),
    Param("withrateset", False, "bool"),
    Param("timebinsize", 1.0, "float"),
    Param("flagbit", -1, "int"),
    Param("nonStandardSpec", False, "bool"),
)


def test_defaults_types_and_given():
    args = parse_parameters("evselect", ["table=a.fits:EVENTS", "timebinsize=2.604", "flagbit=3"], PARAMS)
    assert args["table"] == "a.fits:EVENTS" and args["timebinsize"] == 2.604 and args["flagbit"] == 3
    assert args["expression"] == "true" and args["withrateset"] is False
    assert args.given("table") and not args.given("expression")


@pytest.mark.parametrize(("text", "value"), [("yes", True), ("Y", True), ("T", True), ("true", True), ("no", False),
                                             ("N", False), ("F", False), ("false", False)])
def test_booleans(text, value):
    assert parse_parameters("t", [f"withrateset={text}"], PARAMS)["withrateset"] is value


def test_quotes_and_equals_inside_values():
    args = parse_parameters("t", ["expression='#XMMEA_EM && (PI>10000) && PATTERN==0'"], PARAMS)
    assert args["expression"] == "#XMMEA_EM && (PI>10000) && PATTERN==0"
    assert parse_parameters("t", ['expression="RATE<=0.4"'], PARAMS)["expression"] == "RATE<=0.4"
    assert unquote("'unbalanced") == "'unbalanced"


def test_names_are_case_insensitive():
    assert parse_parameters("t", ["nonstandardspec=yes", "TABLE=x"], PARAMS)["nonStandardSpec"] is True


@pytest.mark.parametrize(("word", "message"), [
    ("timebinsiz=1", "unknown parameter 'timebinsiz'; did you mean timebinsize"),
    ("frobnicate=1", "unknown parameter 'frobnicate'"),
    ("flagbit=1.5", "flagbit must be an integer"),
    ("withrateset=perhaps", "withrateset must be yes or no"),
    ("=3", "expected name=value"),
])
def test_errors_name_the_task_and_parameter(word, message):
    with pytest.raises(ParameterError, match="^evselect: ") as err:
        parse_parameters("evselect", [word], PARAMS)
    assert message in str(err.value)


def test_required_parameter():
    args = parse_parameters("t", [], PARAMS)
    with pytest.raises(ParameterError, match="table is required"):
        args.require("table")
