"""The XGA evselect images (SAS 13.5) reproduced from the included clean MOS event lists.

Command (image XPROC0): ``evselect ... expression='#XMMEA_EM && (PATTERN <= 12) && (FLAG .eq. 0) &&
PI in [lo:hi]' imagebinning=binSize xcolumn=X ycolumn=Y ximagebinsize=87 yimagebinsize=87
ximagemin=3649 ximagemax=48106 withxranges=yes yimagemin=3649 yimagemax=48106 withyranges=yes
squarepixels=yes imagedatatype=Real64``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

import xmmframe
from tests.conftest import REFDATA

WCS_KEYS = ("CRPIX1", "CRVAL1", "CDELT1", "CRPIX2", "CRVAL2", "CDELT2", "CRVAL1L", "CRVAL2L", "CDELT1L", "CDELT2L",
            "LTV1", "LTV2", "LTM1_1", "LTM2_2", "EXPOSURE")


def _images() -> list[Path]:
    return sorted(REFDATA.glob("xga/*/images/*_mos?_exp1-*keVimg.fits")) if REFDATA.is_dir() else []


def _band(path: Path) -> tuple[int, int]:
    low, high = path.name.split("-")[1:3]
    return int(float(low) * 1000), int(float(high.replace("keVimg.fits", "")) * 1000)


def _events(path: Path) -> Path:
    camera = path.name.split("_")[1]
    return path.parents[1] / "eclean" / f"{camera}_exp1_clean_evts.fits"


def _check(ours_data: np.ndarray, ours_header: fits.Header, sas: fits.PrimaryHDU) -> None:
    np.testing.assert_array_equal(ours_data, sas.data)
    for key in WCS_KEYS:
        assert np.isclose(ours_header[key], sas.header[key], rtol=1e-14, atol=0), key
    for key in ("CTYPE1", "CTYPE2", "CTYPE1L", "CTYPE2L"):
        assert ours_header[key] == sas.header[key]


@pytest.mark.parametrize("path", _images(), ids=lambda p: p.name)
def test_xga_image_equal(refdata, path):
    low, high = _band(path)
    events = xmmframe.open_events(_events(path))
    image = events.image(bin=87, x_range=(3649, 48106), y_range=(3649, 48106), square=True, dtype="Real64",
                         selection=f"#XMMEA_EM && (PATTERN <= 12) && (FLAG .eq. 0) && PI in [{low}:{high}]")
    with fits.open(path) as sas:
        assert image.data.dtype == sas[0].data.dtype.newbyteorder("=")
        header = image.header
        header["EXPOSURE"] = image.exposure
        _check(image.data, header, sas[0])


def test_xga_image_through_the_command_line(refdata, tmp_path):
    from xmmframe.cli.main import main

    path = _images()[0]
    low, high = _band(path)
    out = tmp_path / "img.fits"
    status = main(["evselect", f"table={_events(path)}",
                   f"expression=#XMMEA_EM && (PATTERN <= 12) && (FLAG .eq. 0) && PI in [{low}:{high}]",
                   "imagebinning=binSize", f"imageset={out}", "withimageset=yes", "xcolumn=X", "ycolumn=Y",
                   "ximagebinsize=87", "yimagebinsize=87", "ximagesize=512", "yimagesize=512", "ximagemin=3649",
                   "ximagemax=48106", "withxranges=yes", "yimagemin=3649", "yimagemax=48106", "withyranges=yes",
                   "squarepixels=yes", "imagedatatype=Real64"])
    assert status == 0
    with fits.open(out) as ours, fits.open(path) as sas:
        _check(ours[0].data, ours[0].header, sas[0])
        assert ours[0].header["BITPIX"] == -64
