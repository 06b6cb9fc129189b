"""Opening ODFs: directories, summary files, tar archives; the constituent index; raw tables; bad ODFs."""

from __future__ import annotations

import os
import shutil
import tarfile

import numpy as np
import polars as pl
import pytest

import xmmframe
from xmmframe.errors import FileAccessError, OdfError, OdfWarning
from xmmframe.io.odf_directory import open_odf, read_attitude
from xmmframe.io.odf_summary import read_summary
from xmmframe.proc.odfingest import odfingest
from xmmframe.model.odf_set import OdfFileName
from xmmframe.proc.chain import process_exposure


def _copy(simulated, tmp_path, name="odf"):
    target = tmp_path / name
    shutil.copytree(simulated.odf, target)
    return target


def test_file_names_follow_the_convention():
    name = OdfFileName.parse("0809_0201901401_PNU00203IME.FIT")
    assert (name.revolution, name.obs_id, name.instrument, name.flag, name.exposure, name.ccd, name.kind) == (
        809,
        "0201901401",
        "PN",
        "U",
        2,
        3,
        "IME",
    )
    mos = OdfFileName.parse("0229_0001730201_M2S00260IME.FIT")
    assert (mos.ccd, mos.node, mos.expidstr) == (6, 0, "S002")
    assert OdfFileName.parse("0229_0001730201_SCX00000ATS.FIT").kind == "ATS"
    assert OdfFileName.parse("P0001730201M1S002MIEVLI.FTZ") is None


def test_open_directory_and_index(simulated):
    obs = xmmframe.open_odf(simulated.odf)
    assert obs.obs_id == "0999990101" and obs.revolution == 1234
    assert obs.index["LISTED"].all()
    assert obs.files("PN", "IME").height == 12 and obs.files("M1", "IME").height == 7
    assert obs.files("EPN", "IME", 3, 4)["NAME"].to_list() == ["1234_0999990101_PNS00304IME.FIT"]
    assert [(e.instrument, e.expidstr, len(e.ccds)) for e in obs.imaging_exposures()] == [
        ("M1", "S001", 7),
        ("M2", "S002", 7),
        ("PN", "S003", 12),
    ]
    raw = obs.raw_events("PN", 3)
    assert raw.collect_schema().names() == ["FRAME", "RAWX", "RAWY", "ENERGY", "CCDNR"]
    counts = raw.group_by("CCDNR").len().collect()
    assert counts.height == 12 and counts["len"].sum() == simulated.result.counts["EPN"]
    mos = obs.raw_events("M1", 1, ccd=1).collect()
    assert mos.columns == [
        "FRAME",
        "RAWX",
        "RAWY",
        "ENERGYE1",
        "ENERGYE2",
        "ENERGYE3",
        "ENERGYE4",
        "PATTERN",
        "PERIPIX",
        "CCDNR",
    ]
    assert set(mos["CCDNR"].to_list()) == {1}
    aux = obs.frames("M1", 1).collect()
    assert {"FRAME", "CCDID", "CCDNODE", "FTCOARSE", "FTFINE", "NVALID", "FIFOOVF"} <= set(aux.columns)
    assert obs.housekeeping("PN", "PMH").select(pl.len()).collect().item() > 10
    attitude = obs.attitude()
    assert attitude.source == "ATS" and attitude.time.size > 100


def test_open_summary_file_and_tar(simulated, tmp_path):
    summary = [n for n in os.listdir(simulated.odf) if n.endswith("SUM.ASC")][0]
    obs = open_odf(os.path.join(simulated.odf, summary))
    assert obs.files(kind="IME").height == 26
    archive = tmp_path / "0999990101.tar.gz"
    inner = tmp_path / "1234_0999990101.TAR"
    with tarfile.open(inner, "w") as tar:
        for name in sorted(os.listdir(simulated.odf)):
            tar.add(os.path.join(simulated.odf, name), arcname=name)
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(inner, arcname=inner.name)
    from_tar = open_odf(archive, workdir=tmp_path / "extracted")
    assert from_tar.files(kind="IME").height == 26
    assert from_tar.raw_events("M2", 2).select(pl.len()).collect().item() == simulated.result.counts["EMOS2"]


def test_missing_summary_is_a_clear_error(simulated, tmp_path):
    odf = _copy(simulated, tmp_path)
    for name in os.listdir(odf):
        if "SUM." in name:
            os.remove(odf / name)
    with pytest.raises(OdfError, match="no ODF summary file"):
        open_odf(odf)
    with pytest.raises(FileAccessError):
        open_odf(tmp_path / "nowhere")


def test_missing_ccd_file_warns_and_processing_goes_on(simulated, tmp_path):
    odf = _copy(simulated, tmp_path)
    os.remove(odf / "1234_0999990101_M1S00130IME.FIT")
    with pytest.warns(OdfWarning, match="1 constituent"):
        obs = open_odf(odf)
    record = obs.imaging_exposures("M1")[0]
    assert record.ccds == (1, 2, 4, 5, 6, 7)
    events = process_exposure(obs, "M1", record)
    assert set(events.collect()["CCDNR"].unique().to_list()) == {1, 2, 4, 5, 6, 7}
    assert sorted(events.meta.gtis) == [1, 2, 4, 5, 6, 7]


