"""The EXOD chain of obs 0001730201 (SAS 20) reproduced from the PPS MOS event lists.

Rate sets, tabgtigen GTIs, clean event lists, images and source light curves are compared with
the SAS products column by column and keyword by keyword.
"""

from __future__ import annotations

import numpy as np
import pytest
from astropy.io import fits

import xmmframe
from tests.products.conftest import CAMERAS, EXOD

#: Header floats are written by SAS with 15 significant digits.
DIGITS = dict(rtol=2e-15, atol=0)


def _close(a: float, b: float, rtol: float = 1e-14) -> bool:
    return bool(np.isclose(float(a), float(b), rtol=rtol, atol=0))


def test_rate_set_every_bin_equal(chain):
    with fits.open(chain.rate) as ours, fits.open(chain.sas / f"{chain.camera}_rate.fits") as sas:
        a, b = ours["RATE"], sas["RATE"]
        assert a.header["NAXIS2"] == b.header["NAXIS2"] == 260
        for column in ("TIME", "RATE", "ERROR"):
            np.testing.assert_array_equal(a.data[column], b.data[column], err_msg=column)
        for key in ("TIMEDEL", "TSTART", "TSTOP", "MJDREF", "CHANMIN", "CHANMAX"):
            assert _close(a.header[key], b.header[key]), key
        for key in ("TIMESYS", "TIMEREF", "TIMEUNIT", "CHANTYPE", "HDUCLASS", "HDUCLAS1", "HDUCLAS2", "HDUCLAS3",
                    "SLCTEXPR", "INSTRUME", "FILTER"):
            assert a.header[key] == b.header[key], key
        assert a.header["TIMEPIXR"] == 0.5
        # The data subspace is card for card SAS's.
        dss = [c.image for c in b.header.cards if c.keyword.lstrip("0123456789").startswith("DS")]
        assert [c.image for c in a.header.cards if c.keyword.lstrip("0123456789").startswith("DS")] == dss
        # EXPOSURE: events-per-CCD weighted LIVETInn; SAS is 5e-7 lower (see exposure.py).
        assert _close(a.header["EXPOSURE"], b.header["EXPOSURE"], rtol=1e-6)
        assert [h.name for h in ours[2:]] == [h.name for h in sas[2:]]  # STDGTI01..07 copied


def test_tabgtigen_same_ten_intervals(chain):
    ours = xmmframe.GTI.read(str(chain.gti))
    sas = xmmframe.GTI.read(str(chain.sas / f"{chain.camera}_gti.fits"))
    assert len(ours) == len(sas) == 10
    np.testing.assert_array_equal(ours.start, sas.start)
    np.testing.assert_array_equal(ours.stop, sas.stop)
    a, b = fits.getheader(chain.gti, 1), fits.getheader(chain.sas / f"{chain.camera}_gti.fits", 1)
    for key in ("ONTIME", "TSTART", "TSTOP"):
        assert _close(a[key], b[key]), key
    assert a["EXTNAME"] == "STDGTI" and a["HDUCLAS1"] == "GTI"


def test_clean_event_list_same_rows_and_exposure(chain):
    expected = {"M1": 36824, "M2": 37020}[chain.camera]
    with fits.open(chain.clean) as ours, fits.open(chain.sas / f"{chain.camera}_clean.fits") as sas:
        assert ours["EVENTS"].header["NAXIS2"] == sas["EVENTS"].header["NAXIS2"] == expected
        for column in sas["EVENTS"].columns.names:
            np.testing.assert_array_equal(ours["EVENTS"].data[column], sas["EVENTS"].data[column], err_msg=column)
        a, b = ours["EVENTS"].header, sas["EVENTS"].header
        for key in ("ONTIME", "LIVETIME", *(f"ONTIME{c:02d}" for c in range(1, 8)),
                    *(f"LIVETI{c:02d}" for c in range(1, 8))):
            assert _close(a[key], b[key]), (key, a[key], b[key])
        # every extension kept, EXPOSUnn filtered like SAS, one new GTI table per CCD
        sas_names = [h.name for h in sas]
        our_names = [h.name for h in ours]
        assert our_names[:25] == sas_names[:25]
        assert len(our_names) == len(sas_names)
        for ccd in range(1, 8):
            np.testing.assert_array_equal(ours[f"EXPOSU{ccd:02d}"].data["TIME"], sas[f"EXPOSU{ccd:02d}"].data["TIME"])
            new, old = ours[25 + ccd - 1], sas[25 + ccd - 1]
            np.testing.assert_array_equal(new.data["START"], old.data["START"])
            np.testing.assert_array_equal(new.data["STOP"], old.data["STOP"])
            assert new.header["CCDID"] == old.header["CCDID"] == ccd
        # the data subspace: SAS's entries, the TIME entry last pointing at the new tables
        types = [b[k] for k in b if k.startswith("DSTYP")]
        assert [a[k] for k in a if k.startswith("DSTYP")] == types
        for key in ("DSVAL2", "DSVAL3", "DSVAL4", "DSVAL5", "DSVAL6"):
            assert a[key] == b[key], key
        assert a["DSREF6"] == f":{ours[25].name}"


