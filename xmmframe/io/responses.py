"""OGIP response files (CAL/GEN/92-002): RMF (MATRIX + EBOUNDS) and ARF (SPECRESP).

Writing follows sas-reference §6.1/§6.2: the ``MATRIX`` extension has ``ENERG_LO``,
``ENERG_HI`` (keV), ``N_GRP`` and variable-length ``F_CHAN``/``N_CHAN``/``MATRIX`` columns,
``HDUCLAS1='RESPONSE'``, ``HDUCLAS2='RSP_MATRIX'``, ``HDUCLAS3='REDIST'``, ``HDUVERS='1.3.0'``,
``DETCHANS``, ``LO_THRES``, ``NUMGRP``, ``NUMELT`` and ``TLMIN4`` = first channel (0 for XMM);
``EBOUNDS`` has ``CHANNEL`` (``TLMIN1`` = first channel), ``E_MIN``, ``E_MAX``.  The ARF's
``SPECRESP`` extension has ``ENERG_LO``, ``ENERG_HI`` and ``SPECRESP`` (cm2).

Reading accepts what real files contain: ``MATRIX`` or ``SPECRESP MATRIX``, ``F_CHAN``/
``N_CHAN`` as scalars, fixed vectors padded beyond ``N_GRP`` (SAS rmfgen) or variable-length
arrays, and the first channel from ``TLMIN`` of ``F_CHAN``, else of ``CHANNEL``, else 1.

Examples
--------
>>> from xmmframe.io.responses import read_arf, read_rmf, write_rmf
>>> rmf = read_rmf("epn_e3_ff20_sdY9_v19.0.rmf")          # doctest: +SKIP
>>> write_rmf("copy.rmf", rmf)                             # doctest: +SKIP
>>> read_arf("pn_thin_onaxis.arf").specresp.max()          # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np
import polars as pl
import pyarrow as pa

from xmmframe.errors import ColumnError, HduNotFoundError
from xmmframe.io.fits_scan import FitsTable
from xmmframe.io.fits_structure import read_structure
from xmmframe.io.fits_write import TableHdu, primary_template, table_template, write_hdus
from xmmframe.io.cards import provenance_items
from xmmframe.io.header_meta import creator_provenance
from xmmframe.model.provenance import Provenance
from xmmframe.model.registry import register
from xmmframe.model.responses import Arf, Rmf

#: Keywords of the MATRIX/SPECRESP header that describe the product (kept on reading).
_DESCRIPTIVE = ("TELESCOP", "INSTRUME", "FILTER", "DETNAM", "CHANTYPE", "HDUCLAS3", "LO_THRES", "CALSRC",
                "EFFAREA", "RMFVERSN")


def _list_series(name: str, offsets: np.ndarray, values: np.ndarray) -> pl.Series:
    array = pa.LargeListArray.from_arrays(pa.array(np.asarray(offsets, dtype=np.int64)), pa.array(values))
    return pl.Series(name, array)


def _common(keywords: Mapping[str, object]) -> dict[str, object]:
    out: dict[str, object] = {"TELESCOP": "XMM"}
    for key in ("INSTRUME", "FILTER"):
        if key in keywords:
            out[key] = keywords[key]
    return out


def _provenance(keywords: Mapping[str, object], task: str) -> Provenance:
    """How a response is made: the task its ``CREATOR`` keyword names, else ``task``."""
    return creator_provenance(str(keywords.get("CREATOR", ""))) or Provenance(task)


def _primary(keywords: Mapping[str, object], history: list[str], provenance: Provenance) -> object:
    primary = dict(_common(keywords))
    primary |= provenance_items(provenance, comments=False)
    for key in ("CALSRC", "OBS_ID", "DATE-OBS"):
        if key in keywords:
            primary[key] = keywords[key]
    hdu = primary_template(primary)
    if history:
        from astropy.io import fits

        from xmmframe.model.hdu import RawHdu

        cards = list(hdu.cards) + [fits.Card("HISTORY", line).image for line in history]
        hdu = RawHdu(tuple(cards))
    return hdu


def rmf_hdus(rmf: Rmf, history: list[str] | None = None, provenance: Provenance | None = None) -> list[object]:
    """The HDUs of an RMF file (primary, MATRIX, EBOUNDS), ready for :func:`write_hdus`.

    Parameters
    ----------
    rmf : Rmf
        The response.
    history : list of str, optional
        HISTORY lines of the primary header.
    provenance : Provenance, optional
        Source of the primary header's ``CREATOR`` and ``DATE``; default the task the RMF's
        ``CREATOR`` keyword names, else ``write_rmf``.

    Returns
    -------
    list of HDU
    """
    small = rmf.first_channel + rmf.detchans <= 32767
    chan_type = pl.Int16 if small else pl.Int32
    group_offsets = np.asarray(rmf.group_offsets, dtype=np.int64)
    frame = pl.DataFrame(
        [
            pl.Series("ENERG_LO", rmf.energ_lo, dtype=pl.Float32),
            pl.Series("ENERG_HI", rmf.energ_hi, dtype=pl.Float32),
            pl.Series("N_GRP", rmf.n_grp, dtype=chan_type),
            _list_series("F_CHAN", group_offsets, np.asarray(rmf.f_chan, dtype=np.int16 if small else np.int32)),
            _list_series("N_CHAN", group_offsets, np.asarray(rmf.n_chan, dtype=np.int16 if small else np.int32)),
            _list_series("MATRIX", np.asarray(rmf.row_offsets, dtype=np.int64), np.asarray(rmf.matrix, np.float32)),
        ]
    ).with_columns(pl.col("F_CHAN", "N_CHAN").cast(pl.List(chan_type)), pl.col("MATRIX").cast(pl.List(pl.Float32)))
    last = rmf.first_channel + rmf.detchans - 1
    matrix_keys: dict[str, object] = {
        "TUNIT1": "keV", "TUNIT2": "keV", **_common(rmf.keywords), "CHANTYPE": rmf.keywords.get("CHANTYPE", "PI"),
        "DETCHANS": rmf.detchans, "HDUCLASS": "OGIP", "HDUCLAS1": "RESPONSE", "HDUCLAS2": "RSP_MATRIX",
        "HDUCLAS3": rmf.keywords.get("HDUCLAS3", "REDIST"), "HDUVERS": "1.3.0",
        "LO_THRES": float(rmf.keywords.get("LO_THRES", 1e-6)), "NUMGRP": int(np.sum(rmf.n_grp)),
        "NUMELT": int(rmf.matrix.size), "TLMIN4": rmf.first_channel, "TLMAX4": last,
    }
    for key, value in rmf.keywords.items():
        matrix_keys.setdefault(key, value)
    ebounds = pl.DataFrame(
        [
            pl.Series("CHANNEL", rmf.channels, dtype=chan_type),
            pl.Series("E_MIN", rmf.e_min, dtype=pl.Float32),
            pl.Series("E_MAX", rmf.e_max, dtype=pl.Float32),
        ]
    )
    ebounds_keys: dict[str, object] = {
        "TLMIN1": rmf.first_channel, "TLMAX1": last, "TUNIT2": "keV", "TUNIT3": "keV", **_common(rmf.keywords),
        "CHANTYPE": matrix_keys["CHANTYPE"], "DETCHANS": rmf.detchans, "HDUCLASS": "OGIP",
        "HDUCLAS1": "RESPONSE", "HDUCLAS2": "EBOUNDS", "HDUVERS": "1.2.0",
    }
    return [
        _primary(rmf.keywords, history or [], provenance or _provenance(rmf.keywords, "write_rmf")),
        TableHdu(table_template("MATRIX", matrix_keys), frame),
        TableHdu(table_template("EBOUNDS", ebounds_keys), ebounds),
    ]


@register("Rmf.write")
def write_rmf(path: str | os.PathLike[str], rmf: Rmf, history: list[str] | None = None,
              provenance: Provenance | None = None) -> None:
    """Write an OGIP RMF (primary, MATRIX, EBOUNDS) atomically.

    ``CREATOR`` and ``DATE`` come from ``provenance`` (see :func:`rmf_hdus`).

    Examples
    --------
    >>> write_rmf("source.rmf", rmf, history=["rmfgen spectrumset=source.pi"])   # doctest: +SKIP
    """
    write_hdus(path, rmf_hdus(rmf, history, provenance))  # type: ignore[arg-type]


@register("Arf.write")
def write_arf(path: str | os.PathLike[str], arf: Arf, history: list[str] | None = None,
              provenance: Provenance | None = None) -> None:
    """Write an OGIP ARF (primary, SPECRESP) atomically.

    ``CREATOR`` and ``DATE`` come from ``provenance``; default the task the ARF's ``CREATOR``
    keyword names, else ``write_arf``.

    Examples
    --------
    >>> write_arf("source.arf", arf)                           # doctest: +SKIP
    """
    frame = pl.DataFrame(
        [
            pl.Series("ENERG_LO", arf.energ_lo, dtype=pl.Float32),
            pl.Series("ENERG_HI", arf.energ_hi, dtype=pl.Float32),
            pl.Series("SPECRESP", arf.specresp, dtype=pl.Float32),
        ]
    )
    keys: dict[str, object] = {
        "TUNIT1": "keV", "TUNIT2": "keV", "TUNIT3": "cm**2", **_common(arf.keywords), "HDUCLASS": "OGIP",
        "HDUCLAS1": "RESPONSE", "HDUCLAS2": "SPECRESP", "HDUVERS": "1.1.0",
    }
    for key, value in arf.keywords.items():
        keys.setdefault(key, value)
    primary = _primary(arf.keywords, history or [], provenance or _provenance(arf.keywords, "write_arf"))
    write_hdus(path, [primary, TableHdu(table_template("SPECRESP", keys), frame)])  # type: ignore[list-item]


def _table(path: str, names: tuple[str, ...]) -> FitsTable:
    for name in names:
        try:
            return FitsTable.open(path, name)
        except HduNotFoundError:
            continue
    raise HduNotFoundError(f"no {' or '.join(names)} extension", path)


def _first_values(frame: pl.DataFrame, column: str, counts: np.ndarray) -> np.ndarray:
    """The first ``counts[i]`` values of each row's vector (scalar, fixed or variable length)."""
    series = frame[column]
    if isinstance(series.dtype, pl.Array):
        series = series.arr.to_list()
    if not isinstance(series.dtype, pl.List):
        return series.to_numpy()[counts > 0]
    heads = pl.DataFrame({"v": series, "n": pl.Series(counts, dtype=pl.Int64)}).select(pl.col("v").list.head(pl.col("n")))
    return heads["v"].explode().drop_nulls().to_numpy()


