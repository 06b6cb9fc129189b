"""The calibration index file (CIF): which CCF issue an analysis uses for each (SCOPE, TYPEID).

A CIF is the ``CALINDEX`` table written by SAS ``cifbuild`` (``ccf.cif``); every calibrated
event list carries a copy in its own ``CALINDEX`` extension, so either can be read.

Examples
--------
>>> from xmmframe.ccf.cif import read_cif
>>> cif = read_cif("ccf.cif")                        # doctest: +SKIP
>>> cif.observation_date, len(cif)                   # doctest: +SKIP
('2001-03-09T12:43:09', 121)
>>> cif.filename("XRT3", "XAREAEF")                  # doctest: +SKIP
'XRT3_XAREAEF_0012.CCF'
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from xmmframe.errors import CalibrationError, HduNotFoundError

#: Columns of a CALINDEX table, in the order cifbuild writes them.
CIF_COLUMNS = ("TELESCOP", "SCOPE", "TYPEID", "ISSUE", "VALDATE", "VALDATE-END", "FNAME", "DATE", "FSIZE",
               "SUBDATE", "EXTSEQU", "EXTSEQID", "MD5", "CREATOR")


def ccf_filename(scope: str, typeid: str, issue: int) -> str:
    """The canonical CCF file name ``SCOPE_TYPEID_ISSUE.CCF`` (issue zero-padded to 4 digits)."""
    return f"{scope}_{typeid}_{issue:04d}.CCF"


def calindex_table(entries: pl.DataFrame) -> pl.DataFrame:
    """CALINDEX rows typed as cifbuild writes them: the CIF columns in order, ISSUE 16-bit,
    FSIZE 32-bit, missing strings empty.

    Examples
    --------
    >>> frame = calindex_table(pl.DataFrame({"SCOPE": ["EPN"], "TYPEID": ["CTI"], "ISSUE": [1]}))
    >>> frame.columns == list(CIF_COLUMNS), frame["ISSUE"].dtype, frame["MD5"].to_list()
    (True, Int16, [''])
    """
    types = {c: pl.Int16 if c == "ISSUE" else pl.Int32 if c == "FSIZE" else pl.String for c in CIF_COLUMNS}
    frame = pl.DataFrame([entries[c].cast(t) if c in entries.columns else pl.Series(c, [None] * entries.height, t)
                          for c, t in types.items()])
    return frame.with_columns(pl.all().exclude("ISSUE", "FSIZE").fill_null(""))


@dataclass(frozen=True)
class CalIndex:
    """A calibration index: one CCF per (SCOPE, TYPEID), chosen for an observation date.

    Attributes
    ----------
    entries : polars.DataFrame
        One row per constituent, CALINDEX columns (SCOPE, TYPEID, ISSUE, VALDATE, FNAME, ...).
    observation_date : str or None
        OBSVDATE the index was built for (ISO, ``YYYY-MM-DDThh:mm:ss``).
    analysis_date : str or None
        ANALDATE: CCFs submitted after it were ignored.
    source : str or None
        File the index was read from.
    """

    entries: pl.DataFrame
    observation_date: str | None = None
    analysis_date: str | None = None
    source: str | None = None

    def __len__(self) -> int:
        return self.entries.height

    def _row(self, scope: str, typeid: str) -> dict:
        rows = self.entries.filter(
            (pl.col("SCOPE").str.to_uppercase() == scope.upper()) & (pl.col("TYPEID").str.to_uppercase() == typeid.upper())
        )
        if rows.height == 0:
            raise CalibrationError(f"the calibration index has no {scope}_{typeid} entry", self.source)
        return rows.row(0, named=True)

    def issue(self, scope: str, typeid: str) -> int:
        """Issue number selected for a calibration type."""
        return int(self._row(scope, typeid)["ISSUE"])

    def filename(self, scope: str, typeid: str) -> str:
        """File name of the selected CCF (FNAME without any directory it was listed with)."""
        return os.path.basename(str(self._row(scope, typeid)["FNAME"]))

    @property
    def selection(self) -> dict[tuple[str, str], int]:
        """``{(SCOPE, TYPEID): ISSUE}`` for every entry."""
        return {(r["SCOPE"], r["TYPEID"]): int(r["ISSUE"]) for r in self.entries.iter_rows(named=True)}

    def resolve(self, ccfpath: Sequence[str | os.PathLike[str]]) -> dict[tuple[str, str], str]:
        """Full paths of every listed CCF in the repository directories.

        Raises
        ------
        CalibrationError
            Listing every file the index names that none of the directories holds.
        """
        found: dict[tuple[str, str], str] = {}
        missing: list[str] = []
        for row in self.entries.iter_rows(named=True):
            name = os.path.basename(str(row["FNAME"]))
            for directory in ccfpath:
                candidate = os.path.join(os.fspath(directory), name)
                if os.path.isfile(candidate):
                    found[(row["SCOPE"], row["TYPEID"])] = candidate
                    break
            else:
                missing.append(name)
        if missing:
            where = os.pathsep.join(os.fspath(d) for d in ccfpath)
            shown = ", ".join(missing[:20]) + (f" and {len(missing) - 20} more" if len(missing) > 20 else "")
            raise CalibrationError(f"{len(missing)} CCF file(s) listed in the index are missing from {where}: {shown}",
                                   self.source)
        return found


def read_cif(path: str | os.PathLike[str]) -> CalIndex:
    """Read a CIF (``ccf.cif``) or the ``CALINDEX`` extension of an event list.

    Raises
    ------
    HduNotFoundError
        When the file has no CALINDEX table.
    """
    from xmmframe.io.fits_scan import FitsTable

    spath = os.fspath(path)
    try:
        table = FitsTable.open(spath, "CALINDEX")
    except HduNotFoundError:
        raise HduNotFoundError("no CALINDEX table: not a calibration index file", spath) from None
    frame = table.read()
    header = table.info.header
    missing = {"SCOPE", "TYPEID", "ISSUE"} - set(frame.columns)
    if missing:
        raise CalibrationError(f"CALINDEX lacks column(s) {', '.join(sorted(missing))}", spath)
    obs = header.get("OBSVDATE")
    anal = header.get("ANALDATE")
    return CalIndex(frame, str(obs).strip() if obs else None, str(anal).strip() if anal else None, spath)
