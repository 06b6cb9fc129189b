"""Calibrated event lists have the layout of a real PPS list and pass fitsverify."""

from __future__ import annotations

import re

import numpy as np
import polars as pl
import pytest
from astropy.io import fits

import xmmframe
from xmmframe.model.flags import MOS_FLAGS

MIEVLI = "exod/0001730201/P0001730201M1S002MIEVLI.FTZ"


def _structure(hdul: fits.HDUList) -> list[str]:
    names = []
    for hdu in hdul[1:]:
        names.append(re.sub(r"\d\d$", "nn", hdu.name))
    return names


def _columns(hdu) -> list[tuple[str, str, str | None]]:  # noqa: ANN001
    return [(c.name, c.format, c.unit) for c in hdu.columns]


def test_mos_list_matches_the_pps_layout(refdata, simulated):
    ours = fits.open(simulated.event_files["EMOS1"])
    real = fits.open(refdata / MIEVLI)
    assert _structure(ours) == _structure(real)
    for name in ("EVENTS", "OFFSETS", "EXPOSU01", "BADPIX01", "STDGTI01"):
        assert [(n, f) for n, f, _ in _columns(ours[name])] == [(n, f) for n, f, _ in _columns(real[name])], (
            name
        )
    assert _columns(ours["EVENTS"]) == _columns(real["EVENTS"])
    assert [c.name for c in ours["CALINDEX"].columns] == [c.name for c in real["CALINDEX"].columns]
    mine, theirs = ours["EVENTS"].header, real["EVENTS"].header
    same = [
        "TLMIN2",
        "TLMAX2",
        "TLMIN3",
        "TLMAX3",
        "TNULL6",
        "TNULL7",
        "TCRPX6",
        "TCRPX7",
        "TCTYP4",
        "TCTYP5",
        "TCTYP6",
        "TCTYP7",
        "TCDLT4",
        "TCDLT5",
        "TCDLT6",
        "TCDLT7",
        "TCUNI4",
        "TCUNI5",
        "TCUNI6",
        "TCUNI7",
        "TLMIN6",
        "TLMAX6",
        "TLMIN7",
        "TLMAX7",
        "TLMIN8",
        "TLMAX8",
        "TLMIN9",
        "TLMAX9",
        "TLMIN11",
        "TLMAX11",
        "TLMIN12",
        "TLMAX12",
    ]
    for key in same:
        value, expected = mine[key], theirs[key]
        if isinstance(value, str):
            assert value.strip() == str(expected).strip(), key
        else:  # TLMIN6/TLMAX6 are strings in the PPS file ('1', '51840'), numbers here
            assert value == pytest.approx(float(expected)), key
    for key in ("TLMIN4", "TLMAX4", "TLMIN5", "TLMAX5"):  # DET ranges of the built-in geometry, within 10"
        assert mine[key] == pytest.approx(theirs[key], abs=200), key
    # the PPS EVENTS header repeats the REF* block with corrupt values; its primary header has the right ones
    reference = real[0].header
    for key in (
        "REFXCTYP",
        "REFXCRPX",
        "REFXCDLT",
        "REFXLMIN",
        "REFXLMAX",
        "REFYCTYP",
        "REFYCRPX",
        "REFYCDLT",
        "REFYLMIN",
        "REFYLMAX",
        "REFXCUNI",
        "EQUINOX",
        "RADECSYS",
        "AVRG_PNT",
        "DATAMODE",
        "TELESCOP",
    ):
        assert mine[key] == reference[key], key
    for key in ("TIMESYS", "MJDREF", "TIMEREF", "TASSIGN", "TIMEUNIT", "INSTRUME"):
        assert mine[key] == theirs[key], key
    for key in (
        "TSTART",
        "TSTOP",
        "TELAPSE",
        "ONTIME",
        "LIVETIME",
        "RA_PNT",
        "DEC_PNT",
        "PA_PNT",
        "OBS_ID",
        "EXP_ID",
        "EXPIDSTR",
        "DATE-OBS",
        "DATE-END",
        "FILTER",
        "SUBMODE",
        "REVOLUT",
        "REFXCRVL",
        "REFYCRVL",
        "DET_SYST",
        "CLOCKAPP",
        "TIMEZERO",
        "LONGSTRN",
        "RA_OBJ",
        "DEC_OBJ",
    ):
        assert key in mine, key
    for ccd in range(1, 8):
        assert f"ONTIME{ccd:02d}" in mine and f"LIVETI{ccd:02d}" in mine
    macros = {k: v for k, v in theirs.items() if k.startswith("XMMEA_")}
    assert {k: mine[k] for k in macros} == macros
    assert {k for k in mine if k.startswith("XMMEA_")} == set(macros)
    for key in (
        "CREATOR",
        "DATE",
        "INSTRUME",
        "OBS_ID",
        "EXPIDSTR",
        "RA_PNT",
        "REFXCRVL",
        "CONTENT",
        "SUBMODE",
    ):
        assert key in ours[0].header, key
    assert ours[0].header["CONTENT"] == real[0].header["CONTENT"]
    exposure = ours["EXPOSU01"].header
    for key in (
        "CCDID",
        "CCDNODE",
        "FRMTIME",
        "ONTIME",
        "LIVETIME",
        "TSTART",
        "TSTOP",
        "EXPIDSTR",
        "DATATYPE",
    ):
        assert key in exposure and key in real["EXPOSU01"].header, key
    gti = ours["STDGTI01"].header
    assert (gti["HDUCLASS"], gti["HDUCLAS1"], gti["HDUCLAS2"]) == ("OGIP", "GTI", "STANDARD")
    assert gti["ONTIME"] == pytest.approx(mine["ONTIME01"])


