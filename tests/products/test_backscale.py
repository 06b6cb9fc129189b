"""backscale: region areas on the detector against geometry and the real SAS BACKSCAL/BKGRATIO values."""

from __future__ import annotations

import hashlib
import math

import numpy as np
import pytest
from astropy.io import fits

import xmmframe
from tests.products.conftest import CAMERAS, EXOD
from xmmframe.errors import ProductError
from xmmframe.model.products import Spectrum
from xmmframe.products.backscale import exposed_area, spectrum_area
from xmmframe.products.ccd_footprints import CcdLayout
from xmmframe.select import Annulus, Box, Circle, Ellipse, Polygon, Region

#: EXOD light-curve regions (sky X/Y, r = 200) and the BKGRATIO epiclccorr wrote (SAS 20 backscale).
EXOD_REGIONS = {
    "M1": ((24635.6, 24158.8), (23290.1, 27609.7), 1.0031746031746),
    "M2": ((24681.9, 24228.2), (21389.0, 25085.9), 0.906476642913697),
}


@pytest.fixture(scope="module")
def layouts(refdata):
    return {cam: CcdLayout.from_events(refdata / EXOD / f"{cam}_clean.fits") for cam in EXOD_REGIONS}


def circle(x: float, y: float, r: float) -> Region:
    return Region((Circle(x, y, r),))


def test_geometric_areas():
    # backscale's 0.5" grid from the bounding-box corner: the symmetric lattice count
    assert exposed_area(circle(25000.0, 25000.0, 200.0)).backscal == 1264 * 100
    assert exposed_area(circle(1.3, 7.7, 600.0)).backscal == pytest.approx(math.pi * 600**2, rel=1e-3)
    assert exposed_area(Region((Box(0.0, 0.0, 100.0, 50.0),))).backscal == 200 * 100
    ring = exposed_area(Region((Annulus(0.0, 0.0, 300.0, 3000.0),))).backscal
    assert ring == pytest.approx(math.pi * (3000**2 - 300**2), rel=2e-3)
    holed = exposed_area(Region((Circle(0.0, 0.0, 3000.0),), (Circle(0.0, 0.0, 300.0),))).backscal
    assert holed == pytest.approx(ring, rel=1e-3)
    tilted = exposed_area(Region((Ellipse(10.0, 20.0, 900.0, 300.0, 30.0),))).backscal
    assert tilted == pytest.approx(math.pi * 900 * 300, rel=2e-3)
    square = Polygon(((0.0, 0.0), (400.0, 0.0), (400.0, 400.0), (0.0, 400.0)))
    assert exposed_area(Region((square,))).backscal == pytest.approx(160000, rel=0.06)  # border cells counted
    assert exposed_area(circle(0.0, 0.0, 200.0), resolution=0.25).backscal == pytest.approx(math.pi * 200**2,
                                                                                          rel=3e-3)


def test_jaxspec_mos1_backscal_from_its_region(refdata):
    # a region with no gap or bad pixel in it: SAS's value is the geometric grid count, exactly
    spectrum = Spectrum.read(refdata / "jaxspec/MOS1_spectrum_grp.fits")
    area = spectrum_area(spectrum, withbadpixcorr=False)
    assert area.backscal == spectrum.backscal == 2010800
    assert area.geometric == pytest.approx(math.pi * 800**2, rel=1e-4)
    # the pn source circle lost 7 elements to a chip gap in SAS (no pn event list here to check)
    pn = Spectrum.read(refdata / "jaxspec/PN_spectrum_grp20.fits")
    assert spectrum_area(pn, withbadpixcorr=False).backscal - pn.backscal == 700


def test_exod_source_and_background_areas(layouts):
    """SAS's BKGRATIO = background/source area from backscale on M1_clean/M2_clean."""
    results = {}
    for cam, (src, bkg, sas_ratio) in EXOD_REGIONS.items():
        a = exposed_area(circle(*src, 200.0), layout=layouts[cam])
        b = exposed_area(circle(*bkg, 200.0), layout=layouts[cam])
        results[cam] = (a, b, b.backscal / a.backscal, sas_ratio)
    # M1: both circles well inside CCD 1, no bad pixel: SAS counted 1264 x 100 for the background
    # (reproduced exactly) and 1260 x 100 for the source (a lattice effect of its grid origin)
    a, b, ratio, sas = results["M1"]
    assert (a.bad_pixels, b.bad_pixels) == (0, 0)
    assert b.backscal == 126400 == round(sas * 126000)
    assert ratio == pytest.approx(sas, rel=0.005)
    # M2: SAS's value decomposes as (1232 * 100 - 18 * 484) / (1263 * 100): 18 bad MOS pixels of
    # 22 x 22 units in the background circle, which we find too
    a, b, ratio, sas = results["M2"]
    assert sas == pytest.approx((1232 * 100 - 18 * 484) / (1263 * 100), rel=1e-14)
    assert b.bad_pixels == 18 and b.bad_pixel_area == 484
    assert a.backscal == 126400 and ratio == pytest.approx(sas, rel=0.03)


