"""The event list: a Polars LazyFrame of events plus immutable metadata.

Every method returns a new :class:`EventList` (or a product); nothing is read from disk
until :meth:`EventList.collect` or a writer asks for the rows.

Examples
--------
>>> import polars as pl, xmmframe
>>> events = xmmframe.open_events("M1_clean.fits")                       # doctest: +SKIP
>>> hard = events.filter(pl.col("PI") > 2000)                            # doctest: +SKIP
>>> hard.collect().height                                                # doctest: +SKIP
>>> hard.write_parquet("M1_hard.parquet")                                # doctest: +SKIP
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import polars as pl

from xmmframe.model.gti import GTI
from xmmframe.model.meta import EventMeta
from xmmframe.model.registry import implementation

if TYPE_CHECKING:
    from xmmframe.model.products import Image, LightCurve, Spectrum


@runtime_checkable
class Selection(Protocol):
    """Anything that turns into a Polars filter expression given the event metadata (shapes, GTIs)."""

    def to_expr(self, meta: EventMeta) -> pl.Expr:  # pragma: no cover - protocol
        """The boolean Polars expression selecting the rows."""
        ...


@dataclass(frozen=True)
class EventList:
    """Events as a lazy Polars frame with their metadata.

    Parameters
    ----------
    lazy : polars.LazyFrame
        The events (columns as in the EVENTS table).
    meta : EventMeta
        Headers, columns, WCS, GTIs, other extensions.

    Examples
    --------
    >>> import polars as pl
    >>> from xmmframe import open_events
    >>> events = open_events("P0001730201M1S002MIEVLI.FTZ")                      # doctest: +SKIP
    >>> events.lazy.filter(pl.col("PI") > 2000).select(pl.len()).collect().item()  # doctest: +SKIP
    """

    lazy: pl.LazyFrame
    meta: EventMeta

    # ------------------------------------------------------------------ views

    def __repr__(self) -> str:
        meta = self.meta
        facts = [meta.instrument, meta.datamode, meta.filter, meta.obs_id, meta.expidstr]
        label = " ".join(str(f) for f in facts if f)
        return f"EventList({label or meta.table.name}; columns: {', '.join(meta.column_names)})"

    @property
    def columns(self) -> list[str]:
        """Column names."""
        return self.lazy.collect_schema().names()

    @property
    def schema(self) -> pl.Schema:
        """Column names and dtypes."""
        return self.lazy.collect_schema()

    def collect(self, **kwargs: Any) -> pl.DataFrame:
        """Materialise the events as a DataFrame."""
        return self.lazy.collect(**kwargs)

    def count(self) -> int:
        """Number of events (runs the plan, reading as little as possible)."""
        return int(self.lazy.select(pl.len()).collect().item())

    # ------------------------------------------------------------------ transformations

    def filter(self, selection: str | pl.Expr | Selection | GTI) -> "EventList":
        """Keep the events a selection accepts.

        Parameters
        ----------
        selection : str, polars.Expr, GTI or shape
            A SAS selection expression (``'#XMMEA_EM && PATTERN<=12'``), a Polars
            expression, a :class:`~xmmframe.model.gti.GTI` (on TIME), or any object with a
            ``to_expr(meta)`` method (region shapes).

        Examples
        --------
        >>> events.filter("PATTERN<=4 && PI in [200:12000]")          # doctest: +SKIP
        >>> events.filter(pl.col("FLAG") == 0)                        # doctest: +SKIP
        """
        return replace(self, lazy=self.lazy.filter(self._expr(selection)))

    def _expr(self, selection: str | pl.Expr | Selection | GTI) -> pl.Expr:
        if isinstance(selection, pl.Expr):
            return selection
        if isinstance(selection, str):
            compile_selection = implementation("EventList.compile")
            return compile_selection(selection, self.meta, columns=self.lazy.collect_schema())
        if isinstance(selection, GTI):
            return selection.expr("TIME")
        if isinstance(selection, Selection):
            return selection.to_expr(self.meta)
        raise TypeError(f"cannot filter events with a {type(selection).__name__}")

    def apply_gti(self, gti: GTI, column: str = "TIME") -> "EventList":
        """Keep events with ``START <= TIME < STOP`` for some interval of ``gti``."""
        return replace(self, lazy=self.lazy.filter(gti.expr(column)))

    def select_region(self, region: Selection) -> "EventList":
        """Keep events inside a region shape (same as :meth:`filter` with a shape)."""
        return self.filter(region)

    def with_columns(self, *exprs: pl.Expr, **named: pl.Expr) -> "EventList":
        """Add or replace columns (Polars ``with_columns``)."""
        return replace(self, lazy=self.lazy.with_columns(*exprs, **named))

    def select(self, *columns: str | pl.Expr) -> "EventList":
        """Keep (or compute) only some columns (Polars ``select``)."""
        return replace(self, lazy=self.lazy.select(*columns))

    def head(self, n: int = 5) -> "EventList":
        """The first ``n`` events."""
        return replace(self, lazy=self.lazy.head(n))

    # ------------------------------------------------------------------ products

    def spectrum(
        self,
        channel_bin: int = 5,
        channel_min: int = 0,
        channel_max: int | None = None,
        energy_column: str = "PI",
        *,
        selection: Any = None,
        gti: GTI | None = None,
        ignore_legal_limits: bool = False,
    ) -> "Spectrum":
        """A PHA Type I spectrum of the events (SAS evselect ``withspectrumset``).

        Parameters
        ----------
        channel_bin : int
            Energy-column values per channel (``spectralbinsize``).
        channel_min, channel_max : int
            Range of the energy column binned; ``channel_max`` defaults to 20479 for pn and
            11999 for MOS (by INSTRUME), the standard XMM grids.
        energy_column : str
            An integer column, normally ``PI``.
        selection : str, polars.Expr, GTI or shape, optional
            Applied first and recorded in the header (``SLCTEXPR``, data subspace).
        gti : GTI, optional
            A time selection, applied and used for the good times and EXPOSURE.  Give time
            selections here (or as ``gti(file,TIME)`` in ``selection``) rather than through
            :meth:`filter`: only then do ONTIME, LIVETIME and EXPOSURE account for them.
        ignore_legal_limits : bool
            Allow a channel range outside the column's TLMIN/TLMAX.

        Returns
        -------
        xmmframe.model.products.Spectrum
            Counts per channel, EXPOSURE = per-CCD live time averaged with weights = events
            per CCD, BACKSCAL 1, the observation keywords, the data subspace and GTIs.

        Examples
        --------
        >>> spec = events.spectrum(selection="(X,Y) in CIRCLE(24635.6,24158.8,200)")   # doctest: +SKIP
        >>> spec.write("src.pha")                                                      # doctest: +SKIP
        """
        make_spectrum = implementation("EventList.spectrum")
        return make_spectrum(self, selection, channel_bin=channel_bin, channel_min=channel_min,
                             channel_max=channel_max, energy_column=energy_column, gti=gti,
                             ignore_legal_limits=ignore_legal_limits)

    def lightcurve(
        self,
        bin: float,
        tmin: float | None = None,
        tmax: float | None = None,
        rate: bool = True,
        *,
        selection: Any = None,
        gti: GTI | None = None,
        fracexp: bool = False,
        energy_column: str = "PI",
    ) -> "LightCurve":
        """A light curve of the events in evselect's layout (``withrateset``).

        Parameters
        ----------
        bin : float
            Bin size in seconds (``timebinsize``).
        tmin, tmax : float, optional
            Time range; bins start at ``tmin`` (default the file's TSTART) and cover ``tmax``
            (default TSTOP).
        rate : bool
            Write RATE/ERROR (True, ``makeratecolumn=yes``) or COUNTS.
        selection : str, polars.Expr, GTI or shape, optional
            Applied first and recorded in the header.
        gti : GTI, optional
            A time selection, applied and used for the good times and EXPOSURE.
        fracexp : bool
            Add a FRACEXP column: exposed fraction of each bin from the GTIs and EXPOSUnn.
        energy_column : str
            Recorded as CHANTYPE (CHANMIN/CHANMAX from its legal range and the selection).

        Returns
        -------
        xmmframe.model.products.LightCurve

        Examples
        --------
        >>> curve = events.lightcurve(100, selection="#XMMEA_EM && (PI>10000) && (PATTERN==0)")  # doctest: +SKIP
        >>> gti = curve.gti("RATE<=0.35")                                                        # doctest: +SKIP
        """
        make_lightcurve = implementation("EventList.lightcurve")
        return make_lightcurve(self, selection, bin=bin, tmin=tmin, tmax=tmax, rate=rate,
                               energy_column=energy_column, fracexp=fracexp, gti=gti)

    def image(
        self,
        bin: float | tuple[float, float] | None = None,
        x_range: tuple[float, float] | None = None,
        y_range: tuple[float, float] | None = None,
        size: int | tuple[int, int] | None = None,
        xcolumn: str = "X",
        ycolumn: str = "Y",
        weights: str | None = None,
        *,
        selection: Any = None,
        gti: GTI | None = None,
        square: bool = False,
        dtype: str | None = None,
    ) -> "Image":
        """An image of the events with evselect's pixel convention and WCS (``withimageset``).

        Parameters
        ----------
        bin : float or (float, float), optional
            Bin factor (``imagebinning=binSize``); or give ``size``.
        x_range, y_range : (float, float), optional
            Column ranges binned (default the columns' TLMIN..TLMAX).
        size : int or (int, int), optional
            Image size in pixels (``imagebinning=imageSize``; the bin is rounded up).
        xcolumn, ycolumn : str
            Columns binned (X/Y for sky images, DETX/DETY, RAWX/RAWY...).
        weights : str, optional
            A column summed instead of counting (a float64 image).
        selection, gti
            As for :meth:`spectrum`.
        square : bool
            Same bin on both axes (the larger).
        dtype : str, optional
            Pixel type: ``int32`` (counts, default) or ``float64``/``Real64``.

        Returns
        -------
        xmmframe.model.products.Image

        Examples
        --------
        >>> image = events.image(bin=80)                                         # doctest: +SKIP
        >>> image.wcs.world_to_pixel_values(263.6579, -32.556)                   # doctest: +SKIP
        """
        make_image = implementation("EventList.image")
        return make_image(self, selection, bin=bin, x_range=x_range, y_range=y_range, size=size,
                          xcolumn=xcolumn, ycolumn=ycolumn, weights=weights, square=square, dtype=dtype, gti=gti)

    # ------------------------------------------------------------------ writing

    def write_fits(self, path: str | os.PathLike[str]) -> None:
        """Write the events and every other extension as a FITS file (atomically).

        Unchanged columns keep their TFORM, scaling, TNULL, units, TLMIN/TLMAX and all
        header cards; other HDUs are copied byte for byte.
        """
        implementation("EventList.write_fits")(self, path)

    def write_parquet(self, path: str | os.PathLike[str], *, compact: bool = False) -> None:
        """Write the events to Parquet with headers, GTIs and column metadata in its key-value metadata.

        Numeric columns with many distinct values (X, Y, PI, TIME, ...) are stored plain for fast
        scans; ``compact=True`` dictionary-encodes every column and compresses it with zstd
        instead (smaller files, slower scans).
        """
        implementation("EventList.write_parquet")(self, path, compact=compact)
