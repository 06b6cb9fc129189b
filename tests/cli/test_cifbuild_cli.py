"""``xmmframe cifbuild``: the index records its command (XPROC0), CREATOR and DATE; "now" is SOURCE_DATE_EPOCH."""

from __future__ import annotations

from astropy.io import fits

from xmmframe.ccf import read_cif
from xmmframe.cli.main import main
from xmmframe.model.provenance import Provenance


def test_cifbuild_header_says_how_and_when(refdata, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    output = tmp_path / "ccf.cif"
    directory = refdata / "xmm-epicpn-simulator"
    arguments = [f"calindexset={output}", "withccfpath=yes", f"ccfpath={directory}", "withobservationdate=yes",
                 "observationdate=2004-05-09T13:00:16"]
    assert main(["cifbuild", *arguments]) == 0
    assert "calibration files for 2004-05-09T13:00:16" in capsys.readouterr().out
    primary = fits.getheader(output)
    assert primary["CREATOR"] == Provenance("cifbuild").creator
    assert primary["DATE"] == "2023-11-14T22:13:20"
    assert primary["XPROC0"] == " ".join(["cifbuild", *arguments])
    index = read_cif(output)
    assert index.analysis_date == "2023-11-14T22:13:20" and index.observation_date == "2004-05-09T13:00:16"
    assert index.filename("XRT3", "XAREAEF") == "XRT3_XAREAEF_0012.CCF"
