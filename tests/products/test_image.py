"""Images: WCS against astropy, round trip, other columns, weights, errors."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.io import fits
from astropy.wcs import WCS

from tests.products.conftest import EXOD
from xmmframe.errors import ProductError
from xmmframe.model.products import Image

# SAS headers carry RADECSYS and MJDREF, which astropy's WCS reports as fixed-up
pytestmark = pytest.mark.filterwarnings("ignore::astropy.wcs.FITSFixedWarning")


def test_source_position_maps_to_its_pixel(m1_clean, tmp_path):
    image = m1_clean.image(bin=80)
    image.write(tmp_path / "img.fits")
    with fits.open(tmp_path / "img.fits") as hdus:
        wcs = WCS(hdus[0].header)
    # the source at sky pixel (24635.6, 24158.8): 0-based image pixel = (physical - 40.5) / 80
    ra, dec = m1_clean.meta.sky_wcs.all_pix2world(24635.6, 24158.8, 1)
    column, row = wcs.all_world2pix(ra, dec, 0)
    assert float(column) == pytest.approx((24635.6 - 40.5) / 80, abs=1e-6)
    assert float(row) == pytest.approx((24158.8 - 40.5) / 80, abs=1e-6)
    source = m1_clean.image(bin=80, selection="(X,Y) in CIRCLE(24635.6,24158.8,40)")
    assert np.unravel_index(np.argmax(source.data), source.data.shape) == (round(float(row)), round(float(column)))
    # physical WCS: image pixel (1-based) -> sky pixel column values
    x, y = image.physical_wcs.all_pix2world(1, 1, 1)
    assert (float(x), float(y)) == (40.5, 40.5)


def test_round_trip(m1_clean, tmp_path, fitsverify):
    image = m1_clean.image(bin=160, selection="PI in [500:2000]")
    image.write(tmp_path / "img.fits")
    assert fitsverify(tmp_path / "img.fits")[:2] == (0, 0)
    back = Image.read(tmp_path / "img.fits")
    np.testing.assert_array_equal(back.data, image.data)
    assert back.data.dtype == np.int32 and back.exposure == image.exposure
    assert back.cards == image.cards and [t.name for t in back.gtis] == [t.name for t in image.gtis]


def test_reads_sas_image(refdata):
    image = Image.read(refdata / EXOD / "M1_image.fits")
    assert image.data.shape == (648, 648) and image.data.sum() == 36824 and len(image.gtis) == 7


def test_detector_image_and_size_mode(m1_clean):
    image = m1_clean.image(size=100, xcolumn="DETX", ycolumn="DETY")
    header = image.header
    # DETX legal range -19798..19884: bin rounded up to 397, 100 pixels
    assert image.data.shape == (100, 100) and header["CDELT1L"] == 397 and header["CTYPE1"] == "DETX"
    assert header["CRVAL1"] == -19798 + 198 and header["LTV1"] == pytest.approx(1 - (-19798 + 198) / 397)
    assert image.data.sum() == 36824


def test_weighted_image_is_float(m1_clean):
    image = m1_clean.image(bin=320, weights="PI")
    counts = m1_clean.image(bin=320)
    assert image.data.dtype == np.float64
    assert image.data.sum() == pytest.approx(float(m1_clean.collect()["PI"].sum()))
    assert ((image.data > 0) == (counts.data > 0)).all()


def test_matches_numpy_peer_on_small_range(m1_clean):
    image = m1_clean.image(bin=(7, 11), x_range=(24000, 25000), y_range=(23500, 24800))
    events = m1_clean.collect()
    expected, _, _ = np.histogram2d(events["Y"].to_numpy(), events["X"].to_numpy(),
                                    bins=[23499.5 + 11 * np.arange(120), 23999.5 + 7 * np.arange(144)])
    assert image.data.shape == (119, 143)
    np.testing.assert_array_equal(image.data, expected)


def test_parameter_errors(m1_clean):
    with pytest.raises(ProductError, match="too large"):
        m1_clean.image(bin=1)
    with pytest.raises(ProductError, match="positive"):
        m1_clean.image(bin=-80)
    with pytest.raises(ProductError, match="not both"):
        m1_clean.image(bin=80, size=100)
    with pytest.raises(ProductError, match="no column"):
        m1_clean.image(bin=10, xcolumn="NOPE")
    with pytest.raises(ProductError, match="unknown image data type"):
        m1_clean.image(bin=80, dtype="complex")


def test_default_is_evselect_image_size(m1_clean):
    """Neither bin nor size: imagebinning=imageSize with 600 pixels, the bin rounded up (87)."""
    image = m1_clean.image()
    assert max(image.data.shape) <= 600
    assert int(image.data.sum()) == m1_clean.count()
    assert image.header["LTM1_1"] == pytest.approx(1 / 87)
