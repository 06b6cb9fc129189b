"""Grouping (specgroup/grppha): the real grouped spectra in refdata and independent peers."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from astropy.io import fits
from hypothesis import given, settings
from hypothesis import strategies as st

from xmmframe.errors import ParameterError, ProductError
from xmmframe.model.products import Spectrum
from xmmframe.model.responses import Rmf
from xmmframe.products.grouping import group_channels, nominal_energies
from xmmframe.products.resolution import Resolution, calibration_resolution, rmf_resolution

pytestmark = pytest.mark.filterwarnings("ignore::xmmframe.errors.CalibrationWarning")

JAXSPEC = {"PN": ("PN_spectrum_grp20.fits", "PNbackground_spectrum.fits"),
           "MOS1": ("MOS1_spectrum_grp.fits", "MOS1background_spectrum.fits"),
           "MOS2": ("MOS2_spectrum_grp.fits", "MOS2background_spectrum.fits")}


def ungrouped(spectrum: Spectrum) -> Spectrum:
    return replace(spectrum, grouping=None, quality=None)


def grppha_group_min(counts: np.ndarray, minimum: int) -> tuple[np.ndarray, np.ndarray]:
    """Independent peer: grppha's ``group min N`` written plainly (incomplete tail: single bad channels)."""
    grouping = np.ones(counts.size, np.int16)
    quality = np.zeros(counts.size, np.int16)
    start, total = 0, 0
    for i, c in enumerate(counts):
        total += c
        if i > start:
            grouping[i] = -1
        if total >= minimum:
            start, total = i + 1, 0
    grouping[start:] = 1
    quality[start:] = 2
    return grouping, quality


def dmgroup_num_counts(counts: np.ndarray, minimum: int) -> tuple[np.ndarray, np.ndarray]:
    """Independent peer: CIAO dmgroup NUM_CTS / sherpa ``group_counts`` semantics (the incomplete
    tail is one group of quality 2, as the dmgroup documentation describes)."""
    grouping, quality = grppha_group_min(counts, minimum)
    tail = np.nonzero(quality == 2)[0]
    if tail.size:
        grouping[tail[1:]] = -1
    return grouping, quality


def test_grppha_group_min_on_mnlup(refdata):
    """``.15grp`` was written by grppha 3.0.1 (header CREATOR): group min 15 reproduces every flag."""
    sas = Spectrum.read(refdata / "sherpa-test-data/MNLup_2138_0670580101_EMOS1_S001_spec.15grp")
    assert sas.keyword("CREATOR") == "grppha 3.0.1"
    ours = ungrouped(sas).group(mincounts=15, setbad="no", lastbin="setbad")
    np.testing.assert_array_equal(ours.grouping, sas.grouping)
    np.testing.assert_array_equal(ours.quality, sas.quality)
    assert (int((ours.grouping == 1).sum()), int(ours.quality.sum())) == (223, 276)  # sherpa's test values
    peer = grppha_group_min(sas.counts, 15)
    np.testing.assert_array_equal(peer[0], sas.grouping)
    np.testing.assert_array_equal(peer[1], sas.quality)


def test_regular_bins_on_dmgroup_bin_spectrum(refdata):
    """``pn_pi_src_bin10.ds``: dmgroup BIN 1:4096:10 (header HISTORY) = regular groups of 10 channels."""
    sas = Spectrum.read(refdata / "sherpa-test-data/pn_pi_src_bin10.ds")
    ours = ungrouped(sas).group(regbin=(1, 4096, 10), setbad="no")
    np.testing.assert_array_equal(ours.grouping, sas.grouping)
    # dmgroup marks the incomplete last group (6 channels) with quality 2; a regular group is good
    assert np.array_equal(np.nonzero(sas.quality)[0], np.arange(4090, 4096)) and not ours.quality.any()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 12), min_size=1, max_size=300), st.integers(1, 40))
