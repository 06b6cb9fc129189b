"""Opening an ODF: a directory, a summary file or a tar archive of constituents, indexed by name.

:func:`open_odf` finds the summary (``*SUM.SAS`` written by odfingest first, else the raw
``*SUM.ASC``), parses it, indexes every constituent present by instrument, exposure, CCD and
data type (from the ODF file-name convention, :class:`~xmmframe.model.odf_set.OdfFileName`) and
returns an :class:`~xmmframe.model.observation.Observation`.  A tar archive (``.tar``,
``.tar.gz``, ``.tgz``, also an archive holding the usual inner ``RRRR_OOOOOOOOOO.TAR``) is
extracted into ``workdir`` (a new temporary directory by default) with tar's ``data`` filter.

Constituents listed in the summary but absent give one :class:`~xmmframe.errors.OdfWarning`;
processing raises :class:`~xmmframe.errors.OdfError` only when it needs a missing file.

Examples
--------
>>> import xmmframe
>>> obs = xmmframe.open_odf("xmmframe-demo/odf")                     # doctest: +SKIP
>>> obs.files(instrument="PN", kind="IME").height                     # doctest: +SKIP
12
>>> obs.raw_events("PN", 3).collect().columns                         # doctest: +SKIP
['FRAME', 'RAWX', 'RAWY', 'ENERGY', 'CCDNR']
"""

from __future__ import annotations

import glob
import os
import tarfile
import tempfile
import warnings

import polars as pl
from astropy.io import fits

from xmmframe.errors import FileAccessError, OdfError, OdfWarning
from xmmframe.io.fits_scan import FitsTable, scan_fits
from xmmframe.io.fits_structure import find_hdu, read_structure
from xmmframe.io.odf_summary import read_summary
from xmmframe.model.attitude import Attitude
from xmmframe.model.observation import Observation
from xmmframe.model.odf_set import OdfFileName, OdfSummary
from xmmframe.model.registry import register

_TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2")

#: Columns of the constituent index.
INDEX_SCHEMA = {
    "NAME": pl.String,
    "PATH": pl.String,
    "INSTRUMENT": pl.String,
    "FLAG": pl.String,
    "EXPOSURE": pl.Int32,
    "CCD": pl.Int32,
    "NODE": pl.Int32,
    "KIND": pl.String,
    "OBS_ID": pl.String,
    "LISTED": pl.Boolean,
}


def _is_tar(path: str) -> bool:
    return os.path.isfile(path) and path.lower().endswith(_TAR_SUFFIXES)


def _extract(archive: str, target: str) -> None:
    try:
        with tarfile.open(archive) as tar:
            tar.extractall(target, filter="data")
    except (tarfile.TarError, OSError) as err:
        raise OdfError(f"cannot extract the ODF archive: {err}", archive) from None


def _find_summary(directory: str) -> str | None:
    for pattern in ("*SUM.SAS", "*SUM.ASC"):
        found = sorted(glob.glob(os.path.join(glob.escape(directory), pattern)))
        if found:
            return found[-1]
    return None


def locate_odf(
    path: str | os.PathLike[str], workdir: str | os.PathLike[str] | None = None
) -> tuple[str, str]:
    """``(directory, summary path)`` of an ODF given as a directory, a summary file or a tar archive."""
    spath = os.fspath(path)
    if not os.path.exists(spath):
        raise FileAccessError("no such ODF directory, summary or archive", spath)
    if os.path.isfile(spath) and os.path.basename(spath).upper().endswith(("SUM.SAS", "SUM.ASC")):
        return os.path.dirname(os.path.abspath(spath)), spath
    if _is_tar(spath):
        target = os.fspath(workdir) if workdir is not None else tempfile.mkdtemp(prefix="xmmframe-odf-")
        os.makedirs(target, exist_ok=True)
        _extract(spath, target)
        directory = target
        if _find_summary(directory) is None:
            inner = sorted(
                glob.glob(os.path.join(glob.escape(directory), "**", "*.[tT][aA][rR]"), recursive=True)
            )
            for archive in inner:
                _extract(archive, directory)
        summaries = sorted(
            glob.glob(os.path.join(glob.escape(directory), "**", "*SUM.[AS][SA][CS]"), recursive=True)
        )
        if not summaries:
            raise OdfError("the archive holds no ODF summary file (*SUM.SAS or *SUM.ASC)", spath)
        return os.path.dirname(summaries[-1]), summaries[-1]
    if os.path.isdir(spath):
        summary = _find_summary(spath)
        if summary is None:
            raise OdfError("no ODF summary file (*SUM.SAS or *SUM.ASC) in this directory", spath)
        return os.path.abspath(spath), summary
    raise OdfError("not an ODF directory, summary file or tar archive", spath)


