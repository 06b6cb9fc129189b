"""Products of one source from many exposures: PHA Type II tables, summed spectra, light-curve tables, mosaics.

These combine per-exposure products (made one exposure at a time, e.g. by
:func:`xmmframe.exec.map_exposures`) and never read files:

* :func:`spectra_table` - the spectra as rows of one :class:`~xmmframe.model.products.Spectra`
  (a PHA Type II file, OGIP/92-007a), labelled by exposure;
* :func:`sum_spectra` - one spectrum and one response from many, as SAS ``epicspeccombine``
  does (see its docstring for the formulas);
* :func:`lightcurve_table` - light curves of one position as one table with the exposure of
  every bin;
* :class:`MosaicGrid` and :func:`mosaic_counts` / :func:`mosaic_image` - counts of many
  exposures on one tangent-plane sky grid.

Examples
--------
>>> import numpy as np
>>> grid = MosaicGrid(149.59, -11.09, pixel=4 / 3600, shape=(3, 3))
>>> grid.to_pixel(np.array([149.59]), np.array([-11.09]))
(array([2.]), array([2.]))
>>> mosaic_counts(np.array([149.59, 149.59]), np.array([-11.09, -11.09]), grid).tolist()
[[0, 0, 0], [0, 2, 0], [0, 0, 0]]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from xmmframe.errors import ProductError
from xmmframe.model.products import Image, LightCurve, Spectra, Spectrum
from xmmframe.io.cards import drop_keywords, keyword_cards, provenance_items
from xmmframe.io.dss import is_dss_keyword
from xmmframe.model.provenance import Provenance
from xmmframe.model.responses import Arf, Rmf
from xmmframe.products.binning import Axis, histogram

# ---------------------------------------------------------------------- spectra

#: How a summed response is made (its ``CREATOR``; the ``DATE`` is that of writing the file).
SUM_PROVENANCE = Provenance("sum_spectra")


def _check_grid(spectra: Sequence[Spectrum], what: str) -> None:
    """Every spectrum on the first one's channel grid, else a ProductError."""
    if not spectra:
        raise ProductError(f"no {what} to combine")
    first = spectra[0]
    for spec in spectra[1:]:
        if (spec.channel_bin, spec.channel_min, spec.chantype) != (first.channel_bin, first.channel_min,
                                                                    first.chantype) or not np.array_equal(
                spec.channel, first.channel):
            raise ProductError(f"{what} are on different channel grids ({first.channel.size} channels of "
                               f"{first.channel_bin} from {first.channel_min} vs {spec.channel.size} of "
                               f"{spec.channel_bin} from {spec.channel_min}): make them with the same binning")


def spectra_table(spectra: Sequence[Spectrum], labels: Sequence[str]) -> Spectra:
    """Spectra on one channel grid as the rows of a PHA Type II product.

    Parameters
    ----------
    spectra : sequence of Spectrum
        Same ``channel``, ``channel_bin``, ``channel_min`` (e.g. all made with the default
        binning of one instrument family).
    labels : sequence of str
        One label per spectrum (the ``ROWID`` column), e.g. ``OBSID_INSTRUME_EXPID``.

    Returns
    -------
    Spectra
        ``counts[i]``, ``exposure[i]``, ``backscal[i]`` of spectrum ``i``; the header cards the
        spectra share (not the observation's identity and times, nor the data subspace).

    Examples
    --------
    >>> table = spectra_table([spec_m1, spec_m2], ["0201901401_EMOS1_U002", "0201901401_EMOS2_U002"])  # doctest: +SKIP
    >>> table.write("stack.pha")                                                                        # doctest: +SKIP
    """
    _check_grid(spectra, "spectra")
    if len(labels) != len(spectra):
        raise ProductError(f"{len(labels)} labels for {len(spectra)} spectra")
    first = spectra[0]
    return Spectra(
        channel=first.channel,
        counts=np.stack([np.asarray(s.counts) for s in spectra]),
        exposure=np.array([s.exposure for s in spectra], dtype=np.float64),
        backscal=np.array([s.backscal for s in spectra], dtype=np.float64),
        labels=tuple(labels),
        chantype=first.chantype, channel_bin=first.channel_bin, channel_min=first.channel_min,
        hduclas2=first.hduclas2, cards=_shared_cards(spectra),
    )


