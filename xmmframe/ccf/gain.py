"""Energy scale: gain and offsets (``ADUCONV``), charge-transfer inefficiency (``CTI``) CCFs.

The extension names are those of the real CCFs (``<camera>_ADUCONV``: ``ADUCOEFF OFFSET_GAIN
...``; ``<camera>_CTI``: ``CTI CTI_EXTENDED ...``, as listed by the CIFs in the reference data).
Their columns and the functional forms of the real gain and CTI corrections are not public
[sas-reference §12 GAP 5], so xmmframe assumes the following layout; real ESA CCFs laid out
differently give a :class:`~xmmframe.errors.CalibrationError` naming what is missing.

``ADUCONV``

* ``ADUCOEFF`` (required): one row per CCD, ``CCDID`` (I), ``GAIN`` (D, eV/adu), ``OFFSET``
  (D, adu): the CCD's mean gain and offset, used for every column when there is no
  ``OFFSET_GAIN``.  Header keywords (optional for the reader, required by epproc/emproc and the
  simulator): ``EVTHRESH`` on-board lower event threshold (adu), ``MIPTHRES`` minimum ionising
  particle threshold (adu), ``RDNOISE`` read noise (eV rms).
* ``OFFSET_GAIN`` (optional): one row per CCD, ``CCDID`` (I), ``GAIN`` (nD, eV/adu) and
  ``OFFSET`` (nD, adu) with one element per ``RAWX`` column (n = 64 for pn, 600 for MOS).

``CTI``

* ``CTI_EXTENDED`` (used when present): one row per CCD, ``CCDID`` (I), ``CTI`` (D, fractional
  charge loss per parallel transfer at the energy ``E_REF``); keywords ``E_REF`` (eV) and
  ``CTIINDEX``: ``cti(E) = CTI * (E / E_REF) ** -CTIINDEX``.
* ``CTI`` (otherwise): ``CCDID`` (I), ``CTI`` (D), energy independent (``CTIINDEX = 0``).

The energy model, per pixel (transfers towards the read-out node at RAWY 0)::

    E_meas = E * (1 - cti(E)) ** RAWY          PHA = E_meas / GAIN[CCD, RAWX] + OFFSET[CCD, RAWX]

Examples
--------
>>> import numpy as np
>>> scale = EnergyScale(np.array([1]), np.array([[5.0]]), np.array([[0.0]]), np.array([0.0]))
>>> scale.energy(np.array([200]), np.array([1]), np.array([10])).tolist()
[1000.0]
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from xmmframe.ccf.ccf_file import ccf_extensions, ccf_table, require_keyword, write_ccf
from xmmframe.ccf.cif import ccf_filename
from xmmframe.errors import CalibrationError

#: Reference energy (eV) of the CTI written by :func:`write_energy_scale`.
CTI_REFERENCE_EV = 1000.0


@dataclass(frozen=True)
class EnergyScale:
    """Gain and offset per CCD and RAWX column, energy-dependent CTI per CCD, on-board thresholds.

    Attributes
    ----------
    ccds : numpy.ndarray
        ``CCDID`` of each row of the tables below.
    gain : numpy.ndarray
        eV per adu, ``[row, RAWX - 1]``; a single column applies to every RAWX.
    offset : numpy.ndarray
        Offset in adu, same shape as ``gain``.
    cti_1kev : numpy.ndarray
        Fractional charge loss per parallel transfer at 1 keV, ``[row]``.
    cti_index : float
        Energy dependence: ``cti(E) = cti_1kev * (E / 1 keV) ** -cti_index``.
    event_threshold, mip_threshold : int or None
        On-board lower event threshold and minimum-ionising-particle threshold (adu).
    read_noise : float or None
        Read noise (eV rms).
    path : str
        The CCF(s) read.

    Examples
    --------
    >>> scale = read_energy_scale("EPN_ADUCONV_0001.CCF", "EPN_CTI_0001.CCF")   # doctest: +SKIP
    >>> scale.gain.shape, scale.event_threshold                                  # doctest: +SKIP
    ((12, 64), 20)
    """

    ccds: np.ndarray
    gain: np.ndarray
    offset: np.ndarray
    cti_1kev: np.ndarray
    cti_index: float = 0.0
    event_threshold: int | None = None
    mip_threshold: int | None = None
    read_noise: float | None = None
    path: str = ""

    def rows(self, ccdnr: np.ndarray) -> np.ndarray:
        """Table row of each CCD number.

        Raises
        ------
        CalibrationError
            For a CCD the tables do not cover.
        """
        ccdnr = np.asarray(ccdnr, dtype=np.int64)
        ccds = np.asarray(self.ccds, dtype=np.int64)
        lookup = np.full(int(max(ccds.max(initial=0), ccdnr.max(initial=0))) + 1, -1, dtype=np.int64)
        lookup[ccds] = np.arange(ccds.size)
        row = lookup[ccdnr]
        if np.any(row < 0):
            raise CalibrationError(f"no gain/CTI for CCD(s) {sorted(set(ccdnr[row < 0].tolist()))}", self.path)
        return row

    def by_ccd(self, ccd_count: int, width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``gain[ccd, RAWX - 1]``, ``offset[ccd, RAWX - 1]`` and ``cti_1kev[ccd]`` indexed by CCD number.

        CCDs the tables do not cover are zero; a single-column table is repeated over ``width``.

        Raises
        ------
        CalibrationError
            When the tables have neither one nor ``width`` columns, or a CCD number is not
            below ``ccd_count``.

        Examples
        --------
        >>> scale = EnergyScale(np.array([2]), np.array([[5.0]]), np.array([[1.0]]), np.array([1e-5]))
        >>> gain, offset, cti = scale.by_ccd(3, 4)
        >>> gain[2].tolist(), cti.tolist()
        ([5.0, 5.0, 5.0, 5.0], [0.0, 0.0, 1e-05])
        """
        columns = self.gain.shape[1]
        if columns not in (1, width):
            raise CalibrationError(f"the gain table has {columns} values per CCD, expected 1 or {width} (RAWX)",
                                   self.path)
        ccds = np.asarray(self.ccds, dtype=np.int64)
        if ccds.size and (ccds.min() < 0 or ccds.max() >= ccd_count):
            raise CalibrationError(f"CCDID {ccds.max()} out of range 0-{ccd_count - 1}", self.path)
        gain = np.zeros((ccd_count, width))
        offset = np.zeros((ccd_count, width))
        cti = np.zeros(ccd_count)
        gain[ccds] = self.gain
        offset[ccds] = self.offset
        cti[ccds] = self.cti_1kev
        return gain, offset, cti

    def cti(self, energy: np.ndarray, ccdnr: np.ndarray) -> np.ndarray:
        """Charge loss per parallel transfer at ``energy`` (eV) on CCDs ``ccdnr``."""
        scale = (np.maximum(np.asarray(energy, dtype=np.float64), 1.0) / 1000.0) ** -self.cti_index
        return self.cti_1kev[self.rows(ccdnr)] * scale

    def energy(
        self, pha: np.ndarray, ccdnr: np.ndarray, rawy: np.ndarray, rawx: np.ndarray | None = None
    ) -> np.ndarray:
        """Energy (eV) of single pixels, vectorised over arrays of PHA, CCDNR, RAWY (and RAWX).

        Without ``rawx`` the first column's gain and offset are used.  The energy-dependent CTI
        is inverted by fixed-point iteration.

        Raises
        ------
        CalibrationError
            For a CCD the tables do not cover.
        """
        row = self.rows(ccdnr)
        column = np.zeros_like(row) if rawx is None or self.gain.shape[1] == 1 else np.asarray(rawx) - 1
        measured = (np.asarray(pha, dtype=np.float64) - self.offset[row, column]) * self.gain[row, column]
        transfers = np.asarray(rawy, dtype=np.float64)
        energy = measured
        for _ in range(50):
            previous = energy
            energy = measured / (1.0 - self.cti(energy, ccdnr)) ** transfers
            if np.allclose(energy, previous, rtol=1e-13, atol=0.0):
                break
        return energy


