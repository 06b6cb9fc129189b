"""CREATOR and DATE of the files written outside a product context: from a Provenance, DATE = SOURCE_DATE_EPOCH."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from astropy.io import fits

from xmmframe._version import __version__
from xmmframe.ccf.ccf_file import write_ccf
from xmmframe.io.cards import provenance_items, provenance_keywords
from xmmframe.io.responses import write_arf, write_rmf
from xmmframe.model.provenance import Provenance
from xmmframe.model.responses import Arf, Rmf
from xmmframe.sim.constituents import exposure_keywords

EPOCH, EPOCH_DATE = "1700000000", "2023-11-14T22:13:20"


@pytest.fixture
def epoch(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)


def test_provenance_items_are_the_provenance_keywords():
    made = Provenance("cifbuild", command="cifbuild calindexset=ccf.cif", version="9.9", date=EPOCH_DATE)
    keywords = provenance_keywords(made)
    assert provenance_items(made) == {key: (value, comment) for key, value, comment in keywords}
    assert provenance_items(made, comments=False) == {
        "CREATOR": "xmmframe cifbuild (xmmframe-9.9)", "DATE": EPOCH_DATE, "XPROC0": "cifbuild calindexset=ccf.cif"}
    assert list(provenance_items(made, date=False)) == ["CREATOR", "XPROC0"]


def test_ccf_creator_date_and_subdate(epoch, tmp_path):
    path = tmp_path / "EPN_QUANTUMEF_0001.CCF"
    write_ccf(path, "EPN", "QUANTUMEF", 1, "2000-01-01T00:00:00",
              [("QUANTUMEF", pl.DataFrame({"ENERGY": [100.0], "QE": [0.5]}), {"TUNIT1": "eV"})])
    header = fits.getheader(path)
    assert header["CREATOR"] == f"xmmframe make_builtin_calibration (xmmframe-{__version__})"
    assert header["DATE"] == EPOCH_DATE and header["SUBDATE"] == EPOCH_DATE
    write_ccf(path, "EPN", "QUANTUMEF", 1, "2000-01-01T00:00:00",
              [("QUANTUMEF", pl.DataFrame({"ENERGY": [100.0], "QE": [0.5]}), {})],
              subdate="2001-01-01T00:00:00", provenance=Provenance("gain_ccfs", version="0.0.1"))
    header = fits.getheader(path)
    assert header["CREATOR"] == "xmmframe gain_ccfs (xmmframe-0.0.1)"
    assert (header["DATE"], header["SUBDATE"]) == (EPOCH_DATE, "2001-01-01T00:00:00")


def _rmf(keywords: dict) -> Rmf:
    edges = np.linspace(0.1, 1.0, 4)
    return Rmf.from_dense(edges[:-1], edges[1:], np.eye(3), edges[:-1], edges[1:], keywords=keywords)


def _arf(keywords: dict) -> Arf:
    edges = np.linspace(0.1, 1.0, 4)
    return Arf(edges[:-1], edges[1:], np.array([10.0, 20.0, 30.0]), keywords=keywords)


@pytest.mark.parametrize(("write", "response", "task"), [(write_rmf, _rmf, "write_rmf"), (write_arf, _arf, "write_arf")])
def test_response_creator_and_date(epoch, tmp_path, write, response, task):
    made_by_rmfgen = response({"INSTRUME": "EPN", "CREATOR": "xmmframe rmfgen (xmmframe-0.1.0)"})
    write(tmp_path / "a.fits", made_by_rmfgen)
    header = fits.getheader(tmp_path / "a.fits")
    assert (header["CREATOR"], header["DATE"]) == ("xmmframe rmfgen (xmmframe-0.1.0)", EPOCH_DATE)
    # no xmmframe CREATOR (read from SAS, or built by hand): the writer is the maker
    write(tmp_path / "b.fits", response({"CREATOR": "rmfgen (rmfgen-2.8.4)"}))
    assert fits.getheader(tmp_path / "b.fits")["CREATOR"] == f"xmmframe {task} (xmmframe-{__version__})"
    write(tmp_path / "c.fits", response({}), provenance=Provenance("arfgen", version="1.0"))
    header = fits.getheader(tmp_path / "c.fits")
    assert (header["CREATOR"], header["DATE"]) == ("xmmframe arfgen (xmmframe-1.0)", EPOCH_DATE)


def test_simulated_odf_primary_keywords(epoch):
    keywords = exposure_keywords("EPN", "0999990101", 3, "S", "Medium", "PrimeFullWindowExtended",
                                 "2006-05-27T10:00:00", "2006-05-27T16:00:00", 1234, "X")
    assert keywords["CREATOR"] == (f"xmmframe simulate (xmmframe-{__version__})", "name of code that created this file")
    assert keywords["DATE"] == (EPOCH_DATE, "creation date")

