"""Data-subspace cards of real SAS products: read into typed entries, written back identical."""

from __future__ import annotations

import pytest
from astropy.io import fits

import xmmframe
from xmmframe.io.dss import dss_cards, is_dss_keyword, read_dss, without_dss
from xmmframe.model.dss import DssEntry, component_count
from xmmframe.model.products import Spectrum
from xmmframe.select.dss import DataSubspace

#: SAS spectra, light curves, images and event lists with a data subspace (evselect's layout).
SAS_PRODUCTS = (
    "exod/0001730201/M1_clean.fits",
    "exod/0001730201/M2_rate.fits",
    "exod/0001730201/M1_image.fits",
    "exod/0001730201/lcurve_100_M1_1/J173442-323451_lc_100_bgd.lc",
    "exod/0001730201/lcurve_100_PN_1/J173446-323317_lc_100_src.lc",
    "exod/0001730201/lcurve_100_M2_1/J173441-323452_lccorr_2.604.lc",
    "exod/0001730201/P0001730201M1S002MIEVLI.FTZ",
    "xga/0201903501/eclean/mos1_exp1_clean_evts.fits",
    "xga/0404910601/eclean/mos2_exp1_clean_evts.fits",
    "gammapy-mwl/xmm_mos1_0605960101_src.pha",
    "gammapy-mwl/xmm_pn_0605960101_bkg.pha",
    "jaxspec/PN_spectrum_grp20.fits",
    "jaxspec/MOS2background_spectrum.fits",
    "sherpa-test-data/MNLup_2138_0670580101_EMOS1_S001_spec.15grp",
)


def _subspace_headers(path):
    """The headers of a file that carry a data subspace in SAS's layout (comments SAS writes)."""
    with fits.open(path) as hdus:
        headers = [h.header for h in hdus if "DSTYP1" in h.header]
    return [h for h in headers if h.comments["DSTYP1"].startswith("data subspace descriptor")]


@pytest.mark.parametrize("name", SAS_PRODUCTS)
def test_sas_data_subspace_cards_round_trip(refdata, name):
    headers = _subspace_headers(refdata / name)
    assert headers, f"{name} has no data subspace"
    for header in headers:
        original = [c.image for c in header.cards if is_dss_keyword(c.keyword)]
        entries = read_dss(header)
        assert all(isinstance(e, DssEntry) for e in entries)
        assert list(dss_cards(entries)) == original
        # from the card images alone, through the selection-side object, the same
        cards = [c.image for c in header.cards]
        assert DataSubspace.from_header(cards).cards() == tuple(original)


def test_entries_are_what_sas_wrote(refdata):
    (header,) = _subspace_headers(refdata / "exod/0001730201/M1_clean.fits")
    entries = read_dss(header)
    assert [e.name for e in entries] == ["CCDNR", "FLAG", "FLAG", "PATTERN", "PI", "TIME"]
    pi, time = entries[4], entries[5]
    assert (pi.value, pi.unit, pi.form, pi.ref) == ("500:10000", "CHAN", None, None)
    assert entries[1].form == "X" and entries[1].value == header["DSVAL2"]
    assert (time.value, time.ref) == ("TABLE", ":GTI00004")
    assert component_count(entries) == 7
    assert [time.component(k)[1] for k in range(1, 8)] == [header[f"{k}DSREF6" if k > 1 else "DSREF6"]
                                                          for k in range(1, 8)]
    assert [entries[0].component(k)[0] for k in range(1, 8)] == [str(k) for k in range(1, 8)]


def test_det_region_entry_keeps_its_descriptor(refdata):
    (header,) = _subspace_headers(refdata / "gammapy-mwl/xmm_mos1_0605960101_src.pha")
    region = next(e for e in read_dss(header) if e.region is not None)
    assert region.name == "DET(DETX,DETY)" and region.region == ("DET", "DETX,DETY")
    assert (header["MTYPE1"], header["MFORM1"]) == region.region


def test_without_dss_removes_exactly_the_subspace(refdata):
    (header,) = _subspace_headers(refdata / "exod/0001730201/M1_clean.fits")
    cards = [c.image for c in header.cards]
    kept, at = without_dss(cards)
    assert not any(is_dss_keyword(c[:8].strip()) for c in kept)
    assert len(cards) - len(kept) == len(dss_cards(read_dss(header)))
    assert tuple(kept[:at]) + dss_cards(read_dss(header)) + tuple(kept[at:]) == tuple(cards)


def test_typed_metadata_carries_the_data_subspace(refdata):
    events = xmmframe.open_events(refdata / "exod/0001730201/M1_clean.fits")
    assert events.meta.metadata.dss == read_dss(fits.getheader(refdata / "exod/0001730201/M1_clean.fits", "EVENTS"))
    assert [e.name for e in events.meta.metadata.dss][-1] == "TIME"
    spectrum = Spectrum.read(refdata / "gammapy-mwl/xmm_mos1_0605960101_src.pha")
    assert spectrum.metadata.dss == read_dss(fits.getheader(refdata / "gammapy-mwl/xmm_mos1_0605960101_src.pha", 1))
    assert spectrum.metadata.dss[-1].region == ("DET", "DETX,DETY")
