"""Redistribution matrices of EPIC spectra: SAS ``rmfgen``.

Rows on the REDIST CCF's energy grid (SAS's CAL grid) or ``energy_bins``
(``withenergybins``: ``n`` even bins from ``emin`` to ``emax`` keV), built by
:meth:`~xmmframe.ccf.redist.RedistributionSet.rows` a block of rows at a time, truncated to
the spectrum's channels, cut below ``LO_THRES`` and normalised to 1 (HDUCLAS3 ``REDIST``).
Memory: one block of ``rows x DETCHANS`` float64 (at most 32 MB) plus the sparse result.
What is read from the spectrum: :class:`~xmmframe.products.context.ProductContext`.

Examples
--------
>>> from xmmframe.products.rmf import rmfgen
>>> rmf = rmfgen("PN_spectrum_grp20.fits")                                   # doctest: +SKIP
>>> rmf.detchans                                                             # doctest: +SKIP
4096
"""

from collections.abc import Sequence
from typing import Any

import numpy as np

from xmmframe.ccf.access import Calibration
from xmmframe.errors import XmmframeError
from xmmframe.model.provenance import Provenance
from xmmframe.model.registry import register
from xmmframe.model.responses import Rmf, sparse_rows
from xmmframe.products.context import ProductContext

#: Bytes of the dense row block rmfgen builds at a time.
BLOCK_BYTES = 32 << 20


def energy_grid(emin: float, emax: float, nbins: int) -> tuple[np.ndarray, np.ndarray]:
    """``withenergybins``: ``nbins`` even bins from ``emin`` to ``emax`` (keV).

    Examples
    --------
    >>> energy_grid(0.1, 0.4, 3)[0].round(3).tolist()
    [0.1, 0.2, 0.3]
    """
    if not (emax > emin >= 0 and nbins > 0):
        raise XmmframeError(f"invalid energy grid: energymin={emin} energymax={emax} nenergybins={nbins}")
    edges = np.linspace(emin, emax, int(nbins) + 1)
    return edges[:-1], edges[1:]


@register("Spectrum.rmf")
def rmfgen(
    spectrum: Any,
    calibration: Calibration | None = None,
    energy_bins: tuple[float, float, int] | np.ndarray | None = None,
    threshold: float = 1e-6,
    patterns: Sequence[int] | None = None,
) -> Rmf:
    """The redistribution matrix of a spectrum.

    Parameters
    ----------
    spectrum : path, Spectrum, mapping or ProductContext
        The spectrum (or its header keywords).
    calibration : Calibration, optional
        Default: ``Calibration.open`` for the spectrum's date (SAS_CCF/SAS_CCFPATH or built-in).
    energy_bins : (emin, emax, n) or array of edges, optional
        Even energy grid in keV (``withenergybins=yes``), or explicit bin edges (keV, e.g. an
        existing ARF's grid); default the CCF's grid.
    threshold : float
        ``LO_THRES``: matrix values below it are dropped (before the final normalisation).
    patterns : sequence of int, optional
        Pattern selection; default from the spectrum's DSS.

    Returns
    -------
    Rmf
        Rows normalised to 1 over the spectrum's channels (rows whose response falls entirely
        outside them stay empty).

    Examples
    --------
    >>> rmf = rmfgen({"INSTRUME": "EPN", "DETCHANS": 4096, "DSTYP1": "PATTERN", "DSVAL1": ":4",
    ...               "DATE-OBS": "2016-01-01T00:00:00", "FILTER": "Medium"})       # doctest: +SKIP
    >>> rmf.n_energies, rmf.detchans                                                  # doctest: +SKIP
    (2067, 4096)
    """
    ctx = ProductContext.from_any(spectrum)
    cal = ctx.calibration(calibration)
    redist = cal.redistribution(ctx.instrument)
    profiles = redist.pattern_set(patterns if patterns is not None else ctx.patterns)
    if energy_bins is not None and np.ndim(energy_bins) == 1 and len(energy_bins) != 3:
        edges_e = np.asarray(energy_bins, dtype=np.float64)
        energ_lo, energ_hi = edges_e[:-1], edges_e[1:]
    elif energy_bins is not None:
        energ_lo, energ_hi = energy_grid(*energy_bins)  # type: ignore[misc]
    else:
        energ_lo, energ_hi = redist.energ_lo, redist.energ_hi
    nchan, width, origin = ctx.detchans, ctx.channel_width, ctx.origin
    edges = origin + width * np.arange(nchan + 1)
    e_min, e_max = redist.nominal_energy(edges[:-1]), redist.nominal_energy(edges[1:])
    centres = 0.5 * (energ_lo + energ_hi)
    block = max(1, BLOCK_BYTES // (8 * nchan))
    pieces: list[tuple[np.ndarray, ...]] = []
    for start in range(0, centres.size, block):
        dense = profiles.rows(centres[start : start + block], origin, width, nchan)
        _normalise(dense, threshold)
        pieces.append(sparse_rows(dense, 0.0))
    n_grp = np.concatenate([p[0] for p in pieces])
    counts = np.concatenate([p[3] for p in pieces])
    keywords = ctx.response_keywords(cal, Provenance("rmfgen")) | {
        "CHANTYPE": str(ctx.keywords.get("CHANTYPE", "PI")), "HDUCLAS3": "REDIST", "LO_THRES": threshold,
        "PATTERNS": profiles.name.split("-", 1)[-1]}
    return Rmf(
        np.asarray(energ_lo, dtype=np.float64), np.asarray(energ_hi, dtype=np.float64), n_grp,
        np.concatenate([[0], np.cumsum(n_grp)]).astype(np.int64),
        np.concatenate([p[1] for p in pieces]) + ctx.first_channel, np.concatenate([p[2] for p in pieces]),
        np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        np.concatenate([p[4] for p in pieces]).astype(np.float32), e_min, e_max, ctx.first_channel, keywords,
    )


def _normalise(dense: np.ndarray, threshold: float) -> None:
    """Normalise rows in place, drop values below ``threshold``, renormalise."""
    for _ in range(2):
        sums = dense.sum(axis=1, keepdims=True)
        np.divide(dense, sums, out=dense, where=sums > 0)
        dense[dense < threshold] = 0.0
