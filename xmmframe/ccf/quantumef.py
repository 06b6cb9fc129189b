"""CCD quantum efficiency: the ``EPN_QUANTUMEF`` / ``EMOSn_QUANTUMEF`` CCF.

Layout: the real CCF has per-CCD ``QE_CCDn`` tables, ``EBINS``, ``FRACTION_CHANNEL``,
``FRACTION_ENERGY``, ``QE_TOTAL``, ... (extension names from the CIFs in the reference data;
[CALHB744]); their columns are not public.  xmmframe reads the camera-average table and
assumes (its built-in set is written so):

* ``EBINS``: ``ENERGY`` (E, eV);
* ``QE_TOTAL``: ``QE`` (E) per ``EBINS`` row — detection efficiency for the pattern set given
  by the header keyword ``PATTERNS`` (``'0:4'`` pn, ``'0:12'`` MOS); optional
  ``SINGLE_FRACTION`` (E): the fraction of those events that are single-pixel (pattern 0).

Examples
--------
>>> from xmmframe.ccf.quantumef import read_quantumef
>>> qe = read_quantumef("EPN_QUANTUMEF_0001.CCF")            # doctest: +SKIP
>>> qe.efficiency([1.0, 6.4], patterns=range(0, 5))           # doctest: +SKIP
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from xmmframe.ccf.ccf_file import ccf_table
from xmmframe.errors import CalibrationError, CalibrationWarning


def parse_pattern_range(text: str) -> frozenset[int]:
    """Patterns of a SAS range text (``'0:4'``, ``':12'``, ``'0'``, ``'1:4,9'``).

    Examples
    --------
    >>> sorted(parse_pattern_range(':4'))
    [0, 1, 2, 3, 4]
    """
    patterns: set[int] = set()
    for part in str(text).replace("(", "").replace(")", "").replace("[", "").replace("]", "").split(","):
        part = part.strip()
        if not part:
            continue
        if ":" in part:
            lo, hi = part.split(":", 1)
            patterns.update(range(int(lo or 0), int(hi or 31) + 1))
        else:
            patterns.add(int(part))
    return frozenset(patterns)


@dataclass(frozen=True)
class QuantumEfficiency:
    """Camera quantum efficiency vs energy.

    Attributes
    ----------
    energy, qe : numpy.ndarray
        Energies (eV) and efficiency for the ``patterns`` set.
    patterns : frozenset of int
        Pattern set ``qe`` refers to.
    single_fraction : numpy.ndarray or None
        Fraction of single-pixel events, when tabulated.
    path : str
        The CCF read.
    """

    energy: np.ndarray
    qe: np.ndarray
    patterns: frozenset[int]
    single_fraction: np.ndarray | None = None
    path: str = ""

    def efficiency(self, energy_kev: np.ndarray | float, patterns: Iterable[int] | None = None) -> np.ndarray:
        """Efficiency at energies in keV for a pattern selection (default: the tabulated set).

        Singles only (``{0}``) and doubles only (``{1..4}``) use ``SINGLE_FRACTION``; without it
        (or for any other selection) the tabulated set's efficiency is used, with a
        :class:`~xmmframe.errors.CalibrationWarning` for singles/doubles-only selections.
        """
        e = np.asarray(energy_kev, dtype=np.float64) * 1000.0
        total = np.interp(e, self.energy, self.qe)
        chosen = frozenset(patterns) if patterns is not None else self.patterns
        if chosen == frozenset({0}) or chosen == frozenset(range(1, 5)):
            if self.single_fraction is None:
                warnings.warn(f"{os.path.basename(self.path)} has no SINGLE_FRACTION: the QE of patterns "
                              f"{':'.join(str(p) for p in sorted(self.patterns)[::max(len(self.patterns) - 1, 1)])} "
                              "is used for a singles/doubles-only selection", CalibrationWarning, stacklevel=2)
                return total
            single = np.interp(e, self.energy, self.single_fraction)
            return total * (single if 0 in chosen else 1.0 - single)
        return total


def read_quantumef(path: str | os.PathLike[str]) -> QuantumEfficiency:
    """Read a ``QUANTUMEF`` CCF.

    Raises
    ------
    xmmframe.errors.CalibrationError
        Naming the file and the missing extension or column.
    """
    spath = os.fspath(path)
    bins, _ = ccf_table(spath, "EBINS", ("ENERGY",))
    frame, header = ccf_table(spath, "QE_TOTAL", ("QE",), optional=("SINGLE_FRACTION",))
    if frame.height != bins.height:
        raise CalibrationError(f"CCF extension QE_TOTAL has {frame.height} rows, EBINS {bins.height}", spath)
    single = frame["SINGLE_FRACTION"].to_numpy().astype(np.float64) if "SINGLE_FRACTION" in frame.columns else None
    return QuantumEfficiency(
        bins["ENERGY"].to_numpy().astype(np.float64), frame["QE"].to_numpy().astype(np.float64),
        parse_pattern_range(str(header.get("PATTERNS", "0:12"))), single, spath,
    )
