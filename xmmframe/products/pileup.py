"""Pile-up diagnostics (SAS ``epatplot``): pattern fractions against energy and their observed-to-model ratios.

Two photons absorbed in one pattern within one frame are read out as one event: its energy is
the sum, and its pattern is the union of both charge clouds, so a piled-up source has too few
single-pixel events and too many doubles (and larger patterns) against a faint source.

:func:`pattern_fractions` counts, in PI bins, the events of each class of valid patterns
(single 0, double 1-4, triple 5-8, quadruple 9-12) of a source region and divides by all
valid events of the bin.  The expected curves (a :class:`PatternModel` against energy, taken at
the bin centres) are those of isolated photons; xmmframe's come from the simulator's pattern
model (:func:`xmmframe.sim.pattern_model.isolated_pattern_model`; SAS uses the calibration's).

**Observed-to-model ratios** in ``band`` (0.5-2 keV, SAS's ``SNGL_OTM``/``DBLE_OTM``): the
observed singles (doubles) in the band over the number expected, ``sum_bins N_bin x f_model``;
their errors are the binomial ones of that expectation, ``sqrt(sum N_bin f (1 - f)) / expected``
(the class is a share of a fixed number of events).  A source is **piled up** when the singles
ratio lies below 1, or the doubles ratio above 1, by more than ``nsigma`` errors.

**Annulus recommendation** (:func:`recommend_annulus`): the ratios of annuli with growing inner
radius (``step`` arcsec); the recommended inner radius is the smallest whose annulus shows no
pile-up (with at least ``min_counts`` events in the band).

Examples
--------
>>> import numpy as np
>>> model = PatternModel(np.array([0.5, 2.0]), np.array([[0.8, 0.8], [0.2, 0.2], [0.0, 0.0], [0.0, 0.0]]), "flat")
>>> report = fractions_from_counts(np.array([400.0, 1000.0, 2000.0]), np.array([[400, 200], [100, 100], [0, 0],
...                                [0, 0]]), model)
>>> round(report.singles_ratio, 3), round(report.doubles_ratio, 3), report.piled
(0.938, 1.25, True)
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from xmmframe.errors import ParameterError, ProductError
from xmmframe.io.figures import write_png
from xmmframe.model.events import EventList

#: Pattern classes of epatplot and their PATTERN ranges.
PATTERN_CLASSES = {"single": (0, 0), "double": (1, 4), "triple": (5, 8), "quadruple": (9, 12)}
#: Sky pixels (X/Y) per arcsec.
SKY_PER_ARCSEC = 20.0


@dataclass(frozen=True, eq=False)
class PatternModel:
    """Expected fractions of the pattern classes of isolated photons against energy.

    Attributes
    ----------
    energy : numpy.ndarray
        Energies (keV), increasing.
    fractions : numpy.ndarray
        ``(4, energies)``: single, double, triple, quadruple shares of patterns 0-12.
    source : str
        Where the curves come from.
    """

    energy: np.ndarray
    fractions: np.ndarray
    source: str = ""

    def at(self, energy_kev: Sequence[float] | np.ndarray) -> np.ndarray:
        """``(4, n)`` fractions at energies (keV), linear in log energy, constant beyond the table."""
        x = np.log(np.clip(np.asarray(energy_kev, dtype=np.float64), 1e-3, None))
        grid = np.log(self.energy)
        return np.stack([np.interp(x, grid, row) for row in self.fractions])


@dataclass(frozen=True, eq=False)
class PatternReport:
    """Pattern fractions of a region, the model, and the observed-to-model ratios of the band.

    Attributes
    ----------
    edges : numpy.ndarray
        PI bin edges (eV).
    counts : numpy.ndarray
        ``(4, bins)`` events of each pattern class.
    model : numpy.ndarray
        ``(4, bins)`` expected fractions at the bin centres.
    band : (float, float)
        PI band (eV) of the ratios.
    singles_ratio, singles_error, doubles_ratio, doubles_error : float
        Observed-to-model ratios (``SNGL_OTM``, ``ESGL_OTM``, ``DBLE_OTM``, ``EDBL_OTM``).
    band_counts : int
        Valid events in the band.
    nsigma : float
        Errors of deviation that count as pile-up.
    """

    edges: np.ndarray
    counts: np.ndarray
    model: np.ndarray
    band: tuple[float, float]
    singles_ratio: float
    singles_error: float
    doubles_ratio: float
    doubles_error: float
    band_counts: int
    nsigma: float = 3.0
    model_source: str = ""

    @property
    def total(self) -> np.ndarray:
        """Valid events per bin."""
        return self.counts.sum(axis=0)

    @property
    def fractions(self) -> np.ndarray:
        """``(4, bins)`` observed fractions (NaN in empty bins)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.total > 0, self.counts / self.total, np.nan)

    @property
    def piled(self) -> bool:
        """Singles deficit or doubles excess beyond ``nsigma`` errors."""
        low = self.singles_error > 0 and (1.0 - self.singles_ratio) > self.nsigma * self.singles_error
        high = self.doubles_error > 0 and (self.doubles_ratio - 1.0) > self.nsigma * self.doubles_error
        return bool(low or high)

    def summary(self) -> str:
        """The ratios as SAS epatplot prints them."""
        lo, hi = self.band[0] / 1000.0, self.band[1] / 1000.0
        return (f"{lo:.1f}-{hi:.1f} keV observed-to-model singles fraction: {self.singles_ratio:.3f} +/- "
                f"{self.singles_error:.3f}; doubles fraction: {self.doubles_ratio:.3f} +/- {self.doubles_error:.3f}")

    def figure(self, title: str = "") -> "object":
        """A matplotlib figure: observed fractions (points with binomial errors) and the model curves."""
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt

        centres = np.sqrt(self.edges[:-1] * self.edges[1:]) / 1000.0
        fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 7), sharex=True, height_ratios=(2, 1))
        fractions = self.fractions
        total = np.maximum(self.total, 1)
        for c, (name, color) in enumerate(zip(PATTERN_CLASSES, ("tab:red", "tab:blue", "tab:green", "tab:cyan"),
                                              strict=True)):
            err = np.sqrt(np.clip(fractions[c] * (1 - fractions[c]), 0, None) / total)
            top.errorbar(centres, fractions[c], yerr=err, fmt="o", ms=3, color=color, label=name)
            top.plot(centres, self.model[c], "-", color=color)
        top.set_xscale("log")
        top.set_ylabel("pattern fraction")
        top.set_ylim(0, 1)
        top.legend(loc="center right", fontsize=8)
        top.set_title(title or self.summary(), fontsize=8)
        bottom.hist(centres, bins=self.edges / 1000.0, weights=self.total, histtype="step", color="k")
        bottom.set_yscale("log")
        bottom.set_xlabel("PI (keV)")
        bottom.set_ylabel("events per bin")
        fig.tight_layout()
        return fig

    def plot(self, path: str | os.PathLike[str], title: str = "", protect: Sequence[str | os.PathLike[str]] = ()) -> None:
        """Write :meth:`figure` as a PNG, atomically."""
        import matplotlib.pyplot as plt

        fig = self.figure(title)
        try:
            write_png(fig, path, protect=protect)
        finally:
            plt.close(fig)


