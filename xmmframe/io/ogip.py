"""OGIP FITS writers and readers for products: PHA Type I/II spectra, light curves, GTIs, images.

Layouts follow the SAS products in ``refdata`` (evselect spectra, rate sets and images,
tabgtigen GTI files) and the OGIP memos (92-007/92-007a for PHA, 93-003 for light curves and
GTIs).  Every file is written atomically and passes ``fitsverify``; an existing file is only
replaced with ``overwrite=True``.

Keywords a product owns as attributes (``EXPOSURE``, ``BACKSCAL``, ``TIMEDEL`` ...) are written
from the attributes; the product's other cards follow unchanged.  Readers split a file back
into the same attributes and cards, so write -> read gives an equal product.

Examples
--------
>>> from xmmframe.io.ogip import read_lightcurve, write_gti
>>> curve = read_lightcurve("M1_rate.fits")                     # doctest: +SKIP
>>> write_gti(curve.gti("RATE<=0.4"), "M1_gti.fits")            # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import polars as pl

from xmmframe.errors import HduNotFoundError, OutputError
from xmmframe.io.fits_scan import FitsTable
from xmmframe.io.fits_structure import HduInfo, read_data, read_structure
from xmmframe.io.fits_write import ImageHdu, TableHdu, primary_template, write_hdus
from xmmframe.model.gti import GTI, check_bounds
from xmmframe.model.hdu import RawHdu, cards_to_header
from xmmframe.model.products import GtiTable, Image, LightCurve, Spectra, Spectrum
from xmmframe.io.cards import drop_keywords, keyword_cards, set_keywords, with_longstrn
from xmmframe.io.table_header import table_cards
from xmmframe.model.registry import register

#: Time keywords copied to GTI extensions, with XMM defaults.
TIME_KEYWORDS: tuple[tuple[str, Any, str], ...] = (
    ("TIMEUNIT", "s", "All times in s unless specified otherwise"),
    ("TIMESYS", "TT", "XMM time will be TT (Terrestrial Time)"),
    ("MJDREF", 50814.0, "[d] 1998-01-01T00:00:00 (TT) expressed in MJD"),
    ("TIMEREF", "LOCAL", "Reference location of photon arrival times"),
    ("TASSIGN", "SATELLITE", "Location of time assignment"),
    ("TIMEZERO", 0.0, "[s] Clock correction (if not zero)"),
    ("CLOCKAPP", True, "Clock correction applied"),
)
#: EXTNAME of the region table a product carries (the ``POS(X,Y)`` DSS entry refers to it).
REGION_EXTNAME = "REG00101"
_STRUCTURE = ("SIMPLE", "XTENSION", "BITPIX", "NAXIS", "EXTEND", "PCOUNT", "GCOUNT", "TFIELDS", "EXTNAME",
              "THEAP", "END")
_COLUMN_PREFIXES = ("TTYPE", "TFORM", "TUNIT", "TNULL", "TSCAL", "TZERO", "TDIM", "TLMIN", "TLMAX", "TDISP")


# ---------------------------------------------------------------------- shared pieces


def check_output(path: str | os.PathLike[str], overwrite: bool) -> None:
    """Refuse to replace an existing file unless ``overwrite`` is set."""
    if os.path.exists(path) and not overwrite:
        raise OutputError("file exists; pass overwrite=True (clobber=yes) to replace it", path)


def primary_hdu(cards: Iterable[str] = ()) -> RawHdu:
    """A data-less primary HDU carrying ``cards`` (structural keywords in them are ignored)."""
    extra = tuple(c for c in cards if c[:8].strip() not in _STRUCTURE and not c[:8].startswith("NAXIS"))
    return RawHdu(with_longstrn(primary_template().cards + extra))


def time_keywords(cards: Iterable[str]) -> tuple[tuple[str, Any, str], ...]:
    """The time keywords (:data:`TIME_KEYWORDS`) with values taken from ``cards`` where present."""
    header = cards_to_header(tuple(cards))
    return tuple((key, header.get(key, value), comment) for key, value, comment in TIME_KEYWORDS)


def gti_hdu(table: GtiTable, time_cards: Iterable[str] = (), extra: Iterable[tuple[str, Any, str]] = ()) -> TableHdu:
    """An OGIP GTI extension (START/STOP, ``HDUCLAS1='GTI'``, ONTIME, TSTART/TSTOP, time keywords)."""
    gti = table.gti
    frame = gti.to_frame()
    keywords = [("CCDID", table.ccd, "CCD ID")] if table.ccd is not None else []
    keywords += [
        ("HDUCLASS", "OGIP", "format conforms to OGIP standard"),
        ("HDUCLAS1", "GTI", "table contains Good Time Intervals"),
        ("HDUCLAS2", "STANDARD", "standard Good Time Interval table"),
        ("ONTIME", gti.duration, "[s] sum of all Good Time Intervals"),
        ("TSTART", float(gti.start[0]) if len(gti) else 0.0, "[s] Lower bound of first GTI"),
        ("TSTOP", float(gti.stop[-1]) if len(gti) else 0.0, "[s] Upper bound of last GTI"),
        *time_keywords(time_cards),
        *extra,
    ]
    columns = {"START": ("s", "lower GTI boundary"), "STOP": ("s", "upper GTI boundary")}
    return TableHdu(table_cards(table.name, frame, columns, keywords=keyword_cards(keywords)), frame)


def region_hdu(frame: pl.DataFrame, columns: str = "X,Y") -> TableHdu:
    """The region table of a product (ASC region convention, as evselect writes ``REGnnnnn``)."""
    keywords = keyword_cards([
        ("HDUCLASS", "ASC", "format conforms to ASC region convention"),
        ("HDUCLAS1", "REGION", "table contains a region"),
        ("HDUCLAS2", "STANDARD", "standard region table"),
        ("MTYPE1", "pos", "DM Keyword: Descriptor name"),
        ("MFORM1", columns, "DM Keyword: Descriptor value"),
    ])
    units = {"SHAPE": (None, "shape of element"), "X": (None, "x-coordinate vector"),
             "Y": (None, "y-coordinate vector"), "R": (None, "radius vector"), "ROTANG": ("deg", "rotation angle"),
             "COMPONENT": (None, "component number that shape belongs to")}
    return TableHdu(table_cards(REGION_EXTNAME, frame, units, keywords=keywords), frame)


def _extensions(product: Any) -> list[TableHdu]:
    """The GTI tables and the region table of a product."""
    hdus = [gti_hdu(t, product.cards) for t in product.gtis]
    if product.region is not None:
        mform = cards_to_header(product.cards).get("MFORM1", "X,Y")
        hdus.insert(min(1, len(hdus)), region_hdu(product.region, str(mform).strip()))
    return hdus


def _region(hdus: list[HduInfo], path: str) -> pl.DataFrame | None:
    for info in hdus[1:]:
        if info.kind == "BINTABLE" and str(info.header.get("HDUCLAS1", "")).strip().upper() == "REGION":
            return FitsTable(info, path=path).read()
    return None


def _owned(cards: Iterable[str], owned: Iterable[str]) -> tuple[str, ...]:
    return drop_keywords(cards, owned)


def _is_column_keyword(key: str) -> bool:
    return key.startswith(_COLUMN_PREFIXES) and key.rstrip("0123456789") in _COLUMN_PREFIXES and key[-1].isdigit()


def _extra_cards(info: HduInfo, owned: Iterable[str]) -> tuple[str, ...]:
    """A header's cards minus structural, column and ``owned`` keywords (what a reader keeps as ``cards``)."""
    keep = tuple(
        c for c in info.cards
        if c[:8].strip() not in _STRUCTURE and not c[:8].startswith("NAXIS") and not _is_column_keyword(c[:8].strip())
    )
    return _owned(keep, owned)