def _shared_cards(products: Sequence[Spectrum]) -> tuple[str, ...]:
    """The first product's cards whose keywords have the same value in every product.

    The data-subspace keywords go too: they refer to each exposure's own GTI and region
    extensions, which a combined product does not carry.
    """
    headers = [product.header for product in products]
    first = headers[0]
    keys = {key for key in first.keys() if key not in ("HISTORY", "COMMENT", "")}
    varying = {key for key in keys if any(key not in h or h[key] != first[key] for h in headers[1:])}
    subspace = {key for key in keys if is_dss_keyword(key)}
    return drop_keywords(products[0].cards, varying | subspace)


def response_matrix(rmf: Rmf, arf: Arf | None = None) -> np.ndarray:
    """The dense response ``(energies, channels)`` of an RMF, times the ARF's area when given (cm2).

    Examples
    --------
    >>> rmf = Rmf.from_dense(np.array([1.0]), np.array([2.0]), np.array([[0.25, 0.75]]),
    ...                      np.array([0.0, 1.0]), np.array([1.0, 2.0]))
    >>> response_matrix(rmf, Arf(np.array([1.0]), np.array([2.0]), np.array([100.0]))).tolist()
    [[25.0, 75.0]]
    """
    n_rows, n_channels = rmf.n_energies, rmf.detchans
    dense = np.zeros((n_rows, n_channels))
    n_chan = np.asarray(rmf.n_chan, dtype=np.int64)
    total = int(n_chan.sum())
    if total != rmf.matrix.size:
        raise ProductError(f"RMF groups hold {total} channels but MATRIX has {rmf.matrix.size} values")
    if total:
        groups = np.repeat(np.arange(n_chan.size), n_chan)
        group_start = np.concatenate([[0], np.cumsum(n_chan)[:-1]])
        channel = (np.asarray(rmf.f_chan, dtype=np.int64)[groups] - rmf.first_channel
                   + np.arange(total) - group_start[groups])
        row = np.repeat(np.arange(n_rows), np.diff(np.asarray(rmf.row_offsets, dtype=np.int64)))
        dense[row, channel] = rmf.matrix
    if arf is not None:
        if arf.specresp.size != n_rows or not np.allclose(arf.energ_lo, rmf.energ_lo):
            raise ProductError(f"the ARF ({arf.specresp.size} energies) is not on the RMF's energy grid "
                               f"({n_rows} energies)")
        dense *= np.asarray(arf.specresp, dtype=np.float64)[:, None]
    return dense


@dataclass(frozen=True, eq=False)
class SummedSpectrum:
    """The result of :func:`sum_spectra`.

    Attributes
    ----------
    spectrum : Spectrum
        Summed counts, EXPOSURE and BACKSCAL as described in :func:`sum_spectra`.
    response : Rmf
        The exposure-weighted mean of the inputs' RMF x ARF: a full response (``HDUCLAS3 =
        'FULL'``, values in cm2), to be used as RESPFILE with no ARF.
    background : Spectrum or None
        The summed background spectrum, when backgrounds were given.
    weights : numpy.ndarray
        The weight of each input in the response (its EXPOSURE over the sum).
    """

    spectrum: Spectrum
    response: Rmf
    background: Spectrum | None
    weights: np.ndarray


def _summed(spectra: Sequence[Spectrum], n_instruments: int, cards: tuple[str, ...], hduclas2: str) -> Spectrum:
    exposure = np.array([s.exposure for s in spectra], dtype=np.float64)
    counts = np.sum([np.asarray(s.counts, dtype=np.int64) for s in spectra], axis=0)
    backscal = np.array([s.backscal for s in spectra], dtype=np.float64)
    weighted = float(np.sum(backscal * exposure) / np.sum(exposure)) if np.sum(exposure) > 0 else float(backscal[0])
    first = spectra[0]
    return Spectrum(
        channel=first.channel, counts=counts, exposure=float(np.sum(exposure)) / n_instruments,
        backscal=weighted, chantype=first.chantype, channel_bin=first.channel_bin,
        channel_min=first.channel_min, hduclas2=hduclas2, cards=cards,
    )


