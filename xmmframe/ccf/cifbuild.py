"""Building a calibration index from a CCF repository, as SAS ``cifbuild`` does.

For every (SCOPE, TYPEID) the repository holds, the CCF chosen is the one with the highest
ISSUE among those with ``VALDATE <= observation date``, an end of validity (``VALDATE-END`` in
a master index, ``EVALDATE`` in a CCF header) that is empty or ``>= observation date``, and
``SUBDATE <= analysis date`` (default: now).

The repository is one or more directories (``SAS_CCFPATH``, separated by ``:``).  When a
directory holds a master index file ``XMM_CALINDEX_nnnn.CCF``, the highest issue of it lists
the constituents (with their validity ends); otherwise the primary headers of the ``*.CCF``
files are read (``SCOPE``, ``TYPEID``, ``ISSUE``, ``VALDATE``, ``SUBDATE``, ...).

Examples
--------
>>> from xmmframe.ccf.cifbuild import cifbuild
>>> cif = cifbuild(["/data/ccf"], observation_date="2004-05-09T13:00:16")   # doctest: +SKIP
>>> cif.issue("EMOS1", "QUANTUMEF")                                         # doctest: +SKIP
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from datetime import datetime, timezone

import polars as pl

from xmmframe.ccf.cif import CIF_COLUMNS, CalIndex, calindex_table
from xmmframe.errors import CalibrationError, XmmframeError
from xmmframe.io.cards import provenance_items
from xmmframe.model.hdu import creation_date
from xmmframe.model.provenance import Provenance

_CCF_NAME = re.compile(r"^([A-Z0-9]+)_([A-Z0-9_]+)_(\d{4})\.CCF$", re.IGNORECASE)
_MIF = re.compile(r"^XMM_CALINDEX_(\d{4})\.CCF$", re.IGNORECASE)


def ccf_path_from_environment() -> list[str]:
    """Directories named by ``SAS_CCFPATH`` (``:``-separated), or an empty list."""
    value = os.environ.get("SAS_CCFPATH", "")
    return [p for p in re.split(r"[:;]", value) if p]


def parse_date(value: str | datetime | None, what: str = "date") -> datetime | None:
    """An ISO date (``YYYY-MM-DD[Thh:mm:ss[.fff]]``) as a naive UTC datetime; None/empty stays None.

    ``now`` is the moment of the run.

    Examples
    --------
    >>> parse_date("2001-03-09T12:43:09"), parse_date("")
    (datetime.datetime(2001, 3, 9, 12, 43, 9), None)
    """
    if value is None or isinstance(value, datetime):
        return value.replace(tzinfo=None) if isinstance(value, datetime) else None
    text = str(value).strip()
    if not text:
        return None
    if text.lower() == "now":
        return datetime.now(timezone.utc).replace(tzinfo=None)
    try:
        return datetime.fromisoformat(text.replace("Z", ""))
    except ValueError:
        raise XmmframeError(f"invalid {what} {text!r}: expected YYYY-MM-DDThh:mm:ss") from None


def _header_entry(path: str) -> dict[str, object] | None:
    from xmmframe.io.fits_structure import iter_hdus

    header = next(iter_hdus(path)).header
    scope, typeid, issue = header.get("SCOPE"), header.get("TYPEID"), header.get("ISSUE")
    if scope is None or typeid is None or issue is None:
        return None
    return {
        "TELESCOP": str(header.get("TELESCOP", "XMM")).strip(),
        "SCOPE": str(scope).strip(),
        "TYPEID": str(typeid).strip(),
        "ISSUE": int(issue),
        "VALDATE": str(header.get("VALDATE", "")).strip(),
        "VALDATE-END": str(header.get("EVALDATE", "")).strip(),
        "FNAME": os.path.basename(path),
        "DATE": str(header.get("DATE", "")).strip(),
        "FSIZE": os.path.getsize(path),
        "SUBDATE": str(header.get("SUBDATE", "")).strip(),
        "EXTSEQU": str(header.get("EXTSEQU", "")).strip(),
        "EXTSEQID": str(header.get("EXTSEQID", "")).strip(),
        "MD5": "",
        "CREATOR": str(header.get("CREATOR", "")).strip(),
    }


def scan_repository(ccfpath: Sequence[str | os.PathLike[str]]) -> pl.DataFrame:
    """Every CCF a repository offers, one row per file, with the CALINDEX columns.

    Raises
    ------
    CalibrationError
        When no directory exists or no CCF is found.
    """
    from xmmframe.ccf.cif import read_cif

    rows: list[dict[str, object]] = []
    masters: list[pl.DataFrame] = []
    existing = [os.fspath(d) for d in ccfpath if os.path.isdir(d)]
    if not existing:
        raise CalibrationError(f"no CCF directory found in {os.pathsep.join(map(os.fspath, ccfpath)) or '(empty path)'}")
    for directory in existing:
        names = sorted(os.listdir(directory))
        mifs = sorted((n for n in names if _MIF.match(n)), key=lambda n: int(_MIF.match(n).group(1)))  # type: ignore[union-attr]
        if mifs:
            masters.append(read_cif(os.path.join(directory, mifs[-1])).entries)
            continue
        for name in names:
            if _CCF_NAME.match(name):
                entry = _header_entry(os.path.join(directory, name))
                if entry is not None:
                    rows.append(entry)
    frames = masters + ([pl.DataFrame(rows)] if rows else [])
    if not frames:
        raise CalibrationError(f"no CCF files in {os.pathsep.join(existing)}")
    columns = list(CIF_COLUMNS)
    aligned = [f.select([pl.col(c).cast(pl.Int64 if c in ("ISSUE", "FSIZE") else pl.String) if c in f.columns
                         else pl.lit(None, dtype=pl.Int64 if c in ("ISSUE", "FSIZE") else pl.String).alias(c)
                         for c in columns]) for f in frames]
    return pl.concat(aligned).unique(subset=["SCOPE", "TYPEID", "ISSUE"], keep="first", maintain_order=True)


def select_issues(repository: pl.DataFrame, observation_date: datetime, analysis_date: datetime) -> pl.DataFrame:
    """The CALINDEX rows chosen for an observation and analysis date (one per SCOPE/TYPEID)."""
    def as_date(column: str) -> pl.Expr:
        return pl.col(column).str.strip_chars().str.replace("Z", "").str.to_datetime(strict=False)

    valid = repository.filter(
        (as_date("VALDATE") <= observation_date)
        & (as_date("VALDATE-END").is_null() | (as_date("VALDATE-END") >= observation_date))
        & (as_date("SUBDATE").is_null() | (as_date("SUBDATE") <= analysis_date))
    )
    return (
        valid.sort(["SCOPE", "TYPEID", "ISSUE"])
        .group_by(["SCOPE", "TYPEID"], maintain_order=True)
        .last()
        .select(list(CIF_COLUMNS))
    )


def cifbuild(
    ccfpath: Sequence[str | os.PathLike[str]] | None = None,
    observation_date: str | datetime | None = None,
    analysis_date: str | datetime | None = "now",
) -> CalIndex:
    """Build the calibration index for an observation date from a CCF repository.

    Parameters
    ----------
    ccfpath : sequence of path, optional
        Repository directories; default ``SAS_CCFPATH``.
    observation_date : str or datetime
        Start of the observation (the CIF's OBSVDATE).
    analysis_date : str or datetime, optional
        CCFs submitted later are ignored (default: now); it is the index's ``ANALDATE``.  When it
        is now, ``ANALDATE`` is the file's creation date: ``SOURCE_DATE_EPOCH`` when that is set,
        so that the same repository gives the same index (the selection still takes every CCF
        submitted until the moment of the run).

    Examples
    --------
    >>> cif = cifbuild(["/ccf"], "2001-03-09T12:43:09", "2022-07-27T20:11:24")   # doctest: +SKIP
    """
    directories = list(ccfpath) if ccfpath else ccf_path_from_environment()
    if not directories:
        raise CalibrationError("no CCF repository given and SAS_CCFPATH is not set")
    obs = parse_date(observation_date, "observation date")
    if obs is None:
        raise CalibrationError("an observation date is needed to select calibration files")
    anal = parse_date(analysis_date, "analysis date") or datetime.now(timezone.utc).replace(tzinfo=None)
    entries = select_issues(scan_repository(directories), obs, anal)
    now = analysis_date is None or (isinstance(analysis_date, str) and analysis_date.strip().lower() in ("", "now"))
    analdate = creation_date() if now else anal.isoformat(timespec="seconds")
    return CalIndex(entries, obs.isoformat(timespec="seconds"), analdate)


def write_cif(index: CalIndex, path: str | os.PathLike[str], provenance: Provenance | None = None) -> None:
    """Write a calibration index as a ``ccf.cif`` file (CALINDEX table, CATEGORY XMMCCF).

    Parameters
    ----------
    index : CalIndex
        The index (its OBSVDATE and ANALDATE go to the CALINDEX header).
    path : path
        The file to write.
    provenance : Provenance, optional
        Source of the primary header's ``CREATOR``, ``DATE`` (``SOURCE_DATE_EPOCH`` honoured) and
        ``XPROC0``; default ``Provenance("cifbuild")``.

    Examples
    --------
    >>> write_cif(cifbuild(["/ccf"], "2001-03-09T12:43:09"), "ccf.cif")   # doctest: +SKIP
    """
    from xmmframe.io.fits_write import TableHdu, primary_template, table_template, write_hdus

    keywords: dict[str, object] = {"CATEGORY": "XMMCCF"}
    if index.observation_date:
        keywords["OBSVDATE"] = index.observation_date
    if index.analysis_date:
        keywords["ANALDATE"] = index.analysis_date
    frame = calindex_table(index.entries)
    primary = primary_template(provenance_items(provenance or Provenance("cifbuild"), comments=False))
    write_hdus(path, [primary, TableHdu(table_template("CALINDEX", keywords), frame)])