def _gti_tables(hdus: list[HduInfo], path: str) -> tuple[GtiTable, ...]:
    tables = []
    for info in hdus[1:]:
        header = info.header
        if info.kind != "BINTABLE" or str(header.get("HDUCLAS1", "")).strip().upper() != "GTI":
            continue
        frame = FitsTable(info, path=path).read()
        ccd = header.get("CCDID")
        if ccd is None and info.name.startswith("STDGTI") and info.name[6:].isdigit():
            ccd = int(info.name[6:])
        tables.append(GtiTable(info.name, GTI.from_frame(frame, info.name), int(ccd) if ccd is not None else None))
    return tuple(tables)


def _find(hdus: list[HduInfo], path: str, names: Sequence[str], hduclas1: str) -> HduInfo:
    for info in hdus[1:]:
        if info.name in names or str(info.header.get("HDUCLAS1", "")).strip().upper() == hduclas1:
            return info
    raise HduNotFoundError(f"no {hduclas1} extension ({' or '.join(names)}) in the file", path)


def _write(path: str | os.PathLike[str], hdus: list, overwrite: bool) -> None:  # noqa: ANN001
    check_output(path, overwrite)
    write_hdus(path, hdus)


# ---------------------------------------------------------------------- spectra

_SPECTRUM_OWNED = ("HDUCLASS", "HDUCLAS1", "HDUCLAS2", "HDUCLAS3", "HDUCLAS4", "HDUVERS", "HDUVERS1", "AREASCAL",
                   "BACKSCAL", "CORRSCAL", "POISSERR", "SYS_ERR", "CHANTYPE", "DETCHANS", "QUALITY", "GROUPING",
                   "SPECDELT", "SPECPIX", "SPECVAL", "BACKFILE", "ANCRFILE", "RESPFILE", "CORRFILE", "EXPOSURE")


