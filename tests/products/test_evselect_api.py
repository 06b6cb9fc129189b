"""xmmframe.evselect: one pass, many products; the filtered event list; outputs and inputs protected."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from astropy.io import fits

import xmmframe
from tests.products.conftest import CAMERAS, EXOD
from xmmframe.errors import OutputError

SOURCE = CAMERAS["M1"][2]


def test_one_pass_equals_separate_products(m1_clean, tmp_path):
    result = xmmframe.evselect(
        m1_clean, SOURCE, spectrum=tmp_path / "s.pha", lightcurve=tmp_path / "s.lc", image=tmp_path / "s.img",
        lightcurve_options={"bin": 100}, image_options={"bin": 80},
    )
    assert result.selected == 2456 and result.filtered is None
    np.testing.assert_array_equal(result.spectrum.counts, m1_clean.spectrum(selection=SOURCE).counts)
    np.testing.assert_array_equal(result.lightcurve.rate, m1_clean.lightcurve(100, selection=SOURCE).rate)
    np.testing.assert_array_equal(result.image.data, m1_clean.image(bin=80, selection=SOURCE).data)
    for name in ("s.pha", "s.lc", "s.img"):
        with fits.open(tmp_path / name) as hdus:
            assert "(X,Y) in CIRCLE(24635.6,24158.8,200)" in str(hdus[0 if name == "s.img" else 1].header["SLCTEXPR"])


def test_outputs_need_overwrite_and_inputs_are_protected(refdata, m1_clean, tmp_path):
    (tmp_path / "s.pha").write_bytes(b"x")
    with pytest.raises(OutputError, match="file exists"):
        xmmframe.evselect(m1_clean, None, spectrum=tmp_path / "s.pha")
    assert (tmp_path / "s.pha").read_bytes() == b"x"
    xmmframe.evselect(m1_clean, None, spectrum=tmp_path / "s.pha", overwrite=True)
    assert fits.getheader(tmp_path / "s.pha", 1)["EXTNAME"] == "SPECTRUM"
    with pytest.raises(OutputError, match="input"):
        xmmframe.evselect(m1_clean, None, filtered=refdata / EXOD / "M1_clean.fits", overwrite=True)
    with pytest.raises(OutputError, match="same file"):
        xmmframe.evselect(m1_clean, None, spectrum=tmp_path / "a", image=tmp_path / "a")


def test_filtered_list_with_polars_expression_and_gti(refdata, tmp_path, fitsverify):
    raw = xmmframe.open_events(refdata / EXOD / CAMERAS["M1"][0])
    gti = xmmframe.GTI.read(str(refdata / EXOD / "M1_gti.fits"))
    expr = ((pl.col("FLAG") & 0x766BA000) == 0) & (pl.col("PATTERN") <= 12) & pl.col("PI").is_between(500, 10000)
    result = xmmframe.evselect(raw, expr, gti=gti, filtered=tmp_path / "clean.fits")
    assert result.selected == 36824
    with fits.open(tmp_path / "clean.fits") as ours, fits.open(refdata / EXOD / "M1_clean.fits") as sas:
        assert np.isclose(ours[1].header["LIVETIME"], sas[1].header["LIVETIME"], rtol=1e-14)
        assert ours[1].header["DSTYP3"] == "TIME"  # time selection recorded, Polars terms are not
        np.testing.assert_array_equal(ours[1].data["TIME"], sas[1].data["TIME"])
    again = xmmframe.open_events(tmp_path / "clean.fits")
    assert again.image(bin=80).exposure == pytest.approx(11953.2360060215, rel=1e-14)


def test_flagged_rows_instead_of_dropping(m1_clean, tmp_path):
    result = xmmframe.evselect(m1_clean, "PI > 2000", filtered=tmp_path / "flag.fits", keep_filter_output=False)
    events = xmmframe.open_events(tmp_path / "flag.fits").collect()
    assert events.height == 36824 and events["EVFLAG"].sum() == result.selected
    assert (events.filter(pl.col("EVFLAG") == 1)["PI"] > 2000).all()
    result = xmmframe.evselect(m1_clean, "PI > 2000", filtered=tmp_path / "bit.fits", keep_filter_output=False,
                               flag_column="FLAG", flag_bit=31)
    events = xmmframe.open_events(tmp_path / "bit.fits").collect()
    assert ((events["FLAG"] < 0).sum()) == result.selected  # bit 31 is the sign bit of the int32 FLAG


def test_products_from_parquet(m1_clean, tmp_path):
    m1_clean.write_parquet(tmp_path / "clean.parquet")
    from_parquet = xmmframe.open_events(tmp_path / "clean.parquet")
    result = xmmframe.evselect(from_parquet, SOURCE, spectrum=True, lightcurve=True, lightcurve_options={"bin": 100})
    np.testing.assert_array_equal(result.spectrum.counts, m1_clean.spectrum(selection=SOURCE).counts)
    assert result.lightcurve.exposure == pytest.approx(11807.1423120499, rel=1e-14)


def test_selection_objects(m1_clean):
    circle = xmmframe.Circle(24635.6, 24158.8, 200)
    spec = m1_clean.spectrum(selection=circle)
    assert spec.total == 2456 and spec.region is not None and spec.keyword("DSTYP7") == "POS(X,Y)"
    assert m1_clean.spectrum(selection=pl.col("PI") > 5000).total == m1_clean.filter(pl.col("PI") > 5000).count()