def test_pn_list_layout(simulated):
    with fits.open(simulated.event_files["EPN"]) as hdul:
        events = hdul["EVENTS"]
        assert [(c.name, c.format) for c in events.columns] == [
            ("TIME", "D"),
            ("RAWX", "I"),
            ("RAWY", "I"),
            ("DETX", "I"),
            ("DETY", "I"),
            ("X", "J"),
            ("Y", "J"),
            ("PHA", "I"),
            ("PI", "I"),
            ("FLAG", "J"),
            ("PATTERN", "B"),
            ("PAT_ID", "I"),
            ("PAT_SEQ", "B"),
            ("CCDNR", "B"),
        ]
        header = events.header
        assert header["XMMEA_EP"] == "(FLAG & 0xcfa0000) == 0"
        assert header["XMMEA_21"] == "(FLAG & 0x200000) != 0" and header.comments["XMMEA_21"] == "ON_BADPIX"
        assert header["TLMAX9"] == 20479 and header["TLMAX2"] == 64 and header["TLMAX3"] == 200
        names = _structure(hdul)
        assert names == ["EVENTS", "OFFSETS"] + ["EXPOSUnn", "BADPIXnn"] * 12 + ["STDGTInn"] * 12 + [
            "CALINDEX"
        ]
        assert hdul["OFFSETS"].columns.names == ["RAWX", "OFFSETX", "CCDNR"]
        assert hdul["EXPOSU04"].columns.names == ["TIME", "FRACEXP"]
        assert hdul[0].header["CALSRC"] == "xmmframe-builtin"


@pytest.mark.parametrize("instrument", ["EPN", "EMOS1", "EMOS2"])
def test_fitsverify(simulated, fitsverify, instrument):
    errors, warnings, report = fitsverify(simulated.event_files[instrument])
    assert errors == 0, report
    # the only warning is the one the real PPS files also get: the CALINDEX column name 'VALDATE-END'
    flagged = [line for line in report.splitlines() if "*** Warning" in line]
    assert len(flagged) == warnings and all("VALDATE-END" in line for line in flagged), report


def test_open_events_reads_the_output(simulated):
    events = xmmframe.open_events(simulated.event_files["EMOS1"])
    meta = events.meta
    assert meta.instrument == "EMOS1" and meta.expidstr == "S001" and meta.obs_id == "0999990101"
    assert sorted(meta.gtis) == list(range(1, 8))
    assert meta.macros["XMMEA_EM"] == "(FLAG & 0x766ba000) == 0"
    assert meta.sky_wcs.wcs.crpix.tolist() == [25921.0, 25921.0]
    frame = events.collect()
    assert frame.schema["PATTERN"] == pl.UInt8 and frame.schema["X"] == pl.Int32
    good = events.filter("#XMMEA_EM && PATTERN<=12").count()
    mask = (frame["FLAG"] & 0x766BA000 == 0) & (frame["PATTERN"] <= 12)
    assert good == int(mask.sum()) > 0
    # events lie in their CCD's good time, except those of bad frames (flagged IN_BAD_FRAME)
    for ccd, gti in meta.gtis.items():
        rows = frame.filter(pl.col("CCDNR") == ccd)
        inside = gti.contains(rows["TIME"].to_numpy())
        in_bad_frame = (rows["FLAG"] & MOS_FLAGS["IN_BAD_FRAME"] > 0).to_numpy()
        assert np.array_equal(inside, ~in_bad_frame)
    assert meta.exposure == pytest.approx(meta.gtis[1].duration)
    # MOS cosmic-ray patterns are flagged
    cosmic = frame.filter(pl.col("PATTERN") >= 26)
    assert cosmic.height and bool((cosmic["FLAG"] & MOS_FLAGS["COSMIC_RAY"] > 0).all())
