"""Fixtures of the product tests: the EXOD chain reproduced once per session (Python API)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

import xmmframe
from xmmframe.io.ogip import write_gti

EXOD = "exod/0001730201"
#: Camera -> (PPS event list, source light-curve folder and stem, source region, background region).
CAMERAS = {
    "M1": ("P0001730201M1S002MIEVLI.FTZ", "lcurve_100_M1_1/J173442-323451",
           "(X,Y) in CIRCLE(24635.6,24158.8,200)", "(X,Y) in CIRCLE(23290.1,27609.7,200)"),
    "M2": ("P0001730201M2S003MIEVLI.FTZ", "lcurve_100_M2_1/J173441-323452", None, None),
}
RATE_SELECTION = "#XMMEA_EM && (PI>10000) && (PATTERN==0)"
CLEAN_SELECTION = "#XMMEA_EM && gti({gti},TIME) && (PATTERN<=12) && (PI in [500:10000])"


@dataclass(frozen=True)
class Chain:
    """The products of the EXOD commands for one camera, made by xmmframe, and the SAS ones."""

    camera: str
    sas: Path
    rate: Path
    gti: Path
    clean: Path
    image: Path


def run_chain(refdata: Path, camera: str, out: Path) -> Chain:
    """EXOD's filtering.sh through the Python API: rate set, tabgtigen, clean list, image."""
    sas = refdata / EXOD
    events = xmmframe.open_events(sas / CAMERAS[camera][0])
    rate = xmmframe.evselect(events, RATE_SELECTION, lightcurve=out / f"{camera}_rate.fits",
                             lightcurve_options={"bin": 100, "energy_column": "PHA"})
    gti_path = out / f"{camera}_gti.fits"
    write_gti(rate.lightcurve.gti("RATE<=0.4"), gti_path, cards=rate.lightcurve.cards)
    xmmframe.evselect(events, CLEAN_SELECTION.format(gti=gti_path), filtered=out / f"{camera}_clean.fits")
    clean = xmmframe.open_events(out / f"{camera}_clean.fits")
    xmmframe.evselect(clean, None, image=out / f"{camera}_image.fits", image_options={"bin": 80})
    return Chain(camera, sas, out / f"{camera}_rate.fits", gti_path, out / f"{camera}_clean.fits",
                 out / f"{camera}_image.fits")


@pytest.fixture(scope="session", params=sorted(CAMERAS))
def chain(request, refdata, tmp_path_factory) -> Chain:
    """The EXOD chain for M1 and M2, made with the Python API."""
    return run_chain(refdata, request.param, tmp_path_factory.mktemp(f"exod_{request.param}"))


@pytest.fixture(scope="session")
def m1_clean(refdata):
    """The SAS clean MOS1 event list of obs 0001730201."""
    return xmmframe.open_events(refdata / EXOD / "M1_clean.fits")