def test_image_every_pixel_and_wcs_keyword(chain):
    with fits.open(chain.image) as ours, fits.open(chain.sas / f"{chain.camera}_image.fits") as sas:
        a, b = ours[0], sas[0]
        assert a.data.shape == (648, 648) and a.header["BITPIX"] == b.header["BITPIX"] == 32
        np.testing.assert_array_equal(a.data, b.data)
        assert a.data.sum() == {"M1": 36824, "M2": 37020}[chain.camera]
        for key in ("CRPIX1", "CRVAL1", "CDELT1", "CRPIX2", "CRVAL2", "CDELT2", "CRVAL1L", "CRVAL2L", "CDELT1L",
                    "CDELT2L", "CRPIX1L", "CRPIX2L", "LTV1", "LTV2", "LTM1_1", "LTM2_2", "LTM1_2", "LTM2_1",
                    "EXPOSURE", "WCSAXESL", *(f"ONTIME{c:02d}" for c in range(1, 8)),
                    *(f"FRMTIM{c:02d}" for c in range(1, 8))):
            assert _close(a.header[key], b.header[key]), (key, a.header[key], b.header[key])
        for key in ("CTYPE1", "CTYPE2", "CUNIT1", "CUNIT2", "CTYPE1L", "CTYPE2L", "WCSNAMEL", "HDUCLAS1", "HDUCLAS2"):
            assert a.header[key] == b.header[key], key
        assert len(ours) == len(sas)  # the per-CCD GTI tables follow the image


@pytest.mark.parametrize("binsize", [100, 2.604])
def test_source_light_curves_every_bin_equal(refdata, m1_clean, binsize):
    stem = refdata / EXOD / CAMERAS["M1"][1]
    curve = m1_clean.lightcurve(binsize, selection=CAMERAS["M1"][2], energy_column="PI")
    with fits.open(f"{stem}_lc_{binsize}_src.lc") as sas:
        data, header = sas["RATE"].data, sas["RATE"].header
        assert len(curve) == header["NAXIS2"] == {100: 260, 2.604: 9949}[binsize]
        np.testing.assert_array_equal(curve.time, data["TIME"])
        np.testing.assert_array_equal(curve.rate, data["RATE"])
        np.testing.assert_array_equal(curve.error, data["ERROR"])
        assert curve.counts.sum() == 2456
        assert _close(curve.exposure, header["EXPOSURE"])  # 11807.1423120499: all events on CCD 1
        assert curve.keyword("CHANMIN") == header["CHANMIN"] and curve.keyword("CHANMAX") == header["CHANMAX"]
        assert _close(curve.tstart, header["TSTART"]) and _close(curve.tstop, header["TSTOP"])


def test_background_light_curve_from_sourceless_list(refdata):
    events = xmmframe.open_events(refdata / EXOD / "M1_sourceless.fits")
    curve = events.lightcurve(2.604, selection=CAMERAS["M1"][3])
    with fits.open(refdata / EXOD / f"{CAMERAS['M1'][1]}_lc_2.604_bgd.lc") as sas:
        np.testing.assert_array_equal(curve.rate, sas["RATE"].data["RATE"])
        np.testing.assert_array_equal(curve.time, sas["RATE"].data["TIME"])


def test_products_pass_fitsverify(chain, fitsverify):
    for path in (chain.rate, chain.gti, chain.image):
        errors, warnings, report = fitsverify(path)
        assert (errors, warnings) == (0, 0), report
    # The clean list copies CALINDEX verbatim, whose column VALDATE-END fitsverify warns about
    # in the SAS input too: no error, and no warning the input does not have.
    source = chain.sas / CAMERAS[chain.camera][0]
    assert fitsverify(chain.clean)[:2] == (0, fitsverify(source)[1])