def sum_spectra(
    spectra: Sequence[Spectrum],
    rmfs: Sequence[Rmf],
    arfs: Sequence[Arf],
    backgrounds: Sequence[Spectrum] | None = None,
) -> SummedSpectrum:
    """One spectrum and one response from many exposures of a source, as SAS ``epicspeccombine``.

    With ``i`` running over the inputs, ``S_i`` their counts, ``exp_i`` their EXPOSURE,
    ``R_i = RMF_i x ARF_i`` their responses and ``n`` the number of different instruments
    (INSTRUME) among them, the result is (epicspeccombine's algorithm, SAS 21 documentation)::

        S        = sum_i S_i
        EXPOSURE = sum_i exp_i / n
        R        = sum_i R_i exp_i / sum_i exp_i
        B        = sum_i B_i                                  (backgrounds, when given)

    so spectra of one instrument from many observations add their exposure times, and the three
    EPIC cameras of one observation keep one exposure time.  BACKSCAL of the summed source (and
    of the summed background) is the exposure-weighted mean of the inputs' BACKSCAL, the same
    weights as the response: background subtraction with the summed files then removes
    ``B * BACKSCAL_S / BACKSCAL_B``, which equals the sum of each input's scaled background
    whenever the inputs share the ratio of source to background area (the same regions on
    every exposure, epicspeccombine's stated assumption).

    Parameters
    ----------
    spectra : sequence of Spectrum
        Source spectra on one channel grid.
    rmfs, arfs : sequence of Rmf, Arf
        The response of each spectrum, all on one energy grid and one set of channels.
    backgrounds : sequence of Spectrum, optional
        A background spectrum for each source spectrum (same channel grid).

    Returns
    -------
    SummedSpectrum

    Examples
    --------
    >>> total = sum_spectra([s1, s2], [rmf1, rmf2], [arf1, arf2])             # doctest: +SKIP
    >>> total.spectrum.exposure == s1.exposure + s2.exposure                  # doctest: +SKIP
    True
    """
    n = len(spectra)
    if not (len(rmfs) == len(arfs) == n) or (backgrounds is not None and len(backgrounds) != n):
        raise ProductError(f"sum_spectra needs one RMF, ARF (and background) per spectrum: {n} spectra, "
                           f"{len(rmfs)} RMFs, {len(arfs)} ARFs"
                           + (f", {len(backgrounds)} backgrounds" if backgrounds is not None else ""))
    _check_grid(spectra, "spectra")
    first = rmfs[0]
    for rmf in rmfs[1:]:
        if (rmf.n_energies, rmf.detchans) != (first.n_energies, first.detchans) or not (
                np.allclose(rmf.energ_lo, first.energ_lo) and np.allclose(rmf.e_min, first.e_min)):
            raise ProductError("the RMFs are on different energy grids or channels: make them alike "
                               "(same channel binning and energy_bins)")
    if first.detchans != spectra[0].channel.size:
        raise ProductError(f"the RMFs have {first.detchans} channels but the spectra {spectra[0].channel.size}")
    exposure = np.array([s.exposure for s in spectra], dtype=np.float64)
    if np.sum(exposure) <= 0:
        raise ProductError("the spectra have no exposure: cannot weight their responses")
    weights = exposure / np.sum(exposure)
    response = np.zeros((first.n_energies, first.detchans))
    for weight, rmf, arf in zip(weights, rmfs, arfs):
        response += weight * response_matrix(rmf, arf)
    instruments = {str(s.keyword("INSTRUME", "")) for s in spectra}
    n_instruments = max(1, len(instruments))
    cards = _shared_cards(spectra)
    keywords = {key: value for key, value in first.keywords.items()
                if key in ("TELESCOP", "INSTRUME", "FILTER", "CHANTYPE", "CALSRC")}
    if len(instruments) > 1:
        keywords["INSTRUME"] = "EPIC"
    keywords |= {"HDUCLAS3": "FULL", "LO_THRES": 0.0, **provenance_items(SUM_PROVENANCE, date=False, comments=False)}
    rsp = Rmf.from_dense(first.energ_lo, first.energ_hi, response, first.e_min, first.e_max,
                         first_channel=first.first_channel, keywords=keywords)
    background = None
    if backgrounds is not None:
        _check_grid(list(backgrounds) + [spectra[0]], "background spectra")
        background = _summed(backgrounds, n_instruments, _shared_cards(backgrounds), "BKG")
    return SummedSpectrum(_summed(spectra, n_instruments, cards, spectra[0].hduclas2), rsp, background, weights)