def index_constituents(directory: str, summary: OdfSummary) -> pl.DataFrame:
    """One row per constituent present in ``directory`` whose name follows the ODF convention."""
    listed = set(summary.file_names)
    rows = []
    for entry in sorted(os.listdir(directory)):
        parsed = OdfFileName.parse(entry)
        if parsed is None:
            continue
        rows.append(
            {
                "NAME": parsed.name,
                "PATH": os.path.join(directory, entry),
                "INSTRUMENT": parsed.instrument,
                "FLAG": parsed.flag,
                "EXPOSURE": parsed.exposure,
                "CCD": parsed.ccd,
                "NODE": parsed.node,
                "KIND": parsed.kind,
                "OBS_ID": parsed.obs_id,
                "LISTED": parsed.name in listed,
            }
        )
    return pl.DataFrame(rows, schema=INDEX_SCHEMA)


def open_odf(path: str | os.PathLike[str], workdir: str | os.PathLike[str] | None = None) -> Observation:
    """Open an ODF (directory, summary file, or tar archive) as an :class:`Observation`.

    Parameters
    ----------
    path : path
        The ODF directory, its ``*SUM.SAS``/``*SUM.ASC`` file, or a tar archive of the ODF.
    workdir : path, optional
        Where a tar archive is extracted (default: a new temporary directory, left in place).

    Returns
    -------
    Observation
        The summary, where the constituents are, and an index of them.

    Raises
    ------
    OdfError
        No summary file, or an unreadable archive.
    OdfSummaryError
        The summary file cannot be parsed.

    Examples
    --------
    >>> obs = open_odf("0001730201.tar.gz", workdir="odf")          # doctest: +SKIP
    >>> [e.expidstr for e in obs.exposures("M1")]                   # doctest: +SKIP
    ['S001']
    """
    directory, summary_path = locate_odf(path, workdir)
    summary = read_summary(summary_path)
    if summary.format == "SAS" and summary.path and os.path.isdir(summary.path):
        if any(os.path.exists(os.path.join(summary.path, n)) for n in summary.file_names[:5]):
            directory = summary.path
    index = index_constituents(directory, summary)
    present = set(index["NAME"].to_list())
    missing = [
        n for n in summary.file_names if n not in present and not n.upper().endswith(("SUM.SAS", "SUM.ASC"))
    ]
    if missing:
        warnings.warn(
            f"{summary_path}: {len(missing)} constituent(s) listed in the summary are missing, e.g. "
            + ", ".join(missing[:3]),
            OdfWarning,
            stacklevel=2,
        )
    return Observation(summary=summary, directory=directory, summary_path=summary_path, index=index)


# ------------------------------------------------------------------------------ constituents


@register("Observation.scan_constituent")
def scan_constituent(path: str, hdu: int | str | None = None) -> pl.LazyFrame:
    """A constituent's binary table as a LazyFrame (first table by default)."""
    return scan_fits(path, hdu if hdu is not None else 1)


def read_constituent(
    path: str, hdu: int | str | None = None, columns: list[str] | None = None
) -> pl.DataFrame:
    """A constituent's binary table, read eagerly."""
    return FitsTable.open(path, hdu if hdu is not None else 1).read(columns)


@register("Observation.header")
def constituent_header(path: str, hdu: int | str | None = None) -> fits.Header:
    """Primary header keywords overlaid by the given (default first) table's header."""
    hdus = read_structure(path)
    merged = fits.Header()
    for card in hdus[0].header.cards:
        if card.keyword not in ("", "COMMENT", "HISTORY"):
            merged[card.keyword] = (card.value, card.comment)
    table = find_hdu(hdus, hdu if hdu is not None else 1, path)
    for card in table.header.cards:
        if card.keyword not in ("", "COMMENT", "HISTORY"):
            merged[card.keyword] = (card.value, card.comment)
    return merged


@register("Observation.attitude")
def read_attitude(path: str) -> Attitude:
    """The attitude history of an ODF ``*ATS.FIT`` or of an atthkgen ``ATTHK`` file.

    Raises
    ------
    OdfError
        The file has neither layout, or no rows.
    """
    try:
        hdus = read_structure(path)
    except OdfError:
        raise
    except Exception as err:  # noqa: BLE001 - any FITS problem is reported with the file name
        raise OdfError(f"cannot read the attitude file: {err}", path) from None
    tables = [h for h in hdus if h.kind == "BINTABLE"]
    if not tables:
        raise OdfError("the attitude file has no binary table", path)
    frame = FitsTable(tables[0], path=path).read()
    columns = set(frame.columns)
    try:
        if {"VALTIME", "VALDUR", "VIEWRA", "VIEWDECL", "ASTPOS"} <= columns:
            attitude = Attitude.from_ats(frame)
        elif {"TIME", "AHFRA", "AHFDEC", "AHFPA"} <= columns:
            attitude = Attitude.from_atthk(frame)
        else:
            raise OdfError(
                "not an attitude table: needs VALTIME/VALDUR/VIEWRA/VIEWDECL/ASTPOS (ATS) or "
                f"TIME/AHFRA/AHFDEC/AHFPA (ATTHK); has {', '.join(frame.columns)}",
                path,
            )
    except OdfError:
        raise
    except Exception as err:  # noqa: BLE001 - bad strings, empty tables
        raise OdfError(f"corrupt attitude table: {err}", path) from None
    return attitude