def test_missing_frame_file_and_empty_frame_file(simulated, tmp_path):
    odf = _copy(simulated, tmp_path)
    os.remove(odf / "1234_0999990101_PNS00300AUX.FIT")
    with pytest.warns(OdfWarning):
        obs = open_odf(odf)
    with pytest.raises(OdfError, match="no PN AUX exposure 003 file"):
        process_exposure(obs, "PN", obs.imaging_exposures("PN")[0])
    # a frame file without frames
    from xmmframe.io.odf_write import write_constituent

    aux = read_constituent_frame(simulated.odf, "1234_0999990101_M1S00100AUX.FIT").clear()
    write_constituent(odf / "1234_0999990101_M1S00100AUX.FIT", {"FRMTIME": 2600.0}, [("AUX", {}, aux)])
    with pytest.warns(OdfWarning):
        obs = open_odf(odf)
    with pytest.raises(OdfError, match="has no frames"):
        process_exposure(obs, "M1", obs.imaging_exposures("M1")[0])


def read_constituent_frame(directory, name):
    from xmmframe.io.odf_directory import read_constituent

    return read_constituent(os.path.join(directory, name))


def test_corrupt_attitude_is_a_clear_error(simulated, tmp_path):
    odf = _copy(simulated, tmp_path)
    ats = odf / "1234_0999990101_SCX00000ATS.FIT"
    ats.write_bytes(ats.read_bytes()[:5000])
    obs = open_odf(odf)
    with pytest.raises(xmmframe.errors.XmmframeError, match="ATS.FIT"):
        obs.attitude()
    from xmmframe.io.odf_write import write_constituent

    write_constituent(
        ats,
        {},
        [
            (
                "ATS",
                {},
                pl.DataFrame(
                    {
                        "VALTIME": ["garbage"],
                        "VALDUR": [1.0],
                        "VIEWRA": ["x"],
                        "VIEWDECL": ["y"],
                        "ASTPOS": [0.0],
                    }
                ),
            )
        ],
    )
    with pytest.raises(OdfError, match="corrupt attitude"):
        read_attitude(str(ats))
    write_constituent(ats, {}, [("ATS", {}, pl.DataFrame({"A": [1.0]}))])
    with pytest.raises(OdfError, match="not an attitude table"):
        read_attitude(str(ats))


def test_real_atthk_file_reads_as_attitude(refdata):
    att = read_attitude(str(refdata / "xga/0201901401/emchain/P0201901401OBX000ATTTSR0000.FIT"))
    assert att.source == "AHF" and att.time.size == 26401
    ra, dec, pa = att.median_pointing(att.time[0], att.stop)
    assert (ra, dec) == pytest.approx((149.6005, -11.0868055555556), abs=1e-9)
    assert pa == pytest.approx(285.59912109375)


def test_odfingest_writes_a_sas_summary(simulated, tmp_path):
    path = odfingest(simulated.odf, tmp_path)
    assert os.path.basename(path) == "1234_0999990101_SCX00000SUM.SAS"
    summary = read_summary(path)
    assert summary.format == "SAS" and summary.path == os.path.abspath(simulated.odf)
    assert summary.declared_files == len(summary.files)
    assert summary.file_names[-1] == os.path.basename(path)
    pn = summary.instruments["PN"].exposures[0]
    assert (pn.expidstr, pn.scheduled, pn.mode, pn.filter) == (
        "S003",
        True,
        "PrimeFullWindowExtended",
        "Medium",
    )
    assert pn.data_modes == {ccd: "Imaging" for ccd in range(1, 13)}
    assert pn.configuration.declared == len(pn.configuration.parameters)
    assert pn.start.startswith("2006-05-27T10:06")
    m2 = summary.instruments["M2"].exposures[0]
    assert m2.ccds == tuple(range(1, 8)) and m2.configuration.title == "EPIC MOS"
    # the SAS summary opens the ODF where PATH points
    obs = open_odf(path)
    assert obs.directory == os.path.abspath(simulated.odf)
    assert [e.expidstr for e in obs.imaging_exposures()] == ["S001", "S002", "S003"]
    assert obs.imaging_exposures("PN")[0].mode == "PrimeFullWindowExtended"


def test_cli_odfingest(simulated, tmp_path, capsys):
    from xmmframe.cli.main import main

    assert main(["odfingest", f"odfdir={simulated.odf}", f"outdir={tmp_path}"]) == 0
    assert "SUM.SAS" in capsys.readouterr().out
    assert main(["odfingest", f"odfdir={tmp_path / 'none'}"]) == 1


def test_raw_tables_are_lazy(simulated):
    obs = xmmframe.open_odf(simulated.odf)
    lazy = obs.raw_events("PN", 3).filter(pl.col("ENERGY") > 1000).select("CCDNR")
    assert isinstance(lazy, pl.LazyFrame)
    assert np.all(lazy.collect()["CCDNR"].to_numpy() >= 1)
