"""Spectral responses for EPIC spectra: ``rmfgen`` (RMF) and ``arfgen`` (ARF).

Both read what they need from the spectrum, as SAS does: instrument, filter, observation date,
submode, channel grid (``DETCHANS``, ``TLMIN1``, ``SPECDELT``/``SPECVAL``/``SPECPIX``: channel
``k`` holds PI ``origin + k*SPECDELT`` ... ``+SPECDELT-1`` eV with
``origin = SPECVAL - (SPECDELT-1)/2 - SPECPIX*SPECDELT``), the pattern selection (DSS
``PATTERN`` entry, e.g. ``':4'``) and the extraction region (the ``REGnnnnn`` table the DSS
``POS(X,Y)`` or ``DET(DETX,DETY)`` entry refers to).  The calibration comes from a
:class:`~xmmframe.ccf.access.Calibration` (real CCFs or the built-in set).

**rmfgen**: rows on the REDIST CCF's energy grid (SAS's CAL grid) or ``energy_bins``
(``withenergybins``: ``n`` even bins from ``emin`` to ``emax`` keV), built by
:meth:`~xmmframe.ccf.redist.RedistributionSet.rows` a block of rows at a time, truncated to
the spectrum's channels, cut below ``LO_THRES`` and normalised to 1 (HDUCLAS3 ``REDIST``).
Memory: one block of ``rows x DETCHANS`` float64 (at most 32 MB) plus the sparse result.

**arfgen**: ``SPECRESP(E) = A(E) * V(E, theta) * T_filter(E) * QE(E) * (1 - f_OOT) * EE(E)``:

* ``A``: on-axis mirror area (``XRTn_XAREAEF``); ``V``: vignetting at the source's off-axis
  angle (point source: the region's centre; the angle from the pointing ``RA_PNT/DEC_PNT``
  projected on the sky pixel grid, or from the DETX/DETY origin for detector regions);
* ``T_filter``: ``FILTERTRANSX`` for the spectrum's ``FILTER``; ``QE``: ``QUANTUMEF`` for its
  pattern selection; ``f_OOT``: the pn out-of-time fraction of the submode (full frame 6.3 %,
  extended full frame 2.3 %, large window 0.16 %, small window 1.1 %; 0 for MOS);
* ``EE`` (point sources, ``modelee``): the King PSF (``XRTn_XPSF``) integrated over the part of
  each annulus around the source that lies in the region, sampled on a 1-arcsec grid;
* extended sources: no EE; ``V`` averaged over the region weighted by a detector map — flat
  (``detmaptype='flat'``) or the events themselves (``detmaptype='dataset'``, events inside
  the region);
* bad pixels and chip gaps (``badpixlocation``): bad pixels and CCD footprints taken from an
  event list (its ``BADPIXnn`` tables and the RAW->DET->sky relation of its own events); the
  PSF/detector-map weight falling on them is removed.

Examples
--------
>>> from xmmframe.products.responses import arfgen, rmfgen
>>> rmf = rmfgen("PN_spectrum_grp20.fits")                                   # doctest: +SKIP
>>> arf = arfgen("PN_spectrum_grp20.fits", rmf=rmf)                          # doctest: +SKIP
>>> rmf.detchans, arf.specresp.max()                                         # doctest: +SKIP
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from xmmframe.ccf.access import Calibration, instrument_name
from xmmframe.ccf.quantumef import parse_pattern_range
from xmmframe.errors import CalibrationError, XmmframeError
from xmmframe.model.provenance import Provenance
from xmmframe.model.registry import register
from xmmframe.model.responses import Arf, Rmf, sparse_rows

#: Sky pixel size (arcsec) of X/Y and DETX/DETY.
PIXEL_ARCSEC = 0.05
#: pn out-of-time event fraction per submode (XMM handbook), removed from the ARF like arfgen's modelootcorr.
PN_OUT_OF_TIME = {"PRIMEFULLWINDOW": 0.063, "PRIMEFULLWINDOWEXTENDED": 0.023, "PRIMELARGEWINDOW": 0.0016,
                  "PRIMESMALLWINDOW": 0.011}
#: Bytes of the dense row block rmfgen builds at a time.
BLOCK_BYTES = 32 << 20
_DEFAULT_BIN = {"EPN": 5, "EMOS1": 15, "EMOS2": 15}


# ---------------------------------------------------------------------------- the spectrum


@dataclass(frozen=True)
class SpectrumContext:
    """What responses need to know about a spectrum.

    Attributes
    ----------
    keywords : dict
        Primary and SPECTRUM header keywords (the SPECTRUM extension's win).
    region : Region or None
        The extraction region (``xmmframe.select.region.Region``).
    region_columns : (str, str) or None
        Columns the region applies to (``("X", "Y")`` or ``("DETX", "DETY")``).

    Examples
    --------
    >>> ctx = SpectrumContext.from_keywords({"INSTRUME": "EPN", "DETCHANS": 4096, "DSTYP1": "PATTERN",
    ...                                      "DSVAL1": ":4", "FILTER": "Medium"})
    >>> ctx.instrument, ctx.channel_width, ctx.origin, sorted(ctx.patterns)
    ('EPN', 5.0, 0.0, [0, 1, 2, 3, 4])
    """

    keywords: dict[str, Any]
    region: Any = None
    region_columns: tuple[str, str] | None = None

    @classmethod
    def from_keywords(cls, keywords: Mapping[str, Any], region: Any = None,
                      region_columns: tuple[str, str] | None = None) -> "SpectrumContext":
        """From a keyword mapping (e.g. an astropy Header or a dict)."""
        return cls({str(k).upper(): (v.strip() if isinstance(v, str) else v) for k, v in dict(keywords).items()},
                   region, region_columns)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> "SpectrumContext":
        """From an OGIP spectrum file; its region table is read through the DSS reference."""
        from xmmframe.io.responses import read_spectrum_keywords

        keys = read_spectrum_keywords(path)
        region, columns = None, None
        entry = _region_entry(keys)
        if entry is not None:
            name, ref = entry
            block = ref.lstrip(":").split("[")[0]
            if block.upper() in [e.upper() for e in keys["_EXTENSIONS"]]:
                region, columns = _read_region(os.fspath(path), block)
        return cls(keys, region, columns)

    @classmethod
    def from_spectrum(cls, spectrum: Any) -> "SpectrumContext":
        """From an xmmframe :class:`~xmmframe.model.products.Spectrum` (or any product with cards and region)."""
        from xmmframe.model.hdu import cards_to_header

        keys: dict[str, Any] = {}
        for cards in (spectrum.primary_cards, spectrum.cards):
            for card in cards_to_header(tuple(cards)).cards:
                if card.keyword not in ("", "COMMENT", "HISTORY"):
                    keys[card.keyword] = card.value
        if hasattr(spectrum, "channel_bin"):
            keys.update({"DETCHANS": int(np.size(spectrum.channel)), "TLMIN1": int(np.min(spectrum.channel)),
                         "SPECDELT": spectrum.channel_bin, "SPECPIX": 0,
                         "SPECVAL": spectrum.channel_min + (spectrum.channel_bin - 1) / 2})
        region, columns = (None, None)
        if spectrum.region is not None and spectrum.region.height:
            region, columns = _region_from_frame(spectrum.region)
        return cls.from_keywords(keys, region, columns)

    @property
    def instrument(self) -> str:
        """``EPN``, ``EMOS1`` or ``EMOS2``."""
        return instrument_name(str(self.keywords.get("INSTRUME", "")))

    @property
    def filter(self) -> str:
        """The ``FILTER`` keyword."""
        return str(self.keywords.get("FILTER", "UNKNOWN"))

    @property
    def date_obs(self) -> str | None:
        """``DATE-OBS`` (ISO), if known."""
        value = self.keywords.get("DATE-OBS")
        return str(value)[:19] if value else None

    @property
    def submode(self) -> str:
        """``SUBMODE`` (upper case)."""
        return str(self.keywords.get("SUBMODE", "")).upper()

    @property
    def detchans(self) -> int:
        """Number of channels."""
        if "DETCHANS" not in self.keywords:
            raise XmmframeError("the spectrum has no DETCHANS keyword", self.keywords.get("_PATH"))
        return int(self.keywords["DETCHANS"])

    @property
    def first_channel(self) -> int:
        """Number of the first channel (``TLMIN1``, 0 for XMM)."""
        return int(self.keywords.get("TLMIN1", 0))

    @property
    def channel_width(self) -> float:
        """PI (eV) per channel: ``SPECDELT``, else 20480/DETCHANS (pn 5, MOS 800 ch: 15)."""
        if "SPECDELT" in self.keywords:
            return float(self.keywords["SPECDELT"])
        if self.detchans in (4096, 2400):
            return 5.0
        if self.detchans == 800:
            return 15.0
        return float(_DEFAULT_BIN.get(self.instrument, 5))

    @property
    def origin(self) -> float:
        """PI (eV) of the lower edge of the first channel."""
        width = self.channel_width
        if "SPECVAL" in self.keywords:
            return float(self.keywords["SPECVAL"]) - (width - 1) / 2 - float(self.keywords.get("SPECPIX", 0)) * width
        return self.first_channel * width

    @property
    def patterns(self) -> frozenset[int] | None:
        """Patterns selected (intersection of the DSS PATTERN entries), or None when unfiltered."""
        chosen: frozenset[int] | None = None
        for key, value in self.keywords.items():
            if key.startswith("DSTYP") and str(value).strip().upper() == "PATTERN":
                text = self.keywords.get("DSVAL" + key[5:], "")
                selection = parse_pattern_range(str(text))
                chosen = selection if chosen is None else chosen & selection
        return chosen


def _region_entry(keys: Mapping[str, Any]) -> tuple[str, str] | None:
    for key, value in keys.items():
        if key.startswith("DSTYP") and str(value).upper().startswith(("POS(", "DET(")):
            ref = keys.get("DSREF" + key[5:])
            if ref:
                return str(value), str(ref)
    return None


def _read_region(path: str, block: str) -> tuple[Any, tuple[str, str]]:
    from xmmframe.io.regions import read_region_table
    from xmmframe.select.region import Region

    table = read_region_table(path, block)
    columns = tuple(c.upper() for c in table.position_columns)
    return Region.read(path, block), (columns[0], columns[1])


def _region_from_frame(frame: pl.DataFrame) -> tuple[Any, tuple[str, str]]:
    from xmmframe.io.regions import region_table_from_frame
    from xmmframe.select.region import Region

    columns = region_table_from_frame(frame).position_columns
    return Region.from_frame(frame), (columns[0].upper(), columns[1].upper())


def spectrum_context(spectrum: Any) -> SpectrumContext:
    """A :class:`SpectrumContext` from a path, a keyword mapping, a Spectrum or a context."""
    if isinstance(spectrum, SpectrumContext):
        return spectrum
    if isinstance(spectrum, (str, os.PathLike)):
        return SpectrumContext.from_file(spectrum)
    if hasattr(spectrum, "channel_bin") and hasattr(spectrum, "cards"):
        return SpectrumContext.from_spectrum(spectrum)
    if isinstance(spectrum, Mapping) or hasattr(spectrum, "keys"):
        return SpectrumContext.from_keywords(spectrum)
    raise XmmframeError(f"cannot read a spectrum from {type(spectrum).__name__}")


def _calibration(calibration: Calibration | None, ctx: SpectrumContext) -> Calibration:
    return calibration if calibration is not None else Calibration.open(observation_date=ctx.date_obs)


def _product_keywords(ctx: SpectrumContext, cal: Calibration, provenance: Provenance) -> dict[str, Any]:
    keys: dict[str, Any] = {"TELESCOP": "XMM", "INSTRUME": ctx.instrument, "FILTER": ctx.filter,
                            "CREATOR": provenance.creator, "CALSRC": cal.calsrc}
    for key in ("OBS_ID", "DATE-OBS"):
        if key in ctx.keywords:
            keys[key] = ctx.keywords[key]
    return keys


# ---------------------------------------------------------------------------- rmfgen


def energy_grid(emin: float, emax: float, nbins: int) -> tuple[np.ndarray, np.ndarray]:
    """``withenergybins``: ``nbins`` even bins from ``emin`` to ``emax`` (keV).

    Examples
    --------
    >>> energy_grid(0.1, 0.4, 3)[0].round(3).tolist()
    [0.1, 0.2, 0.3]
    """
    if not (emax > emin >= 0 and nbins > 0):
        raise XmmframeError(f"invalid energy grid: energymin={emin} energymax={emax} nenergybins={nbins}")
    edges = np.linspace(emin, emax, int(nbins) + 1)
    return edges[:-1], edges[1:]


@register("Spectrum.rmf")
def rmfgen(
    spectrum: Any,
    calibration: Calibration | None = None,
    energy_bins: tuple[float, float, int] | np.ndarray | None = None,
    threshold: float = 1e-6,
    patterns: Sequence[int] | None = None,
) -> Rmf:
    """The redistribution matrix of a spectrum.

    Parameters
    ----------
    spectrum : path, Spectrum, mapping or SpectrumContext
        The spectrum (or its header keywords).
    calibration : Calibration, optional
        Default: ``Calibration.open`` for the spectrum's date (SAS_CCF/SAS_CCFPATH or built-in).
    energy_bins : (emin, emax, n) or array of edges, optional
        Even energy grid in keV (``withenergybins=yes``), or explicit bin edges (keV, e.g. an
        existing ARF's grid); default the CCF's grid.
    threshold : float
        ``LO_THRES``: matrix values below it are dropped (before the final normalisation).
    patterns : sequence of int, optional
        Pattern selection; default from the spectrum's DSS.

    Returns
    -------
    Rmf
        Rows normalised to 1 over the spectrum's channels (rows whose response falls entirely
        outside them stay empty).

    Examples
    --------
    >>> rmf = rmfgen({"INSTRUME": "EPN", "DETCHANS": 4096, "DSTYP1": "PATTERN", "DSVAL1": ":4",
    ...               "DATE-OBS": "2016-01-01T00:00:00", "FILTER": "Medium"})       # doctest: +SKIP
    >>> rmf.n_energies, rmf.detchans                                                  # doctest: +SKIP
    (2067, 4096)
    """
    ctx = spectrum_context(spectrum)
    cal = _calibration(calibration, ctx)
    redist = cal.redistribution(ctx.instrument)
    profiles = redist.pattern_set(patterns if patterns is not None else ctx.patterns)
    if energy_bins is not None and np.ndim(energy_bins) == 1 and len(energy_bins) != 3:
        edges_e = np.asarray(energy_bins, dtype=np.float64)
        energ_lo, energ_hi = edges_e[:-1], edges_e[1:]
    elif energy_bins is not None:
        energ_lo, energ_hi = energy_grid(*energy_bins)  # type: ignore[misc]
    else:
        energ_lo, energ_hi = redist.energ_lo, redist.energ_hi
    nchan, width, origin = ctx.detchans, ctx.channel_width, ctx.origin
    edges = origin + width * np.arange(nchan + 1)
    e_min, e_max = redist.nominal_energy(edges[:-1]), redist.nominal_energy(edges[1:])
    centres = 0.5 * (energ_lo + energ_hi)
    block = max(1, BLOCK_BYTES // (8 * nchan))
    pieces: list[tuple[np.ndarray, ...]] = []
    for start in range(0, centres.size, block):
        dense = profiles.rows(centres[start : start + block], origin, width, nchan)
        _normalise(dense, threshold)
        pieces.append(sparse_rows(dense, 0.0))
    n_grp = np.concatenate([p[0] for p in pieces])
    counts = np.concatenate([p[3] for p in pieces])
    keywords = _product_keywords(ctx, cal, Provenance("rmfgen")) | {
        "CHANTYPE": str(ctx.keywords.get("CHANTYPE", "PI")), "HDUCLAS3": "REDIST", "LO_THRES": threshold,
        "PATTERNS": profiles.name.split("-", 1)[-1]}
    return Rmf(
        np.asarray(energ_lo, dtype=np.float64), np.asarray(energ_hi, dtype=np.float64), n_grp,
        np.concatenate([[0], np.cumsum(n_grp)]).astype(np.int64),
        np.concatenate([p[1] for p in pieces]) + ctx.first_channel, np.concatenate([p[2] for p in pieces]),
        np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        np.concatenate([p[4] for p in pieces]).astype(np.float32), e_min, e_max, ctx.first_channel, keywords,
    )


def _normalise(dense: np.ndarray, threshold: float) -> None:
    """Normalise rows in place, drop values below ``threshold``, renormalise."""
    for _ in range(2):
        sums = dense.sum(axis=1, keepdims=True)
        np.divide(dense, sums, out=dense, where=sums > 0)
        dense[dense < threshold] = 0.0


# ---------------------------------------------------------------------------- geometry


def pointing_pixel(keys: Mapping[str, Any]) -> tuple[float, float]:
    """Sky X/Y pixel of the pointing (``RA_PNT``, ``DEC_PNT``); the reference pixel without them."""
    if "RA_PNT" not in keys or "REFXCRVL" not in keys:
        return float(keys.get("REFXCRPX", 25921.0)), float(keys.get("REFYCRPX", 25921.0))
    return sky_pixel(keys, float(keys["RA_PNT"]), float(keys["DEC_PNT"]))


def sky_pixel(keys: Mapping[str, Any], ra_deg: float, dec_deg: float) -> tuple[float, float]:
    """Sky X/Y pixel of a position (degrees) on the ``REFX*``/``REFY*`` tangent plane (gnomonic).

    Examples
    --------
    >>> sky_pixel({"REFXCRVL": 10.0, "REFYCRVL": 20.0}, 10.0, 20.0)
    (25921.0, 25921.0)
    """
    crpx = float(keys.get("REFXCRPX", 25921.0))
    crpy = float(keys.get("REFYCRPX", 25921.0))
    if "REFXCRVL" not in keys:
        raise XmmframeError("the spectrum has no REFXCRVL/REFYCRVL: cannot place sky coordinates",
                            keys.get("_PATH"))
    ra0, dec0 = math.radians(float(keys["REFXCRVL"])), math.radians(float(keys["REFYCRVL"]))
    ra, dec = math.radians(ra_deg), math.radians(dec_deg)
    cos_c = math.sin(dec0) * math.sin(dec) + math.cos(dec0) * math.cos(dec) * math.cos(ra - ra0)
    xi = math.cos(dec) * math.sin(ra - ra0) / cos_c
    eta = (math.cos(dec0) * math.sin(dec) - math.sin(dec0) * math.cos(dec) * math.cos(ra - ra0)) / cos_c
    cdx = float(keys.get("REFXCDLT", -PIXEL_ARCSEC / 3600))
    cdy = float(keys.get("REFYCDLT", PIXEL_ARCSEC / 3600))
    return crpx + math.degrees(xi) / cdx, crpy + math.degrees(eta) / cdy


def _axis_pixel(ctx: SpectrumContext) -> tuple[float, float]:
    """Position of the optical axis in the region's columns (pointing for X/Y, origin for DETX/DETY)."""
    if ctx.region_columns and ctx.region_columns[0].upper().startswith("DET"):
        return 0.0, 0.0
    return pointing_pixel(ctx.keywords)


def _source_position(ctx: SpectrumContext, source: tuple[float, float] | None) -> tuple[float, float]:
    if source is not None:
        return source
    if ctx.region is not None:
        for shape in _shapes(ctx.region.include):
            if hasattr(shape, "x") and hasattr(shape, "y") and not isinstance(shape.x, tuple):
                return float(shape.x), float(shape.y)
    raise XmmframeError("the spectrum has no region: give the source position (sourcex, sourcey)",
                        ctx.keywords.get("_PATH"))


def _shapes(shapes: Sequence[Any]) -> list[Any]:
    out: list[Any] = []
    for shape in shapes:
        parts = getattr(shape, "shapes", None)
        out.extend(_shapes(parts) if parts else [shape])
    return out


def _inside(ctx: SpectrumContext, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Whether points (in the region's columns) are in the region (everything without a region)."""
    if ctx.region is None:
        return np.ones(x.shape, dtype=bool)
    cx, cy = ctx.region_columns or ("X", "Y")
    frame = pl.DataFrame({cx: x.ravel(), cy: y.ravel()})
    return frame.select(ctx.region.to_expr()).to_series().to_numpy().reshape(x.shape)


# ---------------------------------------------------------------------------- arfgen


def _ring_fractions(ctx: SpectrumContext, centre: tuple[float, float], rmax: float, step: float,
                    good: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """Fraction of each annulus ``[r_k, r_k + step)`` arcsec around ``centre`` inside the region (and good)."""
    n = int(math.ceil(rmax / step))
    offsets = (np.arange(-n, n) + 0.5) * step
    dx, dy = np.meshgrid(offsets, offsets)
    x = centre[0] + dx / PIXEL_ARCSEC
    y = centre[1] + dy / PIXEL_ARCSEC
    radius = np.hypot(dx, dy)
    ring = np.minimum((radius / step).astype(np.int64), n)
    weight = _inside(ctx, x, y).astype(np.float64)
    if good is not None:
        weight *= good(x, y)
    total = np.bincount(ring.ravel(), minlength=n + 1)[:n]
    kept = np.bincount(ring.ravel(), weights=weight.ravel(), minlength=n + 1)[:n]
    edges = np.arange(n + 1) * step
    return edges, np.where(total > 0, kept / np.maximum(total, 1), 0.0)


def _region_ee(ctx: SpectrumContext, cal: Calibration, energy: np.ndarray, centre: tuple[float, float],
               theta: float, good: Any = None) -> np.ndarray:
    """Encircled-energy fraction of the region for a point source at ``centre`` (all energies)."""
    psf = cal.psf(ctx.instrument)
    edges, fraction = _ring_fractions(ctx, centre, psf.ee_norm, 1.0, good)
    fine = np.concatenate([np.linspace(0.0, 1.0, 11)[:-1], edges[1:]])
    cumulative = psf.encircled_energy(fine[None, :], energy[:, None], theta)
    at_edges = np.concatenate([cumulative[:, :1] * 0, cumulative[:, 10:]], axis=1)
    inner = fraction[0] * cumulative[:, 10] if fraction.size else 0.0
    rings = np.diff(at_edges, axis=1)[:, 1:] @ fraction[1:] if fraction.size > 1 else 0.0
    return np.clip(inner + rings, 0.0, 1.0)


def _detector_map_thetas(ctx: SpectrumContext, events: str | os.PathLike[str] | None,
                         axis: tuple[float, float], good: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """Off-axis angles (arcmin) and weights of an extended source's detector map.

    The weights keep the fraction of the map on good pixels (so their sum is the good
    fraction, not 1) when ``good`` is given for a flat map; a dataset map's events already
    avoid bad pixels.
    """
    if events is not None:
        from xmmframe.io.fits_scan import scan_fits

        cx, cy = ctx.region_columns or ("X", "Y")
        lazy = scan_fits(events).select(pl.col(cx).cast(pl.Float64), pl.col(cy).cast(pl.Float64))
        if ctx.region is not None:
            lazy = lazy.filter(ctx.region.to_expr())
        frame = lazy.collect()
        if frame.height == 0:
            raise XmmframeError("no events of the detector map fall in the spectrum's region", events)
        x, y = frame[cx].to_numpy(), frame[cy].to_numpy()
        weight = np.ones(x.size)
    else:
        if ctx.region is None:
            raise XmmframeError("an extended-source ARF needs the spectrum's region or a detector map")
        extent = _region_extent(ctx)
        grid = np.linspace(-1.0, 1.0, 201)
        gx, gy = np.meshgrid(extent[0] + grid * extent[2], extent[1] + grid * extent[2])
        keep = _inside(ctx, gx, gy)
        x, y = gx[keep], gy[keep]
        if x.size == 0:
            raise XmmframeError("the spectrum's region is empty")
        weight = good(x, y) if good is not None else np.ones(x.size)
    theta = np.hypot(x - axis[0], y - axis[1]) * PIXEL_ARCSEC / 60.0
    bins = np.minimum((theta / 0.1).astype(np.int64), 400)
    weights = np.bincount(bins, weights=weight, minlength=401)
    centres = (np.arange(401) + 0.5) * 0.1
    keep = weights > 0
    total = weight.size if (events is None and good is not None) else weights.sum()
    return centres[keep], weights[keep] / total


def _region_extent(ctx: SpectrumContext) -> tuple[float, float, float]:
    """Centre and half size of a box holding the region's include shapes."""
    xs, ys, sizes = [], [], []
    for shape in _shapes(ctx.region.include):
        if hasattr(shape, "x") and hasattr(shape, "y"):
            xs.append(float(shape.x))
            ys.append(float(shape.y))
            radii = [float(getattr(shape, n)) for n in ("r", "r2", "r1", "a", "b", "xhalf", "yhalf", "a2", "b2")
                     if hasattr(shape, n)]
            sizes.append(max(radii) * (math.sqrt(2) if hasattr(shape, "xhalf") else 1.0) if radii else 0.0)
    if not xs:
        raise XmmframeError("cannot find the extent of the spectrum's region")
    return float(np.mean(xs)), float(np.mean(ys)), max(sizes) + max(np.ptp(xs), np.ptp(ys))


@register("Spectrum.arf")
def arfgen(
    spectrum: Any,
    rmf: Rmf | None = None,
    calibration: Calibration | None = None,
    extended: bool = False,
    detmap_events: str | os.PathLike[str] | None = None,
    source: tuple[float, float] | None = None,
    modelee: bool = True,
    badpixlocation: str | os.PathLike[str] | None = None,
    patterns: Sequence[int] | None = None,
) -> Arf:
    """The ancillary response of a spectrum.

    Parameters
    ----------
    spectrum : path, Spectrum, mapping or SpectrumContext
        The spectrum (its region, filter, patterns, pointing).
    rmf : Rmf, optional
        Energy grid (``withrmfset=yes``); default the REDIST CCF's grid.
    calibration : Calibration, optional
        Default: ``Calibration.open`` for the spectrum's date.
    extended : bool
        ``extendedsource=yes``: vignetting averaged over a detector map, no EE.
    detmap_events : path, optional
        ``detmaptype=dataset``: the event list whose events (inside the region) weight the map;
        default a flat map over the region.
    source : (float, float), optional
        Point-source position in the region's columns; default the region's centre.
    modelee : bool
        Apply the encircled-energy fraction of the region (point sources).
    badpixlocation : path, optional
        Event list whose bad pixels and CCD footprints are removed from the region.
    patterns : sequence of int, optional
        Pattern selection; default from the spectrum's DSS.

    Examples
    --------
    >>> arf = arfgen("PN_spectrum_grp20.fits")                                  # doctest: +SKIP
    >>> arf.keywords["CALSRC"]                                                   # doctest: +SKIP
    'xmmframe-builtin'
    """
    ctx = spectrum_context(spectrum)
    cal = _calibration(calibration, ctx)
    camera = ctx.instrument
    if rmf is not None:
        energ_lo, energ_hi = rmf.energ_lo, rmf.energ_hi
    else:
        redist = cal.redistribution(camera)
        energ_lo, energ_hi = redist.energ_lo, redist.energ_hi
    energy = 0.5 * (energ_lo + energ_hi)
    mirror = cal.mirror_area(camera)
    chosen = patterns if patterns is not None else ctx.patterns
    response = (mirror.on_axis_area(energy) * cal.filter_transmission(camera).transmission(ctx.filter, energy)
                * cal.quantum_efficiency(camera).efficiency(energy, chosen))
    if camera == "EPN":
        response *= 1.0 - PN_OUT_OF_TIME.get(ctx.submode, 0.0)
    axis = _axis_pixel(ctx)
    good = _good_pixel_function(badpixlocation, ctx) if badpixlocation is not None else None
    if extended:
        thetas, weights = _detector_map_thetas(ctx, detmap_events, axis, good)
        response *= mirror.vignetting_factor(energy[:, None], thetas[None, :]) @ weights
    else:
        centre = _source_position(ctx, source)
        theta = float(np.hypot(centre[0] - axis[0], centre[1] - axis[1]) * PIXEL_ARCSEC / 60.0)
        response *= mirror.vignetting_factor(energy, theta)
        if modelee and (ctx.region is not None or good is not None):
            response *= _region_ee(ctx, cal, energy, centre, theta, good)
    keywords = _product_keywords(ctx, cal, Provenance("arfgen"))
    return Arf(np.asarray(energ_lo, np.float64), np.asarray(energ_hi, np.float64), response, keywords)


def _good_pixel_function(events: str | os.PathLike[str], ctx: SpectrumContext):  # noqa: ANN202
    """``good(x, y)``: 1 on a working pixel of a CCD, 0 on a bad pixel or off the CCDs (chip gaps),
    from the CCD layout measured on the event list (:class:`~xmmframe.products.ccd_layout.CcdLayout`)."""
    from xmmframe.products.ccd_layout import CcdLayout

    return CcdLayout.from_events(events, ctx.region_columns or ("X", "Y")).working_pixel


def lightcurve_absolute_correction(
    curve: Any,
    calibration: Calibration | None = None,
    badpixlocation: str | os.PathLike[str] | None = None,
    step_kev: float = 0.05,
) -> float:
    """epiclccorr's absolute correction factor ``C`` of a light curve (``applyabsolutecorrections=yes``).

    ``C`` turns the rate in the curve's region into the rate of the whole source on axis:
    the ratio of the on-axis, whole-PSF, defect-free response to the response of the region
    (arfgen's: vignetting, encircled energy, bad pixels and chip gaps), both summed over the
    curve's band (``CHANMIN``..``CHANMAX`` PI eV, default 0.2-12 keV) on a ``step_kev`` grid
    (epiclccorr samples at 50 eV), i.e. for a flat photon spectrum.  QE and filter cancel.
    Give the result to :func:`xmmframe.products.lccorr.correct_lightcurve` as ``absolute``.

    Parameters
    ----------
    curve : LightCurve, path or mapping
        The source light curve (its header keywords and region).
    calibration : Calibration, optional
        Default: ``Calibration.open`` for the curve's date.
    badpixlocation : path, optional
        Event list for the bad-pixel and chip-gap correction.
    step_kev : float
        Energy sampling (keV).

    Examples
    --------
    >>> from xmmframe.io.ogip import read_lightcurve
    >>> src = read_lightcurve("J173442-323451_lc_2.604_src.lc")               # doctest: +SKIP
    >>> correct_lightcurve(src, bkg, absolute=lightcurve_absolute_correction(src))   # doctest: +SKIP
    """
    if hasattr(curve, "cards") and hasattr(curve, "region"):
        ctx = SpectrumContext.from_spectrum(curve)
    elif isinstance(curve, (str, os.PathLike)):
        from xmmframe.io.ogip import read_lightcurve

        ctx = SpectrumContext.from_spectrum(read_lightcurve(curve))
    else:
        ctx = spectrum_context(curve)
    low = float(ctx.keywords.get("CHANMIN", 200.0)) / 1000.0
    high = float(ctx.keywords.get("CHANMAX", 12000.0)) / 1000.0
    count = max(1, int(round((high - low) / step_kev)))
    edges = np.linspace(low, high, count + 1)
    grid = Rmf(edges[:-1], edges[1:], np.zeros(count, np.int64), np.zeros(count + 1, np.int64), np.zeros(0, np.int64),
               np.zeros(0, np.int64), np.zeros(count + 1, np.int64), np.zeros(0, np.float32), np.zeros(0), np.zeros(0))
    cal = _calibration(calibration, ctx)
    actual = arfgen(ctx, rmf=grid, calibration=cal, badpixlocation=badpixlocation)
    ideal = arfgen(ctx, rmf=grid, calibration=cal, source=_axis_pixel(ctx), modelee=False)
    total = float(np.sum(actual.specresp))
    if total <= 0:
        raise CalibrationError("the light curve's region has no effective area", ctx.keywords.get("_PATH"))
    return float(np.sum(ideal.specresp)) / total


__all__ = ["SpectrumContext", "arfgen", "lightcurve_absolute_correction", "energy_grid", "pointing_pixel", "rmfgen", "sky_pixel", "spectrum_context"]
