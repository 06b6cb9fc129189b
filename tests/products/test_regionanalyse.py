"""eregionanalyse: the centroid and the signal-to-noise optimal radius on a simulated point source.

The simulated observation's truth gives the source position; funtools ``funcen`` (the same
iterated centroid) and a brute-force numpy scan of radii over the events read with astropy are
the independent peers.
"""

from __future__ import annotations

import math
import subprocess

import numpy as np
import pytest
from astropy.io import fits

from tests.sim.simulated import Simulated, build
from xmmframe.errors import ProductError, RegionFileError
from xmmframe.products.regionanalyse import RADII_ARCSEC, optimise_source_region
from xmmframe.select import Annulus, Circle, Region

SELECTION = "PATTERN<=12 && PI in [500:10000]"
INSTRUMENTS = ["EMOS1", "EPN"]


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Simulated:
    return build(str(tmp_path_factory.getbasetemp() / "simulated-observation"))


def _truth_pixel(simulated: Simulated, instrument: str, index: int = 0) -> tuple[float, float]:
    source = simulated.info["config"]["sources"][index]
    wcs = simulated.events[instrument].meta.sky_wcs
    x, y = wcs.all_world2pix(source["ra"], source["dec"], 1)
    return float(x), float(y)


def _peer_events(simulated: Simulated, instrument: str) -> tuple[np.ndarray, np.ndarray]:
    """X/Y of the selected events, read with astropy and selected with numpy."""
    with fits.open(simulated.event_files[instrument]) as hdul:
        data = hdul["EVENTS"].data
        keep = (data["PATTERN"] <= 12) & (data["PI"] >= 500) & (data["PI"] <= 10000)
        return data["X"][keep].astype(np.float64), data["Y"][keep].astype(np.float64)


def _brute_force(x, y, cx, cy, density):
    """S/N = (N - B) / sqrt(N) for every SAS trial radius, by direct counting (one pass per radius)."""
    d2 = (x - cx) ** 2 + (y - cy) ** 2
    radii = RADII_ARCSEC / 0.05
    snr = []
    for r in radii:
        n = np.count_nonzero(d2 <= r * r)
        snr.append((n - density * math.pi * r * r) / math.sqrt(n) if n else 0.0)
    return radii, np.array(snr)


@pytest.mark.parametrize("instrument", INSTRUMENTS)
def test_centre_recovered_within_statistics(simulated, instrument):
    x0, y0 = _truth_pixel(simulated, instrument)
    result = optimise_source_region(simulated.events[instrument], f"circle({x0 + 150},{y0 - 100},600)",
                                    f"annulus({x0},{y0},2000,3000)", selection=SELECTION)
    x, y = _peer_events(simulated, instrument)
    inside = (x - result.x) ** 2 + (y - result.y) ** 2 <= 600**2
    # the centroid's own statistical error: scatter of the region's events / sqrt(N)
    sigma = math.hypot(x[inside].std(), y[inside].std()) / math.sqrt(inside.sum())
    offset = math.hypot(result.x - x0, result.y - y0)
    assert offset < 3 * sigma, (offset, sigma)
    assert offset * 0.05 < 1.5                       # arcsec
    assert result.iterations >= 2                    # started 9" off: the region moved
    assert result.region_counts == int(inside.sum())


@pytest.mark.parametrize("instrument", INSTRUMENTS)
def test_centroid_equals_funcen(simulated, instrument, funtools):
    """The iterated centroid of all events equals funtools funcen's on the same file and circle."""
    x0, y0 = _truth_pixel(simulated, instrument)
    start = f"circle({x0 + 100:.2f},{y0 + 80:.2f},500)"
    ours = optimise_source_region(simulated.events[instrument], start, method="counts")
    out = subprocess.run([funtools["funcen"], "-n", "50", "-t", "0.01",
                          f"{simulated.event_files[instrument]}[EVENTS]", start],
                         capture_output=True, text=True, check=True).stdout.split()
    assert int(out[0]) == ours.region_counts
    assert ours.x == pytest.approx(float(out[1]), abs=0.01)
    assert ours.y == pytest.approx(float(out[2]), abs=0.01)


@pytest.mark.parametrize("instrument", INSTRUMENTS)
def test_counts_radius_equals_brute_force_scan(simulated, instrument):
    x0, y0 = _truth_pixel(simulated, instrument)
    result = optimise_source_region(simulated.events[instrument], f"circle({x0},{y0},600)",
                                    f"annulus({x0},{y0},2000,3000)", selection=SELECTION, method="counts")
    x, y = _peer_events(simulated, instrument)
    ring = ((x - x0) ** 2 + (y - y0) ** 2 > 2000**2) & ((x - x0) ** 2 + (y - y0) ** 2 <= 3000**2)
    assert result.background_region_counts == int(ring.sum())
    # the annulus lies on the CCDs: its detector area is the geometric one within chip gaps/bad pixels
    geometric = math.pi * (3000**2 - 2000**2)
    assert result.background_area == pytest.approx(geometric, rel=0.06)
    radii, snr = _brute_force(x, y, result.x, result.y, result.background_density)
    assert result.radius == radii[np.argmax(snr)]
    assert result.snr == pytest.approx(snr.max(), rel=1e-9)
    assert result.counts == np.count_nonzero((x - result.x) ** 2 + (y - result.y) ** 2 <= result.radius**2)


