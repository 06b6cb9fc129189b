"""Quick looks: product type detection, PNGs written, axes, labels and units (no pixel comparisons)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from tests.products.conftest import EXOD
from xmmframe.errors import ProductError
from xmmframe.model.products import Image, LightCurve, Spectrum
from xmmframe.products.quicklook import product_kind, save_quicklook

PNG = b"\x89PNG\r\n\x1a\n"
LCCORR = f"{EXOD}/lcurve_100_M1_1/J173442-323451_lccorr_2.604.lc"


@pytest.mark.parametrize("name, kind", [
    (f"{EXOD}/M1_image.fits", "IMAGE"),
    ("xga/0201903501/images/0201903501_mos1_exp1-0.50-2.00keVimg.fits", "IMAGE"),
    (f"{EXOD}/M1_rate.fits", "LIGHTCURVE"),
    (LCCORR, "LIGHTCURVE"),
    ("jaxspec/PN_spectrum_grp20.fits", "SPECTRUM"),
    ("sherpa-test-data/MNLup_2138_0670580101_EMOS1_S001_spec.15grp", "SPECTRUM"),
])
def test_product_kind_and_png(refdata, tmp_path, name, kind):
    assert product_kind(refdata / name) == kind
    out = tmp_path / "look.png"
    assert save_quicklook(refdata / name, out) == kind
    data = out.read_bytes()
    assert data.startswith(PNG) and len(data) > 5000
    with pytest.raises(Exception, match="exists"):
        save_quicklook(refdata / name, out)


def test_not_a_product(refdata):
    with pytest.raises(ProductError, match="not a spectrum"):
        product_kind(refdata / EXOD / "M1_gti.fits")


def test_spectrum_axes(refdata):
    spec = Spectrum.read(refdata / "jaxspec/PN_spectrum_grp20.fits")
    ax = spec.plot()
    assert ax.get_xlabel() == "Energy (keV)" and "keV$^{-1}$" in ax.get_ylabel()
    assert ax.get_xscale() == ax.get_yscale() == "log"
    points = ax.lines[0].get_xdata()
    good_groups = int(np.sum((spec.grouping == 1) & (spec.quality == 0)))
    assert 0 < len(points) <= good_groups and 0.1 <= points.min() and points.max() < 15.0
    ungrouped = Spectrum.read(refdata / "jaxspec/PNbackground_spectrum.fits").plot()
    assert ungrouped.get_xlabel() == "Energy (keV)"


def test_lightcurve_axes_and_gti_shading(refdata):
    curve = LightCurve.read(refdata / LCCORR)
    ax = curve.plot()
    assert ax.get_xlabel().startswith("Time - TSTART (s)") and ax.get_ylabel() == "Rate (counts s$^{-1}$)"
    gti = curve.gtis[0].gti | curve.gtis[1].gti
    assert len(ax.patches) == len(gti) == 11
    assert [line.get_label() for line in ax.lines][-1] == "background"


def test_image_on_sky_axes(refdata):
    image = Image.read(refdata / EXOD / "M1_image.fits")
    ax = image.plot()
    assert type(ax).__name__ == "WCSAxes"
    assert ax.wcs.wcs.ctype[0].startswith("RA") and ax.get_xlabel() == "Right ascension"
    norm = ax.images[0].norm
    assert type(norm.stretch).__name__ == "LogStretch"
    assert ax.images[0].get_array().shape == (648, 648)
