"""Spectral responses: the redistribution matrix (RMF) and the ancillary response (ARF).

Both are plain containers of numpy arrays plus header keywords; :mod:`xmmframe.io.responses`
reads and writes them as OGIP files (CAL/GEN/92-002).  The RMF is kept sparse exactly as the
file stores it: for energy row ``i`` the groups ``group_offsets[i]:group_offsets[i+1]`` of
``f_chan``/``n_chan`` and the values ``matrix[row_offsets[i]:row_offsets[i+1]]``.  Channels
are numbered from ``first_channel`` (0 for XMM, written as ``TLMIN`` of ``F_CHAN``).

Examples
--------
>>> import numpy as np
>>> from xmmframe.model.responses import Arf, Rmf
>>> rmf = Rmf.from_dense(np.array([0.1, 0.2]), np.array([0.2, 0.3]),
...                      np.array([[0.0, 1.0, 0.0], [0.0, 0.5, 0.5]]),
...                      np.array([0.0, 0.1, 0.2]), np.array([0.1, 0.2, 0.3]))
>>> rmf.n_grp.tolist(), rmf.f_chan.tolist(), rmf.n_chan.tolist()
([1, 1], [1, 1], [1, 2])
>>> rmf.to_dense()[1].tolist()
[0.0, 0.5, 0.5]
>>> Arf(np.array([0.1]), np.array([0.2]), np.array([400.0])).specresp.tolist()
[400.0]
"""

from __future__ import annotations

import os

from dataclasses import dataclass, field

import numpy as np

from xmmframe.model.registry import implementation


@dataclass(frozen=True)
class Rmf:
    """A redistribution matrix in OGIP sparse form.

    Attributes
    ----------
    energ_lo, energ_hi : numpy.ndarray
        Photon energy bin edges of the rows (keV).
    n_grp : numpy.ndarray
        Number of channel groups of each row.
    group_offsets : numpy.ndarray
        ``len(rows) + 1`` offsets into ``f_chan``/``n_chan``.
    f_chan, n_chan : numpy.ndarray
        First channel (numbered from ``first_channel``) and length of every group, all rows
        concatenated.
    row_offsets : numpy.ndarray
        ``len(rows) + 1`` offsets into ``matrix``.
    matrix : numpy.ndarray
        Non-zero response values of all rows concatenated (float32).
    e_min, e_max : numpy.ndarray
        EBOUNDS: nominal energy range of each channel (keV).
    first_channel : int
        Number of the first channel (``TLMIN`` of ``F_CHAN`` and ``CHANNEL``).
    keywords : dict
        Header keywords of the MATRIX extension beyond the structural ones (TELESCOP,
        INSTRUME, FILTER, CHANTYPE, HDUCLAS3, LO_THRES, CALSRC, ...).
    """

    energ_lo: np.ndarray
    energ_hi: np.ndarray
    n_grp: np.ndarray
    group_offsets: np.ndarray
    f_chan: np.ndarray
    n_chan: np.ndarray
    row_offsets: np.ndarray
    matrix: np.ndarray
    e_min: np.ndarray
    e_max: np.ndarray
    first_channel: int = 0
    keywords: dict[str, object] = field(default_factory=dict)

    def __repr__(self) -> str:
        return (f"Rmf({self.n_energies} energies {self.energ_lo[0]:g}-{self.energ_hi[-1]:g} keV x "
                f"{self.e_min.size} channels, {self.matrix.size} non-zero elements, "
                f"{self.keywords.get('INSTRUME', '?')})")

    def write(self, path: str | os.PathLike[str]) -> None:
        """Write as an OGIP RMF (MATRIX + EBOUNDS), atomically."""
        implementation("Rmf.write")(path, self)

    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> "Rmf":
        """Read an OGIP RMF (xmmframe, SAS rmfgen or canned)."""
        return implementation("Rmf.read")(path)

    @property
    def n_energies(self) -> int:
        """Number of energy rows."""
        return int(self.energ_lo.size)

    @property
    def detchans(self) -> int:
        """Number of channels (DETCHANS)."""
        return int(self.e_min.size)

    @property
    def channels(self) -> np.ndarray:
        """Channel numbers (``first_channel`` ... ``first_channel + DETCHANS - 1``)."""
        return np.arange(self.first_channel, self.first_channel + self.detchans)

    def row_sums(self) -> np.ndarray:
        """Sum of each row (1 for a normalised redistribution matrix)."""
        sums = np.add.reduceat(self.matrix.astype(np.float64), self.row_offsets[:-1]) if self.matrix.size else None
        out = np.zeros(self.n_energies)
        if sums is not None:
            nonempty = np.diff(self.row_offsets) > 0
            out[nonempty] = sums[nonempty]
        return out

    def to_dense(self, rows: slice | None = None) -> np.ndarray:
        """Rows as a dense float64 array ``(rows, DETCHANS)`` (for small checks only)."""
        selected = range(self.n_energies)[rows or slice(None)]
        dense = np.zeros((len(selected), self.detchans))
        for out, i in enumerate(selected):
            values = self.matrix[self.row_offsets[i] : self.row_offsets[i + 1]]
            start = 0
            for g in range(self.group_offsets[i], self.group_offsets[i + 1]):
                first = int(self.f_chan[g]) - self.first_channel
                count = int(self.n_chan[g])
                dense[out, first : first + count] = values[start : start + count]
                start += count
        return dense

    @classmethod
    def from_dense(
        cls,
        energ_lo: np.ndarray,
        energ_hi: np.ndarray,
        dense: np.ndarray,
        e_min: np.ndarray,
        e_max: np.ndarray,
        first_channel: int = 0,
        threshold: float = 0.0,
        keywords: dict[str, object] | None = None,
    ) -> "Rmf":
        """Build the sparse form of a dense ``(energies, channels)`` matrix (values ``> threshold``)."""
        n_grp, f_chan, n_chan, counts, values = sparse_rows(np.asarray(dense, dtype=np.float64), threshold)
        return cls(
            np.asarray(energ_lo, dtype=np.float64), np.asarray(energ_hi, dtype=np.float64), n_grp,
            np.concatenate([[0], np.cumsum(n_grp)]).astype(np.int64), f_chan + first_channel, n_chan,
            np.concatenate([[0], np.cumsum(counts)]).astype(np.int64), values.astype(np.float32),
            np.asarray(e_min, dtype=np.float64), np.asarray(e_max, dtype=np.float64), first_channel,
            dict(keywords or {}),
        )