def _spectrum_keywords(spec: Spectrum | Spectra, type2: bool) -> list[tuple[str, Any, str]]:
    items: list[tuple[str, Any, str]] = [
        ("HDUCLASS", "OGIP", "Format conforms to OGIP/GSFC conventions"),
        ("HDUCLAS1", "SPECTRUM", "File contains a spectrum"),
        ("HDUCLAS2", spec.hduclas2, "File contains gross counts" if spec.hduclas2 == "TOTAL" else "Spectrum type"),
        ("HDUCLAS3", "COUNT", "Spectrum is stored as counts"),
        ("HDUCLAS4", "TYPE:II" if type2 else "TYPE:I", "PHA Type"),
        ("HDUVERS", "1.2.1", "Version of format (OGIP/92-007a)"),
        ("POISSERR", True, "Poisson errors appropriate"),
        ("SYS_ERR", 0, "Global systematic error"),
        ("CHANTYPE", spec.chantype, "Type of channel data"),
        ("DETCHANS", int(spec.channel.size), "Total number of detector channels available"),
        ("SPECDELT", int(spec.channel_bin), "Spectral channel size, ie the binning factor"),
        ("SPECPIX", 0, "The rebinned channel corresponding to SPECVAL"),
        ("SPECVAL", spec.channel_min + (spec.channel_bin - 1) / 2, "Original chan value at center of rebinned chan"),
        ("CORRSCAL", 1.0, "Nominal scaling factor for correction file"),
    ]
    if isinstance(spec, Spectrum):
        items += [
            ("AREASCAL", float(spec.areascal), "Nominal scaling factor for data"),
            ("BACKSCAL", float(spec.backscal), "Scaling factor for background"),
            ("BACKFILE", spec.backfile, "Name of background file"),
            ("ANCRFILE", spec.ancrfile, "Name of ARF file"),
            ("RESPFILE", spec.respfile, "Name of response file"),
            ("CORRFILE", spec.corrfile, "Name of correction file"),
            ("EXPOSURE", float(spec.exposure), "Weighted live time of CCDs in the extraction region"),
        ]
        if spec.quality is None:
            items.append(("QUALITY", 0, "All channels have good quality"))
        if spec.grouping is None:
            items.append(("GROUPING", 0, "No data grouping done"))
    else:
        items += [
            ("AREASCAL", 1.0, "Nominal scaling factor for data"),
            ("BACKFILE", "NONE", "Name of background file"),
            ("ANCRFILE", "NONE", "Name of ARF file"),
            ("RESPFILE", "NONE", "Name of response file"),
            ("CORRFILE", "NONE", "Name of correction file"),
            ("QUALITY", 0, "All channels have good quality"),
            ("GROUPING", 0, "No data grouping done"),
        ]
    return items