# ---------------------------------------------------------------------- light curves


def lightcurve_table(curves: Sequence[LightCurve], keys: Sequence[tuple[str, str, str]]) -> pl.DataFrame:
    """Light curves of many exposures as one table, sorted by time.

    Parameters
    ----------
    curves : sequence of LightCurve
        One curve per exposure (any bin sizes).
    keys : sequence of (obs_id, instrume, expid)
        The exposure of each curve.

    Returns
    -------
    polars.DataFrame
        ``TIME`` (bin centre, mission seconds), ``RATE``, ``ERROR`` (and ``COUNTS``, ``FRACEXP``,
        ``BACKV``, ``BACKE`` when every curve has them), ``TIMEDEL``, ``obs_id``, ``instrume``,
        ``expid``: each curve's rows in order, the curves concatenated and sorted by time
        (stable, so equal times keep the curves' order).

    Examples
    --------
    >>> lightcurve_table([lc_m1, lc_m2], [("0201901401", "EMOS1", "U002"), ("0201901401", "EMOS2", "U002")])  # doctest: +SKIP
    """
    if len(curves) != len(keys):
        raise ProductError(f"{len(keys)} exposure keys for {len(curves)} light curves")
    if not curves:
        raise ProductError("no light curves to combine")
    frames = [curve.to_frame().with_columns(pl.lit(float(curve.timedel)).alias("TIMEDEL"),
                                            pl.lit(key[0]).alias("obs_id"), pl.lit(key[1]).alias("instrume"),
                                            pl.lit(key[2]).alias("expid"))
              for curve, key in zip(curves, keys)]
    shared = [c for c in frames[0].columns if all(c in f.columns for f in frames)]
    return pl.concat([f.select(shared) for f in frames], how="vertical").sort("TIME", maintain_order=True)


# ---------------------------------------------------------------------- mosaics


