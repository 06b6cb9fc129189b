"""A spectrum selected with ``(RA,DEC) in circle(...)`` is the spectrum of the same circle in sky pixels."""

from __future__ import annotations

import warnings

import numpy as np
from astropy.io import fits

import xmmframe
from tests.reference import events_sky_wcs


def test_sky_circle_gives_the_pixel_circle_products(refdata):
    path = refdata / "exod" / "0001730201" / "M1_clean.fits"
    events = xmmframe.open_events(path)
    wcs = events_sky_wcs(fits.getheader(path, "EVENTS"))
    x0, y0, radius = 24635.6, 24158.8, 200.0
    ra, dec = (float(v) for v in wcs.all_pix2world(x0, y0, 1))
    degrees = radius * float(abs(wcs.wcs.cdelt[1]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # built-in calibration
        sky = events.spectrum(selection=f"(RA,DEC) in circle({ra},{dec},{degrees})").backscale(events)
        pixels = events.spectrum(selection=f"(X,Y) in circle({x0},{y0},{radius})").backscale(events)
        sky_arf, pixel_arf = sky.arf(), pixels.arf()
    assert np.array_equal(sky.counts, pixels.counts) and sky.counts.sum() == 2456
    assert sky.backscal == pixels.backscal > 0
    assert sky_arf.specresp.max() > 0
    assert np.allclose(sky_arf.specresp, pixel_arf.specresp, rtol=1e-9, atol=0)