def _channel_dtype(channel: np.ndarray) -> pl.DataType:
    return pl.Int16 if channel.size == 0 or int(np.max(channel)) < 32768 else pl.Int32


@register("Spectrum.write")
def write_spectrum(spec: Spectrum, path: str | os.PathLike[str], overwrite: bool = False) -> None:
    """Write a PHA Type I file: primary, ``SPECTRUM`` (CHANNEL, COUNTS[, QUALITY, GROUPING]), GTIs.

    Examples
    --------
    >>> write_spectrum(spec, "src.pha")                             # doctest: +SKIP
    """
    columns = {
        "CHANNEL": pl.Series(spec.channel, dtype=_channel_dtype(spec.channel)),
        "COUNTS": pl.Series(spec.counts, dtype=pl.Int32 if np.issubdtype(spec.counts.dtype, np.integer)
                            else pl.Float64),
    }
    if spec.quality is not None:
        columns["QUALITY"] = pl.Series(spec.quality, dtype=pl.Int16)
    if spec.grouping is not None:
        columns["GROUPING"] = pl.Series(spec.grouping, dtype=pl.Int16)
    frame = pl.DataFrame(columns)
    lo, hi = (int(spec.channel[0]), int(spec.channel[-1])) if spec.channel.size else (0, 0)
    keywords = keyword_cards(_spectrum_keywords(spec, type2=False)) + _owned(spec.cards, _SPECTRUM_OWNED)
    cards = table_cards(
        "SPECTRUM", frame,
        {"CHANNEL": (None, "Pulse invariant channel"), "COUNTS": ("count", "Counts per channel"),
         "QUALITY": (None, "Quality flag of this channel (0=good)"), "GROUPING": (None, "Group constraint")},
        {"CHANNEL": [("TLMIN", lo, "first channel"), ("TLMAX", hi, "last channel")]},
        keywords,
    )
    hdus = [primary_hdu(spec.primary_cards), TableHdu(cards, frame)]
    hdus += _extensions(spec)
    _write(path, hdus, overwrite)


def _spectrum_common(info: HduInfo) -> dict[str, Any]:
    header = info.header
    delt = int(header.get("SPECDELT", 1))
    val = float(header.get("SPECVAL", (delt - 1) / 2))
    return {
        "chantype": str(header.get("CHANTYPE", "PI")).strip(),
        "channel_bin": delt,
        "channel_min": int(round(val - (delt - 1) / 2)),
        "hduclas2": str(header.get("HDUCLAS2", "TOTAL")).strip(),
    }


@register("Spectrum.read")
def read_spectrum(path: str | os.PathLike[str]) -> Spectrum:
    """Read a PHA Type I file (xmmframe or SAS evselect layout)."""
    spath = os.fspath(path)
    hdus = read_structure(spath)
    info = _find(hdus, spath, ("SPECTRUM",), "SPECTRUM")
    frame = FitsTable(info, path=spath).read()
    header = info.header

    def text(key: str) -> str:
        return str(header.get(key, "NONE")).strip() or "NONE"

    def column(name: str) -> np.ndarray | None:
        return frame[name].to_numpy() if name in frame.columns else None

    counts = column("COUNTS")
    if counts is None and "RATE" in frame.columns:
        counts = frame["RATE"].to_numpy() * float(header.get("EXPOSURE", 1.0))
    return Spectrum(
        channel=frame["CHANNEL"].to_numpy(),
        counts=counts,
        exposure=float(header.get("EXPOSURE", 0.0)),
        backscal=float(header.get("BACKSCAL", 1.0)),
        areascal=float(header.get("AREASCAL", 1.0)),
        respfile=text("RESPFILE"), ancrfile=text("ANCRFILE"), backfile=text("BACKFILE"), corrfile=text("CORRFILE"),
        quality=column("QUALITY"), grouping=column("GROUPING"),
        cards=_extra_cards(info, _SPECTRUM_OWNED),
        primary_cards=_extra_cards(hdus[0], ()),
        gtis=_gti_tables(hdus, spath),
        region=_region(hdus, spath),
        **_spectrum_common(info),
    )


