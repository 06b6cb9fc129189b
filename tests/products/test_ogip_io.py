"""OGIP writers and readers on generated products: fitsverify, astropy, round trips, overwrite."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.io import fits
from hypothesis import given, settings
from hypothesis import strategies as st

from xmmframe.errors import OutputError
from xmmframe.io.fits_write import ImageHdu, write_hdus
from xmmframe.io.ogip import read_image, write_gti
from xmmframe.model.gti import GTI
from xmmframe.model.products import GtiTable, Image, LightCurve, Spectrum
from xmmframe.io.cards import keyword_cards


def _gtis() -> tuple[GtiTable, ...]:
    return (GtiTable("STDGTI01", GTI([0.0, 50.0], [20.0, 100.0]), 1), GtiTable("STDGTI02", GTI([0.0], [90.0]), 2))


@given(st.lists(st.integers(0, 10_000), min_size=1, max_size=300), st.floats(1.0, 1e6), st.integers(1, 20))
@settings(max_examples=20, deadline=None)
def test_spectrum_round_trip_generated(tmp_path_factory, counts, exposure, channel_bin):
    path = tmp_path_factory.mktemp("spec") / "s.pha"
    spec = Spectrum(channel=np.arange(len(counts)), counts=np.array(counts), exposure=exposure,
                    channel_bin=channel_bin, backscal=2.5, respfile="x.rmf", gtis=_gtis(),
                    quality=np.zeros(len(counts), dtype=np.int16))
    spec.write(path)
    back = Spectrum.read(path)
    np.testing.assert_array_equal(back.counts, spec.counts)
    np.testing.assert_array_equal(back.quality, spec.quality)
    assert (back.exposure, back.channel_bin, back.backscal, back.respfile, back.ancrfile) == (
        exposure, channel_bin, 2.5, "x.rmf", "NONE")
    with fits.open(path) as hdus:  # astropy as a peer reader
        np.testing.assert_array_equal(hdus["SPECTRUM"].data["COUNTS"], counts)


def test_every_writer_passes_fitsverify(tmp_path, fitsverify):
    long_text = "PI in [500:10000] && " * 8 + "PATTERN<=4"
    cards = keyword_cards([("TELESCOP", "XMM", "mission"), ("SLCTEXPR", long_text, "selection")])
    curve = LightCurve(time=np.arange(5) + 0.5, rate=np.ones(5), error=np.ones(5), timedel=1.0, tstart=0.0,
                       tstop=5.0, fracexp=np.full(5, 0.9), exposure=4.5, cards=cards, gtis=_gtis())
    products = {
        "s.pha": Spectrum(channel=np.arange(10), counts=np.arange(10), exposure=1.0, cards=cards, gtis=_gtis()),
        "c.lc": curve,
        "i.fits": Image(data=np.arange(12, dtype=np.int32).reshape(3, 4), exposure=9.0, cards=cards, gtis=_gtis()),
        "f.fits": Image(data=np.ones((2, 2)), cards=cards),
    }
    for name, product in products.items():
        product.write(tmp_path / name)
    write_gti(GTI([0.0], [10.0]), tmp_path / "g.fits")
    for name in (*products, "g.fits"):
        errors, warnings, report = fitsverify(tmp_path / name)
        assert (errors, warnings) == (0, 0), report
    with fits.open(tmp_path / "s.pha") as hdus:
        assert hdus[1].header["SLCTEXPR"] == long_text and hdus[1].header["LONGSTRN"] == "OGIP 1.0"


def test_overwrite_only_when_asked(tmp_path):
    spec = Spectrum(channel=np.arange(3), counts=np.ones(3, dtype=int), exposure=1.0)
    spec.write(tmp_path / "s.pha")
    with pytest.raises(OutputError, match="file exists"):
        spec.write(tmp_path / "s.pha")
    spec.write(tmp_path / "s.pha", overwrite=True)


@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.int32, np.int64, np.float32, np.float64])
def test_image_hdu_types(tmp_path, dtype):
    data = (np.arange(24).reshape(2, 3, 4) % 7).astype(dtype)
    write_hdus(tmp_path / "cube.fits", [ImageHdu(keyword_cards([("OBJECT", "cube", "")]), data)])
    with fits.open(tmp_path / "cube.fits") as hdus:
        np.testing.assert_array_equal(hdus[0].data, data)
        assert hdus[0].header["OBJECT"] == "cube"
    back = read_image(tmp_path / "cube.fits").data
    assert back.dtype == data.dtype and back.shape == data.shape
