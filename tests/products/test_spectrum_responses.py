"""Spectrum.rmf()/arf() on a real source spectrum: the region and binning recorded in the
spectrum drive the responses."""

from __future__ import annotations

import warnings

import numpy as np

import xmmframe
from xmmframe.errors import CalibrationWarning
from xmmframe.io.responses import read_arf, read_rmf, write_arf


def test_source_spectrum_responses(refdata, tmp_path):
    events = xmmframe.open_events(refdata / "exod/0001730201/M1_clean.fits")
    spectrum = events.spectrum(selection="(X,Y) in CIRCLE(24635.6,24158.8,200)")
    assert spectrum.total == 2456
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rmf = spectrum.rmf()
        arf = spectrum.arf(rmf=rmf)
    assert any(issubclass(w.category, CalibrationWarning) for w in caught)
    assert rmf.e_min.size == spectrum.channel.size == 2400  # MOS 0..11999 in 5 eV channels
    np.testing.assert_array_equal(arf.energ_lo, rmf.energ_lo)
    assert rmf.keywords["CALSRC"] == arf.keywords["CALSRC"] == "xmmframe-builtin"
    assert arf.keywords["FILTER"] == "Thick" == events.meta.filter
    # written, read back: rows normalised, areas kept
    rmf.write(tmp_path / "src.rmf")
    write_arf(tmp_path / "src.arf", arf)
    back = read_rmf(tmp_path / "src.rmf")
    sums = np.add.reduceat(back.matrix, back.row_offsets[:-1])
    assert np.allclose(sums[rmf.energ_lo > 0.3], 1.0, atol=1e-5)
    assert np.allclose(read_arf(tmp_path / "src.arf").specresp, arf.specresp)
    assert np.array_equal(type(rmf).read(tmp_path / "src.rmf").matrix, back.matrix)
    assert 50 < float(np.interp(1.5, arf.energy, arf.specresp)) < 600  # MOS + thick filter, on a 10" circle