@dataclass(frozen=True)
class Arf:
    """An ancillary response: effective area per photon energy bin.

    Attributes
    ----------
    energ_lo, energ_hi : numpy.ndarray
        Energy bin edges (keV); equal to the RMF's rows.
    specresp : numpy.ndarray
        Effective area (cm2).
    keywords : dict
        Header keywords of the SPECRESP extension (TELESCOP, INSTRUME, FILTER, CALSRC, ...).
    """

    energ_lo: np.ndarray
    energ_hi: np.ndarray
    specresp: np.ndarray
    keywords: dict[str, object] = field(default_factory=dict)

    def __repr__(self) -> str:
        return (f"Arf({self.specresp.size} energies {self.energ_lo[0]:g}-{self.energ_hi[-1]:g} keV, "
                f"max {float(np.max(self.specresp)):.1f} cm2, {self.keywords.get('INSTRUME', '?')})")

    def write(self, path: str | os.PathLike[str]) -> None:
        """Write as an OGIP ARF (SPECRESP), atomically."""
        implementation("Arf.write")(path, self)

    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> "Arf":
        """Read an OGIP ARF."""
        return implementation("Arf.read")(path)

    @property
    def energy(self) -> np.ndarray:
        """Bin centres (keV)."""
        return 0.5 * (self.energ_lo + self.energ_hi)


def sparse_rows(
    dense: np.ndarray, threshold: float = 0.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """OGIP groups of a dense block of rows: runs of consecutive values ``> threshold``.

    Returns
    -------
    n_grp, f_chan, n_chan, counts, values
        Groups per row; first channel (0-based) and length of each group (all rows
        concatenated); stored values per row; the stored values, row-major.

    Examples
    --------
    >>> sparse_rows(np.array([[0.0, 1.0, 0.0, 2.0], [0.0, 0.0, 0.0, 0.0]]))[:3]
    (array([2, 0]), array([1, 3]), array([1, 1]))
    """
    keep = dense > threshold
    padded = np.zeros((keep.shape[0], keep.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = keep
    step = np.diff(padded, axis=1)
    start_rows, start_cols = np.nonzero(step == 1)
    _, stop_cols = np.nonzero(step == -1)
    n_grp = np.bincount(start_rows, minlength=keep.shape[0]).astype(np.int64)
    counts = keep.sum(axis=1).astype(np.int64)
    return n_grp, start_cols.astype(np.int64), (stop_cols - start_cols).astype(np.int64), counts, dense[keep]