def default_edges(pimin: float = 200.0, pimax: float = 12000.0, bins: int = 25) -> np.ndarray:
    """Logarithmic PI bin edges (eV).

    Examples
    --------
    >>> default_edges(500, 2000, 2).round(1).tolist()
    [500.0, 1000.0, 2000.0]
    """
    if not 0 < pimin < pimax or bins < 1:
        raise ParameterError(f"PI range {pimin}-{pimax} with {bins} bins is not usable")
    return np.geomspace(pimin, pimax, bins + 1)


def fractions_from_counts(
    edges: np.ndarray,
    counts: np.ndarray,
    model: PatternModel,
    band: tuple[float, float] = (500.0, 2000.0),
    nsigma: float = 3.0,
) -> PatternReport:
    """The report of per-bin class counts ``(4, bins)`` against a model.

    Bins whose centre lies in ``band`` enter the ratios.
    """
    edges = np.asarray(edges, dtype=np.float64)
    counts = np.asarray(counts, dtype=np.float64)
    centres = np.sqrt(edges[:-1] * edges[1:])
    expected_fraction = model.at(centres / 1000.0)
    total = counts.sum(axis=0)
    inside = (centres >= band[0]) & (centres <= band[1])

    def ratio(c: int) -> tuple[float, float]:
        f = expected_fraction[c, inside]
        n = total[inside]
        expected = float((n * f).sum())
        if expected <= 0:
            return float("nan"), 0.0
        return float(counts[c, inside].sum()) / expected, float(np.sqrt((n * f * (1 - f)).sum())) / expected

    s, es = ratio(0)
    d, ed = ratio(1)
    return PatternReport(edges, counts, expected_fraction, (float(band[0]), float(band[1])), s, es, d, ed,
                         int(total[inside].sum()), nsigma, model.source)


def _region(lazy: pl.LazyFrame, center: tuple[float, float] | None, radius: float | None, inner: float) -> pl.LazyFrame:
    if center is None:
        return lazy
    r2 = (pl.col("X").cast(pl.Float64) - center[0]) ** 2 + (pl.col("Y").cast(pl.Float64) - center[1]) ** 2
    out = lazy.filter(r2 >= (inner * SKY_PER_ARCSEC) ** 2)
    if radius is not None:
        out = out.filter(r2 <= (radius * SKY_PER_ARCSEC) ** 2)
    return out


