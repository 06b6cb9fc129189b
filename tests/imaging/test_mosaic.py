"""Mosaics against the SAS emosaic merged 0.5-2 keV exposure map of obs 0201903501 and against reproject.

The merged map (its XPROC0) is ``emosaic`` of XGA's *scaled* pn, MOS1 and MOS2 maps, which are
not in refdata; the scale factors are recovered from the maps by least squares (pn 6.4186, MOS
1.8495: the merged map is exactly that weighted sum, residual < 1e-7) and given to
:func:`mosaic` as weights.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from astropy.io import fits
from astropy.wcs import WCS

from xmmframe.errors import ParameterError
from xmmframe.imaging.expmap import exposure_map
from xmmframe.imaging.mosaic import mosaic
from xmmframe.model.products import Image

OBS = "0201903501"
CAMERAS = ("pn", "mos1", "mos2")


def _images(refdata):
    base = refdata / "xga" / OBS / "images"
    maps = [str(base / f"{OBS}_{c}_exp1-0.50-2.00keVexpmap.fits") for c in CAMERAS]
    images = [str(base / f"{OBS}_{c}_exp1-0.50-2.00keVimg.fits") for c in CAMERAS]
    return base, maps, images


def _weights(maps, merged):
    data = [fits.getdata(m).astype(np.float64) for m in maps]
    use = merged > 0
    design = np.column_stack([d[use] for d in data])
    weights, *_ = np.linalg.lstsq(design, merged[use], rcond=None)
    return weights


def test_weighted_sum_of_the_sas_maps_is_the_merged_map(refdata):
    base, maps, _ = _images(refdata)
    merged = fits.getdata(base / f"{OBS}-0.50-2.00keVmerged_expmap.fits").astype(np.float64)
    weights = _weights(maps, merged)
    assert weights[1] == pytest.approx(weights[2], rel=1e-6)  # one factor for both MOS
    result = mosaic(expmaps=maps, weights=list(weights))
    np.testing.assert_allclose(result.exposure, merged, rtol=2e-6, atol=1e-2)
    assert np.array_equal(result.exposure > 0, merged > 0)


def test_mosaic_of_xmmframe_mos_maps_against_the_merged_map(refdata):
    """The merged map with xmmframe's MOS maps in place of SAS's (pn: SAS's, no pn events here)."""
    base, maps, images = _images(refdata)
    merged = fits.getdata(base / f"{OBS}-0.50-2.00keVmerged_expmap.fits").astype(np.float64)
    weights = _weights(maps, merged)
    ours = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for cam, image in zip(CAMERAS[1:], images[1:], strict=True):
            ours.append(exposure_map(str(refdata / "xga" / OBS / "eclean" / f"{cam}_exp1_clean_evts.fits"), image,
                                     pimin=500, pimax=2000,
                                     attitude=str(refdata / "xga" / OBS / "emchain" / f"P{OBS}OBX000ATTTSR0000.FIT")))
    result = mosaic(images, [maps[0], *ours], weights=list(weights))
    both = (result.exposure > 0) & (merged > 0)
    ratio = result.exposure[both] / merged[both]
    assert abs(np.median(ratio) - 1) < 0.02
    # pn carries 55 % of the merged exposure, so the MOS vignetting differences are diluted
    assert np.mean(np.abs(ratio - 1) < 0.05) > 0.6
    assert np.sum((merged > 0) != (result.exposure > 0)) < 0.005 * np.sum(merged > 0)
    # counts: the three images on one grid add exactly; the rate is counts / exposure where exposed
    total = sum(fits.getdata(i).sum() for i in images)
    assert result.counts.sum() == pytest.approx(total)
    inside = result.mask
    np.testing.assert_allclose(result.rate[inside], result.counts[inside] / result.exposure[inside])
    assert np.all(np.isnan(result.rate[~inside]))
    assert np.all(result.exposure[~inside] < 0.1 * result.exposure.max())


def test_resampling_agrees_with_reproject(refdata):
    """On a shifted, rotated grid the exposure is sampled as reproject's nearest-neighbour does."""
    reproject = pytest.importorskip("reproject")
    _, maps, images = _images(refdata)
    wcs = WCS(fits.getheader(maps[1]))
    target = wcs.deepcopy()
    target.wcs.crpix = [310.2, 300.7]
    target.wcs.pc = [[np.cos(0.3), -np.sin(0.3)], [np.sin(0.3), np.cos(0.3)]]
    shape = (600, 620)  # holds the whole field
    result = mosaic(expmaps=[maps[1]], wcs=target, shape=shape)
    peer, footprint = reproject.reproject_interp((fits.getdata(maps[1]).astype(np.float64), wcs), target,
                                                 shape_out=shape, order="nearest-neighbor")
    inside = footprint > 0
    np.testing.assert_allclose(result.exposure[inside], peer[inside], rtol=1e-6)
    # counts are moved, not sampled: every count is kept
    counts = mosaic([images[1]], wcs=target, shape=shape).counts
    assert counts.sum() == fits.getdata(images[1]).sum()


def test_bad_mosaic_input(refdata):
    _, maps, images = _images(refdata)
    with pytest.raises(ParameterError, match="at least one"):
        mosaic()
    with pytest.raises(ParameterError, match="one map per image"):
        mosaic(images, maps[:2])
    with pytest.raises(ParameterError, match="min_fraction"):
        mosaic(expmaps=maps, min_fraction=2.0)


def test_written_mosaic_is_valid_fits(refdata, tmp_path, fitsverify):
    _, maps, images = _images(refdata)
    result = mosaic(images, maps)
    for name, image in (("rate", result.rate_image()), ("exposure", result.exposure_image())):
        path = tmp_path / f"{name}.fits"
        image.write(path)
        errors, _, report = fitsverify(path)
        assert errors == 0, report
        assert Image.read(path).data.shape == (512, 512)
