"""Source lists: the OGIP-style FITS table, ds9 regions and the source-excision selection.

A :class:`SourceList` holds the fitted sources of :func:`~xmmframe.imaging.mldetect.ml_detect`
with the bands and cameras they were fitted in.  Its columns (one row per source):

* ``ML_ID_SRC``, ``RA``, ``DEC`` (deg, ICRS/FK5 J2000 of the image WCS), ``RADEC_ERR`` (arcsec),
  ``RATE``, ``RATE_ERR`` (counts/s, all cameras and bands), ``DET_ML``, ``X_IMA``, ``Y_IMA`` (1-based
  image pixels) and their errors, ``X``/``Y`` (sky physical pixels, for evselect images),
  ``SCTS``, ``BG_MAP``, ``EXT``, ``EXT_ERR`` (arcsec), ``EXT_ML``, ``OFFAX`` (arcmin), ``CUTRAD``
  (excision radius, arcsec);
* per camera and band, 4XMM-style: ``PN_1_RATE``, ``PN_1_RATE_ERR``, ``PN_1_DET_ML``,
  ``PN_1_SCTS`` (band ``1`` = the first band given; header ``BANDn`` gives its PI range);
* per camera over its bands (``PN_RATE``, ``PN_RATE_ERR``, ``PN_DET_ML``) and per band over the
  cameras (``EP_1_RATE``, ``EP_1_RATE_ERR``, ``EP_1_DET_ML``), the DET_ML from the summed Cash
  improvements with ``nu = 2 +`` the number of rates summed (SAS's rule).

The excision selection is what SAS users paste into evselect's ``expression``:
``!((X,Y) in circle(x,y,r)) && ...`` in sky physical pixels (``(RA,DEC) in circle(...)`` in
degrees when the images have no physical WCS); the selection language tests long chains of
circles in one pass (:mod:`xmmframe.select.shapes.shape_set`).

Examples
--------
>>> srclist = detect_sources(images)                                  # doctest: +SKIP
>>> srclist.write("emllist.fits"); srclist.write_regions("sources.reg")   # doctest: +SKIP
>>> srclist.excision_expression()[:30]                                # doctest: +SKIP
'!((X,Y) in circle(25921.3,2591'
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
from astropy.io.fits import Card

from xmmframe.ccf.access import Calibration
from xmmframe.errors import ProductError
from xmmframe.imaging.bkgmap import cut_radius
from xmmframe.imaging.detect_images import DetectionImage
from xmmframe.imaging.mldetect import detection_likelihood
from xmmframe.io.atomic import atomic_output
from xmmframe.io.cards import keyword_cards, provenance_keywords
from xmmframe.io.fits_scan import scan_fits
from xmmframe.io.fits_structure import find_hdu, read_structure
from xmmframe.io.fits_write import TableHdu, write_hdus
from xmmframe.io.ogip import check_output, primary_hdu, table_cards

from xmmframe.model.provenance import Provenance

#: Units and comments of the source-list columns (per-image columns take their base name's).
COLUMN_UNITS: dict[str, tuple[str | None, str]] = {
    "ML_ID_SRC": (None, "source number"),
    "RA": ("deg", "right ascension (J2000)"),
    "DEC": ("deg", "declination (J2000)"),
    "RADEC_ERR": ("arcsec", "1-sigma position error"),
    "RATE": ("count/s", "count rate, all cameras and bands"),
    "RATE_ERR": ("count/s", "1-sigma error of RATE"),
    "DET_ML": (None, "detection likelihood -ln P(null)"),
    "X_IMA": ("pixel", "image x (1-based)"),
    "Y_IMA": ("pixel", "image y (1-based)"),
    "X_IMA_ERR": ("pixel", "1-sigma error of X_IMA"),
    "Y_IMA_ERR": ("pixel", "1-sigma error of Y_IMA"),
    "X": ("pixel", "sky X (physical)"),
    "Y": ("pixel", "sky Y (physical)"),
    "SCTS": ("count", "source counts"),
    "BG_MAP": ("count/pixel", "background at the source"),
    "EXT": ("arcsec", "extent (0: point source)"),
    "EXT_ERR": ("arcsec", "1-sigma error of EXT"),
    "EXT_ML": (None, "likelihood of extent (C_point - C_extended) / 2"),
    "OFFAX": ("arcmin", "off-axis angle"),
    "CUTRAD": ("arcsec", "source-excision radius"),
    "RATE_ERR_": ("count/s", "1-sigma error of the rate"),
    "RATE_": ("count/s", "count rate"),
    "DET_ML_": (None, "detection likelihood"),
    "SCTS_": ("count", "source counts"),
}


@dataclass(frozen=True, eq=False)
class SourceList:
    """Detected sources with the bands and cameras they were fitted in.

    Attributes
    ----------
    frame : polars.DataFrame
        One row per source (see the module docstring).
    bands : tuple of (float, float)
        The PI bands (eV), numbered 1.. in the column names.
    cameras : tuple of str
        Short camera names present (``PN``, ``M1``, ``M2``).
    keywords : tuple of (str, Any, str)
        Header keywords (observation, provenance).
    """

    frame: pl.DataFrame
    bands: tuple[tuple[float, float], ...]
    cameras: tuple[str, ...]
    keywords: tuple[tuple[str, Any, str], ...] = field(default=())

    def __len__(self) -> int:
        return self.frame.height

    def __repr__(self) -> str:
        return f"SourceList({self.frame.height} sources, cameras {'+'.join(self.cameras)}, {len(self.bands)} bands)"

    def write(self, path: str | os.PathLike[str], overwrite: bool = False) -> None:
        """Write the list as a FITS binary table ``SRCLIST`` (atomically)."""
        check_output(path, overwrite)
        columns = {name: _unit(name) for name in self.frame.columns}
        extra = [*self.keywords, ("EQUINOX", 2000.0, "equinox of RA/DEC"), ("RADECSYS", "FK5", "frame of RA/DEC"),
                 ("NSRC", self.frame.height, "number of sources")]
        for n, (lo, hi) in enumerate(self.bands, 1):
            extra += [(f"PIMIN{n}", float(lo), f"[eV] lower end of band {n}"),
                      (f"PIMAX{n}", float(hi), f"[eV] upper end of band {n}"),
                      (f"BAND{n}", f"{lo:g}-{hi:g}", f"PI range of band {n} (eV)")]
        extra.append(("CAMERAS", "+".join(self.cameras), "cameras fitted"))
        cards = table_cards("SRCLIST", self.frame, columns, keywords=keyword_cards(extra))
        write_hdus(path, [primary_hdu(keyword_cards(self.keywords)), TableHdu(cards, self.frame)])

    def region_text(self, color: str = "green") -> str:
        """The sources as a ds9 region file (fk5 circles of the excision radius, labelled by number)."""
        lines = ["# Region file format: DS9 version 4.1", f"global color={color}", "fk5"]
        for ident, ra, dec, radius in self.frame.select("ML_ID_SRC", "RA", "DEC", "CUTRAD").iter_rows():
            lines.append(f'circle({ra:.6f},{dec:.6f},{radius:.2f}") # text={{{ident}}}')
        return "\n".join(lines) + "\n"

    def write_regions(self, path: str | os.PathLike[str], overwrite: bool = False, color: str = "green") -> None:
        """Write :meth:`region_text` atomically."""
        check_output(path, overwrite)
        with atomic_output(path) as stream:
            stream.write(self.region_text(color).encode("ascii"))

    def excision_expression(self, min_ml: float | None = None) -> str:
        """The evselect selection that removes every source (``CUTRAD`` around each).

        ``min_ml`` keeps only sources with at least that ``DET_ML``.  Empty when no source.
        """
        frame = self.frame if min_ml is None else self.frame.filter(pl.col("DET_ML") >= min_ml)
        if "X" in frame.columns:
            terms = [f"!((X,Y) in circle({x:.2f},{y:.2f},{r * 20.0:.2f}))"
                     for x, y, r in frame.select("X", "Y", "CUTRAD").iter_rows()]
        else:
            terms = [f"!((RA,DEC) in circle({ra:.6f},{dec:.6f},{r / 3600.0:.6f}))"
                     for ra, dec, r in frame.select("RA", "DEC", "CUTRAD").iter_rows()]
        return " && ".join(terms)


def _unit(name: str) -> tuple[str | None, str]:
    if name in COLUMN_UNITS:
        return COLUMN_UNITS[name]
    for suffix in ("RATE_ERR", "RATE", "DET_ML", "SCTS"):
        if name.endswith(suffix):
            unit, comment = COLUMN_UNITS[f"{suffix}_"]
            return unit, f"{comment} ({name[: -len(suffix) - 1]})"
    return None, ""


def source_list(
    fitted: pl.DataFrame,
    images: Sequence[DetectionImage],
    *,
    scut: float = 0.005,
    calibration: Calibration | None = None,
    command: str | None = None,
    task: str = "emldetect",
) -> SourceList:
    """The :class:`SourceList` of an ml_detect table fitted in ``images``.

    Raises
    ------
    ProductError
        When the table is not an ml_detect table of these images.
    """
    needed = {"X_IMA", "Y_IMA", "RA", "DEC", "RATE", "DET_ML", *(f"DC_{k + 1}" for k in range(len(images)))}
    missing = needed - set(fitted.columns)
    if missing:
        raise ProductError(f"the fitted table lacks {', '.join(sorted(missing))} (not an ml_detect table of "
                           f"{len(images)} images)")
    cal = calibration if calibration is not None else Calibration.builtin_set()
    bands = tuple(dict.fromkeys(i.band for i in images))
    cameras = tuple(dict.fromkeys(i.camera for i in images))
    n = fitted.height
    out: dict[str, Any] = {"ML_ID_SRC": pl.Series(np.arange(1, n + 1), dtype=pl.Int32)}
    for name in ("RA", "DEC", "RADEC_ERR", "RATE", "RATE_ERR", "DET_ML", "X_IMA", "Y_IMA", "X_IMA_ERR", "Y_IMA_ERR"):
        out[name] = fitted[name]
    sky = images[0].to_sky_xy(fitted["X_IMA"].to_numpy() - 1.0, fitted["Y_IMA"].to_numpy() - 1.0)
    if sky is not None:
        out["X"], out["Y"] = pl.Series(sky[0]), pl.Series(sky[1])
    for name in ("SCTS", "BG_MAP", "EXT", "EXT_ERR", "EXT_ML", "OFFAX"):
        out[name] = fitted[name]
    first = images[0]
    out["CUTRAD"] = pl.Series([cut_radius(cal.psf(first.instrument), first.energy_kev, s, b, first.pixel_arcsec,
                                          scut=scut)
                               for s, b in fitted.select("SCTS", "BG_MAP").iter_rows()], dtype=pl.Float64)
    groups: dict[str, list[int]] = {}
    for k, img in enumerate(images):
        b = bands.index(img.band) + 1
        prefix = f"{img.camera}_{b}"
        for name in ("RATE", "RATE_ERR", "DET_ML", "SCTS"):
            out[f"{prefix}_{name}"] = fitted[f"{name}_{k + 1}"]
        groups.setdefault(img.camera, []).append(k)
        groups.setdefault(f"EP_{b}", []).append(k)
    for key, members in groups.items():
        if len(groups) == 2 and len(members) == len(images):  # one camera, one band: the totals say it all
            continue
        rate = sum(fitted[f"RATE_{k + 1}"].to_numpy() for k in members)
        err = np.sqrt(sum(fitted[f"RATE_ERR_{k + 1}"].to_numpy() ** 2 for k in members))
        delta = sum(fitted[f"DC_{k + 1}"].to_numpy() for k in members)
        out[f"{key}_RATE"] = pl.Series(np.asarray(rate, np.float64))
        out[f"{key}_RATE_ERR"] = pl.Series(np.asarray(err, np.float64))
        out[f"{key}_DET_ML"] = pl.Series(np.asarray(detection_likelihood(delta, 2 + len(members)), np.float64))
    frame = pl.DataFrame(out)
    keywords: list[tuple[str, Any, str]] = list(provenance_keywords(Provenance(task, command)))
    header = first.cards
    for key in ("TELESCOP", "OBS_ID", "OBJECT", "DATE-OBS", "DATE-END", "FILTER"):
        value = _card_value(header, key)
        if value is not None:
            keywords.append((key, value, ""))
    keywords.append(("INSTRUME", "+".join(dict.fromkeys(i.instrument for i in images)) if len(cameras) > 1
                     else first.instrument, "cameras"))
    return SourceList(frame, bands, cameras, tuple(keywords))


def _card_value(cards: Sequence[str], key: str) -> Any:
    for card in cards:
        if card[:8].strip() == key:
            return Card.fromstring(card).value
    return None





#: Header keyword of a box list: the counts of all the images it was detected on.
TOTAL_COUNTS_KEY = "IMGCTS"


def write_box_list(frame: pl.DataFrame, path: str | os.PathLike[str], overwrite: bool = False,
                   total_counts: float | None = None) -> None:
    """Write a box-detection list (:func:`~xmmframe.imaging.boxdetect.box_detect`) as a FITS table ``SRCLIST``.

    ``total_counts`` (the images' counts together) is recorded as ``IMGCTS``, for the background
    maps made from the list one image at a time (:func:`~xmmframe.imaging.detect_chain.image_background`).

    Examples
    --------
    >>> write_box_list(box_detect(images), "eboxlist_l.fits")       # doctest: +SKIP
    """
    check_output(path, overwrite)
    units = {"X_IMA": ("pixel", "image x (1-based)"), "Y_IMA": ("pixel", "image y (1-based)"),
             "BOX_CTS": ("count", "counts in the box"), "BG_CTS": ("count", "background expected in the box"),
             "LIKE": (None, "box likelihood -ln P"), "BOX_SIZE": ("pixel", "box size"),
             "RATE": ("count/s", "box rate corrected for the PSF fraction"), "EXPOSURE": ("s", "mean exposure")}
    cards = table_cards("SRCLIST", frame, units, keywords=keyword_cards(
        [*provenance_keywords(Provenance("eboxdetect")), ("NSRC", frame.height, "number of candidates"),
         *([(TOTAL_COUNTS_KEY, float(total_counts), "counts of the images searched")] if total_counts is not None
           else [])]))
    write_hdus(path, [primary_hdu(), TableHdu(cards, frame)])


def read_box_list(path: str | os.PathLike[str]) -> tuple[pl.DataFrame, float | None]:
    """A box list written by :func:`write_box_list` (or SAS eboxdetect): the table and its ``IMGCTS``.

    Raises
    ------
    ProductError
        When the file has no ``SRCLIST`` table with ``X_IMA``, ``Y_IMA``, ``LIKE`` and ``RATE``.

    Examples
    --------
    >>> frame, total = read_box_list("eboxlist_l.fits")             # doctest: +SKIP
    """
    hdus = read_structure(path)
    info = find_hdu(hdus, "SRCLIST", path)
    frame = scan_fits(path, hdu="SRCLIST").collect()
    missing = [c for c in ("X_IMA", "Y_IMA", "LIKE", "RATE") if c not in frame.columns]
    if missing:
        raise ProductError(f"{os.fspath(path)}: SRCLIST has no column {', '.join(missing)} (not an eboxdetect list)")
    total = _card_value(info.cards, TOTAL_COUNTS_KEY)
    return frame, (float(total) if total is not None else None)

__all__ = ["COLUMN_UNITS", "TOTAL_COUNTS_KEY", "SourceList", "read_box_list", "source_list", "write_box_list"]
