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
from xmmframe.model.options import ImageOptions, LightCurveOptions, SpectrumOptions
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
        options: SpectrumOptions | int | None = None,
        *,
        selection: Any = None,
        gti: GTI | None = None,
        **fields: Any,
    ) -> "Spectrum":
        """A PHA Type I spectrum of the events (SAS evselect ``withspectrumset``).

        Parameters
        ----------
        options : SpectrumOptions or int, optional
            The binning (:class:`~xmmframe.model.options.SpectrumOptions`: ``channel_bin``,
            ``channel_min``, ``channel_max``, ``energy_column``, ``ignore_legal_limits``);
            a bare int is the channel bin (``events.spectrum(5)``).
        selection : str, polars.Expr, GTI or shape, optional
            Applied first and recorded in the header (``SLCTEXPR``, data subspace).
        gti : GTI, optional
            A time selection, applied and used for the good times and EXPOSURE.  Give time
            selections here (or as ``gti(file,TIME)`` in ``selection``) rather than through
            :meth:`filter`: only then do ONTIME, LIVETIME and EXPOSURE account for them.
        **fields
            SpectrumOptions fields, overriding those of ``options`` (``channel_max=11999``).

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
        return make_spectrum(self, selection, options=SpectrumOptions.build(options, **fields), gti=gti)

    def lightcurve(
        self,
        options: LightCurveOptions | float | None = None,
        *,
        selection: Any = None,
        gti: GTI | None = None,
        **fields: Any,
    ) -> "LightCurve":
        """A light curve of the events in evselect's layout (``withrateset``).

        Parameters
        ----------
        options : LightCurveOptions or float
            The binning (:class:`~xmmframe.model.options.LightCurveOptions`: ``bin`` in
            seconds, ``tmin``, ``tmax``, ``rate``, ``energy_column``, ``fracexp``,
            ``time_column``); a bare number is the bin size (``events.lightcurve(100)``).
        selection : str, polars.Expr, GTI or shape, optional
            Applied first and recorded in the header.
        gti : GTI, optional
            A time selection, applied and used for the good times and EXPOSURE.
        **fields
            LightCurveOptions fields, overriding those of ``options`` (``fracexp=True``).

        Returns
        -------
        xmmframe.model.products.LightCurve

        Examples
        --------
        >>> curve = events.lightcurve(100, selection="#XMMEA_EM && (PI>10000) && (PATTERN==0)")  # doctest: +SKIP
        >>> gti = curve.gti("RATE<=0.35")                                                        # doctest: +SKIP
        """
        make_lightcurve = implementation("EventList.lightcurve")
        return make_lightcurve(self, selection, options=LightCurveOptions.build(options, **fields), gti=gti)

    def image(
        self,
        options: ImageOptions | float | tuple[float, float] | None = None,
        *,
        selection: Any = None,
        gti: GTI | None = None,
        **fields: Any,
    ) -> "Image":
        """An image of the events with evselect's pixel convention and WCS (``withimageset``).

        Parameters
        ----------
        options : ImageOptions or float, optional
            The binning (:class:`~xmmframe.model.options.ImageOptions`: ``bin`` or ``size``,
            ``x_range``, ``y_range``, ``xcolumn``, ``ycolumn``, ``weights``, ``square``,
            ``dtype``); a bare number is the bin factor (``events.image(80)``).
        selection, gti
            As for :meth:`spectrum`.
        **fields
            ImageOptions fields, overriding those of ``options`` (``xcolumn="DETX"``).

        Returns
        -------
        xmmframe.model.products.Image

        Examples
        --------
        >>> image = events.image(bin=80)                                         # doctest: +SKIP
        >>> image.wcs.world_to_pixel_values(263.6579, -32.556)                   # doctest: +SKIP
        """
        make_image = implementation("EventList.image")
        return make_image(self, selection, options=ImageOptions.build(options, **fields), gti=gti)

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
