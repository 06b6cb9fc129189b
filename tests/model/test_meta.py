"""EventMeta facts taken from real PPS and SAS headers."""

from __future__ import annotations

import numpy as np
from astropy.io import fits
from astropy.wcs import WCS

import xmmframe

MIEVLI = "exod/0001730201/P0001730201M1S002MIEVLI.FTZ"


def test_observation_facts(refdata):
    meta = xmmframe.open_events(refdata / MIEVLI).meta
    with fits.open(refdata / MIEVLI) as hdul:
        primary, events = hdul[0].header, hdul["EVENTS"].header
    assert meta.instrument == "EMOS1" == primary["INSTRUME"]
    assert meta.datamode == "IMAGING" and meta.submode == "PrimeFullWindow"
    assert meta.filter == "Thick" and meta.obs_id == "0001730201" and meta.expidstr == "S001"
    assert meta.tstart == events["TSTART"] and meta.tstop == events["TSTOP"]
    assert meta.mjdref == 50814.0 and meta.timesys == "TT" and meta.timeref == "LOCAL"
    # order and comments of keywords kept
    assert list(meta.header.keys()) == list(events.keys())
    assert meta.header.comments["XMMEA_EM"] == events.comments["XMMEA_EM"]
    assert meta.macros["XMMEA_EM"] == "(FLAG & 0x766ba000) == 0"
    assert meta.macros["XMMEA_SM"] == "(FLAG & 0xfffffeff) == 0"


def test_columns(refdata):
    meta = xmmframe.open_events(refdata / "exod/0001730201/M1_clean.fits").meta
    assert meta.column_names == ["TIME", "RAWX", "RAWY", "DETX", "DETY", "X", "Y", "PHA", "PI", "FLAG", "PATTERN",
                                 "CCDNR"]
    x = meta.columns["X"]
    assert (x.tform, x.tlmin, x.tlmax, x.tnull) == ("J", 1.0, 51840.0, -99999999)
    assert meta.columns["TIME"].unit == "s"


def test_sky_wcs_agrees_with_sas_image(refdata):
    """Physical X/Y -> sky through our event WCS equals the SAS image WCS of the same pixels."""
    events = xmmframe.open_events(refdata / "xga/0201903501/eclean/mos1_exp1_clean_evts.fits")
    with fits.open(refdata / "xga/0201903501/images/0201903501_mos1_exp1-0.50-2.00keVimg.fits") as hdul:
        header = hdul[0].header
    image_wcs = WCS(header, naxis=2)
    ix, iy = np.meshgrid([1.0, 100.0, 256.5, 512.0], [1.0, 77.0, 400.0])
    ra, dec = image_wcs.all_pix2world(ix, iy, 1)
    # image pixel -> physical with the LTV/LTM keywords
    px = (ix - header["LTV1"]) / header["LTM1_1"]
    py = (iy - header["LTV2"]) / header["LTM2_2"]
    ra2, dec2 = events.meta.sky_wcs.all_pix2world(px, py, 1)
    np.testing.assert_allclose(ra2, ra, atol=1e-9)
    np.testing.assert_allclose(dec2, dec, atol=1e-9)


def test_extensions_and_keywords(refdata):
    meta = xmmframe.open_events(refdata / MIEVLI).meta
    assert meta.extension_names[:3] == ["OFFSETS", "EXPOSU01", "BADPIX01"]
    assert meta.extensions["CALINDEX"].height == 121
    assert meta.extensions["OFFSETS"].columns == ["RAWX", "OFFSETX", "OFFSETY", "CCDNR"]
    updated = meta.with_keywords(ONTIME=123.5, NEWKEY="x")
    assert updated.keyword("ONTIME") == 123.5 and updated.keyword("NEWKEY") == "x"
    assert meta.keyword("ONTIME") != 123.5  # the original is unchanged
