"""Reading and writing the tables of one CCF, with errors that name the file and what is missing.

A CCF (Current Calibration File) is a FITS file whose primary header says what it is
(``SCOPE``, ``TYPEID``, ``ISSUE``, ``VALDATE``, ``SUBDATE``, ``EXTSEQU``, ``EXTSEQID``,
``CATEGORY='XMMCCF'``) and whose binary-table extensions hold the data.  The typed readers
of :mod:`xmmframe.ccf` ask for an extension and the columns they need through
:func:`ccf_table`; anything missing is a :class:`~xmmframe.errors.CalibrationError`.

Examples
--------
>>> from xmmframe.ccf.ccf_file import ccf_table
>>> frame, header = ccf_table("XRT3_XAREAEF_0012.CCF", "ONAXISXAREAEF", ("ENERGY", "AREA"))  # doctest: +SKIP
>>> header["EXTNAME"], frame.height                                                           # doctest: +SKIP
('ONAXISXAREAEF', 512)
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import polars as pl

from xmmframe.errors import CalibrationError, XmmframeError
from xmmframe.io.cards import provenance_items
from xmmframe.model.provenance import Provenance

#: How the CCFs xmmframe writes are made (their ``CREATOR``).
BUILTIN_PROVENANCE = Provenance("make_builtin_calibration")


def ccf_header(path: str | os.PathLike[str]) -> dict[str, object]:
    """Primary-header keywords of a CCF (values stripped).

    Raises
    ------
    CalibrationError
        When the file is missing or not FITS.
    """
    from xmmframe.io.fits_structure import iter_hdus

    spath = os.fspath(path)
    try:
        header = next(iter_hdus(spath)).header
    except XmmframeError as err:
        raise CalibrationError(f"cannot read calibration file: {err.message}", spath) from None
    return {k: (v.strip() if isinstance(v, str) else v) for k, v in header.items() if k not in ("COMMENT", "HISTORY")}


def ccf_extensions(path: str | os.PathLike[str]) -> list[str]:
    """Names (``EXTNAME``, upper case) of the extensions of a CCF, in file order.

    Lets a reader choose between alternative layouts (e.g. per-column ``OFFSET_GAIN`` or
    per-CCD ``ADUCOEFF``) before asking :func:`ccf_table` for the one it uses.

    Raises
    ------
    CalibrationError
        When the file is missing or not FITS.

    Examples
    --------
    >>> ccf_extensions("EPN_ADUCONV_0001.CCF")                      # doctest: +SKIP
    ['ADUCOEFF', 'OFFSET_GAIN']
    """
    from xmmframe.io.fits_structure import iter_hdus

    spath = os.fspath(path)
    if not os.path.isfile(spath):
        raise CalibrationError("calibration file not found", spath)
    try:
        return [hdu.name for hdu in iter_hdus(spath) if hdu.index > 0]
    except XmmframeError as err:
        raise CalibrationError(f"cannot read calibration file: {err.message}", spath) from None


def ccf_table(
    path: str | os.PathLike[str],
    extname: str,
    columns: Sequence[str],
    optional: Sequence[str] = (),
    units: Mapping[str, str] | None = None,
) -> tuple[pl.DataFrame, dict[str, object]]:
    """One extension of a CCF as a DataFrame (the needed and available optional columns) and its header.

    ``units`` maps column names to the unit they must have when the file gives one (``TUNITn``).

    Raises
    ------
    CalibrationError
        Naming the file and the missing extension or column(s), or a column in another unit.
    """
    from xmmframe.io.fits_scan import FitsTable

    spath = os.fspath(path)
    try:
        table = FitsTable.open(spath, extname)
    except XmmframeError as err:
        if not os.path.isfile(spath):
            raise CalibrationError("calibration file not found", spath) from None
        raise CalibrationError(f"CCF has no {extname} extension ({err.message})", spath) from None
    available = {c.name.upper(): c.name for c in table.columns}
    missing = [c for c in columns if c.upper() not in available]
    if missing:
        raise CalibrationError(
            f"CCF extension {extname} lacks column(s) {', '.join(missing)}; it has {', '.join(available.values())}",
            spath,
        )
    for column, unit in (units or {}).items():
        try:
            table.require_unit(available[column.upper()], unit)
        except XmmframeError as err:
            raise CalibrationError(f"CCF {err.message}", spath) from None
    names = [available[c.upper()] for c in columns] + [available[c.upper()] for c in optional if c.upper() in available]
    frame = table.read(names).rename({available[c.upper()]: c.upper() for c in list(columns) + list(optional)
                                      if c.upper() in available})
    header = {k: (v.strip() if isinstance(v, str) else v) for k, v in table.info.header.items()
              if k not in ("COMMENT", "HISTORY")}
    return frame, header


def require_keyword(header: Mapping[str, object], key: str, path: str, extname: str) -> object:
    """A keyword of a CCF extension header, or a CalibrationError naming it."""
    if key not in header:
        raise CalibrationError(f"CCF extension {extname} lacks keyword {key}", path)
    return header[key]


def write_ccf(
    path: str | os.PathLike[str],
    scope: str,
    typeid: str,
    issue: int,
    valdate: str,
    tables: Sequence[tuple[str, pl.DataFrame, Mapping[str, object]]],
    description: str = "",
    history: Sequence[str] = (),
    subdate: str | None = None,
    provenance: Provenance = BUILTIN_PROVENANCE,
) -> None:
    """Write a CCF: primary header with the CCF identification keywords, then one table per extension.

    Parameters
    ----------
    tables : sequence of (EXTNAME, frame, keywords)
        Extensions in order; keywords may include ``TUNITn`` for the columns.
    subdate : str, optional
        ``SUBDATE``; default the file's ``DATE``.
    provenance : Provenance
        Source of ``CREATOR`` and ``DATE`` (``SOURCE_DATE_EPOCH`` honoured).

    Examples
    --------
    >>> import polars as pl
    >>> write_ccf("EPN_QUANTUMEF_0001.CCF", "EPN", "QUANTUMEF", 1, "2000-01-01T00:00:00",
    ...           [("QUANTUMEF", pl.DataFrame({"ENERGY": [100.0], "QE": [0.5]}), {"TUNIT1": "eV"})])  # doctest: +SKIP
    """
    from astropy.io import fits

    from xmmframe.io.fits_write import TableHdu, primary_template, table_template, write_hdus
    from xmmframe.model.hdu import RawHdu

    name = os.path.basename(os.fspath(path))
    made = provenance_items(provenance, comments=False)
    primary = primary_template({
        "CREATOR": made["CREATOR"], "DATE": made["DATE"], "FILENAME": name, "TELESCOP": "XMM",
        "INSTRUME": "", "SCOPE": scope, "TYPEID": typeid, "TYPEDESC": description[:68], "ISSUE": int(issue),
        "VALDATE": valdate, "EXTSEQU": "ANY", "EXTSEQID": " ".join(t[0] for t in tables)[:68],
        "CATEGORY": "XMMCCF", "SUBDATE": subdate or made["DATE"], "CALSRC": "xmmframe-builtin",
    })
    cards = list(primary.cards) + [fits.Card("HISTORY", line).image for text in history
                                   for line in _wrap(text)]
    hdus: list[object] = [RawHdu(tuple(cards))]
    for extname, frame, keywords in tables:
        hdus.append(TableHdu(table_template(extname, dict(keywords)), frame))
    write_hdus(path, hdus)  # type: ignore[arg-type]


def _wrap(text: str, width: int = 70) -> list[str]:
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return lines + ([line] if line else [])