@dataclass(frozen=True)
class MosaicGrid:
    """A common sky grid: a gnomonic (TAN) projection centred on a position, square pixels.

    Pixel ``(i, j)`` (1-based FITS pixels, ``i`` along RA) covers ``[i - 0.5, i + 0.5)``;
    the centre ``(ra, dec)`` is at ``CRPIX = ((nx + 1) / 2, (ny + 1) / 2)``; RA grows to the
    left (``CDELT1 = -pixel``), Dec up.

    Parameters
    ----------
    ra, dec : float
        Tangent point (degrees).
    pixel : float
        Pixel size (degrees).
    shape : (int, int)
        ``(ny, nx)`` pixels.

    Examples
    --------
    >>> MosaicGrid.covering(149.59, -11.09, radius=0.25, pixel=4 / 3600).shape
    (450, 450)
    """

    ra: float
    dec: float
    pixel: float
    shape: tuple[int, int]

    @classmethod
    def covering(cls, ra: float, dec: float, radius: float, pixel: float) -> "MosaicGrid":
        """The grid centred on ``(ra, dec)`` whose square covers a circle of ``radius`` (degrees)."""
        if pixel <= 0 or radius <= 0:
            raise ProductError(f"mosaic pixel ({pixel}) and radius ({radius}) must be positive")
        n = int(math.ceil(2 * radius / pixel))
        return cls(float(ra) % 360.0, float(dec), float(pixel), (n, n))

    @property
    def crpix(self) -> tuple[float, float]:
        """Reference pixel (x, y) of the tangent point."""
        return (self.shape[1] + 1) / 2, (self.shape[0] + 1) / 2

    def to_pixel(self, ra: np.ndarray, dec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """FITS pixel coordinates (x, y) of positions; NaN behind the tangent plane."""
        ra0, dec0 = math.radians(self.ra), math.radians(self.dec)
        r, d = np.radians(np.asarray(ra, dtype=np.float64)), np.radians(np.asarray(dec, dtype=np.float64))
        cos_c = math.sin(dec0) * np.sin(d) + math.cos(dec0) * np.cos(d) * np.cos(r - ra0)
        with np.errstate(divide="ignore", invalid="ignore"):
            xi = np.where(cos_c > 0, np.cos(d) * np.sin(r - ra0) / cos_c, np.nan)
            eta = np.where(cos_c > 0, (math.cos(dec0) * np.sin(d)
                                       - math.sin(dec0) * np.cos(d) * np.cos(r - ra0)) / cos_c, np.nan)
        cx, cy = self.crpix
        return cx + np.degrees(xi) / -self.pixel, cy + np.degrees(eta) / self.pixel

    def cards(self) -> tuple[str, ...]:
        """The WCS keywords of an image on this grid."""
        cx, cy = self.crpix
        return keyword_cards([
            ("CTYPE1", "RA---TAN", "Projection type"), ("CTYPE2", "DEC--TAN", "Projection type"),
            ("CRPIX1", cx, "Reference pixel"), ("CRPIX2", cy, "Reference pixel"),
            ("CRVAL1", self.ra, "[deg] RA of the reference pixel"),
            ("CRVAL2", self.dec, "[deg] Dec of the reference pixel"),
            ("CDELT1", -self.pixel, "[deg] Pixel size"), ("CDELT2", self.pixel, "[deg] Pixel size"),
            ("CUNIT1", "deg", "Unit of CRVAL1/CDELT1"), ("CUNIT2", "deg", "Unit of CRVAL2/CDELT2"),
            ("RADESYS", "FK5", "Coordinate frame"), ("EQUINOX", 2000.0, "Equinox of the coordinates"),
        ])


def mosaic_counts(ra: np.ndarray, dec: np.ndarray, grid: MosaicGrid) -> np.ndarray:
    """Counts of positions in the pixels of ``grid``: an int64 array ``(ny, nx)``; outside positions dropped."""
    x, y = grid.to_pixel(ra, dec)
    ny, nx = grid.shape
    return np.asarray(histogram(x, Axis(0.5, 1.0, nx), y, Axis(0.5, 1.0, ny)), dtype=np.int64)


def mosaic_image(counts: Sequence[np.ndarray], grid: MosaicGrid, exposures: Sequence[float] = ()) -> Image:
    """The sum of per-exposure count arrays on one grid, as an :class:`Image` with the grid's WCS.

    Examples
    --------
    >>> image = mosaic_image([c1, c2], grid, exposures=[5006.6, 4990.1])     # doctest: +SKIP
    >>> image.write("mosaic.fits")                                            # doctest: +SKIP
    """
    if not counts:
        raise ProductError("no count maps to combine")
    for part in counts:
        if part.shape != grid.shape:
            raise ProductError(f"a count map of shape {part.shape} is not on the grid {grid.shape}")
    total = np.sum([np.asarray(c, dtype=np.int64) for c in counts], axis=0)
    cards = grid.cards() + keyword_cards([
        ("BUNIT", "count", "Counts per pixel"), ("NCOMBINE", len(counts), "Exposures combined"),
        ("HDUCLASS", "OGIP", "Format conforms to OGIP standard"), ("HDUCLAS1", "IMAGE", "Image"),
        ("HDUCLAS2", "TOTAL", "Counts"),
    ])
    return Image(data=total.astype(np.int32), exposure=float(np.sum(exposures)) if len(exposures) else None,
                 cards=cards)