def test_group_min_equals_peers(counts, minimum):
    counts = np.array(counts)
    grppha = group_channels(counts, mincounts=minimum, lastbin="setbad")
    expected = grppha_group_min(counts, minimum)
    np.testing.assert_array_equal(grppha.grouping, expected[0])
    np.testing.assert_array_equal(grppha.quality, expected[1])
    sherpa = group_channels(counts, mincounts=minimum, lastbin="owngroup")
    np.testing.assert_array_equal(sherpa.grouping, dmgroup_num_counts(counts, minimum)[0])
    added = group_channels(counts, mincounts=minimum, lastbin="addtogroup")
    sums = added.sums(counts)
    complete = int((expected[1] == 0).sum())
    if complete and complete < counts.size:  # the tail joins the last complete group
        assert added.n_groups == max(1, np.sum(expected[0][:complete] == 1))
    assert np.all(sums >= minimum) or added.n_groups == 1


@pytest.fixture(scope="module")
def jaxspec(refdata):
    folder = refdata / "jaxspec"
    return {name: (Spectrum.read(folder / src), Spectrum.read(folder / bkg)) for name, (src, bkg) in JAXSPEC.items()}


@pytest.fixture(scope="module")
def pn_rmf(refdata):
    return Rmf.read(refdata / "jaxspec/PN.rmf")


def test_specgroup_quality_and_count_limited_groups(jaxspec, pn_rmf):
    """specgroup 1.7 ``mincounts=20 oversample=3 setbad=CCF lastbin=addtogroup`` (header XPROC2)."""
    for name, (sas, background) in jaxspec.items():
        assert "mincounts=20" in sas.keyword("XPROC2") and "oversample=3" in sas.keyword("XPROC2")
        rmf = pn_rmf if name == "PN" else None
        ours = ungrouped(sas).group(mincounts=20, oversample=3, background=background, rmf=rmf)
        np.testing.assert_array_equal(ours.quality, sas.quality)  # setbad=CCF channels
        bad = sas.quality != 0
        assert np.all(ours.grouping[bad] == 1)
        agreement = np.mean(ours.grouping == sas.grouping)
        assert agreement > 0.9, (name, agreement)
        # every group SAS closed on the count (its last channel was needed to reach 20), started
        # where SAS started it, ends where SAS ended it
        energies = (rmf.e_min, rmf.e_max) if rmf is not None else nominal_energies(sas)
        resolution = rmf_resolution(rmf) if rmf is not None else None
        starts = np.nonzero((sas.grouping == 1) & ~bad)[0]
        ends = np.append(starts[1:], np.nonzero(~bad)[0][-1] + 1)
        checked = same = 0
        for a, b in zip(starts[:-1], ends[:-1]):
            if sas.counts[a:b - 1].sum() >= 20:
                continue  # set by the resolution (XMM_SPECQUAL, not public)
            one = group_channels(sas.counts[a:], mincounts=20, oversample=3 if rmf is not None else None,
                                 resolution=resolution, e_min=energies[0][a:], e_max=energies[1][a:])
            checked += 1
            same += int(one.group_starts[1] == b - a) if one.n_groups > 1 else 0
        assert checked >= 24 and same >= checked - 3, (name, same, checked)


def test_addtogroup_puts_the_tail_in_the_last_group(jaxspec, pn_rmf):
    sas, background = jaxspec["PN"]
    ours = ungrouped(sas).group(mincounts=20, oversample=3, background=background, rmf=pn_rmf)
    good = np.nonzero(ours.quality == 0)[0]
    last = np.nonzero(ours.grouping[good] == 1)[0][-1]
    assert ours.counts[good[last]:good[-1] + 1].sum() >= 20
    assert np.nonzero(sas.grouping[good] == 1)[0][-1] > 0 and sas.quality[good[-1] + 1] == 1


def test_resolution_laws(pn_rmf):
    pn = rmf_resolution(pn_rmf)
    # the bounds the SAS pn groups put on XMM_SPECQUAL's FWHM (width 7 below 0.9 keV, 8 at 1.0-1.3)
    assert 0.090 < pn(0.5) <= 0.105 and 0.105 < pn(1.2) <= 0.120
    assert 0.18 < pn(6.0) < 0.21
    builtin = calibration_resolution("EPN", range(5), observation_date="2013-01-01T00:00:00")
    assert builtin(6.0) == pytest.approx(pn(6.0), rel=0.05)
    assert Resolution.from_law(0.0, 1e-4)(4.0) == pytest.approx(0.02)