@register("Spectra.write")
def write_spectra(spectra: Spectra, path: str | os.PathLike[str], overwrite: bool = False) -> None:
    """Write a PHA Type II file: one row per spectrum (SPEC_NUM, ROWID, CHANNEL, COUNTS, EXPOSURE, BACKSCAL)."""
    n, nchan = spectra.counts.shape
    channel_dtype = _channel_dtype(spectra.channel)
    labels = spectra.labels or tuple(str(i + 1) for i in range(n))
    frame = pl.DataFrame({
        "SPEC_NUM": pl.Series(np.arange(1, n + 1), dtype=pl.Int32),
        "ROWID": pl.Series(list(labels), dtype=pl.String),
        "CHANNEL": pl.Series(np.tile(spectra.channel, (n, 1)), dtype=pl.Array(channel_dtype, nchan)),
        "COUNTS": pl.Series(spectra.counts, dtype=pl.Array(pl.Int32, nchan)),
        "EXPOSURE": pl.Series(np.asarray(spectra.exposure, dtype=np.float64)),
        "BACKSCAL": pl.Series(np.asarray(spectra.backscal, dtype=np.float64)),
    })
    lo, hi = (int(spectra.channel[0]), int(spectra.channel[-1])) if nchan else (0, 0)
    keywords = keyword_cards(_spectrum_keywords(spectra, type2=True)) + _owned(spectra.cards, _SPECTRUM_OWNED)
    cards = table_cards(
        "SPECTRUM", frame,
        {"SPEC_NUM": (None, "Spectrum number"), "ROWID": (None, "Spectrum label"),
         "CHANNEL": (None, "Pulse invariant channel"), "COUNTS": ("count", "Counts per channel"),
         "EXPOSURE": ("s", "Weighted live time"), "BACKSCAL": (None, "Scaling factor for background")},
        {"CHANNEL": [("TLMIN", lo, "first channel"), ("TLMAX", hi, "last channel")]},
        keywords,
    )
    hdus = [primary_hdu(spectra.primary_cards), TableHdu(cards, frame)]
    hdus += _extensions(spectra)
    _write(path, hdus, overwrite)


@register("Spectra.read")
def read_spectra(path: str | os.PathLike[str]) -> Spectra:
    """Read a PHA Type II file."""
    spath = os.fspath(path)
    hdus = read_structure(spath)
    info = _find(hdus, spath, ("SPECTRUM",), "SPECTRUM")
    frame = FitsTable(info, path=spath).read()
    counts = np.stack([np.asarray(row) for row in frame["COUNTS"].to_list()]) if frame.height else np.zeros((0, 0))
    channel = np.asarray(frame["CHANNEL"][0].to_list() if frame.height else [])
    return Spectra(
        channel=channel,
        counts=counts,
        exposure=frame["EXPOSURE"].to_numpy(),
        backscal=frame["BACKSCAL"].to_numpy(),
        labels=tuple(frame["ROWID"].to_list()) if "ROWID" in frame.columns else (),
        cards=_extra_cards(info, _SPECTRUM_OWNED),
        primary_cards=_extra_cards(hdus[0], ()),
        gtis=_gti_tables(hdus, spath),
        region=_region(hdus, spath),
        **_spectrum_common(info),
    )


# ---------------------------------------------------------------------- light curves

_CURVE_OWNED = ("HDUCLASS", "HDUCLAS1", "HDUCLAS2", "HDUCLAS3", "HDUVERS", "HDUVERS1", "TIMEDEL", "TSTART", "TSTOP",
                "TIMEPIXR", "EXPOSURE", "BACKAPP")