def read_energy_scale(aduconv: str | os.PathLike[str], cti: str | os.PathLike[str]) -> EnergyScale:
    """Read an ``ADUCONV`` and a ``CTI`` CCF (layout in the module docstring).

    Raises
    ------
    xmmframe.errors.CalibrationError
        Naming the file and the missing extension, column or keyword, or a CCD with a gain
        but no CTI.

    Examples
    --------
    >>> scale = read_energy_scale("EPN_ADUCONV_0001.CCF", "EPN_CTI_0001.CCF")   # doctest: +SKIP
    """
    aduconv, cti = os.fspath(aduconv), os.fspath(cti)
    coefficients, header = ccf_table(aduconv, "ADUCOEFF", ("CCDID", "GAIN", "OFFSET"))
    table = coefficients
    if "OFFSET_GAIN" in ccf_extensions(aduconv):
        table, _ = ccf_table(aduconv, "OFFSET_GAIN", ("CCDID", "GAIN", "OFFSET"))
    ccds = table["CCDID"].to_numpy().astype(np.int64)
    gain = np.asarray(table["GAIN"].to_numpy(), dtype=np.float64).reshape(table.height, -1)
    offset = np.asarray(table["OFFSET"].to_numpy(), dtype=np.float64).reshape(table.height, -1)
    if gain.shape != offset.shape:
        raise CalibrationError(f"GAIN has {gain.shape[1]} and OFFSET {offset.shape[1]} values per CCD", aduconv)
    if "CTI_EXTENDED" in ccf_extensions(cti):
        losses, cti_header = ccf_table(cti, "CTI_EXTENDED", ("CCDID", "CTI"))
        index = float(require_keyword(cti_header, "CTIINDEX", cti, "CTI_EXTENDED"))  # type: ignore[arg-type]
        reference = float(require_keyword(cti_header, "E_REF", cti, "CTI_EXTENDED"))  # type: ignore[arg-type]
        at_1kev = losses["CTI"].to_numpy().astype(np.float64)
        if reference != 1000.0:
            at_1kev = at_1kev * (reference / 1000.0) ** index
    else:
        losses, _ = ccf_table(cti, "CTI", ("CCDID", "CTI"))
        index = 0.0
        at_1kev = losses["CTI"].to_numpy().astype(np.float64)
    by_ccd = dict(zip(losses["CCDID"].to_numpy().astype(np.int64).tolist(), at_1kev.tolist()))
    missing = sorted(set(ccds.tolist()) - set(by_ccd))
    if missing:
        raise CalibrationError(f"the CTI CCF has no row for CCD(s) {missing} of {os.path.basename(aduconv)}", cti)
    return EnergyScale(
        ccds, gain, offset, np.array([by_ccd[c] for c in ccds.tolist()], dtype=np.float64), index,
        _keyword(header, "EVTHRESH", int), _keyword(header, "MIPTHRES", int), _keyword(header, "RDNOISE", float),
        f"{aduconv}, {cti}",
    )