def pattern_fractions(
    events: EventList,
    model: PatternModel,
    *,
    center: tuple[float, float] | None = None,
    radius: float | None = None,
    inner: float = 0.0,
    selection: str | None = None,
    edges: np.ndarray | None = None,
    band: tuple[float, float] = (500.0, 2000.0),
    nsigma: float = 3.0,
) -> PatternReport:
    """Pattern fractions against PI of a source region, and the observed-to-model ratios (SAS epatplot).

    Parameters
    ----------
    events : EventList
        Calibrated events (``PI``, ``PATTERN``; ``X``/``Y`` with ``center``).
    model : PatternModel
        Expected fractions of isolated photons.
    center : (float, float), optional
        Source position (sky X/Y pixels); without it every event is used (an event list already
        filtered to the source, as SAS epatplot takes it).
    radius, inner : float
        Outer and inner radius (arcsec) of the source circle or annulus.
    selection : str, optional
        A selection expression applied first (``'#XMMEA_EP'``, ``FLAG==0`` ...).
    edges : numpy.ndarray, optional
        PI bin edges (eV); default :func:`default_edges`.
    band : (float, float)
        PI band (eV) of the ratios.
    nsigma : float
        Deviation (in errors) that counts as pile-up.

    Raises
    ------
    ProductError
        For an event list without PI or PATTERN, or no valid event in the band.

    Examples
    --------
    >>> report = pattern_fractions(events, model, center=(25900.0, 25880.0), radius=40.0)   # doctest: +SKIP
    >>> print(report.summary())                                                               # doctest: +SKIP
    """
    names = {c.upper(): c for c in events.meta.column_names}
    for column in ("PI", "PATTERN") + (("X", "Y") if center is not None else ()):
        if column not in names:
            raise ProductError(f"the event list has no {column} column", events.meta.source or None)
    if radius is not None and radius <= inner:
        raise ParameterError(f"the outer radius ({radius}\") must exceed the inner radius ({inner}\")")
    chosen = events.filter(selection) if selection else events
    edges = default_edges() if edges is None else np.asarray(edges, dtype=np.float64)
    lazy = _region(chosen.lazy.rename({names[k]: k for k in names if k in ("PI", "PATTERN", "X", "Y")
                                       and names[k] != k}), center, radius, inner)
    frame = lazy.filter(pl.col("PATTERN") <= 12).select(pl.col("PI").cast(pl.Float64),
                                                        pl.col("PATTERN").cast(pl.Int64)).collect()
    pi, pattern = frame["PI"].to_numpy(), frame["PATTERN"].to_numpy()
    counts = np.stack([np.histogram(pi[(pattern >= lo) & (pattern <= hi)], bins=edges)[0]
                       for lo, hi in PATTERN_CLASSES.values()]).astype(np.float64)
    report = fractions_from_counts(edges, counts, model, band, nsigma)
    if report.band_counts == 0:
        raise ProductError(f"no valid event (PATTERN<=12) in {band[0]:g}-{band[1]:g} eV in the region",
                           events.meta.source or None)
    return report


@dataclass(frozen=True, eq=False)
class AnnulusAdvice:
    """The ratios of annuli with growing inner radius and the recommended one.

    ``inner_radius`` is None when no annulus with enough events is free of pile-up, 0 when the
    whole circle is.
    """

    radii: tuple[float, ...]
    reports: tuple[PatternReport, ...]
    inner_radius: float | None

    def summary(self) -> str:
        """One line per annulus, then the recommendation."""
        lines = [f"  inner {r:5.1f}\": {rep.summary()}{'  (piled up)' if rep.piled else ''}"
                 for r, rep in zip(self.radii, self.reports, strict=True)]
        if self.inner_radius is None:
            lines.append("no annulus free of pile-up found; use a larger outer radius")
        elif self.inner_radius == 0:
            lines.append("no pile-up: use the whole circle")
        else:
            lines.append(f"pile-up: exclude the inner {self.inner_radius:g}\" (annulus {self.inner_radius:g}\" to "
                         "the outer radius)")
        return "\n".join(lines)


def recommend_annulus(
    events: EventList,
    model: PatternModel,
    center: tuple[float, float],
    radius: float,
    *,
    step: float = 5.0,
    min_counts: int = 200,
    selection: str | None = None,
    band: tuple[float, float] = (500.0, 2000.0),
    nsigma: float = 3.0,
) -> AnnulusAdvice:
    """Inner radius (arcsec) of the source annulus that removes the pile-up (see the module docstring).

    Examples
    --------
    >>> advice = recommend_annulus(events, model, (25900.0, 25880.0), 40.0)     # doctest: +SKIP
    >>> advice.inner_radius                                                        # doctest: +SKIP
    5.0
    """
    if step <= 0 or radius <= step:
        raise ParameterError(f"annulus step ({step}\") must be positive and below the radius ({radius}\")")
    radii: list[float] = []
    reports: list[PatternReport] = []
    inner = 0.0
    while inner < radius - step / 2:
        try:
            report = pattern_fractions(events, model, center=center, radius=radius, inner=inner, selection=selection,
                                       band=band, nsigma=nsigma)
        except ProductError:
            break
        if report.band_counts < min_counts:
            break
        radii.append(inner)
        reports.append(report)
        if not report.piled:
            return AnnulusAdvice(tuple(radii), tuple(reports), inner)
        inner += step
    return AnnulusAdvice(tuple(radii), tuple(reports), None)


__all__ = ["PATTERN_CLASSES", "SKY_PER_ARCSEC", "AnnulusAdvice", "PatternModel", "PatternReport", "default_edges",
           "fractions_from_counts", "pattern_fractions", "recommend_annulus"]
