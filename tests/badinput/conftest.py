"""The good inputs the corpus derives its bad ones from, built once per session from refdata."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import xmmframe
from tests.badinput.cases import Work
from tests.badinput.files import small_events


@pytest.fixture(scope="session")
def originals(refdata, tmp_path_factory) -> dict[str, Path]:
    """Small real inputs: a 400-event MOS1 list (FITS and Parquet), a pn ARF and RMF, a CCF, a spectrum."""
    folder = tmp_path_factory.mktemp("originals")
    events = small_events(refdata, folder / "events.fits")
    parquet = folder / "events.parquet"
    xmmframe.open_events(events).write_parquet(parquet)
    files = {"events": events, "parquet": parquet}
    for key, source in (("arf", "jaxspec/PN.arf"), ("rmf", "sherpa-test-data/epn_ff20_dY9.rmf"),
                        ("ccf", "xmm-epicpn-simulator/XRT3_XAREAEF_0012.CCF"),
                        ("spectrum", "jaxspec/PN_spectrum_grp20.fits")):
        files[key] = Path(shutil.copy(refdata / source, folder / Path(source).name))
    return files


@pytest.fixture()
def work(originals, tmp_path) -> Work:
    """A fresh folder with an empty output folder; the good inputs are shared (read only: the
    cases that read them directly check that they are byte-identical afterwards)."""
    (tmp_path / "out").mkdir()
    return Work(tmp_path, **originals)
