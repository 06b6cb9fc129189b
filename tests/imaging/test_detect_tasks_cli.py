"""``xmmframe eboxdetect``, ``esplinemap``, ``emldetect``: the SAS tasks one by one equal ``edetect_chain``.

On the simulated MOS1 field with a cluster (:func:`tests.imaging.detect_field.build_extended`),
the chain (writing its background maps too) and the separate tasks run in SAS's order (eboxdetect
local mode, esplinemap, eboxdetect map mode, emldetect) give the same box lists, background maps
and source list, value for value; every output passes fitsverify, and the cluster is in the
emldetect list as one extended source.  Bad input gives a one-line error and exit status 1.
"""

from __future__ import annotations

import numpy as np
import pytest
from astropy.io import fits
from astropy.table import Table

from tests.imaging.detect_field import BAND, build_extended
from xmmframe.cli.main import main

BANDS = (f"pimin={BAND[0]:g}", f"pimax={BAND[1]:g}")


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    base = tmp_path_factory.mktemp("detect-tasks")
    field = build_extended(str(base))
    image, expmap = base / "m1_img.fits", base / "m1_exp.fits"
    field.image.write(image)
    field.expmap.write(expmap)
    return str(image), str(expmap)


@pytest.fixture(scope="module")
def runs(inputs, tmp_path_factory):
    image, expmap = inputs
    chain, tasks = tmp_path_factory.mktemp("chain"), tmp_path_factory.mktemp("tasks")
    assert main(["edetect_chain", f"imagesets={image}", f"expimagesets={expmap}", "witheexpmap=no", *BANDS,
                 f"eboxl_list={chain / 'l.fits'}", f"eboxm_list={chain / 'm.fits'}", f"eml_list={chain / 'ml.fits'}",
                 f"esp_bkgimagesets={chain / 'bkg.fits'}", "fitextent=yes"]) == 0
    assert main(["eboxdetect", f"imagesets={image}", f"expimagesets={expmap}", *BANDS, "likemin=15",
                 f"boxlistset={tasks / 'l.fits'}"]) == 0
    assert main(["esplinemap", f"imageset={image}", f"expimageset={expmap}", *BANDS,
                 f"boxlistset={tasks / 'l.fits'}", f"bkgimageset={tasks / 'bkg.fits'}"]) == 0
    assert main(["eboxdetect", f"imagesets={image}", f"expimagesets={expmap}", *BANDS, "likemin=5", "usemap=yes",
                 f"bkgimagesets={tasks / 'bkg.fits'}", f"boxlistset={tasks / 'm.fits'}"]) == 0
    assert main(["emldetect", f"imagesets={image}", f"expimagesets={expmap}", *BANDS,
                 f"bkgimagesets={tasks / 'bkg.fits'}", f"boxlistset={tasks / 'm.fits'}",
                 f"mllistset={tasks / 'ml.fits'}", f"regionset={tasks / 'src.reg'}"]) == 0
    return chain, tasks


def _same_table(a, b):
    first, second = Table.read(a, hdu="SRCLIST"), Table.read(b, hdu="SRCLIST")
    assert first.colnames == second.colnames and len(first) == len(second) > 0
    for name in first.colnames:
        assert np.array_equal(first[name], second[name]), name


@pytest.mark.parametrize("name", ["l.fits", "m.fits", "ml.fits"])
def test_separate_tasks_equal_the_chain(runs, name, fitsverify):
    chain, tasks = runs
    _same_table(chain / name, tasks / name)
    assert fitsverify(tasks / name)[0] == 0, fitsverify(tasks / name)[2]


def test_background_maps_equal_and_verify(runs, inputs, fitsverify):
    chain, tasks = runs
    ours, theirs = fits.getdata(tasks / "bkg.fits"), fits.getdata(chain / "bkg.fits")
    assert ours.shape == fits.getdata(inputs[0]).shape and np.array_equal(ours, theirs) and ours.sum() > 0
    assert fitsverify(tasks / "bkg.fits")[0] == 0, fitsverify(tasks / "bkg.fits")[2]


def test_emldetect_list_has_the_extent_columns(runs):
    sources = Table.read(runs[1] / "ml.fits", hdu="SRCLIST")
    for column in ("EXT", "EXT_ERR", "EXT_ML"):
        assert column in sources.colnames
    extended = sources[sources["EXT"] > 0]
    assert len(extended) == 1 and extended["EXT_ML"][0] >= 10
    assert sources["EXT"].unit == "arcsec"


@pytest.mark.parametrize(("task", "change", "message"), [
    ("eboxdetect", "usemap=yes", "one background map per image"),
    ("eboxdetect", "pimin=500 600", "one pimin and pimax per image"),
    ("esplinemap", "boxlistset=IMAGE", "SRCLIST"),
    ("emldetect", "maxextent=1", "minextent < maxextent"),
    ("emldetect", "bkgimagesets=EXPMAP EXPMAP", "one background map per image"),
    ("emldetect", "mlmn=5", "unknown parameter"),
])
def test_bad_input_is_one_line(inputs, runs, tmp_path, capsys, task, change, message):
    image, expmap = inputs
    tasks = runs[1]
    common = {"eboxdetect": [f"imagesets={image}", f"expimagesets={expmap}", f"boxlistset={tmp_path / 'b.fits'}"],
              "esplinemap": [f"imageset={image}", f"expimageset={expmap}", f"boxlistset={tasks / 'l.fits'}",
                             f"bkgimageset={tmp_path / 'bkg.fits'}"],
              "emldetect": [f"imagesets={image}", f"expimagesets={expmap}", f"bkgimagesets={tasks / 'bkg.fits'}",
                            f"boxlistset={tasks / 'm.fits'}", f"mllistset={tmp_path / 'ml.fits'}"]}[task]
    change = change.replace("IMAGE", image).replace("EXPMAP", expmap)
    assert main([task, *common, change]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err, err
    assert not list(tmp_path.iterdir())