@pytest.mark.parametrize("instrument", INSTRUMENTS)
def test_psf_radius_near_brute_force_optimum(simulated, instrument):
    """SAS's PSF-model optimum lies where the measured S/N is within 2 % of the brute-force maximum."""
    x0, y0 = _truth_pixel(simulated, instrument)
    result = optimise_source_region(simulated.events[instrument], f"circle({x0},{y0},600)",
                                    f"annulus({x0},{y0},2000,3000)", selection=SELECTION)
    x, y = _peer_events(simulated, instrument)
    radii, snr = _brute_force(x, y, result.x, result.y, result.background_density)
    measured = snr[np.searchsorted(radii, result.radius)]
    assert measured >= 0.98 * snr.max()
    assert result.snr == pytest.approx(snr.max(), rel=0.1)
    assert 0.0 < result.encircled_energy < 1.0
    (circle,) = Region.from_ds9(result.ds9).include           # the ds9 text reads back as the circle
    assert (circle.x, circle.y, circle.r) == pytest.approx((result.x, result.y, result.radius), abs=0.005)


def test_region_forms_agree(simulated):
    """ds9 text (physical and fk5), shapes and Regions describe the same regions."""
    events = simulated.events["EMOS1"]
    x0, y0 = _truth_pixel(simulated, "EMOS1")
    text = optimise_source_region(events, f"circle({x0},{y0},600)", f"annulus({x0},{y0},2000,3000)",
                                  selection=SELECTION)
    shapes = optimise_source_region(events, Circle(x0, y0, 600), Region((Annulus(x0, y0, 2000, 3000),)),
                                    selection=SELECTION)
    source = simulated.info["config"]["sources"][0]
    sky = optimise_source_region(events, f'fk5; circle({source["ra"]},{source["dec"]},30")',
                                 f'fk5; annulus({source["ra"]},{source["dec"]},100",150")', selection=SELECTION)
    assert (text.x, text.y, text.radius, text.snr) == (shapes.x, shapes.y, shapes.radius, shapes.snr)
    assert math.hypot(sky.x - text.x, sky.y - text.y) < 1.0
    assert sky.radius == text.radius


def test_background_value_without_region(simulated):
    """Without a background region the S/N uses backval (counts/arcsec²); 0 gives the largest radius
    that still adds source counts, a background region a smaller one."""
    events = simulated.events["EPN"]
    x0, y0 = _truth_pixel(simulated, "EPN")
    with_background = optimise_source_region(events, f"circle({x0},{y0},600)", f"annulus({x0},{y0},2000,3000)",
                                             selection=SELECTION, method="counts")
    same = optimise_source_region(events, f"circle({x0},{y0},600)", selection=SELECTION, method="counts",
                                  backval=with_background.background_density / 0.05**2)
    assert same.radius == with_background.radius
    none = optimise_source_region(events, f"circle({x0},{y0},600)", selection=SELECTION)
    assert none.background_counts == 0.0 and none.radius > with_background.radius


def test_bad_regions(simulated):
    events = simulated.events["EMOS1"]
    with pytest.raises(ProductError, match="holds no event"):
        optimise_source_region(events, "circle(100,100,10)")
    with pytest.raises(RegionFileError, match="cannot read"):
        optimise_source_region(events, "circle(1,2")
    with pytest.raises(ProductError, match="method"):
        optimise_source_region(events, "circle(100,100,10)", method="fast")


def test_cli_prints_sas_report(simulated, capsys):
    """``xmmframe eregionanalyse`` with SAS's parameters prints SAS's lines, with the library's values."""
    from xmmframe.cli.main import main

    x0, y0 = _truth_pixel(simulated, "EPN")
    path = simulated.event_files["EPN"]
    command = ["eregionanalyse", f"imageset={path}", f"srcexp=(X,Y) in CIRCLE({x0},{y0},600)",
               f"backexp=(X,Y) in ANNULUS({x0},{y0},2000,3000)", f"expression={SELECTION}"]
    assert main(command) == 0
    out = capsys.readouterr().out
    library = optimise_source_region(simulated.events["EPN"], Circle(x0, y0, 600), Annulus(x0, y0, 2000, 3000),
                                     selection=SELECTION)
    lines = {line.split(":")[0].strip(): line.split(":", 1)[1].strip() for line in out.splitlines() if ":" in line}
    assert float(lines["xcentroid"]) == pytest.approx(library.x, abs=0.01)
    assert float(lines["ycentroid"]) == pytest.approx(library.y, abs=0.01)
    assert lines["optradius"] == f"{library.radius_arcsec:g} arcsecs {library.radius:g} image units"
    assert lines["SASCIRCLE"] == library.sas
    assert int(lines["counts in source region"]) == library.region_counts
    # the SASCIRCLE string selects in evselect
    assert simulated.events["EPN"].filter(library.sas).filter(SELECTION).count() == library.counts


def test_cli_errors(simulated, capsys, tmp_path):
    from xmmframe.cli.main import main

    path = simulated.event_files["EPN"]
    assert main(["eregionanalyse", f"imageset={path}", "srcexp=PI>200"]) == 1
    assert "shape tests" in capsys.readouterr().err
    assert main(["eregionanalyse", f"imageset={path}", "srcexp=(X,Y) in CIRCLE(1,1,5)"]) == 1
    assert "holds no event" in capsys.readouterr().err
    assert main(["eregionanalyse", "srcexp=(X,Y) in CIRCLE(1,1,5)"]) == 1
    assert "imageset" in capsys.readouterr().err
    image = simulated.events["EPN"].image(bin=80)
    image.write(tmp_path / "image.fits")
    assert main(["eregionanalyse", f"imageset={tmp_path / 'image.fits'}", "srcexp=(X,Y) in CIRCLE(1,1,5)"]) == 1
    assert "holds no event list" in capsys.readouterr().err
