"""Jobs of the REST API make the files the command-line tasks make from the same event list.

A spectrum job (with background, RMF, ARF and BACKSCAL), a light-curve job and an image job run
on the store; the same products are made with ``xmmframe evselect``/``backscale``/``rmfgen``/
``arfgen`` from the original FITS event list, as a SAS thread writes the commands.  Every HDU
must hold the same data and the same keywords, except those that record when and by which
command a file was made (DATE, CREATOR, the XPROCn command lines, HISTORY, checksums); every file passes fitsverify.
"""

from __future__ import annotations

import io
import tarfile

import numpy as np
import pytest
from astropy.io import fits

from xmmframe.cli.main import main
from tests.service.conftest import BACKGROUND, EXPRESSION, INSTRUMENT, OBS, SOURCE, wait_for

pytestmark = pytest.mark.filterwarnings("ignore::xmmframe.errors.CalibrationWarning")

#: Keywords recording when and by which command a file was made.
STAMPS = {"DATE", "CREATOR", "HISTORY", "COMMENT", "CHECKSUM", "DATASUM"}


def stamp(key: str) -> bool:
    """DATE, CREATOR, the command lines (XPROCn) and HISTORY: when and how a file was made."""
    return key in STAMPS or key.startswith("XPROC")


def assert_same_fits(ours, theirs) -> None:
    with fits.open(ours) as a, fits.open(theirs) as b:
        assert [h.name for h in a] == [h.name for h in b]
        for ha, hb in zip(a, b):
            keys_a = [(k, v) for k, v in ha.header.items() if not stamp(k)]
            keys_b = [(k, v) for k, v in hb.header.items() if not stamp(k)]
            assert keys_a == keys_b, f"{ours.name}[{ha.name}]"
            if ha.data is None:
                assert hb.data is None
            elif isinstance(ha, fits.BinTableHDU):
                assert ha.columns.names == hb.columns.names
                for name in ha.columns.names:
                    va, vb = np.asarray(ha.data[name]), np.asarray(hb.data[name])
                    if va.dtype == object:  # variable-length arrays (RMF MATRIX, F_CHAN, N_CHAN)
                        assert [len(v) for v in va] == [len(v) for v in vb], name
                        va, vb = np.concatenate(list(va)), np.concatenate(list(vb))
                    np.testing.assert_array_equal(va, vb, err_msg=name)
            else:
                np.testing.assert_array_equal(ha.data, hb.data)


def submit(client, **fields) -> dict:
    body = {"obs_id": OBS, "instrume": INSTRUMENT, "expression": EXPRESSION} | fields
    response = client.post("/api/jobs", json=body)
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "queued"
    job = wait_for(client, response.json()["id"])
    assert job["status"] == "done", job
    return job


def download(client, job, name, folder):
    response = client.get(f"/api/jobs/{job['id']}/files/{name}")
    assert response.status_code == 200
    path = folder / name
    path.write_bytes(response.content)
    return path


