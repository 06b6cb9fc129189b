"""Region files: ds9 text (physical and sky coordinates, include/exclude) and FITS region tables."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from astropy.io import fits

import xmmframe
from xmmframe.select import Annulus, Box, Circle, Ellipse, Polygon, Region, compile
from xmmframe.select.shapes import Complement, Intersection
from tests.reference import events_sky_wcs

RNG = np.random.default_rng(5)
FRAME = pl.DataFrame(
    {"X": RNG.integers(0, 400, 20000).astype(np.int32), "Y": RNG.integers(0, 400, 20000).astype(np.int32)}
)


def mask(selection, frame: pl.DataFrame = FRAME, **kwargs) -> np.ndarray:
    expr = (
        compile(selection, columns=frame.schema, **kwargs)
        if isinstance(selection, str)
        else selection.to_expr()
    )
    result = frame.select(expr.alias("m"))["m"]
    return result.to_numpy() if result.len() == frame.height else np.full(frame.height, bool(result[0]))


# ---------------------------------------------------------------------------- ds9


def test_ds9_physical_shapes_with_exclusion(tmp_path):
    (tmp_path / "src.reg").write_text(
        "# Region file format: DS9 version 4.1\n"
        'global color=green dashlist=8 3 width=1 font="helvetica 10 normal roman"\n'
        "physical\n"
        "circle(200.5,200.5,80) # color=red text={source}\n"
        "-circle(220.5,190.5,15)\n"
        "box(100.5,300.5,60,30,30); ellipse(300.5,100.5,40,20,-15)\n"
        "# vector(1,1,10,0) vector=1\n"
        "text(10,10) text={label}\n"
        "-box(300.5,100.5,10,10,0)\n"
    )
    sas = (
        "((X,Y) in circle(200.5,200.5,80) || (X,Y) in box(100.5,300.5,30,15,30) || (X,Y) in ellipse(300.5,100.5,40,20,-15))"
        " && !((X,Y) in circle(220.5,190.5,15)) && !((X,Y) in box(300.5,100.5,5,5,0))"
    )
    region = Region.read(tmp_path / "src.reg")
    assert len(region.include) == 3 and len(region.exclude) == 2
    assert region.include[1] == Box(100.5, 300.5, 30, 15, 30)  # ds9 full widths -> SAS half widths
    assert region.include[2] == Ellipse(300.5, 100.5, 40, 20, -15)  # ds9 ellipse radii are semi-axes already
    selected = mask("region(src.reg)", base_dir=tmp_path)
    assert np.array_equal(selected, mask(sas))
    assert np.array_equal(selected, mask(region))
    assert 0 < selected.sum() < FRAME.height


def test_ds9_default_frame_is_physical_and_other_shapes(tmp_path):
    (tmp_path / "shapes.reg").write_text(
        "annulus(200,200,50,100)\npolygon(10,10,150,20,80,160)\npoint(5,5)\nline(0,0,399,399)\n"
        "ellipse(200,200,60,30,120,60,45)\n"
    )
    region = Region.read(tmp_path / "shapes.reg")
    assert region.include[0] == Annulus(200, 200, 50, 100)
    assert region.include[1] == Polygon([(10, 10), (150, 20), (80, 160)])
    assert type(region.include[4]).__name__ == "EllipticAnnulus"
    sas = (
        "(X,Y) in annulus(200,200,50,100) || (X,Y) in polygon(10,10,150,20,80,160) || (X,Y) in point(5,5)"
        " || (X,Y) in line(0,0,399,399) || (X,Y) in elliptannulus(200,200,60,30,120,60,45)"
    )
    assert np.array_equal(mask(region), mask(sas))


def test_ds9_exclusions_only_and_other_columns(tmp_path):
    (tmp_path / "holes.reg").write_text("physical\n-circle(100,100,30)\n-circle(300,300,30)\n")
    expected = mask("!((X,Y) in circle(100,100,30)) && !((X,Y) in circle(300,300,30))")
    assert np.array_equal(mask("region(holes.reg)", base_dir=tmp_path), expected)
    detector = FRAME.rename({"X": "DETX", "Y": "DETY"})
    assert np.array_equal(mask("region(holes.reg,DETX,DETY)", detector, base_dir=tmp_path), expected)
    assert np.array_equal(mask("(DETX,DETY) in region(holes.reg)", detector, base_dir=tmp_path), expected)
    assert np.array_equal(mask("(detx,dety) IN REGION('holes.reg')", detector, base_dir=tmp_path), expected)


def test_ds9_sky_region_is_converted_through_the_event_wcs(refdata, tmp_path):
    events = xmmframe.open_events(refdata / "exod" / "0001730201" / "M1_clean.fits")
    ra, dec = (float(v) for v in events.meta.sky_wcs.all_pix2world(24635.6, 24158.8, 1))
    (tmp_path / "sky.reg").write_text(f'# Region file format: DS9\nfk5\ncircle({ra},{dec},10")\n')
    region = Region.read(tmp_path / "sky.reg")
    physical = region.to_physical(events.meta).include[0]
    assert physical.x == pytest.approx(24635.6, abs=1e-6) and physical.y == pytest.approx(24158.8, abs=1e-6)
    assert physical.r == pytest.approx(200.0, rel=1e-6)  # 10" of 0.05" pixels
    assert events.filter(region).count() == 2456
    assert events.filter(compile("region(sky.reg)", events.meta, base_dir=tmp_path)).count() == 2456
    # the SAS celestial form, radius in degrees
    assert events.filter(f"(RA,DEC) in circle({ra},{dec},{10 / 3600})").count() == 2456
    assert events.filter(f"(RA,DEC) in annulus({ra},{dec},0,{10 / 3600})").count() == 2456


@pytest.mark.parametrize("rot", [0.0, 30.0])
def test_celestial_box_is_the_box_on_x_y_through_the_header_wcs(refdata, rot):
    """``(RA,DEC) in box(ra,dec,xhalf,yhalf,rot)`` (degrees) selects what the same box in sky pixels does.

    The pixel box is computed here from the header keywords with astropy's WCS alone: centre by
    ``all_world2pix``, half widths divided by the pixel size (the sky WCS has north up, so the
    angle is the same in both frames).
    """
    from astropy.io import fits

    path = refdata / "exod" / "0001730201" / "M1_clean.fits"
    events = xmmframe.open_events(path)
    header = fits.getheader(path, "EVENTS")
    wcs = events_sky_wcs(header)
    pixel = float(abs(wcs.wcs.cdelt[1]))
    x0, y0, xhalf, yhalf = 24635.3, 24158.6, 811.37, 402.71  # sky pixels; borders off the integer grid
    ra, dec = (float(v) for v in wcs.all_pix2world(x0, y0, 1))
    in_pixels = events.filter(f"(X,Y) in box({x0},{y0},{xhalf},{yhalf},{rot})").count()
    in_degrees = events.filter(f"(RA,DEC) in box({ra},{dec},{xhalf * pixel},{yhalf * pixel},{rot})").count()
    assert in_degrees == in_pixels > 1000


def test_celestial_shapes_other_than_circle_annulus_box_are_refused(refdata):
    events = xmmframe.open_events(refdata / "exod" / "0001730201" / "M1_clean.fits")
    with pytest.raises(xmmframe.errors.UnsupportedSelectionError, match=r"only circle, annulus, box"):
        events.filter("(RA,DEC) in ellipse(263.6,-32.5,0.01,0.02,0)")


# ---------------------------------------------------------------------------- FITS region tables


def write_region_table(path, rows, components=True, position=("X", "Y")):
    shapes = [r[0] for r in rows]
    width = max(len(r[i]) for r in rows for i in range(1, 5))

    def column(index):
        return np.array([list(r[index]) + [0.0] * (width - len(r[index])) for r in rows], dtype=np.float32)

    cols = [
        fits.Column("SHAPE", "16A", array=np.array(shapes)),
        fits.Column(position[0], f"{width}E", array=column(1)),
        fits.Column(position[1], f"{width}E", array=column(2)),
        fits.Column("R", f"{width}E", array=column(3)),
        fits.Column("ROTANG", f"{width}E", array=column(4)),
    ]
    if components:
        cols.append(fits.Column("COMPONENT", "J", array=np.array([r[5] for r in rows], dtype=np.int32)))
    table = fits.BinTableHDU.from_columns(cols, name="REGION")
    table.header["HDUCLAS1"] = "REGION"
    table.header["MFORM1"] = ",".join(position)
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(name="OTHER"), table]).writeto(path, overwrite=True)
    return path


def test_fits_region_components_intersect_and_add(tmp_path):
    write_region_table(
        tmp_path / "reg.fits",
        [
            ("CIRCLE", [200.5], [200.5], [80], [0], 1),
            ("!CIRCLE", [210.5], [190.5], [20], [0], 1),
            ("BOX", [100.5], [300.5], [60, 30], [0], 2),  # FITS box sizes are full widths
            ("ROTBOX", [300.5], [300.5], [60, 30], [30], 3),
            ("!ELLIPSE", [300.5], [300.5], [10, 5], [30], 3),
        ],
    )
    sas = (
        "((X,Y) in circle(200.5,200.5,80) && !((X,Y) in circle(210.5,190.5,20)))"
        " || (X,Y) in box(100.5,300.5,30,15)"
        " || ((X,Y) in box(300.5,300.5,30,15,30) && !((X,Y) in ellipse(300.5,300.5,10,5,30)))"
    )
    for call in (
        "region(reg.fits)",
        "region(reg.fits:REGION)",
        "region(reg.fits[2],X,Y)",
        "region(reg.fits+2)",
    ):
        assert np.array_equal(mask(call, base_dir=tmp_path), mask(sas)), call
    region = Region.read(tmp_path / "reg.fits")
    assert region.include[0] == Intersection((Circle(200.5, 200.5, 80), Complement(Circle(210.5, 190.5, 20))))
    assert region.include[1] == Box(100.5, 300.5, 30, 15, 0)


def test_fits_region_without_component_is_union_minus_exclusions(tmp_path):
    write_region_table(
        tmp_path / "reg.fits",
        [
            ("CIRCLE", [100], [100], [50], [0], 0),
            ("ANNULUS", [300], [300], [20, 60], [0], 0),
            ("!POINT", [100], [100], [0], [0], 0),
            ("POLYGON", [10, 150, 80, 10], [10, 20, 160, 10], [0], [0], 0),
            ("PIE", [200], [200], [0, 0], [10, 80], 0),
            ("ELLIPTANNULUS", [200], [50], [10, 5, 40, 20], [15, 15], 0),
            ("!RECTANGLE", [0, 40], [0, 30], [0], [0], 0),
        ],
        components=False,
    )
    sas = (
        "((X,Y) in circle(100,100,50) || (X,Y) in annulus(300,300,20,60) || (X,Y) in polygon(10,10,150,20,80,160)"
        " || (X,Y) in pie(200,200,10,80) || (X,Y) in elliptannulus(200,50,10,5,40,20,15,15))"
        " && !((X,Y) in point(100,100)) && !((X,Y) in rectangle(0,0,40,30))"
    )
    assert np.array_equal(mask("region(reg.fits)", base_dir=tmp_path), mask(sas))


def test_fits_region_in_detector_columns_and_warning(tmp_path):
    from xmmframe.errors import SelectionWarning

    write_region_table(
        tmp_path / "det.fits", [("!CIRCLE", [100], [100], [40], [0], 1)], position=("DETX", "DETY")
    )
    frame = FRAME.with_columns(DETX=pl.col("X"), DETY=pl.col("Y"))
    expected = mask("!((DETX,DETY) in circle(100,100,40))", frame)
    assert np.array_equal(mask("region(det.fits)", frame, base_dir=tmp_path), expected)
    with pytest.warns(SelectionWarning, match="gives positions in DETX,DETY but is applied to X,Y"):
        assert np.array_equal(mask("region(det.fits,X,Y)", frame, base_dir=tmp_path), expected)


def test_sas_written_region_tables(refdata):
    """evselect's data-subspace region tables read back as the shapes of its selection."""
    jax = Region.read(refdata / "jaxspec" / "MOS1_spectrum_grp.fits", "REG00107")
    circle = jax.include[0]
    assert (circle.x, circle.y, circle.r) == pytest.approx((24800.615, 28194.924, 800), abs=1e-3)
    assert circle.columns == ("X", "Y")
    annulus = Region.read(refdata / "gammapy-mwl" / "xmm_mos1_0605960101_src.pha", "REG00106").include[0]
    assert annulus == Annulus(531, 1675, 300, 3000, columns=("DETX", "DETY"))
    background = Region.read(
        refdata / "exod" / "0001730201" / "lcurve_100_M1_1" / "J173442-323451_lc_100_bgd.lc", "REG00107"
    )
    part = background.include[0]  # one component: the background circle minus the three FBKTSR circles
    assert isinstance(part, Intersection) and len(background.include) == 1
    circle, holes = part.shapes
    assert (circle.x, circle.y, circle.r) == pytest.approx((23290.1, 27609.7, 200.0))
    assert isinstance(holes, Complement) and len(holes.shape.shapes) == 3


def test_region_file_in_event_list_filter(refdata, tmp_path):
    (tmp_path / "src.reg").write_text("circle(24635.6,24158.8,200)\n")
    events = xmmframe.open_events(refdata / "exod" / "0001730201" / "M1_clean.fits")
    assert events.filter(Region.read(tmp_path / "src.reg")).count() == 2456
    assert events.filter(xmmframe.Region.read(tmp_path / "src.reg", columns=("x", "y"))).count() == 2456