def _descriptive(header: Mapping[str, object]) -> dict[str, object]:
    return {k: (v.strip() if isinstance(v, str) else v) for k, v in header.items() if k in _DESCRIPTIVE}


@register("Rmf.read")
def read_rmf(path: str | os.PathLike[str]) -> Rmf:
    """Read an OGIP RMF (``MATRIX`` or ``SPECRESP MATRIX`` plus ``EBOUNDS``).

    Raises
    ------
    xmmframe.errors.HduNotFoundError, xmmframe.errors.ColumnError
        When an extension or a mandatory column is missing, or an energy column has a unit
        other than keV.

    Examples
    --------
    >>> rmf = read_rmf("PN.rmf")                   # doctest: +SKIP
    >>> rmf.detchans, rmf.first_channel            # doctest: +SKIP
    (4096, 0)
    """
    spath = os.fspath(path)
    matrix = _table(spath, ("MATRIX", "SPECRESP MATRIX"))
    frame = matrix.read()
    for column in ("ENERG_LO", "ENERG_HI", "N_GRP", "F_CHAN", "N_CHAN", "MATRIX"):
        if column not in frame.columns:
            raise ColumnError(f"{matrix.info.name} lacks column {column}", spath)
    ebounds_table = _table(spath, ("EBOUNDS",))
    ebounds = ebounds_table.read()
    for column in ("E_MIN", "E_MAX"):
        if column not in ebounds.columns:
            raise ColumnError(f"EBOUNDS lacks column {column}", spath)
    for table, columns in ((matrix, ("ENERG_LO", "ENERG_HI")), (ebounds_table, ("E_MIN", "E_MAX"))):
        for column in columns:
            table.require_unit(column, "keV")
    header = matrix.info.header
    fchan_number = frame.columns.index("F_CHAN") + 1
    first = header.get(f"TLMIN{fchan_number}")
    if first is None:
        first = ebounds_table.info.header.get(f"TLMIN{ebounds.columns.index('CHANNEL') + 1}", 1)
    n_grp = frame["N_GRP"].to_numpy().astype(np.int64)
    f_chan = _first_values(frame, "F_CHAN", n_grp).astype(np.int64)
    n_chan = _first_values(frame, "N_CHAN", n_grp).astype(np.int64)
    group_offsets = np.concatenate([[0], np.cumsum(n_grp)]).astype(np.int64)
    per_group_row = np.repeat(np.arange(n_grp.size), n_grp)
    counts = np.bincount(per_group_row, weights=n_chan, minlength=n_grp.size).astype(np.int64)
    values = _first_values(frame, "MATRIX", counts).astype(np.float32)
    return Rmf(
        frame["ENERG_LO"].to_numpy().astype(np.float64), frame["ENERG_HI"].to_numpy().astype(np.float64), n_grp,
        group_offsets, f_chan, n_chan, np.concatenate([[0], np.cumsum(counts)]).astype(np.int64), values,
        ebounds["E_MIN"].to_numpy().astype(np.float64), ebounds["E_MAX"].to_numpy().astype(np.float64), int(first),
        _descriptive(header),
    )