def test_chip_gaps_and_field_of_view(layouts):
    layout = layouts["M1"]
    ccd1 = next(c for c in layout.ccds if c.ccd == 1)
    assert ccd1.pixel_area == pytest.approx(484, rel=0.01)
    # a 30" circle in the middle of CCD 1, no bad pixel in it: pi r^2
    x, y = ccd1.to_position(300.0, 300.0)
    middle = exposed_area(circle(float(x), float(y), 600.0), layout=layout)
    assert middle.bad_pixels == 0 and middle.on_ccd == middle.geometric
    assert middle.backscal == pytest.approx(math.pi * 600**2, rel=1e-3)
    # a circle centred on CCD 1's edge towards CCD 3: the part in the gap between them is lost
    x, y = ccd1.to_position(600.5, 300.0)
    edge = exposed_area(circle(float(x), float(y), 1000.0), layout=layout)
    assert 0.85 * edge.geometric < edge.on_ccd < 0.995 * edge.geometric
    # a circle half outside the field of view
    angle = np.arctan2(0.0, 1.0)
    rim = layout.fov.x + np.interp(angle, np.linspace(-np.pi, np.pi, layout.fov.radius.size), layout.fov.radius)
    outside = exposed_area(circle(float(rim), layout.fov.y, 1000.0), layout=layout)
    assert outside.on_ccd < 0.7 * outside.geometric
    unlimited = exposed_area(circle(float(rim), layout.fov.y, 1000.0), layout=layout, ignore_out_of_fov=False)
    assert unlimited.on_ccd >= outside.on_ccd


def test_spectrum_method_and_errors(refdata, m1_clean):
    spectrum = m1_clean.spectrum(selection=CAMERAS["M1"][2])
    assert spectrum.backscal == 1.0
    events = refdata / EXOD / "M1_clean.fits"
    assert spectrum.backscale(events).backscal == 126400
    assert spectrum.backscale(withbadpixcorr=False).backscal == 126400
    with pytest.raises(ProductError, match="badpixlocation"):
        spectrum.backscale()
    with pytest.raises(ProductError, match="no extraction region"):
        m1_clean.spectrum().backscale(events)
    with pytest.raises(ProductError, match="unbounded"):
        exposed_area(Region((), (Circle(0.0, 0.0, 1.0),)))


def test_backscale_command_updates_the_spectrum_in_place(refdata, m1_clean, tmp_path, fitsverify):
    from xmmframe.cli.main import main

    path = tmp_path / "src.pha"
    m1_clean.spectrum(selection=CAMERAS["M1"][3]).write(path)
    events = refdata / EXOD / "M1_clean.fits"
    before = hashlib.sha256(events.read_bytes()).hexdigest()
    assert main(["backscale", f"spectrumset={path}", f"badpixlocation={events}", "withbadpixcorr=yes",
                 "useodfatt=no"]) == 0
    assert hashlib.sha256(events.read_bytes()).hexdigest() == before
    assert fitsverify(path)[:2] == (0, 0), fitsverify(path)[2]
    with fits.open(path) as hdus:
        assert hdus["SPECTRUM"].header["BACKSCAL"] == 126400
        commands = [value for key, value in hdus[0].header.items() if key.startswith("XPROC")]
        assert commands[-1].startswith("backscale spectrumset=")
        assert [h.name for h in hdus] == ["PRIMARY", "SPECTRUM", "GTI00004", "REG00101", *[
            f"GTI00{i}04" for i in range(1, 7)]]
    assert Spectrum.read(path).counts.sum() == m1_clean.spectrum(selection=CAMERAS["M1"][3]).total
    assert main(["backscale", f"spectrumset={path}", "useodfatt=yes"]) == 1


def test_working_pixels_of_the_layout(refdata, layouts):
    """Event positions lie on working pixels; bad-pixel centres (where no other CCD overlaps, as the
    MOS outer CCDs overlap the central one at its edges) and points far outside do not."""
    layout = layouts["M2"]
    events = xmmframe.open_events(refdata / EXOD / "M2_clean.fits").collect()
    x, y = events["X"].to_numpy().astype(float), events["Y"].to_numpy().astype(float)
    on = layout.working_pixel(x, y)
    assert set(np.unique(on)) <= {0.0, 1.0}
    assert on.mean() > 0.995
    bx, by = layout.bad_pixel_positions()
    covering = sum(ccd.contains(bx, by).astype(int) for ccd in layout.ccds)
    assert bx.size > 30_000 and (covering == 1).mean() > 0.95
    assert not layout.working_pixel(bx[covering == 1], by[covering == 1]).any()
    assert layout.working_pixel(np.array([[0.0, 1e6]]), np.array([[0.0, 1e6]])).tolist() == [[0.0, 0.0]]
