"""Shape geometry: ``area``, ``contains`` and ``bounds`` of every shape against independent numpy
computations, and the FITS region-table and ds9 round trips of regions.

The references here never call the shapes' own code: membership is the textbook formula of each
shape written in numpy (rotations by an explicit matrix), areas are Monte-Carlo counts of those
formulas over a box chosen from the shape's parameters, and astropy ``regions`` is the peer for
ds9 text and FITS tables are written with astropy.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from astropy.io import fits
from regions import PixCoord, Regions

from xmmframe.errors import RegionFileError, UnsupportedSelectionError
from xmmframe.select import Region
from xmmframe.select.shapes import (
    Annulus,
    Box,
    Circle,
    Ellipse,
    EllipticAnnulus,
    Line,
    Pie,
    Point,
    Polygon,
    Rectangle,
    Rhombus,
)

#: Monte-Carlo points per area check; the tolerance is 5 binomial standard deviations.
SAMPLES = 400_000


def _along(x: np.ndarray, y: np.ndarray, xc: float, yc: float, degrees: float) -> tuple[np.ndarray, np.ndarray]:
    """Offsets from ``(xc, yc)`` along axes rotated counter-clockwise by ``degrees`` (a rotation matrix)."""
    t = np.radians(degrees)
    matrix = np.array([[np.cos(t), np.sin(t)], [-np.sin(t), np.cos(t)]])
    u, v = matrix @ np.vstack([x - xc, y - yc])
    return u, v


def _in_polygon(x: np.ndarray, y: np.ndarray, vertices: list[tuple[float, float]]) -> np.ndarray:
    """Even-odd rule: a horizontal ray from the point crosses the edges an odd number of times."""
    inside = np.zeros(x.shape, dtype=bool)
    for (x1, y1), (x2, y2) in zip(vertices, vertices[1:] + vertices[:1]):
        if y1 == y2:
            continue
        straddles = (y1 > y) != (y2 > y)
        at = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
        inside ^= straddles & (x < at)
    return inside


def _near_segment(x: np.ndarray, y: np.ndarray, x1: float, y1: float, x2: float, y2: float) -> np.ndarray:
    d = np.array([x2 - x1, y2 - y1])
    t = np.clip(((x - x1) * d[0] + (y - y1) * d[1]) / (d @ d), 0.0, 1.0)
    return np.hypot(x - (x1 + t * d[0]), y - (y1 + t * d[1])) <= 0.5


#: (shape, brute-force membership, a box surely holding the shape: xmin, xmax, ymin, ymax).
CASES = [
    (Circle(100.0, -50.0, 30.0), lambda x, y: np.hypot(x - 100, y + 50) <= 30, (60, 140, -90, -10)),
    (Annulus(0.0, 0.0, 10.0, 25.0), lambda x, y: (np.hypot(x, y) >= 10) & (np.hypot(x, y) <= 25), (-30, 30, -30, 30)),
    (Ellipse(5.0, 5.0, 40.0, 10.0, 30.0),
     lambda x, y: (lambda u, v: (u / 40) ** 2 + (v / 10) ** 2 <= 1)(*_along(x, y, 5, 5, 30)), (-45, 55, -45, 55)),
    (EllipticAnnulus(0.0, 0.0, 10.0, 5.0, 30.0, 15.0, 60.0),
     lambda x, y: (lambda u, v: ((u / 10) ** 2 + (v / 5) ** 2 >= 1) & ((u / 30) ** 2 + (v / 15) ** 2 <= 1))(
         *_along(x, y, 0, 0, 60)), (-35, 35, -35, 35)),
    (EllipticAnnulus(0.0, 0.0, 12.0, 4.0, 20.0, 15.0, 0.0, 90.0),  # rotated differently: counted area
     lambda x, y: ((x / 12) ** 2 + (y / 4) ** 2 >= 1) & ((y / 20) ** 2 + (x / 15) ** 2 <= 1), (-25, 25, -25, 25)),
    (Box(10.0, 20.0, 30.0, 8.0, 25.0),
     lambda x, y: (lambda u, v: (abs(u) <= 30) & (abs(v) <= 8))(*_along(x, y, 10, 20, 25)), (-30, 50, -20, 60)),
    (Rectangle(-10.0, -4.0, 20.0, 6.0),
     lambda x, y: (x >= -10) & (x <= 20) & (y >= -4) & (y <= 6), (-15, 25, -10, 10)),
    (Rectangle(0.0, 0.0, 40.0, 10.0, 45.0),
     lambda x, y: (lambda u, v: (abs(u) <= 20) & (abs(v) <= 5))(*_along(x, y, 20, 5, 45)), (-5, 45, -20, 30)),
    (Rhombus(0.0, 0.0, 20.0, 10.0, 30.0),
     lambda x, y: (lambda u, v: abs(u) / 20 + abs(v) / 10 <= 1)(*_along(x, y, 0, 0, 30)), (-25, 25, -25, 25)),
    (Polygon([(0.0, 0.0), (40.0, 0.0), (40.0, 30.0), (20.0, 10.0), (0.0, 30.0)]),
     lambda x, y: _in_polygon(x, y, [(0.0, 0.0), (40.0, 0.0), (40.0, 30.0), (20.0, 10.0), (0.0, 30.0)]),
     (-5, 45, -5, 35)),
    (Line(0.0, 0.0, 30.0, 40.0), lambda x, y: _near_segment(x, y, 0, 0, 30, 40), (-2, 32, -2, 42)),
]
IDS = [f"{type(c[0]).__name__}-{k}" for k, c in enumerate(CASES)]


def _points(box: tuple[float, float, float, float], n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.uniform(box[0], box[1], n), rng.uniform(box[2], box[3], n)


@pytest.mark.parametrize(("shape", "member", "box"), CASES, ids=IDS)
def test_area_matches_a_monte_carlo_count(shape, member, box):
    x, y = _points(box, SAMPLES, 1)
    box_area = (box[1] - box[0]) * (box[3] - box[2])
    fraction = float(np.mean(member(x, y)))
    tolerance = 5 * math.sqrt(fraction * (1 - fraction) / SAMPLES) * box_area
    assert shape.area() == pytest.approx(fraction * box_area, abs=tolerance)


@pytest.mark.parametrize(("shape", "member", "box"), CASES, ids=IDS)
def test_contains_matches_the_formula(shape, member, box):
    x, y = _points(box, 50_000, 2)
    expected = member(x, y)
    assert 0 < expected.sum() < expected.size  # the test points straddle the border
    np.testing.assert_array_equal(shape.contains(x, y), expected)
    assert shape.contains(x.reshape(250, 200), y.reshape(250, 200)).shape == (250, 200)


@pytest.mark.parametrize(("shape", "member", "box"), CASES, ids=IDS)
def test_bounds_enclose_every_inside_point_and_are_tight(shape, member, box):
    x, y = _points(box, SAMPLES, 3)
    inside = member(x, y)
    xmin, xmax, ymin, ymax = shape.bounds()
    assert np.all((x[inside] >= xmin) & (x[inside] <= xmax) & (y[inside] >= ymin) & (y[inside] <= ymax))
    # the extreme inside points come within 2 % of the box's extent of each side
    slack = 0.02 * max(xmax - xmin, ymax - ymin)
    extremes = (x[inside].min() - xmin, xmax - x[inside].max(), y[inside].min() - ymin, ymax - y[inside].max())
    assert max(extremes) < slack


def test_borders_are_inside_and_points_have_no_area():
    assert Circle(0.0, 0.0, 5.0).contains([5.0, 3.0], [0.0, 4.0]).tolist() == [True, True]
    assert Box(0.0, 0.0, 2.0, 1.0).contains([2.0, -2.0, 2.0], [1.0, -1.0, 1.0 + 1e-9]).tolist() == [True, True, False]
    point = Point(3.0, 4.0)
    assert point.area() == 0.0 and point.bounds() == (3.0, 3.0, 4.0, 4.0)
    assert point.contains([3.0, 3.0 + 1e-12], [4.0, 4.0]).tolist() == [True, False]


def test_pie_is_unbounded_and_its_wedge_matches_the_angle_formula():
    pie = Pie(0.0, 0.0, 315.0, 45.0)
    assert pie.bounds() is None and pie.area() == math.inf
    x, y = _points((-10, 10, -10, 10), 20_000, 4)
    angle = np.degrees(np.arctan2(y, x))
    np.testing.assert_array_equal(pie.contains(x, y), np.abs(angle) <= 45)
    # a wedge cut by an annulus, as a FITS PIE row reads: the sector of the ring
    sector = pie & Annulus(0.0, 0.0, 2.0, 8.0)
    assert sector.bounds() == (-8.0, 8.0, -8.0, 8.0)
    assert sector.area() == pytest.approx(math.pi * (8**2 - 2**2) / 4, rel=0.01)


def test_region_area_bounds_and_contains_combine_includes_and_excludes():
    region = Region((Circle(0.0, 0.0, 10.0), Box(30.0, 0.0, 5.0, 5.0)), (Circle(0.0, 0.0, 4.0), Circle(30.0, 0.0, 2.0)))
    x, y = _points((-12, 37, -12, 12), SAMPLES, 5)
    member = ((np.hypot(x, y) <= 10) | ((abs(x - 30) <= 5) & (abs(y) <= 5))) & ~(
        (np.hypot(x, y) <= 4) | (np.hypot(x - 30, y) <= 2))
    np.testing.assert_array_equal(region.contains(x, y), member)
    assert region.bounds() == (-10.0, 35.0, -10.0, 10.0)
    exact = math.pi * (100 - 16) + 100 - math.pi * 4
    # a 1024-square grid over a 45 x 20 box: cells of 0.044 x 0.020, the count within 0.3 %
    assert region.area() == pytest.approx(exact, rel=0.003)
    assert Region((), (Circle(0.0, 0.0, 1.0),)).bounds() is None
    assert Region((), (Circle(0.0, 0.0, 1.0),)).area() == math.inf


def _same(a, b):
    """Two shapes equal up to float rounding of their arguments (ds9 has no rectangle: a box)."""
    if isinstance(a, Rectangle) and isinstance(b, Box):
        a = a.as_box()
    assert type(a) is type(b)
    assert a.columns == b.columns
    assert a.arguments == pytest.approx(b.arguments, abs=1e-9)


ROUND_TRIP = [
    Region((Circle(24635.6, 24158.8, 200.0), Annulus(100.0, 200.0, 10.0, 30.0), Ellipse(1.5, 2.5, 30.0, 10.0, 33.0))),
    Region((Box(10.0, 20.0, 30.0, 8.0, 25.0), Polygon([(0.0, 0.0), (4.0, 0.0), (4.0, 3.0)])),
           (Circle(12.0, 20.0, 2.0), Rectangle(0.0, 0.0, 5.0, 2.0, 10.0))),
    Region((EllipticAnnulus(0.0, 0.0, 10.0, 5.0, 30.0, 15.0, 60.0), Point(3.0, 4.0), Line(0.0, 0.0, 30.0, 40.0))),
]


@pytest.mark.parametrize("region", ROUND_TRIP, ids=["products", "excludes", "others"])
def test_fits_region_table_round_trip(region, tmp_path):
    frame = region.to_frame()
    formats = {"SHAPE": "16A", "COMPONENT": "B"}
    hdu = fits.BinTableHDU.from_columns(
        [fits.Column(name=c, format=formats.get(c, f"{frame[c].to_numpy().reshape(frame.height, -1).shape[1]}D"),
                     array=frame[c].to_numpy()) for c in frame.columns], name="REGION")
    hdu.header["HDUCLAS1"] = "REGION"
    path = tmp_path / "region.fits"
    fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(path)
    back = Region.read(path)
    assert len(back.include) == len(region.include) and len(back.exclude) == len(region.exclude)
    for a, b in zip(region.include + region.exclude, back.include + back.exclude):
        _same(a, b)
    in_memory = Region.from_frame(frame)
    assert in_memory.include == region.include and in_memory.exclude == region.exclude


def test_fits_rows_of_intersections_keep_their_meaning():
    region = Region((Circle(0.0, 0.0, 10.0) & ~Circle(2.0, 0.0, 3.0), Box(30.0, 0.0, 4.0, 4.0)), (Circle(30.0, 0.0, 1.0),))
    frame = region.to_frame()
    assert frame["COMPONENT"].to_list() == [1, 1, 1, 2, 2]
    assert frame["SHAPE"].to_list() == ["CIRCLE", "!CIRCLE", "!CIRCLE", "BOX", "!CIRCLE"]
    x, y = _points((-12, 36, -12, 12), 50_000, 6)
    np.testing.assert_array_equal(Region.from_frame(frame).contains(x, y), region.contains(x, y))


def test_float32_frame_is_what_products_record():
    frame = Region((Circle(24635.6, 24158.8, 200.0),)).to_frame(dtype=pl.Float32)
    assert frame.schema["X"].is_float() and str(frame.schema["R"]) == "Array(Float32, shape=(2,))"
    assert frame.row(0) == ("CIRCLE", pytest.approx(24635.6, abs=2e-3), pytest.approx(24158.8, abs=2e-3),
                            [200.0, 0.0], 0.0, 1)


@pytest.mark.parametrize("region", ROUND_TRIP[:2], ids=["products", "excludes"])
def test_ds9_round_trip_and_astropy_regions_agree(region):
    text = region.to_ds9()
    back = Region.from_ds9(text)
    for a, b in zip(region.include + region.exclude, back.include + back.exclude, strict=True):
        _same(a, b)
    # astropy regions reads the same text (image pixels are 0-based: physical minus 1) and
    # decides the same points
    peers = Regions.parse(text.replace("physical", "image"), format="ds9")
    x, y = _points((-50, 250, -50, 250), 20_000, 7)
    shapes = region.include + region.exclude
    for peer, shape in zip(peers, shapes, strict=True):
        theirs = peer.contains(PixCoord(x - 1.0, y - 1.0))
        np.testing.assert_array_equal(shape.contains(x, y), theirs)


def test_shapes_without_a_ds9_form_are_refused():
    with pytest.raises(RegionFileError, match="PIE"):
        Region((Pie(0.0, 0.0, 0.0, 90.0),)).to_ds9()
    with pytest.raises(RegionFileError, match="intersections"):
        Region((Circle(0.0, 0.0, 2.0) & ~Circle(0.0, 0.0, 1.0),)).to_ds9()


def test_sky_shapes_need_the_wcs_for_their_geometry():
    sky = Region.from_ds9('fk5; circle(263.65,-32.58,10")')
    with pytest.raises(UnsupportedSelectionError, match="sky WCS"):
        sky.contains([0.0], [0.0])
    with pytest.raises(UnsupportedSelectionError, match="sky WCS"):
        sky.bounds()