@register("LightCurve.write")
def write_lightcurve(curve: LightCurve, path: str | os.PathLike[str], overwrite: bool = False) -> None:
    """Write a light curve: primary, ``RATE`` (RATE, ERROR, TIME [, FRACEXP, BACKV, BACKE] or COUNTS, TIME), GTIs.

    The layout is evselect's (RATE/ERROR before TIME, ``HDUCLAS1='LIGHTCURVE'``) with
    ``TIMEPIXR = 0.5`` written explicitly: TIME is the bin centre.
    """
    if curve.column == "COUNTS":
        counts = curve.counts if curve.counts is not None else np.rint(curve.rate * curve.timedel)
        data: dict[str, Any] = {"COUNTS": pl.Series(np.asarray(counts), dtype=pl.Int32)}
    else:
        data = {"RATE": curve.rate, "ERROR": curve.error}
    data["TIME"] = curve.time
    for name in ("fracexp", "backv", "backe"):
        value = getattr(curve, name)
        if value is not None:
            data[name.upper()] = np.asarray(value, dtype=np.float64)
    frame = pl.DataFrame(data)
    keywords = [
        ("HDUCLASS", "OGIP", "Format conforms to OGIP/GSFC conventions"),
        ("HDUCLAS1", "LIGHTCURVE", "File contains a time-series"),
        ("HDUCLAS2", curve.hduclas2, "File contains gross rates" if curve.hduclas2 == "TOTAL" else
         "File contains bkg subtracted rates"),
        ("HDUCLAS3", "RATE" if curve.column == "RATE" else "COUNT", "Light curve stored as rates"
         if curve.column == "RATE" else "Light curve stored as counts"),
        ("HDUVERS", "1.1.0", "Version of format"),
        ("TIMEDEL", float(curve.timedel), "[s] Light curve bin size"),
        ("TIMEPIXR", 0.5, "TIME is the centre of each bin"),
        ("TSTART", float(curve.tstart), "[s] Light curve start time"),
        ("TSTOP", float(curve.tstop), "[s] Light curve end time"),
        ("BACKAPP", curve.backv is not None and curve.hduclas2 == "NET", "Background correction applied?"),
        ("EXPOSURE", None if curve.exposure is None else float(curve.exposure),
         "Weighted live time of CCDs in the extraction region"),
    ]
    cards = table_cards(
        "RATE", frame,
        {"RATE": ("count/s", "Count rate"), "ERROR": ("count/s", "Error on the count rate"),
         "COUNTS": ("count", "Counts in the bin"), "TIME": ("s", "Centre of the time bin"),
         "FRACEXP": (None, "Fraction of the bin exposed"), "BACKV": ("count/s", "Bkg rate normalized to src area"),
         "BACKE": ("count/s", "Error in bkg normalized to src area")},
        keywords=keyword_cards(keywords) + _owned(curve.cards, _CURVE_OWNED),
    )
    hdus = [primary_hdu(curve.primary_cards), TableHdu(cards, frame)]
    hdus += _extensions(curve)
    _write(path, hdus, overwrite)


@register("LightCurve.read")
def read_lightcurve(path: str | os.PathLike[str]) -> LightCurve:
    """Read an OGIP light curve (xmmframe, evselect, epiclccorr); TIME is returned as bin centres."""
    spath = os.fspath(path)
    hdus = read_structure(spath)
    info = _find(hdus, spath, ("RATE",), "LIGHTCURVE")
    frame = FitsTable(info, path=spath).read()
    header = info.header
    timedel = float(header.get("TIMEDEL", 1.0))
    tstart = float(header.get("TSTART", 0.0))
    if "TIME" in frame.columns:
        time = frame["TIME"].to_numpy().astype(np.float64) + (0.5 - float(header.get("TIMEPIXR", 0.5))) * timedel
    else:
        time = (tstart + timedel * np.arange(frame.height)) + timedel / 2

    def column(name: str) -> np.ndarray | None:
        if name not in frame.columns:
            return None
        with np.errstate(invalid="ignore"):  # SAS writes undefined float32 values as signalling NaNs
            return frame[name].to_numpy().astype(np.float64)

    counts = frame["COUNTS"].to_numpy() if "COUNTS" in frame.columns else None
    rate = column("RATE")
    error = column("ERROR")
    if rate is None:
        rate = np.asarray(counts, dtype=np.float64) / timedel
        error = np.sqrt(np.asarray(counts, dtype=np.float64)) / timedel
    exposure = header.get("EXPOSURE")
    return LightCurve(
        time=time, rate=rate, error=error if error is not None else np.zeros_like(rate), timedel=timedel,
        tstart=tstart, tstop=float(header.get("TSTOP", tstart + timedel * frame.height)),
        counts=counts, fracexp=column("FRACEXP"), backv=column("BACKV"), backe=column("BACKE"),
        exposure=float(exposure) if exposure is not None else None,
        column="COUNTS" if "RATE" not in frame.columns else "RATE",
        hduclas2=str(header.get("HDUCLAS2", "TOTAL")).strip(),
        cards=_extra_cards(info, _CURVE_OWNED),
        primary_cards=_extra_cards(hdus[0], ()),
        gtis=_gti_tables(hdus, spath),
        region=_region(hdus, spath),
    )