def test_spectrum_rmf_arf_as_the_cli_makes_them(api, event_file, tmp_path, fitsverify, monkeypatch):
    client, _ = api
    job = submit(client, source=SOURCE, background=BACKGROUND, products=["spectrum", "rmf", "arf"])
    assert {"src.pha", "bkg.pha", "src.rmf", "src.arf", "src.pha.png", "products.tar.gz", "job.log"} <= set(job["files"])
    got = tmp_path / "service"
    got.mkdir()
    for name in ("src.pha", "bkg.pha", "src.rmf", "src.arf"):
        download(client, job, name, got)
    cli = tmp_path / "cli"
    cli.mkdir()
    monkeypatch.chdir(cli)
    spectrum = ["energycolumn=PI", "spectralbinsize=5", "withspecranges=yes", "specchannelmin=0",
                "specchannelmax=11999"]
    for stem, region in (("src", SOURCE), ("bkg", BACKGROUND)):
        shape = f"((X,Y) in {region})"
        assert main(["evselect", f"table={event_file}", f"expression=({EXPRESSION}) && ({shape})",
                     "withspectrumset=yes", f"spectrumset={stem}.pha", *spectrum]) == 0
        assert main(["backscale", f"spectrumset={stem}.pha", f"badpixlocation={event_file}"]) == 0
    assert main(["rmfgen", "spectrumset=src.pha", "rmfset=src.rmf"]) == 0
    assert main(["arfgen", "spectrumset=src.pha", "arfset=src.arf", "withrmfset=yes", "rmfset=src.rmf",
                 f"badpixlocation={event_file}"]) == 0
    for name in ("src.pha", "bkg.pha", "src.rmf", "src.arf"):
        assert fitsverify(got / name)[:2] == (0, 0), fitsverify(got / name)[2]
        assert_same_fits(got / name, cli / name)
    with fits.open(got / "src.pha") as hdus:
        header = hdus["SPECTRUM"].header
        assert header["BACKSCAL"] > 0 and header["EXPOSURE"] > 0
        assert hdus["SPECTRUM"].data["COUNTS"].sum() > 1000
    archive = client.get(f"/api/jobs/{job['id']}/files/products.tar.gz")
    with tarfile.open(fileobj=io.BytesIO(archive.content)) as tar:
        names = {member.name.split("/", 1)[1] for member in tar.getmembers()}
        assert names == set(job["files"]) - {"products.tar.gz"}
        assert tar.extractfile(f"{job['id']}/src.pha").read() == (got / "src.pha").read_bytes()


def test_lightcurve_and_image_as_the_cli_makes_them(api, event_file, tmp_path, fitsverify, monkeypatch):
    client, _ = api
    curve = submit(client, source=SOURCE, products=["lightcurve"], timebinsize=500)
    image = submit(client, products=["image"], imagebinsize=80)
    got = tmp_path / "service"
    got.mkdir()
    download(client, curve, "src.lc", got)
    download(client, image, "image.fits", got)
    cli = tmp_path / "cli"
    cli.mkdir()
    monkeypatch.chdir(cli)
    assert main(["evselect", f"table={event_file}", f"expression=({EXPRESSION}) && (((X,Y) in {SOURCE}))",
                 "withrateset=yes", "rateset=src.lc", "timebinsize=500", "maketimecolumn=yes", "makeratecolumn=yes",
                 "energycolumn=PI"]) == 0
    assert main(["evselect", f"table={event_file}", f"expression={EXPRESSION}", "withimageset=yes",
                 "imageset=image.fits", "xcolumn=X", "ycolumn=Y", "imagebinning=binSize", "ximagebinsize=80",
                 "yimagebinsize=80"]) == 0
    for name in ("src.lc", "image.fits"):
        assert fitsverify(got / name)[:2] == (0, 0), fitsverify(got / name)[2]
        assert_same_fits(got / name, cli / name)
    assert "image.fits.png" in image["files"] and "src.lc.png" in curve["files"]
    png = client.get(f"/api/jobs/{image['id']}/files/image.fits.png")
    assert png.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_centre_and_optimise(api, event_file, tmp_path):
    from xmmframe.io.events import open_events
    from xmmframe.products.regionanalyse import optimise_source_region

    client, _ = api
    job = submit(client, source="circle(24640,24150,300)", background=BACKGROUND, products=["spectrum"],
                 optimise=True)
    region = download(client, job, "optimised.reg", tmp_path).read_text()
    best = optimise_source_region(open_events(event_file), "circle(24640,24150,300)", BACKGROUND,
                                  selection=EXPRESSION)
    assert best.ds9 in region
    spectrum = download(client, job, "src.pha", tmp_path)
    inside = open_events(event_file).filter(f"({EXPRESSION}) && ((X,Y) in {best.ds9})").count()
    with fits.open(spectrum) as hdus:
        assert hdus["SPECTRUM"].data["COUNTS"].sum() == inside > 0
