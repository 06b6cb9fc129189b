"""A store of every real event list in refdata, plus copies of one re-pointed across RA=0 and at both poles.

The re-pointed copies are written with astropy (new OBS_ID, pointing and X/Y reference
values), so the sky positions of their events cover the hard cases of cone queries.  The
brute-force answers come from astropy alone: the header WCS, ``all_pix2world`` and
``SkyCoord.separation``.
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy.io import fits

import xmmframe
from tests.reference import events_sky_wcs

REAL = [
    "exod/0001730201/P0001730201M1S002MIEVLI.FTZ",
    "exod/0001730201/P0001730201M2S003MIEVLI.FTZ",
    *(f"xga/{obs}/eclean/mos{m}_exp1_clean_evts.fits" for obs in ("0201901401", "0201903501", "0404910601")
      for m in (1, 2)),
]
#: Re-pointed copies: obs id -> pointing (RA, Dec) of X/Y's reference pixel.
REPOINTED = {"0900000001": (0.05, 5.0), "0900000002": (123.0, 89.9), "0900000003": (250.0, -89.95)}
REPOINT_SOURCE = "xga/0404910601/eclean/mos1_exp1_clean_evts.fits"


def repoint(source: Path, target: Path, obs_id: str, ra: float, dec: float) -> None:
    """Copy an event list with a new OBS_ID and sky reference position (astropy only)."""
    with fits.open(source) as hdus:
        for hdu in hdus:
            hdu.header["OBS_ID"] = obs_id
            for key, value in (("RA_PNT", ra), ("DEC_PNT", dec)):
                if key in hdu.header:
                    hdu.header[key] = value
        events = hdus["EVENTS"].header
        names = [events[f"TTYPE{n}"] for n in range(1, events["TFIELDS"] + 1)]
        events[f"TCRVL{names.index('X') + 1}"] = ra
        events[f"TCRVL{names.index('Y') + 1}"] = dec
        hdus.writeto(target)


def brute_force_sky(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """RA/Dec of every event of a FITS event list, from its header with astropy."""
    with fits.open(path) as hdus:
        table = hdus["EVENTS"]
        wcs = events_sky_wcs(table.header)
        x = np.asarray(table.data["X"], dtype=float)
        y = np.asarray(table.data["Y"], dtype=float)
    ra, dec = wcs.all_pix2world(x, y, 1)
    return ra, dec


def brute_force_cone(path: Path, ra: float, dec: float, radius: float) -> np.ndarray:
    """Row numbers of the events within ``radius`` degrees of (ra, dec), by astropy."""
    era, edec = brute_force_sky(path)
    separation = SkyCoord(era, edec, unit="deg").separation(SkyCoord(ra, dec, unit="deg")).deg
    return np.flatnonzero(separation <= radius)


@pytest.fixture(scope="session")
def event_files(refdata, tmp_path_factory) -> dict[tuple[str, str, str], Path]:
    """Every event list of the store as plain FITS, by (OBS_ID, INSTRUME, EXPIDSTR)."""
    folder = tmp_path_factory.mktemp("event_lists")
    files = {}
    for name in REAL:
        source = refdata / name
        if name.endswith(".FTZ"):
            target = folder / (source.stem + ".fits")
            with gzip.open(source) as packed, open(target, "wb") as out:
                shutil.copyfileobj(packed, out)
        else:
            target = folder / f"{name.split('/')[1]}_{source.name}"
            shutil.copy(source, target)
        files[target] = None
    for obs_id, (ra, dec) in REPOINTED.items():
        target = folder / f"{obs_id}_repointed.fits"
        repoint(refdata / REPOINT_SOURCE, target, obs_id, ra, dec)
        files[target] = None
    result = {}
    for path in files:
        with fits.open(path) as hdus:
            header = hdus["EVENTS"].header
            result[(header["OBS_ID"], header["INSTRUME"], header["EXPIDSTR"])] = path
    return result


@pytest.fixture(scope="session")
def store_root(event_files, tmp_path_factory) -> Path:
    """A store ingested from every event list (through the command line)."""
    from xmmframe.cli.main import main

    root = tmp_path_factory.mktemp("store") / "events"
    assert main(["ingest", *(str(p) for p in event_files.values()), "--store", str(root), "--quiet"]) == 0
    return root


@pytest.fixture()
def store(store_root) -> xmmframe.Store:
    return xmmframe.open_store(store_root)
