"""Observed-to-model pattern ratios: the arithmetic of epatplot's SNGL_OTM/DBLE_OTM on known counts."""

from __future__ import annotations

import numpy as np
import pytest

from xmmframe.errors import ParameterError
from xmmframe.products.pileup import PatternModel, default_edges, fractions_from_counts

FLAT = PatternModel(np.array([0.2, 12.0]), np.array([[0.7, 0.7], [0.25, 0.25], [0.03, 0.03], [0.02, 0.02]]), "flat")
EDGES = np.array([300.0, 700.0, 1500.0, 3000.0])  # bin centres 458, 1025 and 2121 eV


def test_ratios_and_binomial_errors_by_hand():
    counts = np.array([[100, 700, 50], [50, 250, 50], [0, 30, 0], [0, 20, 0]], dtype=float)
    report = fractions_from_counts(EDGES, counts, FLAT, band=(400.0, 2000.0))
    # the first two bins are in the band: 150 + 1000 valid events
    assert report.band_counts == 1150
    assert report.singles_ratio == pytest.approx(800 / (0.7 * 1150))
    assert report.singles_error == pytest.approx(np.sqrt(1150 * 0.7 * 0.3) / (0.7 * 1150))
    assert report.doubles_ratio == pytest.approx(300 / (0.25 * 1150))
    assert report.doubles_error == pytest.approx(np.sqrt(1150 * 0.25 * 0.75) / (0.25 * 1150))
    assert not report.piled
    assert "0.4-2.0 keV observed-to-model singles fraction: 0.994 +/- 0.019" in report.summary()


def test_singles_deficit_is_pile_up():
    counts = np.array([[100, 600, 50], [50, 350, 50], [0, 30, 0], [0, 20, 0]], dtype=float)
    report = fractions_from_counts(EDGES, counts, FLAT, band=(400.0, 2000.0))
    assert report.singles_ratio == pytest.approx(700 / 805)
    assert report.piled
    np.testing.assert_allclose(report.fractions[:, 1], [0.6, 0.35, 0.03, 0.02])


def test_model_interpolates_in_log_energy():
    model = PatternModel(np.array([1.0, 4.0]), np.array([[0.8, 0.6], [0.2, 0.4], [0.0, 0.0], [0.0, 0.0]]))
    assert model.at([2.0])[0, 0] == pytest.approx(0.7)
    assert model.at([0.1, 10.0])[0].tolist() == [0.8, 0.6]


def test_bad_edges():
    with pytest.raises(ParameterError, match="PI range"):
        default_edges(2000, 500)