def test_statistics_and_options():
    counts = np.array([5, 5, 5, 5, 20, 1, 1, 30, 2, 2])
    background = np.ones(10)
    sn = group_channels(counts, min_sn=3.0, background=background, background_norm=0.5)
    for total, bkg in zip(sn.sums(counts), sn.sums(background)):
        assert (total - 0.5 * bkg) / np.sqrt(total + 0.25 * bkg) >= 3.0 or sn.n_groups == 1
    ratio = group_channels(counts, ratio_above_background=3.0, background=background, background_norm=1.0)
    assert ratio.grouping.tolist() == [1, 1, 1, 1, 1, 1, -1, -1, -1, -1]  # (1+1+30-3)/3 >= 3, tail added
    down = group_channels(counts, mincounts=10, hightolow=True, lastbin="setbad")
    assert down.grouping.tolist() == [1, -1, 1, -1, 1, -1, -1, 1, -1, -1] and not down.quality.any()
    ranged = group_channels(counts, mincounts=10, ranges=[(0, 3)])
    assert ranged.grouping.tolist() == [1, -1, 1, -1, 1, 1, 1, 1, 1, 1]
    regular = group_channels(counts, mincounts=10, regbin=(1, 4, 2))
    assert regular.grouping.tolist() == [1, -1, 1, -1, 1, 1, -1, -1, -1, -1]
    wide = group_channels(np.full(10, 100), oversample=2.0, resolution=lambda e: np.full(np.shape(e), 0.03),
                          e_min=np.arange(10) * 0.005, e_max=np.arange(1, 11) * 0.005)
    assert wide.grouping.tolist() == [1, -1, -1, 1, -1, -1, 1, -1, -1, -1]  # 15 eV groups, tail added
    down = group_channels(np.full(10, 100), oversample=2.0, resolution=lambda e: np.full(np.shape(e), 0.03),
                          e_min=np.arange(10) * 0.005, e_max=np.arange(1, 11) * 0.005, hightolow=True)
    assert down.grouping.tolist() == [1, -1, -1, -1, 1, -1, -1, 1, -1, -1]
    with pytest.raises(ParameterError, match="only one"):
        group_channels(counts, mincounts=5, min_sn=2.0, background=background)
    with pytest.raises(ParameterError, match="nothing to group"):
        group_channels(counts)
    with pytest.raises(ParameterError, match="lastbin"):
        group_channels(counts, mincounts=5, lastbin="drop")
    with pytest.raises(ParameterError, match="background"):
        group_channels(counts, min_sn=2.0)


def test_spectrum_group_setbad_template_and_file(refdata, m1_clean, tmp_path, fitsverify):
    spectrum = m1_clean.spectrum(selection="(X,Y) in CIRCLE(24635.6,24158.8,200)")
    grouped = spectrum.group(mincounts=25, oversample=3)
    low, high = nominal_energies(spectrum)
    assert np.array_equal(grouped.quality != 0, (low < 0.11 - 1e-9) | (high > 9.99 + 1e-9))
    kev = spectrum.group(mincounts=25, setbad="0:0.5,8.0:12.0", units="KEV")
    assert np.array_equal(kev.quality != 0, (high <= 0.5 + 1e-9) | (low >= 8.0 - 1e-9))
    copied = spectrum.group(template=grouped)
    np.testing.assert_array_equal(copied.grouping, grouped.grouping)
    path = tmp_path / "grouped.pha"
    grouped.write(path)
    assert fitsverify(path)[:2] == (0, 0), fitsverify(path)[2]
    back = Spectrum.read(path)
    np.testing.assert_array_equal(back.grouping, grouped.grouping)
    np.testing.assert_array_equal(back.quality, grouped.quality)
    with fits.open(path) as hdus:
        assert {"GROUPING", "QUALITY"} <= set(hdus["SPECTRUM"].columns.names)
        assert "GROUPING" not in hdus["SPECTRUM"].header
    with pytest.raises(ProductError, match="channels"):
        spectrum.group(template=replace(grouped, channel=grouped.channel[:10], counts=grouped.counts[:10]))
