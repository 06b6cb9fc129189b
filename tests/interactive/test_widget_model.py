"""The widget driven from Python as its front end drives it: state traits in, selections out."""

from __future__ import annotations

import numpy as np
import pytest
from regions import CircleAnnulusPixelRegion, CirclePixelRegion, PolygonPixelRegion

from xmmframe import GTI
from xmmframe.errors import RegionFileError
from xmmframe.interactive import Viewer, parse_ds9, role_region, show
from xmmframe.products import flare_gti
from xmmframe.select import Annulus, Box, Circle, Ellipse, Polygon, Region
from xmmframe.service.viewdata import image_payload, lightcurve_payload

SOURCE = (25560.5, 26200.5, 600.0)           # the simulated bright point source's pixel
REGIONS = """# Region file format: DS9 version 4.1
global color=green width=1
physical
circle(25560.5,26200.5,600) # color=green tag={source}
annulus(25560.5,26200.5,900,1800) # color=red tag={background}
"""


@pytest.fixture(scope="module")
def pn(simulated):
    return simulated.events["EPN"]


@pytest.fixture()
def viewer(pn):
    return Viewer(pn)


def _same_spectrum(a, b):
    np.testing.assert_array_equal(a.counts, b.counts)
    assert a.exposure == b.exposure and a.backscal == b.backscal
    assert a.counts.sum() > 0


def test_the_widget_starts_with_the_payloads_and_the_flare_gti(pn, viewer):
    screening = flare_gti(pn)
    assert viewer.gti == screening.gti and not viewer.gti_given
    assert viewer.exposure == pytest.approx((screening.gti & GTI([pn.meta.tstart], [pn.meta.tstop])).duration)
    assert viewer.exposure < pn.meta.tstop - pn.meta.tstart    # the simulated flares are out
    assert viewer.image == image_payload(pn) and viewer.lightcurve == lightcurve_payload(pn)
    assert viewer.regions_text == "" and len(viewer.regions) == 0
    assert viewer.source_region is None and viewer.background_region is None
    assert show(pn).image == viewer.image


def test_drawn_regions_and_gti_feed_the_products(pn, viewer):
    # what the front end sends after a source circle, a background annulus and a brushed-out range
    cut = (pn.meta.tstart + 2500.0, pn.meta.tstart + 3000.0)
    gti = flare_gti(pn).gti & GTI([cut[0]], [cut[1]]).complement()
    viewer.set_state({
        "regions_text": REGIONS,
        "source": "circle(25560.5,26200.5,600)",
        "background": "annulus(25560.5,26200.5,900,1800)",
        "gti_intervals": [[a, b] for a, b in gti.intervals],
    })
    shapes = viewer.regions
    assert [type(s) for s in shapes] == [CirclePixelRegion, CircleAnnulusPixelRegion]
    assert (shapes[0].center.x, shapes[0].center.y, shapes[0].radius) == (25559.5, 26199.5, 600.0)
    assert (shapes[1].inner_radius, shapes[1].outer_radius) == (900.0, 1800.0)
    assert viewer.gti == gti
    assert viewer.exposure == pytest.approx((gti & GTI([pn.meta.tstart], [pn.meta.tstop])).duration)

    source = pn.spectrum(selection=viewer.source_region, gti=viewer.gti)
    _same_spectrum(source, pn.spectrum(selection=Circle(*SOURCE), gti=gti))
    _same_spectrum(source, pn.spectrum(selection="(X,Y) in circle(25560.5,26200.5,600)", gti=gti))
    background = pn.spectrum(selection=viewer.background_region, gti=viewer.gti)
    _same_spectrum(background, pn.spectrum(selection=Annulus(25560.5, 26200.5, 900, 1800), gti=gti))
    curve = pn.lightcurve(100, selection=viewer.source_region, gti=viewer.gti)
    direct = pn.lightcurve(100, selection=Circle(*SOURCE), gti=gti)
    np.testing.assert_array_equal(curve.counts, direct.counts)
    assert curve.exposure == direct.exposure
    # the GTI and the region really select: fewer events than the whole circle over the whole exposure
    assert source.counts.sum() < pn.spectrum(selection=Circle(*SOURCE)).counts.sum()


def test_every_shape_of_the_viewer_becomes_the_same_selection(pn):
    text = ("physical\nbox(25000,26000,400,200,30) # tag={source}\n"
            "ellipse(25000,26000,300,150,20) # tag={source}\n"
            "polygon(24000,25000,24500,25000,24500,25600) # tag={source}\n-circle(25000,26000,50)\n")
    region = role_region(text, "source")
    direct = Region(include=(Box(25000, 26000, 200, 100, 30), Ellipse(25000, 26000, 300, 150, 20),
                             Polygon(((24000, 25000), (24500, 25000), (24500, 25600)))),
                    exclude=(Circle(25000, 26000, 50),))
    assert pn.filter(region).count() == pn.filter(direct).count() > 0
    assert isinstance(parse_ds9(text)[2], PolygonPixelRegion)
    assert role_region(text, "background") is None


def test_python_sets_regions_and_gti_too(pn, viewer):
    viewer.regions_text = REGIONS
    assert viewer.source_region.to_sas() == "((X,Y) in circle(25560.5,26200.5,600))"
    viewer.gti = GTI([pn.meta.tstart], [pn.meta.tstart + 1000.0])
    assert viewer.gti_given and viewer.gti_intervals == [[pn.meta.tstart, pn.meta.tstart + 1000.0]]
    assert viewer.exposure == pytest.approx(1000.0)


def test_region_text_that_cannot_be_read_is_refused(viewer):
    with pytest.raises(RegionFileError, match="cannot read the region text"):
        viewer.regions_text = "physical\ncircle(1,2"
    assert viewer.regions_text == ""


def test_the_front_end_module_is_the_service_viewer():
    from importlib import resources

    static = resources.files("xmmframe.service").joinpath("static")
    assert Viewer._esm.startswith(static.joinpath("viewer.js").read_text())
    assert "XmmViewer.mount" in static.joinpath("widget.js").read_text()
