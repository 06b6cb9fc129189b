"""Energy redistribution: the ``EPN_REDIST`` / ``EMOSn_REDIST`` CCF and the rmfgen row kernel.

The real REDIST CCFs hold ESA's response model (pn: ``EBOUNDS PHA_EBOUNDS BINNEDPI_EBOUNDS
EBINS ABSORPTION NOISE_PARAMS PARTEVENT_PARAMS THRESH_LOSS``, a physical partial-event model;
MOS: ``CCD_REDISTRIBUTION-n`` per CCD, spatially dependent since issue 0052 [RMFG11]); the
column layouts and numbers are not public.  xmmframe keeps the extension names where the
meaning is clear and stores the redistribution empirically, as measured line profiles:  xmmframe stores the
redistribution empirically, as measured line profiles, in this layout:

* ``BINNEDPI_EBOUNDS``: ``PI`` (J, eV), ``ENERGY`` (E, keV) — the nominal energy of a PI value
  (pn's scale is slightly non-linear below 2 keV); gives the ``EBOUNDS`` of every RMF.
* ``EBINS``: ``ENERG_LO``, ``ENERG_HI`` (E, keV) — rmfgen's default photon energy grid.
* ``PROFILES-<SET>`` (one per pattern set, e.g. ``PROFILES-SINGLE``, ``PROFILES-DOUBLE``,
  ``PROFILES-SINGLE_DOUBLE``, ``PROFILES-ALL``); keywords ``PATTERNS`` (SAS range, e.g. ``'0:4'``)
  and ``PI_STEP`` (eV); columns ``ENERGY`` (E, keV: photon energy of a reference row),
  ``PEAK_PI`` (E, eV: PI of the line peak), ``FIRST_PI`` (E, eV: lower edge of the first
  sample), ``WIDTHS`` (PB: width of each sample in units of ``PI_STEP``) and ``PROFILE``
  (PE: probability of each sample; a row sums to 1).

A row of the RMF at photon energy ``E`` is built from the two reference rows around ``E``:
each is shifted along PI so that its peak falls on the peak position interpolated at ``E``
(this keeps line, shoulder and escape peak aligned), the two are mixed linearly in energy,
spread uniformly over each sample's PI range into the spectrum's channels, truncated to the
channel range, cut below ``LO_THRES`` and normalised to 1.  A numba kernel does this for a
block of rows at a time, so memory stays at one block of ``rows x channels``.

Examples
--------
>>> from xmmframe.ccf.redist import read_redist
>>> redist = read_redist("EPN_REDIST_0002.CCF")                       # doctest: +SKIP
>>> profiles = redist.pattern_set(range(0, 5))                         # doctest: +SKIP
>>> block = profiles.rows(np.array([1.0, 6.4]), origin=0.0, width=5.0, nchan=4096)  # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field

import numba
import numpy as np

from xmmframe.ccf.ccf_file import ccf_table, require_keyword
from xmmframe.ccf.quantumef import parse_pattern_range
from xmmframe.errors import CalibrationError


@numba.njit(cache=True)
def _fill_block(target_peak, lower, weight, ref_peak, ref_first, ref_offsets, ref_widths, ref_values, step,
                origin, width, out):  # pragma: no cover - compiled
    nchan = out.shape[1]
    for r in range(out.shape[0]):
        for side in range(2):
            j = lower[r] + side
            w = weight[r] if side == 1 else 1.0 - weight[r]
            if w <= 0.0:
                continue
            x = ref_first[j] + (target_peak[r] - ref_peak[j])
            for k in range(ref_offsets[j], ref_offsets[j + 1]):
                span = ref_widths[k] * step
                lo = x
                hi = x + span
                x = hi
                p = ref_values[k] * w
                if p == 0.0 or span <= 0.0:
                    continue
                c0 = int(np.floor((lo - origin) / width))
                c1 = int(np.floor((hi - origin) / width))
                if c1 < 0 or c0 >= nchan:
                    continue
                for c in range(max(c0, 0), min(c1, nchan - 1) + 1):
                    a = max(lo, origin + c * width)
                    b = min(hi, origin + (c + 1) * width)
                    if b > a:
                        out[r, c] += p * (b - a) / span


@dataclass(frozen=True)
class RedistributionSet:
    """Reference line profiles of one pattern set.

    Attributes
    ----------
    name : str
        Extension name (``PROFILES-SINGLE_DOUBLE``...).
    patterns : frozenset of int
        Patterns the profiles were measured for.
    energy : numpy.ndarray
        Photon energies of the reference rows (keV), increasing.
    peak_pi, first_pi : numpy.ndarray
        PI (eV) of each row's peak and of its first sample's lower edge.
    offsets : numpy.ndarray
        ``rows + 1`` offsets into ``widths``/``values``.
    widths : numpy.ndarray
        Sample widths in units of ``step``.
    values : numpy.ndarray
        Sample probabilities.
    step : float
        PI width (eV) of a unit sample.
    """

    name: str
    patterns: frozenset[int]
    energy: np.ndarray
    peak_pi: np.ndarray
    first_pi: np.ndarray
    offsets: np.ndarray
    widths: np.ndarray
    values: np.ndarray
    step: float

    def peak(self, energy_kev: np.ndarray) -> np.ndarray:
        """PI (eV) of the line peak at photon energies (keV), linear, extrapolated at the ends."""
        e = np.asarray(energy_kev, dtype=np.float64)
        peak = np.interp(e, self.energy, self.peak_pi)
        low_slope = (self.peak_pi[1] - self.peak_pi[0]) / (self.energy[1] - self.energy[0])
        high_slope = (self.peak_pi[-1] - self.peak_pi[-2]) / (self.energy[-1] - self.energy[-2])
        peak = np.where(e < self.energy[0], self.peak_pi[0] + (e - self.energy[0]) * low_slope, peak)
        return np.where(e > self.energy[-1], self.peak_pi[-1] + (e - self.energy[-1]) * high_slope, peak)

    def rows(self, energy_kev: np.ndarray, origin: float, width: float, nchan: int) -> np.ndarray:
        """Un-normalised response rows ``(len(energy), nchan)`` on channels ``[origin + k*width, +width)`` (PI eV).

        Examples
        --------
        >>> block = profiles.rows(np.array([6.4]), 0.0, 5.0, 4096)   # doctest: +SKIP
        >>> int(block.argmax())                                      # doctest: +SKIP
        1279
        """
        e = np.asarray(energy_kev, dtype=np.float64)
        n = self.energy.size
        position = np.interp(e, self.energy, np.arange(n, dtype=np.float64))
        lower = np.minimum(np.floor(position).astype(np.int64), max(n - 2, 0))
        weight = np.clip(position - lower, 0.0, 1.0) if n > 1 else np.zeros_like(position)
        out = np.zeros((e.size, nchan), dtype=np.float64)
        _fill_block(self.peak(e), lower, weight, self.peak_pi, self.first_pi, self.offsets,
                    self.widths.astype(np.float64), self.values.astype(np.float64), float(self.step),
                    float(origin), float(width), out)
        return out


@dataclass(frozen=True)
class Redistribution:
    """A REDIST CCF: PI energy scale, default energy grid and profiles per pattern set.

    Attributes
    ----------
    channel_pi, channel_energy : numpy.ndarray
        The PI (eV) to nominal energy (keV) scale.
    energ_lo, energ_hi : numpy.ndarray
        Default photon energy grid (keV).
    sets : dict of str to RedistributionSet
        Profiles per pattern set, by extension name.
    path : str
        The CCF read.
    """

    channel_pi: np.ndarray
    channel_energy: np.ndarray
    energ_lo: np.ndarray
    energ_hi: np.ndarray
    sets: dict[str, RedistributionSet] = field(default_factory=dict)
    path: str = ""

    def nominal_energy(self, pi: np.ndarray) -> np.ndarray:
        """Nominal energy (keV) of PI values (eV), linear beyond the table."""
        pi = np.asarray(pi, dtype=np.float64)
        energy = np.interp(pi, self.channel_pi, self.channel_energy)
        slope = (self.channel_energy[-1] - self.channel_energy[-2]) / (self.channel_pi[-1] - self.channel_pi[-2])
        return np.where(pi > self.channel_pi[-1], self.channel_energy[-1] + (pi - self.channel_pi[-1]) * slope, energy)

    def pattern_set(self, patterns: Iterable[int] | None) -> RedistributionSet:
        """The profiles for a pattern selection.

        The set with exactly these patterns, else the smallest tabulated set containing them,
        else the largest set (a documented approximation for e.g. pn triples and quadruples).
        """
        if not self.sets:
            raise CalibrationError("REDIST CCF has no PROFILES-<patterns> extension", self.path)
        wanted = frozenset(patterns) if patterns is not None else None
        candidates = list(self.sets.values())
        if wanted is None:
            return max(candidates, key=lambda s: len(s.patterns))
        for candidate in candidates:
            if candidate.patterns == wanted:
                return candidate
        supersets = [c for c in candidates if wanted <= c.patterns]
        if supersets:
            return min(supersets, key=lambda s: len(s.patterns))
        return max(candidates, key=lambda s: len(s.patterns & wanted) * 100 + len(s.patterns))


def _set_from_table(path: str, extname: str) -> RedistributionSet:
    frame, header = ccf_table(path, extname, ("ENERGY", "PEAK_PI", "FIRST_PI", "WIDTHS", "PROFILE"))
    step = float(require_keyword(header, "PI_STEP", path, extname))  # type: ignore[arg-type]
    patterns = parse_pattern_range(str(require_keyword(header, "PATTERNS", path, extname)))
    frame = frame.sort("ENERGY")
    lengths = frame["PROFILE"].list.len().to_numpy()
    if not np.array_equal(lengths, frame["WIDTHS"].list.len().to_numpy()):
        raise CalibrationError(f"CCF extension {extname}: WIDTHS and PROFILE lengths differ", path)
    return RedistributionSet(
        extname, patterns, frame["ENERGY"].to_numpy().astype(np.float64),
        frame["PEAK_PI"].to_numpy().astype(np.float64), frame["FIRST_PI"].to_numpy().astype(np.float64),
        np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        frame["WIDTHS"].explode().to_numpy().astype(np.int64),
        frame["PROFILE"].explode().to_numpy().astype(np.float64), step,
    )


def read_redist(path: str | os.PathLike[str]) -> Redistribution:
    """Read a REDIST CCF in the layout above.

    Raises
    ------
    xmmframe.errors.CalibrationError
        Naming the file and the missing extension, column or keyword.
    """
    from xmmframe.io.fits_structure import read_structure

    spath = os.fspath(path)
    scale, _ = ccf_table(spath, "BINNEDPI_EBOUNDS", ("PI", "ENERGY"))
    grid, _ = ccf_table(spath, "EBINS", ("ENERG_LO", "ENERG_HI"))
    names = [h.name for h in read_structure(spath)[1:] if h.name.startswith("PROFILES-")]
    if not names:
        raise CalibrationError("CCF has no PROFILES-<patterns> extension", spath)
    return Redistribution(
        scale["PI"].to_numpy().astype(np.float64), scale["ENERGY"].to_numpy().astype(np.float64),
        grid["ENERG_LO"].to_numpy().astype(np.float64), grid["ENERG_HI"].to_numpy().astype(np.float64),
        {name: _set_from_table(spath, name) for name in names}, spath,
    )