@register("Arf.read")
def read_arf(path: str | os.PathLike[str]) -> Arf:
    """Read an OGIP ARF (``SPECRESP`` extension).

    Examples
    --------
    >>> arf = read_arf("pn_thin_onaxis.arf")       # doctest: +SKIP
    >>> arf.energy.size                            # doctest: +SKIP
    2067
    """
    spath = os.fspath(path)
    table = _table(spath, ("SPECRESP",))
    frame = table.read()
    for column in ("ENERG_LO", "ENERG_HI", "SPECRESP"):
        if column not in frame.columns:
            raise ColumnError(f"SPECRESP lacks column {column}", spath)
    for column, unit in (("ENERG_LO", "keV"), ("ENERG_HI", "keV"), ("SPECRESP", "cm**2")):
        table.require_unit(column, unit)
    return Arf(
        frame["ENERG_LO"].to_numpy().astype(np.float64), frame["ENERG_HI"].to_numpy().astype(np.float64),
        frame["SPECRESP"].to_numpy().astype(np.float64), _descriptive(table.info.header),
    )


def read_spectrum_keywords(path: str | os.PathLike[str]) -> dict[str, object]:
    """Keywords of a spectrum file: the primary header overlaid by the SPECTRUM extension's.

    The result also has ``_EXTENSIONS`` (the file's extension names, in order), which lets the
    caller find the region (``REGnnnnn``) and GTI tables the data-subspace keywords refer to.

    Examples
    --------
    >>> keys = read_spectrum_keywords("PN_spectrum_grp20.fits")     # doctest: +SKIP
    >>> keys["INSTRUME"], keys["DSVAL4"]                             # doctest: +SKIP
    ('EPN', ':4')
    """
    spath = os.fspath(path)
    hdus = read_structure(spath)
    spectrum = next((h for h in hdus[1:] if h.name == "SPECTRUM"), None)
    if spectrum is None:
        spectrum = next((h for h in hdus[1:] if str(h.header.get("HDUCLAS1", "")).strip() == "SPECTRUM"), None)
    if spectrum is None:
        raise HduNotFoundError("no SPECTRUM extension: not an OGIP spectrum", spath)
    keys: dict[str, object] = {}
    for hdu in (hdus[0], spectrum):
        for card in hdu.header.cards:
            if card.keyword and card.keyword not in ("COMMENT", "HISTORY", ""):
                keys[card.keyword] = card.value.strip() if isinstance(card.value, str) else card.value
    keys["_EXTENSIONS"] = [h.name for h in hdus[1:]]
    keys["_PATH"] = spath
    return keys


__all__ = ["read_arf", "read_rmf", "read_spectrum_keywords", "rmf_hdus", "write_arf", "write_rmf"]
