"""tabgtigen and the flare recipe."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from astropy.io import fits

import xmmframe
from tests.products.conftest import CAMERAS, EXOD
from xmmframe.errors import ProductError
from xmmframe.model.products import LightCurve
from xmmframe.products.gti_from_rate import gti_from_table, tabgtigen


@pytest.mark.parametrize("camera", ["M1", "M2"])
def test_tabgtigen_on_sas_rate_set(refdata, tmp_path, camera, fitsverify):
    gti = tabgtigen(refdata / EXOD / f"{camera}_rate.fits", "RATE<=0.4", tmp_path / "gti.fits")
    sas = xmmframe.GTI.read(str(refdata / EXOD / f"{camera}_gti.fits"))
    assert gti == sas and gti.duration == sas.duration
    assert xmmframe.GTI.read(str(tmp_path / "gti.fits")) == sas
    assert fitsverify(tmp_path / "gti.fits")[:2] == (0, 0)


def test_expression_forms_and_fractions(refdata):
    curve = LightCurve.read(refdata / EXOD / "M1_rate.fits")
    assert curve.gti("RATE<=0.4") == curve.gti(pl.col("RATE") <= 0.4)
    assert curve.gti("RATE<=0.4 && ERROR<1") == curve.gti("RATE<=0.4")
    narrow = curve.gti("RATE<=0.4", prefraction=0.25, postfraction=0.25)
    assert narrow.duration == pytest.approx(213 * 50.0)
    # intervals of 300, 500, 200, 6600, 1100, 100, 100, 100, 200 and 12100 s
    assert curve.gti("RATE<=0.4", mingtisize=1000).duration == 6600 + 1100 + 12100


def test_mingtisize_and_sumshort(refdata, tmp_path):
    tabgtigen(refdata / EXOD / "M1_rate.fits", "RATE<=0.4", tmp_path / "g.fits", mingtisize=250)
    header = fits.getheader(tmp_path / "g.fits", "STDGTI")
    assert header["MINGTISZ"] == 250 and header["SUMSHORT"] == 100 * 3 + 200 * 2


def test_errors():
    frame = pl.DataFrame({"TIME": [5.0], "RATE": [0.1]})
    with pytest.raises(ProductError, match="positive"):
        gti_from_table(frame, "RATE<1", 0)
    with pytest.raises(xmmframe.errors.SelectionError):
        gti_from_table(frame, "NOSUCH<1", 10.0)


def test_flare_recipe(refdata):
    events = xmmframe.open_events(refdata / EXOD / CAMERAS["M1"][0])
    screening = xmmframe.flare_gti(events, threshold=0.4)  # EXOD used 0.4 for MOS
    assert screening.gti == xmmframe.GTI.read(str(refdata / EXOD / "M1_gti.fits"))
    assert screening.selection == "#XMMEA_EM && (PI>10000) && (PATTERN==0)"
    np.testing.assert_array_equal(screening.lightcurve.rate, fits.getdata(refdata / EXOD / "M1_rate.fits")["RATE"])
    default = xmmframe.flare_gti(events)
    assert default.threshold == 0.35 and default.gti.duration <= screening.gti.duration
    pn = events.__class__(events.lazy, events.meta.with_keywords(INSTRUME="EPN"))
    assert xmmframe.flare_gti(pn, selection="PATTERN==0").threshold == 0.4
