"""Calibration indexes: real CIFs read completely; cifbuild on a stand-in CCF repository selects
the issues SAS cifbuild selected."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from astropy.io import fits

from xmmframe.ccf import cifbuild, read_cif
from xmmframe.ccf.cifbuild import write_cif
from xmmframe.errors import CalibrationError, HduNotFoundError
from xmmframe.model.provenance import Provenance

CIF_FILES = [
    "exod/0001730201/ccf.cif",
    "xga/0201901401/odf/ccf.cif",
    "xga/0201903501/odf/ccf.cif",
    "xga/0404910601/odf/ccf.cif",
    "xmm-epicpn-simulator/ccf.cif",
    "exod/0001730201/P0001730201M1S002MIEVLI.FTZ",
    "exod/0001730201/P0001730201M2S003MIEVLI.FTZ",
    "xga/0201901401/eclean/mos1_exp1_clean_evts.fits",
    "xga/0201903501/eclean/mos2_exp1_clean_evts.fits",
    "xga/0404910601/eclean/mos1_exp1_clean_evts.fits",
]


@pytest.mark.parametrize("name", CIF_FILES)
def test_real_indexes_read_completely(refdata, name):
    cif = read_cif(refdata / name)
    with fits.open(refdata / name) as hdul:
        table = hdul["CALINDEX"]
        assert len(cif) == len(table.data)
        assert cif.observation_date == table.header["OBSVDATE"]
        assert cif.analysis_date == table.header["ANALDATE"]
        for column in table.columns.names:
            expected = table.data[column]
            got = cif.entries[column].to_list()
            if expected.dtype.kind in "SU":
                assert got == [str(v).rstrip() for v in expected]
            else:
                np.testing.assert_array_equal(np.asarray(got), expected)
    assert cif.filename("XRT3", "XAREAEF").startswith("XRT3_XAREAEF_")


def _stand_in(directory: Path, row: dict) -> None:
    header = fits.Header()
    for key, value in (
        ("CREATOR", row["CREATOR"][:60]), ("DATE", row["DATE"]), ("FILENAME", Path(row["FNAME"]).name), ("TELESCOP", "XMM"),
        ("SCOPE", row["SCOPE"]), ("TYPEID", row["TYPEID"]), ("ISSUE", row["ISSUE"]), ("VALDATE", row["VALDATE"]),
        ("EXTSEQU", row["EXTSEQU"]), ("EXTSEQID", row["EXTSEQID"][:60]), ("CATEGORY", "XMMCCF"),
        ("SUBDATE", row["SUBDATE"]),
    ):
        header[key] = value
    if row["VALDATE-END"]:
        header["EVALDATE"] = row["VALDATE-END"]
    fits.PrimaryHDU(header=header).writeto(directory / Path(row["FNAME"]).name)


@pytest.fixture(scope="module")
def repository(refdata, tmp_path_factory) -> tuple[Path, pl.DataFrame]:
    """Stand-in CCFs (real names and header keywords) for every constituent any refdata CIF lists."""
    directory = tmp_path_factory.mktemp("ccf")
    # A file listed with several submission dates (re-ingested into a newer master index) was
    # first available at the earliest.
    union = pl.concat([read_cif(refdata / name).entries for name in CIF_FILES]).sort("SUBDATE").unique(
        subset=["SCOPE", "TYPEID", "ISSUE"], keep="first", maintain_order=True
    )
    for row in union.iter_rows(named=True):
        _stand_in(directory, row)
    return directory, union


def _analysis_cut(cif) -> str:
    # The repository the CIF was built from held nothing submitted after the newest CCF it lists.
    newest = max(cif.entries["SUBDATE"].to_list())
    return min(newest, cif.analysis_date)


@pytest.mark.parametrize("name", CIF_FILES)
def test_cifbuild_selects_the_same_issues(refdata, repository, name):
    directory, _ = repository
    reference = read_cif(refdata / name)
    built = cifbuild([directory], reference.observation_date, _analysis_cut(reference))
    assert built.selection == reference.selection
    assert sorted(built.entries["FNAME"].to_list()) == sorted(Path(f).name for f in reference.entries["FNAME"])


def test_cifbuild_from_a_master_index(refdata, repository, tmp_path):
    _, union = repository
    from xmmframe.ccf.cif import CalIndex

    write_cif(CalIndex(union), tmp_path / "XMM_CALINDEX_0001.CCF")
    reference = read_cif(refdata / "exod/0001730201/ccf.cif")
    built = cifbuild([tmp_path], reference.observation_date, _analysis_cut(reference))
    assert built.selection == reference.selection
    # the master index names files this directory does not hold: resolving lists them
    with pytest.raises(CalibrationError) as info:
        built.resolve([tmp_path])
    assert "EMOS1_ADUCONV_0089.CCF" in str(info.value) and "missing" in str(info.value)


def test_resolve_finds_files_across_directories(refdata, repository, tmp_path):
    directory, _ = repository
    reference = read_cif(refdata / "exod/0001730201/ccf.cif")
    paths = reference.resolve([tmp_path, directory])
    assert paths[("XRT3", "XAREAEF")] == str(directory / "XRT3_XAREAEF_0012.CCF")
    assert len(paths) == len(reference)


def test_written_cif_round_trips_and_verifies(refdata, repository, tmp_path, fitsverify):
    directory, _ = repository
    built = cifbuild([directory], "2004-05-09T13:00:16", "2015-01-01T00:00:00")
    write_cif(built, tmp_path / "ccf.cif")
    again = read_cif(tmp_path / "ccf.cif")
    assert again.selection == built.selection and again.observation_date == "2004-05-09T13:00:16"
    errors, warnings, report = fitsverify(tmp_path / "ccf.cif")
    assert errors == 0, report


def test_bad_inputs(refdata, tmp_path):
    with pytest.raises(HduNotFoundError, match="CALINDEX"):
        read_cif(refdata / "exod/0001730201/M1_gti.fits")
    with pytest.raises(CalibrationError, match="no CCF directory"):
        cifbuild([tmp_path / "absent"], "2004-01-01")
    with pytest.raises(CalibrationError, match="observation date"):
        cifbuild([tmp_path], None)


def test_analysis_date_now_is_recorded_as_source_date_epoch(repository, tmp_path, monkeypatch):
    """Without an analysis date, the index's ANALDATE and the file's DATE are SOURCE_DATE_EPOCH.

    The selection is SAS's for an analysis at the moment of the run: every CCF submitted until then.
    """
    directory, _ = repository
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1420070400")  # 2015-01-01T00:00:00 UTC
    observed = "2004-05-09T13:00:16"
    by_default = cifbuild([directory], observed)
    assert by_default.analysis_date == "2015-01-01T00:00:00"
    assert by_default.selection == cifbuild([directory], observed, "2100-01-01T00:00:00").selection
    # an analysis date given is both the SUBDATE cut and the ANALDATE
    explicit = cifbuild([directory], observed, "2015-01-01T00:00:00")
    assert explicit.analysis_date == "2015-01-01T00:00:00" and explicit.selection != by_default.selection
    assert max(explicit.entries["SUBDATE"].to_list()) <= "2015-01-01T00:00:00"

    write_cif(by_default, tmp_path / "ccf.cif")
    with fits.open(tmp_path / "ccf.cif") as hdus:
        primary, table = hdus[0].header, hdus["CALINDEX"].header
    assert primary["CREATOR"] == Provenance("cifbuild").creator
    assert primary["DATE"] == "2015-01-01T00:00:00"
    assert table["ANALDATE"] == "2015-01-01T00:00:00" and table["OBSVDATE"] == observed


def test_cif_date_is_the_time_of_writing_without_epoch(repository, tmp_path, monkeypatch):
    directory, _ = repository
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    before = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
    index = cifbuild([directory], "2004-05-09T13:00:16")
    write_cif(index, tmp_path / "ccf.cif", Provenance("cifbuild", command="cifbuild calindexset=ccf.cif"))
    after = datetime.now(timezone.utc).replace(tzinfo=None)
    primary = fits.getheader(tmp_path / "ccf.cif")
    assert before <= datetime.fromisoformat(primary["DATE"]) <= after
    assert before <= datetime.fromisoformat(index.analysis_date) <= after
    assert primary["XPROC0"] == "cifbuild calindexset=ccf.cif"
