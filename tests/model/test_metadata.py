"""Typed event-list metadata read from real PPS/SAS headers, checked against astropy's reading of the same cards."""

from __future__ import annotations

import numpy as np
from astropy.io import fits
from astropy.wcs import WCS

import xmmframe
from xmmframe.model.metadata import EventListMetaData, Observation, SkyAxes, TimeSystem

MIEVLI = "exod/0001730201/P0001730201M1S002MIEVLI.FTZ"
CLEAN = "xga/0201903501/eclean/mos1_exp1_clean_evts.fits"


def test_typed_fields_equal_the_header_values(refdata):
    for name in (MIEVLI, CLEAN):
        meta = xmmframe.open_events(refdata / name).meta
        with fits.open(refdata / name) as hdul:
            primary, events = hdul[0].header, hdul["EVENTS"].header
        assert isinstance(meta.metadata, EventListMetaData)
        assert meta.observation == Observation(
            telescope=primary["TELESCOP"].strip(), instrument=primary["INSTRUME"].strip(),
            datamode=primary["DATAMODE"].strip(), submode=primary["SUBMODE"].strip(), filter=primary["FILTER"].strip(),
            obs_id=primary["OBS_ID"].strip(), expidstr=primary["EXPIDSTR"].strip(), target=primary["OBJECT"].strip())
        assert meta.time == TimeSystem(mjdref=events["MJDREF"], timesys=events["TIMESYS"], timeref=events["TIMEREF"],
                                       tstart=events["TSTART"], tstop=events["TSTOP"], exposure=events["ONTIME"])
        assert meta.time.elapsed == events["TSTOP"] - events["TSTART"]


def test_sky_axes_are_the_event_columns_projection(refdata):
    meta = xmmframe.open_events(refdata / MIEVLI).meta
    with fits.open(refdata / MIEVLI) as hdul:
        events = hdul["EVENTS"].header
    n = {events[f"TTYPE{i}"]: i for i in range(1, events["TFIELDS"] + 1)}
    sky = meta.sky
    assert sky.crval == (events[f"TCRVL{n['X']}"], events[f"TCRVL{n['Y']}"])
    assert sky.cdelt == (events[f"TCDLT{n['X']}"], events[f"TCDLT{n['Y']}"])
    assert sky.crpix == (events[f"TCRPX{n['X']}"], events[f"TCRPX{n['Y']}"])
    # astropy's own reading of the column WCS keywords, as a peer
    peer = WCS(fits.Header({"CTYPE1": events[f"TCTYP{n['X']}"], "CTYPE2": events[f"TCTYP{n['Y']}"],
                            "CRVAL1": sky.crval[0], "CRVAL2": sky.crval[1], "CDELT1": sky.cdelt[0],
                            "CDELT2": sky.cdelt[1], "CRPIX1": sky.crpix[0], "CRPIX2": sky.crpix[1]}))
    x, y = np.array([1.0, 25000.0, 51840.0]), np.array([1.0, 26000.0, 51840.0])
    np.testing.assert_allclose(np.column_stack(meta.sky_wcs.all_pix2world(x, y, 1)),
                               np.column_stack(peer.all_pix2world(x, y, 1)), rtol=0, atol=1e-10)


def test_a_table_without_sky_axes_has_none():
    axes = SkyAxes(crval=(1.0, 2.0), cdelt=(-1e-5, 1e-5), crpix=(10.0, 10.0), radesys="FK5", equinox=2000.0)
    assert (axes.wcs().wcs.radesys, axes.wcs().wcs.equinox) == ("FK5", 2000.0)
    assert EventListMetaData().sky is None and EventListMetaData().time.mjdref == 50814.0


def test_parquet_round_trip_keeps_the_metadata(refdata, tmp_path):
    events = xmmframe.open_events(refdata / CLEAN)
    events.write_parquet(tmp_path / "e.parquet")
    back = xmmframe.open_events(tmp_path / "e.parquet").meta
    assert back.metadata == events.meta.metadata


def test_product_metadata_round_trip(refdata, tmp_path, monkeypatch):
    """A spectrum made from real events says, read back, what it was made from and how."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    events = xmmframe.open_events(refdata / "exod/0001730201/M1_clean.fits")
    events.spectrum(selection="PATTERN<=4 && PI in [500:2000]").write(tmp_path / "s.pha")
    back = xmmframe.Spectrum.read(tmp_path / "s.pha").metadata
    with fits.open(tmp_path / "s.pha") as hdul:  # astropy as the peer reader
        primary, spectrum = hdul[0].header, hdul["SPECTRUM"].header
    assert back.observation == events.meta.observation
    assert back.selection == spectrum["SLCTEXPR"] and "PATTERN<=4" in back.selection
    assert back.provenance.creator == primary["CREATOR"] == f"xmmframe spectrum (xmmframe-{xmmframe.__version__})"
    assert back.provenance.date == primary["DATE"] == "2023-11-14T22:13:20"
    assert back.time.mjdref == events.meta.mjdref


def test_files_of_other_programs_have_no_provenance(refdata):
    assert xmmframe.open_events(refdata / MIEVLI).meta.metadata.provenance is None
