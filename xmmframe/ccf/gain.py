"""Energy scale: gain (``ADUCONV``) and charge-transfer inefficiency (``CTI``) CCFs.

Layout: extension names are the real CCFs' (``ADUCONV``: ``ADUCOEFF OFFSET_GAIN ...``;
``CTI``: ``CTI CTI_EXTENDED ...``, from the CIFs in the reference data); the real functional
forms are not public [sas-reference §12 GAP 5].  xmmframe assumes the simplest form:

* ``ADUCONV[ADUCOEFF]``: ``CCDID`` (I), ``GAIN`` (E, eV/adu), ``OFFSET`` (E, adu);
* ``CTI[CTI]``: ``CCDID`` (I), ``CTI`` (E, fractional charge loss per parallel transfer);

``E = (PHA - OFFSET) * GAIN / (1 - CTI)^(RAWY)`` (transfers towards the read-out at RAWY 0).

Examples
--------
>>> import numpy as np
>>> import polars as pl
>>> scale = EnergyScale(pl.DataFrame({"CCDID": [1], "GAIN": [5.0], "OFFSET": [0.0], "CTI": [0.0]}))
>>> scale.energy(np.array([200]), np.array([1]), np.array([10])).tolist()
[1000.0]
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import polars as pl

from xmmframe.ccf.ccf_file import ccf_table
from xmmframe.errors import CalibrationError


@dataclass(frozen=True)
class EnergyScale:
    """Per-CCD gain, offset and CTI.

    Attributes
    ----------
    table : polars.DataFrame
        ``CCDID, GAIN, OFFSET, CTI``.
    path : str
        The CCF(s) read.
    """

    table: pl.DataFrame
    path: str = ""

    def energy(self, pha: np.ndarray, ccdnr: np.ndarray, rawy: np.ndarray) -> np.ndarray:
        """Energy (eV) of events, vectorised over arrays of PHA, CCDNR and RAWY.

        Raises
        ------
        CalibrationError
            For a CCD the tables do not cover.
        """
        ccds = self.table["CCDID"].to_numpy()
        lookup = np.full(int(max(ccds.max(initial=0), np.max(ccdnr, initial=0))) + 1, -1, dtype=np.int64)
        lookup[ccds] = np.arange(ccds.size)
        row = lookup[np.asarray(ccdnr, dtype=np.int64)]
        if np.any(row < 0):
            raise CalibrationError(f"no gain/CTI for CCD(s) {sorted(set(np.asarray(ccdnr)[row < 0].tolist()))}", self.path)
        gain = self.table["GAIN"].to_numpy()[row]
        offset = self.table["OFFSET"].to_numpy()[row]
        cti = self.table["CTI"].to_numpy()[row]
        return (np.asarray(pha, dtype=np.float64) - offset) * gain / (1.0 - cti) ** np.asarray(rawy, dtype=np.float64)


def read_energy_scale(aduconv: str | os.PathLike[str], cti: str | os.PathLike[str]) -> EnergyScale:
    """Read an ``ADUCONV`` and a ``CTI`` CCF into one per-CCD table.

    Raises
    ------
    xmmframe.errors.CalibrationError
        Naming the file and the missing extension or column.
    """
    gains, _ = ccf_table(aduconv, "ADUCOEFF", ("CCDID", "GAIN", "OFFSET"))
    losses, _ = ccf_table(cti, "CTI", ("CCDID", "CTI"))
    table = gains.join(losses, on="CCDID", how="left").with_columns(pl.col("CTI").fill_null(0.0))
    return EnergyScale(table, f"{os.fspath(aduconv)}, {os.fspath(cti)}")
