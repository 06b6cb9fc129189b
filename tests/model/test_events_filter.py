"""EventList.filter with SAS strings, Polars expressions, GTIs and shapes on real events."""

from __future__ import annotations

import polars as pl

import xmmframe
from xmmframe.model.gti import GTI

CLEAN = "exod/0001730201/M1_clean.fits"


def test_string_polars_and_shape_filters_agree(refdata):
    events = xmmframe.open_events(refdata / CLEAN)
    by_string = events.filter("(X,Y) in CIRCLE(24635.6,24158.8,200)").count()
    by_shape = events.filter(xmmframe.Circle(24635.6, 24158.8, 200)).count()
    by_polars = events.filter(((pl.col("X") - 24635.6) ** 2 + (pl.col("Y") - 24158.8) ** 2) <= 200**2).count()
    assert by_string == by_shape == by_polars == 2456


def test_string_filter_sees_columns_added_later(refdata):
    events = xmmframe.open_events(refdata / CLEAN).with_columns((pl.col("PI") / 1000.0).alias("ENERGY_KEV"))
    assert events.filter("ENERGY_KEV > 2 && PATTERN==0").count() == events.filter(
        (pl.col("PI") > 2000) & (pl.col("PATTERN") == 0)
    ).count()


def test_gti_filter(refdata):
    events = xmmframe.open_events(refdata / CLEAN)
    gti = GTI.read(refdata / "exod/0001730201/M1_gti.fits")
    times = events.collect()["TIME"].to_numpy()
    assert events.filter(gti).count() == int(gti.contains(times).sum()) == events.apply_gti(gti).count()
