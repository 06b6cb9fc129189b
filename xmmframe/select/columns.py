"""Which columns a selection may name, their real spelling and their numeric kind.

SAS matches column names case-insensitively; Polars does not.  A :class:`ColumnTable` maps
any spelling to the real name and knows whether the column holds integers, floats, booleans
or strings, which decides how the compiler casts it (integers to Int64 and floats to Float64,
so that arithmetic does not overflow and ``RATE<=0.4`` compares in double precision as SAS
does).

Examples
--------
>>> import polars as pl
>>> from xmmframe.select.columns import ColumnTable
>>> table = ColumnTable.from_schema({"PI": pl.Int16, "TIME": pl.Float64})
>>> table.resolve("pi")
('PI', 'int')
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import polars as pl

from xmmframe.errors import UnknownColumnError
from xmmframe.model.meta import EventMeta


@dataclass(frozen=True)
class ColumnTable:
    """Column names (real spelling) with their kind: ``int``, ``float``, ``bool``, ``str`` or None.

    Parameters
    ----------
    kinds : dict
        Real column name -> kind (None when unknown).
    wide : frozenset of str
        Columns already stored as Int64/Float64 (their values are used without a cast).
    narrow : dict
        Integer columns narrower than Int64 -> their stored dtype.  A comparison of such a
        column with an integer constant that the dtype can hold gives the same rows in the
        stored dtype as in Int64, without widening the column first.
    """

    kinds: dict[str, str | None]
    wide: frozenset[str] = frozenset()
    narrow: Mapping[str, pl.DataType] = field(default_factory=dict)

    @classmethod
    def from_meta(cls, meta: EventMeta) -> ColumnTable:
        """The columns of an event list's main table, typed as the FITS scanner types them."""
        from xmmframe.io.fits_columns import parse_columns

        return cls.from_schema({c.name: c.dtype for c in parse_columns(meta.header, meta.source or "")})

    @classmethod
    def from_schema(cls, schema: Mapping[str, pl.DataType | type[pl.DataType]]) -> ColumnTable:
        """Columns of a Polars schema (``df.schema``, ``lf.collect_schema()``)."""
        kinds: dict[str, str | None] = {}
        wide: set[str] = set()
        narrow: dict[str, pl.DataType] = {}
        for name, dtype in schema.items():
            if dtype.is_integer():
                kinds[name] = "int"
                if dtype != pl.Int64:
                    narrow[name] = dtype() if isinstance(dtype, type) else dtype
            elif dtype.is_float():
                kinds[name] = "float"
            elif dtype == pl.Boolean:
                kinds[name] = "bool"
            elif dtype in (pl.String, pl.Utf8, pl.Categorical):
                kinds[name] = "str"
            else:
                kinds[name] = None
            if dtype in (pl.Int64, pl.Float64):
                wide.add(name)
        return cls(kinds, frozenset(wide), narrow)

    @classmethod
    def from_names(cls, names: Iterable[str]) -> ColumnTable:
        """Columns known by name only (kinds unknown: Polars decides the arithmetic)."""
        return cls({name: None for name in names})

    @property
    def names(self) -> list[str]:
        """Real column names, in order."""
        return list(self.kinds)

    def resolve(self, name: str, where: str = "") -> tuple[str, str | None]:
        """The real name and kind of a column written in any case.

        Raises
        ------
        xmmframe.errors.UnknownColumnError
            When no column has that name; the message lists the columns.
        """
        if name in self.kinds:
            return name, self.kinds[name]
        upper = name.upper()
        for real, kind in self.kinds.items():
            if real.upper() == upper:
                return real, kind
        raise UnknownColumnError(name, self.names, where)

    def has(self, name: str) -> bool:
        """Whether a column of that name (any case) exists."""
        upper = name.upper()
        return any(real.upper() == upper for real in self.kinds)

    def stored_integer(self, name: str) -> pl.DataType | None:
        """The stored dtype of an integer column narrower than Int64 (real name), else None."""
        return self.narrow.get(name)

    def expr(self, name: str, where: str = "") -> tuple[pl.Expr, str | None]:
        """The column as a compute-ready expression (Int64 or Float64) and its kind."""
        real, kind = self.resolve(name, where)
        column = pl.col(real)
        if real in self.wide:
            return column, kind
        if kind == "int":
            return column.cast(pl.Int64), kind
        if kind == "float":
            return column.cast(pl.Float64), kind
        return column, kind


#: Value range of each integer dtype narrower than Int64, by name.
INTEGER_RANGES = {
    **{f"Int{b}": (-(1 << (b - 1)), (1 << (b - 1)) - 1) for b in (8, 16, 32)},
    **{f"UInt{b}": (0, (1 << b) - 1) for b in (8, 16, 32, 64)},
}


def integer_literal(dtype: pl.DataType | None, value: object) -> pl.Expr | None:
    """``value`` as a literal of the integer ``dtype`` when it is an integer that dtype holds, else None.

    Examples
    --------
    >>> integer_literal(pl.Int16(), 200) is not None, integer_literal(pl.UInt8(), -1)
    (True, None)
    """
    if dtype is None or not isinstance(value, int) or isinstance(value, bool):
        return None
    low, high = INTEGER_RANGES.get(str(dtype), (1, 0))
    return pl.lit(value, dtype=dtype) if low <= value <= high else None


def column_table(meta: EventMeta | None, columns: object = None) -> ColumnTable | None:
    """A :class:`ColumnTable` from ``columns`` (schema, names or ColumnTable), else from ``meta``."""
    if isinstance(columns, ColumnTable):
        return columns
    if isinstance(columns, (pl.Schema, Mapping)):
        return ColumnTable.from_schema(columns)  # type: ignore[arg-type]
    if columns is not None:
        return ColumnTable.from_names(columns)  # type: ignore[arg-type]
    if meta is not None:
        return ColumnTable.from_meta(meta)
    return None