def _keyword(header: dict[str, object], key: str, kind: type) -> int | float | None:
    value = header.get(key)
    return None if value is None or value == "" else kind(value)


def write_energy_scale(
    scale: EnergyScale,
    directory: str | os.PathLike[str],
    scope: str,
    issue: int = 1,
    valdate: str = "2000-01-01T00:00:00",
    history: Sequence[str] = (),
    subdate: str | None = None,
) -> tuple[str, str]:
    """Write ``<scope>_ADUCONV_<issue>.CCF`` and ``<scope>_CTI_<issue>.CCF`` in the layout above.

    ``ADUCOEFF`` gets the mean gain and offset of each CCD and the thresholds, ``OFFSET_GAIN``
    the per-column values, ``CTI_EXTENDED`` the CTI at ``E_REF`` = 1 keV and ``CTIINDEX``.

    Returns
    -------
    tuple of str
        Paths of the ADUCONV and CTI files.

    Examples
    --------
    >>> scale = EnergyScale(np.array([1]), np.full((1, 64), 5.0), np.zeros((1, 64)), np.array([6e-5]), 0.25,
    ...                     20, 3000, 18.0)
    >>> write_energy_scale(scale, "ccf", "EPN")                                  # doctest: +SKIP
    ('ccf/EPN_ADUCONV_0001.CCF', 'ccf/EPN_CTI_0001.CCF')
    """
    ccdid = pl.Series("CCDID", np.asarray(scale.ccds), dtype=pl.Int16)
    width = scale.gain.shape[1]
    thresholds = {key: value for key, value in (("EVTHRESH", scale.event_threshold), ("MIPTHRES", scale.mip_threshold),
                                                ("RDNOISE", scale.read_noise)) if value is not None}
    coefficients = pl.DataFrame([ccdid, pl.Series("GAIN", scale.gain.mean(axis=1)),
                                 pl.Series("OFFSET", scale.offset.mean(axis=1))])
    columns = pl.DataFrame([ccdid, pl.Series("GAIN", scale.gain, dtype=pl.Array(pl.Float64, width)),
                            pl.Series("OFFSET", scale.offset.astype(np.float64), dtype=pl.Array(pl.Float64, width))])
    aduconv = os.path.join(os.fspath(directory), ccf_filename(scope, "ADUCONV", issue))
    units = {"TUNIT2": "eV/adu", "TUNIT3": "adu"}
    write_ccf(aduconv, scope, "ADUCONV", issue, valdate, [
        ("ADUCOEFF", coefficients, units | thresholds), ("OFFSET_GAIN", columns, units)],
        "Gain and offsets per CCD and RAWX column (xmmframe layout)", history, subdate)
    losses = pl.DataFrame([ccdid, pl.Series("CTI", np.asarray(scale.cti_1kev, dtype=np.float64))])
    cti = os.path.join(os.fspath(directory), ccf_filename(scope, "CTI", issue))
    write_ccf(cti, scope, "CTI", issue, valdate, [
        ("CTI_EXTENDED", losses, {"E_REF": CTI_REFERENCE_EV, "CTIINDEX": float(scale.cti_index)})],
        "Energy-dependent parallel CTI per CCD (xmmframe layout)", history, subdate)
    return aduconv, cti
