"""Exposure rules (ONTIME, LIVETIME, EXPOSURE) and data-subspace keywords against SAS headers."""

from __future__ import annotations

import pytest
from astropy.io import fits

import xmmframe
from tests.products.conftest import CAMERAS, EXOD
from xmmframe.select.dss import DataSubspace, bit_pattern, range_text
from xmmframe.products.exposure import ccd_times, current_gti_tables


@pytest.mark.parametrize("camera", ["M1", "M2"])
def test_livetime_rule_reproduces_pps_and_sas(refdata, camera):
    raw = xmmframe.open_events(refdata / EXOD / CAMERAS[camera][0])
    clean = fits.getheader(refdata / EXOD / f"{camera}_clean.fits", "EVENTS")
    # recomputed from EXPOSUnn on the PPS list's own good times: the PPS header values
    pps = ccd_times(raw.meta, xmmframe.GTI([0.0], [2e9]))
    # and after tabgtigen's GTI: SAS 20's updateexposure values
    times = ccd_times(raw.meta, xmmframe.GTI.read(str(refdata / EXOD / f"{camera}_gti.fits")))
    for ccd in range(1, 8):
        assert pps.livetime[ccd] == pytest.approx(raw.meta.header[f"LIVETI{ccd:02d}"], rel=1e-14)
        assert times.livetime[ccd] == pytest.approx(clean[f"LIVETI{ccd:02d}"], rel=1e-14)
        assert times.ontime[ccd] == pytest.approx(clean[f"ONTIME{ccd:02d}"], rel=1e-14)
    assert times.reference_ccd == 1


def test_gtis_in_effect_follow_the_data_subspace(refdata):
    clean = xmmframe.open_events(refdata / "xga/0201903501/eclean/mos1_exp1_clean_evts.fits")
    tables = current_gti_tables(clean.meta)
    assert [t.name for t in tables][:2] == ["GTI00006", "GTI00106"] and tables[0].ccd == 1
    assert ccd_times(clean.meta).max_ontime == pytest.approx(9466.79316443205, rel=1e-14)
    raw = xmmframe.open_events(refdata / EXOD / CAMERAS["M1"][0])
    assert [t.name for t in current_gti_tables(raw.meta)] == [f"STDGTI{c:02d}" for c in range(1, 8)]


def test_weighted_livetime_without_events_falls_back(refdata, m1_clean):
    empty = m1_clean.spectrum(selection="PI < 0")
    assert empty.total == 0 and empty.exposure == pytest.approx(m1_clean.meta.keyword("LIVETIME"), rel=1e-14)


@pytest.mark.parametrize("name", ["M1_rate.fits", "M1_clean.fits", "M1_image.fits",
                                  "lcurve_100_M1_1/J173442-323451_lc_2.604_src.lc"])
def test_data_subspace_cards_round_trip(refdata, name):
    with fits.open(refdata / EXOD / name) as hdus:
        header = hdus[0 if name.endswith("image.fits") else 1].header
    dss = DataSubspace.from_header(header)
    expected = [c.image for c in header.cards
                if c.keyword.lstrip("0123456789").startswith("DS") or c.keyword.startswith(("MTYPE", "MFORM"))]
    assert list(dss.cards()) == expected
    assert dss.ncomponents == 7 and dss.component_ccds()[7] == 7


def test_dss_values():
    assert bit_pattern(0x766BA000) == "b000x00xx00x0x000x0xxxxxxxxxxxxx"
    assert bit_pattern(0x762AA000) == "b000x00xxx0x0x0x0x0xxxxxxxxxxxxx"
    assert [range_text(500, 10000), range_text(None, 12), range_text(10000, None, low_closed=False),
            range_text(0, 0), range_text(1.5, 2.5, True, False)] == ["500:10000", ":12", "(10000:", "0", "1.5:2.5)"]


def test_selection_entries_like_evselect(refdata, m1_clean, tmp_path):
    gti = refdata / EXOD / "M1_gti.fits"
    raw = xmmframe.open_events(refdata / EXOD / CAMERAS["M1"][0])
    result = xmmframe.evselect(raw, f"#XMMEA_EM && gti({gti},TIME) && (PATTERN<=12) && (PI in [500:10000])",
                               spectrum=True)
    cards = fits.Header.fromstring("".join(result.spectrum.cards), sep="")
    sas = fits.getheader(refdata / EXOD / "M1_clean.fits", "EVENTS")
    for key in ("DSTYP1", "DSTYP2", "DSTYP3", "DSTYP4", "DSTYP5", "DSTYP6", "DSVAL2", "DSVAL3", "DSVAL4", "DSVAL5",
                "DSUNI5", "DSVAL6"):
        assert cards[key] == sas[key], key
    assert [t.name for t in result.spectrum.gtis] == [f"GTI{i:03d}01" for i in range(7)]
