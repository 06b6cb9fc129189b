"""Optical-blocking filter transmission: the ``EPN_FILTERTRANSX`` / ``EMOSn_FILTERTRANSX`` CCF.

Layout: the extension names are those of the real CCF (the CIFs in the reference data list
``FILTER-THIN1 FILTER-THIN2 FILTER-MEDIUM FILTER-THICK FILTER-OPEN ... EBINS``); their columns
are not public, so xmmframe assumes, and its built-in set is written with:

* ``EBINS``: ``ENERGY`` (E, eV) — the energy grid of every filter table;
* ``FILTER-<NAME>`` (``NAME`` = the event-list ``FILTER`` value in upper case: ``THIN1``,
  ``THIN2``, ``MEDIUM``, ``THICK``): ``TRANSMISSION`` (E), one row per ``EBINS`` row.

``Open`` (and ``NONE``) transmit everything; ``Closed``/``CalClosed`` nothing.

Examples
--------
>>> from xmmframe.ccf.filtertrans import read_filtertrans
>>> filters = read_filtertrans("EPN_FILTERTRANSX_0001.CCF")     # doctest: +SKIP
>>> filters.transmission("Medium", [0.5, 1.0])                   # doctest: +SKIP
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from xmmframe.ccf.ccf_file import ccf_table
from xmmframe.errors import CalibrationError

#: Filter columns a FILTERTRANSX table may have.
FILTER_COLUMNS = ("THIN1", "THIN2", "MEDIUM", "THICK")
_ALIASES = {"THIN": "THIN1", "MED": "MEDIUM"}
_OPEN = ("OPEN", "NONE", "")
_CLOSED = ("CLOSED", "CALCLOSED", "CAL_CLOSED")


@dataclass(frozen=True)
class FilterTransmission:
    """Transmission of each filter vs energy.

    Attributes
    ----------
    energy : numpy.ndarray
        Energies (eV).
    filters : dict of str to numpy.ndarray
        Transmission per filter (upper-case names).
    path : str
        The CCF read.
    """

    energy: np.ndarray
    filters: dict[str, np.ndarray] = field(default_factory=dict)
    path: str = ""

    def transmission(self, filter_name: str, energy_kev: np.ndarray | float) -> np.ndarray:
        """Transmission of a filter (``FILTER`` keyword value, any case) at energies in keV.

        Raises
        ------
        CalibrationError
            For a filter the CCF does not tabulate.
        """
        key = filter_name.strip().upper()
        key = _ALIASES.get(key, key)
        energy = np.asarray(energy_kev, dtype=np.float64)
        if key in _OPEN:
            return np.ones_like(energy)
        if key in _CLOSED:
            return np.zeros_like(energy)
        if key == "THIN2" and key not in self.filters and "THIN1" in self.filters:
            key = "THIN1"
        if key not in self.filters:
            raise CalibrationError(f"no transmission for filter {filter_name!r} (have {', '.join(self.filters)})",
                                   self.path)
        return np.interp(energy * 1000.0, self.energy, self.filters[key])


def read_filtertrans(path: str | os.PathLike[str]) -> FilterTransmission:
    """Read a ``FILTERTRANSX`` CCF (``EBINS`` and at least one ``FILTER-<name>`` extension).

    Raises
    ------
    xmmframe.errors.CalibrationError
        Naming the file and the missing extension or columns.
    """
    from xmmframe.io.fits_structure import read_structure

    spath = os.fspath(path)
    bins, _ = ccf_table(spath, "EBINS", ("ENERGY",))
    names = [h.name[len("FILTER-"):] for h in read_structure(spath)[1:] if h.name.startswith("FILTER-")]
    present = [n for n in names if n in FILTER_COLUMNS]
    if not present:
        raise CalibrationError(f"CCF has no FILTER-<name> extension (one of {', '.join(FILTER_COLUMNS)})", spath)
    filters = {}
    for name in present:
        table, _ = ccf_table(spath, f"FILTER-{name}", ("TRANSMISSION",))
        if table.height != bins.height:
            raise CalibrationError(f"CCF extension FILTER-{name} has {table.height} rows, EBINS {bins.height}", spath)
        filters[name] = table["TRANSMISSION"].to_numpy().astype(np.float64)
    return FilterTransmission(bins["ENERGY"].to_numpy().astype(np.float64), filters, spath)