# ---------------------------------------------------------------------- GTI files


@register("GTI.read")
def read_gti(path: str | os.PathLike[str], hdu: int | str | None = None) -> GTI:
    """Read a GTI extension (default: the first binary table, e.g. ``STDGTI``).

    Parameters
    ----------
    path : str or os.PathLike
        The FITS file.
    hdu : int or str, optional
        The extension, by index or EXTNAME.

    Returns
    -------
    GTI
        Named after the extension.

    Examples
    --------
    >>> read_gti("M1_gti.fits").duration                         # doctest: +SKIP
    """
    table = FitsTable.open(path, hdu)
    frame = table.read()
    columns = {c.upper(): c for c in frame.columns}
    if "START" in columns and "STOP" in columns:
        check_bounds(frame[columns["START"]].to_numpy(), frame[columns["STOP"]].to_numpy(), os.fspath(path),
                     table.info.name)
    return GTI.from_frame(frame, table.info.name)


def write_gti(
    gti: GTI,
    path: str | os.PathLike[str],
    overwrite: bool = False,
    extname: str = "STDGTI",
    cards: Iterable[str] = (),
    primary_cards: Iterable[str] = (),
    extra: Iterable[tuple[str, Any, str]] = (),
) -> None:
    """Write a GTI file as tabgtigen does: an empty primary and one ``STDGTI`` table.

    ``cards`` supply the time keywords (MJDREF, TIMESYS...); ``extra`` adds keywords to the table.

    Examples
    --------
    >>> write_gti(GTI([0.0], [100.0]), "gti.fits")                   # doctest: +SKIP
    """
    hdus = [primary_hdu(primary_cards), gti_hdu(GtiTable(extname, gti), cards, extra)]
    _write(path, hdus, overwrite)


# ---------------------------------------------------------------------- images

_IMAGE_OWNED = ("EXPOSURE", "BSCALE", "BZERO")
_BITPIX_DTYPE = {8: ">u1", 16: ">i2", 32: ">i4", 64: ">i8", -32: ">f4", -64: ">f8"}


@register("Image.write")
def write_image(image: Image, path: str | os.PathLike[str], overwrite: bool = False) -> None:
    """Write an image as the primary array (int32 counts or float64) followed by its GTI extensions."""
    cards = _owned(image.cards, _IMAGE_OWNED)
    if image.exposure is not None:
        cards += keyword_cards([("EXPOSURE", float(image.exposure), "max of ONTIMEnn values")])
    hdus: list = [ImageHdu(with_longstrn(cards), image.data)]
    hdus += _extensions(image)
    _write(path, hdus, overwrite)


def read_image_data(path: str | os.PathLike[str], info: HduInfo) -> np.ndarray:
    """The pixels of an image HDU as a native numpy array ``(NAXIS2, NAXIS1)`` (BSCALE/BZERO applied)."""
    header = info.header
    dims = [int(header[f"NAXIS{i}"]) for i in range(int(header["NAXIS"]), 0, -1)]
    raw = np.frombuffer(read_data(path, info), dtype=_BITPIX_DTYPE[int(header["BITPIX"])]).reshape(dims)
    data = raw.astype(raw.dtype.newbyteorder("="))
    scale, zero = float(header.get("BSCALE", 1.0)), float(header.get("BZERO", 0.0))
    return data * scale + zero if (scale, zero) != (1.0, 0.0) else data


