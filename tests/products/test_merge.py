"""Merging two real MOS1 exposures (XGA obs 0201901401 and 0201903501, SAS 13.5 clean lists).

The peers are astropy + numpy on the input files: the union of the rows (X/Y reprojected with an
astropy WCS built from each file's own header), GTIs as the union of each file's GTI tables in
effect, ONTIME/LIVETIME per CCD, and the spectrum of the merged list as the sum of the parts.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from astropy.io import fits
from astropy.wcs import WCS

import xmmframe
from xmmframe.cli.main import main
from xmmframe.errors import ProductError
from xmmframe.products.merge import merge_events

pytestmark = pytest.mark.filterwarnings("ignore::xmmframe.errors.CalibrationWarning")

OBS = ("0201901401", "0201903501")
KEYS = ["TIME", "RAWX", "RAWY", "PI", "PHA", "PATTERN", "FLAG", "CCDNR", "DETX", "DETY"]


@pytest.fixture(scope="module")
def inputs(refdata):
    return [refdata / "xga" / obs / "eclean" / "mos1_exp1_clean_evts.fits" for obs in OBS]


@pytest.fixture(scope="module")
def merged_file(inputs, tmp_path_factory):
    out = tmp_path_factory.mktemp("merge") / "mos1_merged.fits"
    lists = [xmmframe.open_events(p) for p in reversed(inputs)]       # order given does not matter
    merge_events(lists, merge_different_obs=True).write_fits(out)
    return out


def _sky_wcs(header: fits.Header, xcol: int, ycol: int) -> WCS:
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = [header[f"TCTYP{xcol}"], header[f"TCTYP{ycol}"]]
    wcs.wcs.crval = [header[f"TCRVL{xcol}"], header[f"TCRVL{ycol}"]]
    wcs.wcs.crpix = [header[f"TCRPX{xcol}"], header[f"TCRPX{ycol}"]]
    wcs.wcs.cdelt = [header[f"TCDLT{xcol}"], header[f"TCDLT{ycol}"]]
    return wcs


def _columns(header: fits.Header) -> tuple[int, int]:
    names = [header[f"TTYPE{i}"] for i in range(1, header["TFIELDS"] + 1)]
    return names.index("X") + 1, names.index("Y") + 1


def _gti_in_effect(hdus: fits.HDUList) -> dict[int, np.ndarray]:
    """CCD -> (n, 2) intervals: the evselect GTI tables of the data subspace, else STDGTInn."""
    tables = {h.header["CCDID"]: h.data for h in hdus[1:] if h.name.startswith("GTI0")}
    if not tables:
        tables = {int(h.name[6:]): h.data for h in hdus[1:] if h.name.startswith("STDGTI")}
    return {ccd: np.column_stack([d["START"], d["STOP"]]) for ccd, d in tables.items()}


def _union(intervals: np.ndarray) -> np.ndarray:
    intervals = intervals[np.argsort(intervals[:, 0])]
    out = [list(intervals[0])]
    for start, stop in intervals[1:]:
        if start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], stop)
        else:
            out.append([start, stop])
    return np.array(out)


def _inside(intervals: np.ndarray, times: np.ndarray) -> np.ndarray:
    return ((times[:, None] >= intervals[None, :, 0]) & (times[:, None] < intervals[None, :, 1])).any(axis=1)


def test_rows_are_the_union_in_time_order(inputs, merged_file):
    with fits.open(merged_file) as merged:
        data, header = merged["EVENTS"].data, merged["EVENTS"].header
        assert np.all(np.diff(data["TIME"]) >= 0)
        target = _sky_wcs(header, *_columns(header))
        rows = {k: data[k].astype(np.float64) for k in KEYS + ["X", "Y"]}
    expected = {k: [] for k in KEYS + ["X", "Y"]}
    for path in inputs:
        with fits.open(path) as hdus:
            d, h = hdus["EVENTS"].data, hdus["EVENTS"].header
            ra, dec = _sky_wcs(h, *_columns(h)).all_pix2world(d["X"].astype(float), d["Y"].astype(float), 1)
            x, y = target.all_world2pix(ra, dec, 1)
            for k in KEYS:
                expected[k].append(d[k].astype(np.float64))
            expected["X"].append(np.rint(x))
            expected["Y"].append(np.rint(y))
    expected = {k: np.concatenate(v) for k, v in expected.items()}
    order = np.lexsort([expected[k] for k in reversed(KEYS + ["X", "Y"])])
    mine = np.lexsort([rows[k] for k in reversed(KEYS + ["X", "Y"])])
    assert len(rows["TIME"]) == len(expected["TIME"]) == 53731
    for k in KEYS + ["X", "Y"]:
        np.testing.assert_array_equal(rows[k][mine], expected[k][order], err_msg=k)
    # the common reference is the mean of the two reference points
    refs = []
    for path in inputs:
        h = fits.getheader(path, "EVENTS")
        xcol, ycol = _columns(h)
        refs.append((h[f"TCRVL{xcol}"], h[f"TCRVL{ycol}"]))
    assert tuple(target.wcs.crval) == pytest.approx(tuple(np.mean(refs, axis=0)), abs=1e-12)


def test_gtis_and_exposure_keywords(inputs, merged_file):
    parts = []
    for path in inputs:
        with fits.open(path) as hdus:
            parts.append((_gti_in_effect(hdus), hdus["EVENTS"].header))
    with fits.open(merged_file) as merged:
        header = merged["EVENTS"].header
        for ccd in range(1, 8):
            gti = merged[f"STDGTI{ccd:02d}"].data
            union = _union(np.vstack([p[0][ccd] for p in parts]))
            # the same set of times (our GTIs are normalised: touching and empty intervals merged away)
            probes = np.concatenate([union.ravel() - 1e-3, union.ravel() + 1e-3, union.mean(axis=1)])
            np.testing.assert_array_equal(_inside(np.column_stack([gti["START"], gti["STOP"]]), probes),
                                          _inside(union, probes))
            assert (gti["STOP"] - gti["START"]).sum() == pytest.approx((union[:, 1] - union[:, 0]).sum(), rel=1e-12)
            assert header[f"ONTIME{ccd:02d}"] == pytest.approx(sum(p[1][f"ONTIME{ccd:02d}"] for p in parts), rel=1e-12)
            assert header[f"LIVETI{ccd:02d}"] == pytest.approx(sum(p[1][f"LIVETI{ccd:02d}"] for p in parts), rel=1e-12)
            exposu = merged[f"EXPOSU{ccd:02d}"].data
            assert len(exposu) == sum(len(fits.getdata(p, f"EXPOSU{ccd:02d}")) for p in inputs)
            assert np.all(np.diff(exposu["TIME"]) >= 0)
        assert header["TSTART"] == min(p[1]["TSTART"] for p in parts)
        assert header["TSTOP"] == max(p[1]["TSTOP"] for p in parts)
        assert header["OBS_ID"] == "0201901401"                     # the earliest exposure's
        assert not any(k.startswith("DSTYP") and header[k] == "TIME" for k in header)
        assert not [h.name for h in merged if h.name.startswith("GTI0")]


def test_spectrum_is_the_sum_of_the_parts(inputs, merged_file):
    parts = [xmmframe.open_events(p).spectrum() for p in inputs]
    merged = xmmframe.open_events(merged_file).spectrum()
    np.testing.assert_array_equal(merged.counts, parts[0].counts + parts[1].counts)
    # EXPOSURE: livetimes summed per CCD, averaged over CCDs with the events as weights
    assert merged.exposure == pytest.approx(parts[0].exposure + parts[1].exposure, rel=2e-4)


def test_round_trip_and_fitsverify(inputs, merged_file, tmp_path, fitsverify):
    again = tmp_path / "again.fits"
    reread = xmmframe.open_events(merged_file)
    reread.write_fits(again)
    assert reread.collect().equals(xmmframe.open_events(again).collect())
    errors, warnings_, report = fitsverify(merged_file)
    _, input_warnings, _ = fitsverify(inputs[0])
    assert errors == 0 and warnings_ <= input_warnings, report      # the input's CALINDEX warning only


def test_refusals(inputs):
    a, b = (xmmframe.open_events(p) for p in inputs)
    with pytest.raises(ProductError, match="different observations"):
        merge_events([a, b])
    with pytest.raises(ProductError, match="overlap"):
        merge_events([a, a])
    with pytest.raises(ProductError, match="at least two"):
        merge_events([a])
    mos2 = xmmframe.open_events(str(inputs[1]).replace("mos1", "mos2"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        merge_events([a, mos2], merge_different_obs=True)
    assert any("INSTRUME" in str(w.message) for w in caught)


def test_merge_cli(inputs, merged_file, tmp_path):
    out = tmp_path / "cli.fits"
    command = ["merge", f"set1={inputs[0]}", f"set2={inputs[1]}", f"outset={out}", "mergedifferentobs=yes"]
    assert main(command) == 0
    assert xmmframe.open_events(out).collect().equals(xmmframe.open_events(merged_file).collect())
    assert main(command) == 1                                       # exists, no clobber
    assert main(["merge", f"set1={inputs[0]}", f"set2={inputs[1]}", f"outset={tmp_path / 'x.fits'}"]) == 1
