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
from typing import Any, Protocol, runtime_checkable

import polars as pl

from xmmframe.model.gti import GTI
from xmmframe.model.meta import EventMeta


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
            from xmmframe.select import compile as compile_selection

            return compile_selection(selection, self.meta)
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

    # ------------------------------------------------------------------ writing

    def write_fits(self, path: str | os.PathLike[str]) -> None:
        """Write the events and every other extension as a FITS file (atomically).

        Unchanged columns keep their TFORM, scaling, TNULL, units, TLMIN/TLMAX and all
        header cards; other HDUs are copied byte for byte.
        """
        from xmmframe.io.events import write_events_fits

        write_events_fits(self, path)

    def write_parquet(self, path: str | os.PathLike[str]) -> None:
        """Write the events to Parquet with headers, GTIs and column metadata in its key-value metadata."""
        from xmmframe.io.parquet import write_events_parquet

        write_events_parquet(self, path)