@register("Image.read")
def read_image(path: str | os.PathLike[str]) -> Image:
    """Read an image (primary array, or the first IMAGE extension when the primary is empty)."""
    spath = os.fspath(path)
    hdus = read_structure(spath)
    info = next((h for h in hdus if (h.kind in ("PRIMARY", "IMAGE")) and int(h.header.get("NAXIS", 0)) >= 2), None)
    if info is None:
        raise HduNotFoundError("no image in the file", spath)
    exposure = info.header.get("EXPOSURE")
    return Image(
        data=read_image_data(spath, info),
        exposure=float(exposure) if exposure is not None else None,
        cards=_extra_cards(info, _IMAGE_OWNED),
        gtis=_gti_tables(hdus, spath),
        region=_region(hdus, spath),
    )


# ---------------------------------------------------------------------- copying a file with one table changed


def rewrite_table(
    source: str | os.PathLike[str],
    target: str | os.PathLike[str],
    hduclas1: str,
    *,
    columns: dict[str, Any] | None = None,
    keywords: Iterable[tuple[str, Any, str]] = (),
    history: Iterable[str] = (),
    command: str | None = None,
    drop: Iterable[str] = (),
    overwrite: bool = False,
    protect: Sequence[str | os.PathLike[str]] = (),
) -> None:
    """Copy a FITS file with one table changed: columns replaced or added, keywords set, HISTORY added.

    Every other HDU, card and column is copied verbatim (a SAS spectrum keeps its DSS, region
    and GTI extensions).  ``target`` may be ``source`` itself (an in-place update, written to a
    temporary file and renamed) when ``overwrite`` is set.

    Parameters
    ----------
    source, target : path
        The input file and the output file.
    hduclas1 : str
        The table to change: the first with this ``HDUCLAS1`` (or EXTNAME), e.g. ``SPECTRUM``.
    columns : dict, optional
        ``name -> values``: replaces a column of that name in place, else appended.
    keywords : iterable of (key, value, comment)
        Set in the table header (replaced where present, else appended).
    history : iterable of str
        HISTORY lines appended to the table header.
    command : str, optional
        The command line, recorded in the primary header as the next ``XPROCn`` (SAS convention).
    drop : iterable of str
        Keywords removed from the table header (e.g. ``GROUPING`` once it is a column).
    protect : sequence of path
        Files that must not be overwritten (the inputs).

    Examples
    --------
    >>> rewrite_table("src.pha", "src.pha", "SPECTRUM", keywords=[("BACKSCAL", 1.2e6, "area")],
    ...               overwrite=True)                                          # doctest: +SKIP
    """
    from xmmframe.io.events import read_raw_hdus

    spath = os.fspath(source)
    same = os.path.exists(target) and os.path.abspath(os.fspath(target)) == os.path.abspath(spath)
    if not same:
        check_output(target, overwrite)
    elif not overwrite:
        raise OutputError("refusing to modify the input file without overwrite", target)
    hdus = read_structure(spath)
    info = _find(hdus, spath, (hduclas1.upper(),), hduclas1.upper())
    raw = list(read_raw_hdus(spath, hdus, skip=info.index))
    frame = FitsTable(info, path=spath).read()
    for name, values in (columns or {}).items():
        series = values if isinstance(values, pl.Series) else pl.Series(name, values)
        series = series.alias(name)
        frame = frame.with_columns(series) if name in frame.columns else frame.hstack([series])
    cards = set_keywords(drop_keywords(info.cards, drop), keywords)
    cards += keyword_cards([("HISTORY", line, "") for line in history])
    raw_out: list[Any] = list(raw)
    raw_out[info.index] = TableHdu(with_longstrn(cards), frame)
    if command:
        used = [int(c[5:8]) for c in raw[0].cards if c.startswith("XPROC") and c[5:8].strip().isdigit()]
        record = (f"XPROC{max(used, default=-1) + 1}", command, "command that modified this file")
        raw_out[0] = RawHdu(with_longstrn(set_keywords(raw[0].cards, [record])), raw[0].data)
    write_hdus(target, raw_out, protect=[p for p in map(os.fspath, protect) if p != os.fspath(target)])


__all__ = [
    "REGION_EXTNAME", "TIME_KEYWORDS", "region_hdu", "check_output", "gti_hdu", "primary_hdu", "read_image", "read_image_data", "read_lightcurve",
    "read_spectra", "read_spectrum", "rewrite_table", "table_cards", "time_keywords", "write_gti", "write_image", "write_lightcurve",
    "write_spectra", "write_spectrum",
]
