"""Science products: spectra, light curves and images as numpy arrays plus header keywords.

A product holds what was measured (channels and counts, time bins and rates, pixels), the
facts downstream tools need as attributes (``exposure``, ``backscal``, ``timedel``, ...), the
other header keywords as 80-character card images (observation keywords, the selection
expression ``SLCTEXPR``, the data-subspace ``DSTYPn``/``DSVALn`` keywords, the sky and
physical WCS of an image) and the good time intervals in effect, one table per CCD.  Writers
and readers live in :mod:`xmmframe.io.ogip`; products are made by :mod:`xmmframe.products`.

Examples
--------
>>> import numpy as np
>>> from xmmframe.model.products import Spectrum
>>> spec = Spectrum(channel=np.arange(4), counts=np.array([0, 3, 5, 1]), exposure=100.0)
>>> spec.rate.tolist()
[0.0, 0.03, 0.05, 0.01]
>>> spec.write("spec.pha")                                     # doctest: +SKIP
>>> Spectrum.read("spec.pha").counts.sum()                     # doctest: +SKIP
9
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl
from astropy.io import fits
from astropy.wcs import WCS

from xmmframe.model.gti import GTI
from xmmframe.model.hdu import cards_to_header
from xmmframe.model.registry import implementation

if TYPE_CHECKING:
    from xmmframe.model.metadata import ProductMetaData
    from xmmframe.model.responses import Arf, Rmf


@dataclass(frozen=True, eq=False)
class GtiTable:
    """A GTI extension carried by a product or an event list.

    Parameters
    ----------
    name : str
        EXTNAME (``STDGTI01``, ``GTI00004``, ``STDGTI``, ...).
    gti : GTI
        The intervals.
    ccd : int, optional
        The CCD it applies to (written as ``CCDID``).
    """

    name: str
    gti: GTI
    ccd: int | None = None


@dataclass(frozen=True, eq=False)
class Product:
    """What every product carries besides its data: header cards and GTI tables.

    Attributes
    ----------
    cards : tuple of str
        Extra card images of the main HDU (observation facts, ``SLCTEXPR``, DSS, WCS...).
    primary_cards : tuple of str
        Extra card images of the primary header (for table products).
    gtis : tuple of GtiTable
        The good time intervals in effect, one table per CCD.
    region : polars.DataFrame, optional
        The region the events were selected in (SHAPE, X, Y, R, ROTANG, COMPONENT rows), written
        as a ``REGION`` table that the ``POS(X,Y)`` data-subspace entry refers to.
    """

    cards: tuple[str, ...] = field(default=(), kw_only=True)
    primary_cards: tuple[str, ...] = field(default=(), kw_only=True)
    gtis: tuple[GtiTable, ...] = field(default=(), kw_only=True)
    region: pl.DataFrame | None = field(default=None, kw_only=True)

    @property
    def header(self) -> fits.Header:
        """The extra keywords of the main HDU as an astropy Header."""
        return cards_to_header(self.cards)

    @property
    def metadata(self) -> ProductMetaData:
        """The typed metadata the header cards carry (observation, times, selection, provenance)."""
        return implementation("Product.metadata")(self)

    def keyword(self, name: str, default: Any = None) -> Any:
        """A keyword from :attr:`cards`, else from :attr:`primary_cards`, else ``default``."""
        for header in (self.header, cards_to_header(self.primary_cards)):
            if name.upper() in header:
                return header[name.upper()]
        return default


@dataclass(frozen=True, eq=False)
class Spectrum(Product):
    """A PHA Type I spectrum (OGIP/92-007): counts per channel.

    Parameters
    ----------
    channel : numpy.ndarray
        Channel numbers (from 0 for XMM: channel k counts energy-column values
        ``channel_min + k*channel_bin`` .. ``channel_min + (k+1)*channel_bin - 1``).
    counts : numpy.ndarray
        Counts per channel (integers).
    exposure : float
        Live time in seconds (``EXPOSURE``).
    backscal, areascal : float
        Background and area scaling factors.
    respfile, ancrfile, backfile, corrfile : str
        Associated files (``'NONE'`` when absent).
    chantype : str
        ``PI`` or ``PHA``.
    channel_bin, channel_min : int
        How the energy column was binned (``SPECDELT``, and ``SPECVAL`` = centre of channel 0).
    quality, grouping : numpy.ndarray, optional
        Per-channel QUALITY and GROUPING flags.
    hduclas2 : str
        ``TOTAL``, ``NET`` or ``BKG``.

    Examples
    --------
    >>> import numpy as np
    >>> spec = Spectrum(channel=np.arange(4), counts=np.array([0, 3, 5, 2]), exposure=100.0)
    >>> spec.total, spec.rate.tolist()
    (10, [0.0, 0.03, 0.05, 0.02])
    """

    channel: np.ndarray
    counts: np.ndarray
    exposure: float
    backscal: float = 1.0
    areascal: float = 1.0
    respfile: str = "NONE"
    ancrfile: str = "NONE"
    backfile: str = "NONE"
    corrfile: str = "NONE"
    chantype: str = "PI"
    channel_bin: int = 1
    channel_min: int = 0
    quality: np.ndarray | None = None
    grouping: np.ndarray | None = None
    hduclas2: str = "TOTAL"

    def __repr__(self) -> str:
        return (f"Spectrum({self.channel.size} channels of {self.channel_bin} {self.chantype}, "
                f"{int(np.sum(self.counts))} counts, exposure {self.exposure:.3f} s)")

    @property
    def rate(self) -> np.ndarray:
        """Counts per second per channel."""
        return np.asarray(self.counts, dtype=np.float64) / self.exposure if self.exposure else np.full(
            self.counts.shape, np.nan
        )

    @property
    def total(self) -> int:
        """Total counts."""
        return int(np.sum(self.counts))

    def write(self, path: str | os.PathLike[str], overwrite: bool = False) -> None:
        """Write as an OGIP PHA Type I file (SPECTRUM + GTI extensions).

        Examples
        --------
        >>> spec.write("src.pha", overwrite=True)              # doctest: +SKIP
        """
        implementation("Spectrum.write")(self, path, overwrite=overwrite)

    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> "Spectrum":
        """Read a PHA Type I file (written by xmmframe or SAS evselect)."""
        return implementation("Spectrum.read")(path)

    def rmf(self, **options: Any) -> "Rmf":
        """The redistribution matrix for this spectrum (SAS rmfgen); see
        :func:`xmmframe.products.rmf.rmfgen` for the options.

        Examples
        --------
        >>> spec.rmf().write("src.rmf")              # doctest: +SKIP
        """
        return implementation("Spectrum.rmf")(self, **options)

    def arf(self, **options: Any) -> "Arf":
        """The ancillary response for this spectrum (SAS arfgen); see
        :func:`xmmframe.products.arf.arfgen` for the options.

        Examples
        --------
        >>> spec.arf(rmf=spec.rmf()).write("src.arf")   # doctest: +SKIP
        """
        return implementation("Spectrum.arf")(self, **options)

    def backscale(self, events: Any = None, **options: Any) -> "Spectrum":
        """This spectrum with BACKSCAL = its region's area on the detector (SAS backscale); see
        :func:`xmmframe.products.backscale.backscale` for the options.

        Examples
        --------
        >>> spec.backscale("M1_clean.fits").backscal                # doctest: +SKIP
        126400.0
        """
        return implementation("Spectrum.backscale")(self, events, **options)

    def group(self, **options: Any) -> "Spectrum":
        """This spectrum with GROUPING and QUALITY (SAS specgroup / grppha); see
        :func:`xmmframe.products.grouping.group_spectrum` for the options.

        Examples
        --------
        >>> spec.group(mincounts=25, oversample=3).grouping[:4]     # doctest: +SKIP
        """
        return implementation("Spectrum.group")(self, **options)

    def plot(self, ax: Any = None, **options: Any) -> Any:
        """Quick look: count rate per keV against energy; returns the matplotlib Axes.

        Examples
        --------
        >>> spec.plot().figure.savefig("spec.png")                  # doctest: +SKIP
        """
        return implementation("Spectrum.plot")(self, ax=ax, **options)


@dataclass(frozen=True, eq=False)
class Spectra(Product):
    """Many spectra on the same channels: a PHA Type II file (OGIP/92-007a), one row per spectrum.

    Parameters
    ----------
    channel : numpy.ndarray
        Channel numbers shared by every spectrum.
    counts : numpy.ndarray
        Counts, shape ``(n_spectra, n_channels)``.
    exposure, backscal : numpy.ndarray
        Per-spectrum EXPOSURE and BACKSCAL.
    labels : tuple of str
        A label per spectrum (written in a ``ROWID`` column): the region or time slice.
    chantype, channel_bin, channel_min, hduclas2
        As for :class:`Spectrum`.

    Examples
    --------
    >>> import numpy as np
    >>> spectra = Spectra(channel=np.arange(3), counts=np.array([[1, 2, 3], [4, 5, 6]]),
    ...                   exposure=np.array([100.0, 200.0]), backscal=np.array([1.0, 1.0]), labels=("src", "bkg"))
    >>> len(spectra), spectra[1].total, spectra[1].exposure
    (2, 15, 200.0)
    """

    channel: np.ndarray
    counts: np.ndarray
    exposure: np.ndarray
    backscal: np.ndarray
    labels: tuple[str, ...] = ()
    chantype: str = "PI"
    channel_bin: int = 1
    channel_min: int = 0
    hduclas2: str = "TOTAL"

    def __len__(self) -> int:
        return int(self.counts.shape[0])

    def __getitem__(self, index: int) -> Spectrum:
        return Spectrum(
            channel=self.channel, counts=self.counts[index], exposure=float(self.exposure[index]),
            backscal=float(self.backscal[index]), chantype=self.chantype, channel_bin=self.channel_bin,
            channel_min=self.channel_min, hduclas2=self.hduclas2, cards=self.cards,
            primary_cards=self.primary_cards, gtis=self.gtis, region=self.region,
        )

    def write(self, path: str | os.PathLike[str], overwrite: bool = False) -> None:
        """Write as an OGIP PHA Type II file."""
        implementation("Spectra.write")(self, path, overwrite=overwrite)

    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> "Spectra":
        """Read a PHA Type II file."""
        return implementation("Spectra.read")(path)


@dataclass(frozen=True, eq=False)
class LightCurve(Product):
    """A binned light curve (OGIP/93-003) in the evselect layout.

    Bins are ``[tstart + k*timedel, tstart + (k+1)*timedel)``; :attr:`time` holds the bin
    centres (``TIMEPIXR = 0.5``).

    Parameters
    ----------
    time : numpy.ndarray
        Bin centres in seconds of mission time.
    rate, error : numpy.ndarray
        Rate and its 1-sigma error (count/s).
    timedel : float
        Bin size in seconds.
    tstart, tstop : float
        Start of the first bin and end of the data (``TSTART``/``TSTOP``).
    counts : numpy.ndarray, optional
        Counts per bin, when the curve comes straight from events.
    fracexp : numpy.ndarray, optional
        Fraction of each bin that was exposed (GTIs times frame live fraction).
    backv, backe : numpy.ndarray, optional
        Background rate scaled to the source area, and its error.
    exposure : float, optional
        Weighted live time (``EXPOSURE``).
    column : str
        ``RATE`` (RATE/ERROR columns) or ``COUNTS`` (a COUNTS column) when written.
    hduclas2 : str
        ``TOTAL`` or ``NET``.

    Examples
    --------
    >>> import numpy as np
    >>> curve = LightCurve(time=np.array([5.0, 15.0]), rate=np.array([0.2, 0.4]), error=np.array([0.1, 0.2]),
    ...                    timedel=10.0, tstart=0.0, tstop=20.0)
    >>> curve.start.tolist(), len(curve)
    ([0.0, 10.0], 2)
    """

    time: np.ndarray
    rate: np.ndarray
    error: np.ndarray
    timedel: float
    tstart: float
    tstop: float
    counts: np.ndarray | None = None
    fracexp: np.ndarray | None = None
    backv: np.ndarray | None = None
    backe: np.ndarray | None = None
    exposure: float | None = None
    column: str = "RATE"
    hduclas2: str = "TOTAL"

    def __len__(self) -> int:
        return int(self.time.size)

    def __repr__(self) -> str:
        return f"LightCurve({len(self)} bins of {self.timedel:g} s from {self.tstart:.3f}, {self.hduclas2})"

    @property
    def start(self) -> np.ndarray:
        """Bin start times."""
        return self.time - 0.5 * self.timedel

    def to_frame(self) -> pl.DataFrame:
        """TIME, RATE, ERROR (and COUNTS, FRACEXP, BACKV, BACKE when present) as a DataFrame."""
        columns = {"TIME": self.time, "RATE": self.rate, "ERROR": self.error}
        for name in ("counts", "fracexp", "backv", "backe"):
            value = getattr(self, name)
            if value is not None:
                columns[name.upper()] = value
        return pl.DataFrame(columns)

    def gti(
        self,
        expression: str | pl.Expr = "RATE<=0.4",
        prefraction: float = 0.5,
        postfraction: float = 0.5,
        mingtisize: float = 0.0,
    ) -> GTI:
        """Good time intervals where the bins satisfy ``expression`` (SAS tabgtigen).

        Examples
        --------
        >>> gti = rate_curve.gti("RATE<=0.35")                   # doctest: +SKIP
        """
        gti_from_table = implementation("LightCurve.gti")
        return gti_from_table(self.to_frame(), expression, self.timedel, prefraction, postfraction, mingtisize)

    def plot(self, ax: Any = None, **options: Any) -> Any:
        """Quick look: rate against time with the good time intervals shaded; returns the Axes.

        Examples
        --------
        >>> curve.plot().figure.savefig("lc.png")                  # doctest: +SKIP
        """
        return implementation("LightCurve.plot")(self, ax=ax, **options)

    def write(self, path: str | os.PathLike[str], overwrite: bool = False) -> None:
        """Write as an OGIP light curve (RATE + GTI extensions)."""
        implementation("LightCurve.write")(self, path, overwrite=overwrite)

    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> "LightCurve":
        """Read an OGIP light curve (written by xmmframe, SAS evselect or epiclccorr)."""
        return implementation("LightCurve.read")(path)


@dataclass(frozen=True, eq=False)
class Image(Product):
    """A counts image with its sky (``CTYPEn``) and physical (``CTYPEnL``, ``LTVn``) WCS in :attr:`cards`.

    Parameters
    ----------
    data : numpy.ndarray
        Pixels, ``data[row, column]`` = ``data[y, x]``.
    exposure : float, optional
        ``EXPOSURE`` (for evselect images: the largest per-CCD ONTIME).

    Examples
    --------
    >>> import numpy as np
    >>> image = Image(np.arange(6.0).reshape(2, 3), exposure=1000.0)
    >>> image.data.shape, image.exposure
    ((2, 3), 1000.0)
    """

    data: np.ndarray
    exposure: float | None = None

    def __repr__(self) -> str:
        return f"Image({self.data.shape[1]}x{self.data.shape[0]}, {self.data.sum():g} counts)"

    @property
    def wcs(self) -> WCS:
        """The sky WCS (image pixels, origin 1, to RA/Dec)."""
        return WCS(self.header)

    @property
    def physical_wcs(self) -> WCS:
        """The physical WCS (image pixels to the binned column values, e.g. sky X/Y)."""
        return WCS(self.header, key="L")

    def plot(self, ax: Any = None, **options: Any) -> Any:
        """Quick look: the image on RA/Dec axes (WCSAxes) with a log stretch; returns the Axes.

        Examples
        --------
        >>> image.plot().figure.savefig("image.png")               # doctest: +SKIP
        """
        return implementation("Image.plot")(self, ax=ax, **options)

    def write(self, path: str | os.PathLike[str], overwrite: bool = False) -> None:
        """Write as a FITS image (primary array) followed by GTI extensions."""
        implementation("Image.write")(self, path, overwrite=overwrite)

    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> "Image":
        """Read an image written by xmmframe or SAS evselect."""
        return implementation("Image.read")(path)


__all__ = ["GtiTable", "Image", "LightCurve", "Product", "Spectra", "Spectrum"]
