"""The demo runs the whole chain on a short simulated observation and recovers its truth."""

from __future__ import annotations

import os

from astropy.io import fits

from xmmframe.sim.demo import run_demo


def test_demo_short_observation(tmp_path):
    steps = []
    facts = run_demo(str(tmp_path), exposure=5000.0, seed=2, advance=steps.append)
    assert steps[:3] == ["simulate", "odfingest", "epproc"] and steps[-1] == "done"
    for name in ("quicklook.png", "summary.txt", "events", "odf"):
        assert os.path.exists(tmp_path / name), name
    products = set(os.listdir(tmp_path / "products"))
    for camera in ("EPN", "EMOS1", "EMOS2"):
        for suffix in ("_src.pha", "_bkg.pha", "_src.rmf", "_src.arf", "_image.fits", "_flare_gti.fits"):
            assert f"{camera}{suffix}" in products
    assert "EPN_src_lc.fits" in products
    header = fits.getheader(tmp_path / "products" / "EPN_src.pha", "SPECTRUM")
    assert (header["RESPFILE"], header["ANCRFILE"], header["BACKFILE"]) == (
        "EPN_src.rmf",
        "EPN_src.arf",
        "EPN_bkg.pha",
    )
    assert facts["source offset arcsec"] < 1.0
    # 5 ks flares last 400-600 s: the 100 s bins at their edges are only partly flared (the >= 95 %
    # criterion is checked on stronger flares in tests/proc/test_truth_recovery.py)
    assert facts["flare overlap"] >= 0.75
    for camera, values in facts["cameras"].items():
        source = values["source counts"] - values["background counts (scaled)"]
        assert abs(source - values["predicted source counts"]) < 0.15 * values["predicted source counts"], (
            camera
        )
    text = (tmp_path / "summary.txt").read_text()
    assert "recovered vs simulated truth" in text and "timings" in text
    with open(tmp_path / "quicklook.png", "rb") as handle:
        assert handle.read(8) == b"\x89PNG\r\n\x1a\n"
