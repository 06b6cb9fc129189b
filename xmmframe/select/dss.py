"""What the SAS data subspace (DSS) of an event list or product means, and how selections change it.

SAS writes one entry per filter (:class:`~xmmframe.model.dss.DssEntry`, read and written by
:mod:`xmmframe.io.dss`): ``DSTYPi`` (column, or ``POS(X,Y)`` for a region), ``DSVALi`` (a range
``500:10000``, ``(10000:``, ``:12``, a value ``0``, a bit pattern ``b000x00xx...`` with
``DSFORMi = 'X'``, or ``TABLE`` with ``DSREFi = ':GTI00004'``), ``DSUNIi``.  A data subspace has
*components*, one per CCD (``DSTYP1 = 'CCDNR'``, ``DSVAL1 = '1'``, ``2DSVAL1 = '2'`` ...);
``kDSVALi``/``kDSREFi`` override entry i for component k.  Downstream SAS tasks (arfgen,
backscale, epiclccorr) read the region and the time selection from here.

:class:`DataSubspace` answers what the entries mean (which CCD each component is, which GTI
table the time selection refers to, the range a column is limited to) and makes the changes
selections make (entries appended, the time selection replaced by new GTI tables).

Examples
--------
>>> from astropy.io import fits
>>> header = fits.Header([("DSTYP1", "CCDNR"), ("DSVAL1", "1"), ("2DSVAL1", "2"), ("DSTYP2", "PI"),
...                       ("DSVAL2", "500:10000")])
>>> dss = DataSubspace.from_header(header)
>>> [e.name for e in dss.entries], dss.ncomponents
(['CCDNR', 'PI'], 2)
>>> dss.value_range("PI")
(500.0, 10000.0)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from xmmframe.io.dss import dss_cards, read_dss
from xmmframe.model.dss import DssEntry, component_count


@dataclass(frozen=True)
class DataSubspace:
    """The data subspace of an event list or product: ordered entries over numbered components."""

    entries: tuple[DssEntry, ...] = ()

    @classmethod
    def from_header(cls, header: Mapping[str, Any] | Iterable[str]) -> "DataSubspace":
        """Read the ``DS*`` keywords of a header (or of card images), :func:`xmmframe.io.dss.read_dss`."""
        return cls(read_dss(header))

    @property
    def ncomponents(self) -> int:
        """Number of components (CCDs), at least 1 when there are entries."""
        return component_count(self.entries)

    def cards(self) -> tuple[str, ...]:
        """The card images, in evselect's order (:func:`xmmframe.io.dss.dss_cards`)."""
        return dss_cards(self.entries)

    # ------------------------------------------------------------------ queries

    def component_ccds(self) -> dict[int, int]:
        """CCD number of each component, from the ``CCDNR`` entry (component -> CCD)."""
        for e in self.entries:
            if e.name.upper() == "CCDNR":
                result = {}
                for k in range(1, max(self.ncomponents, 1) + 1):
                    value, _ = e.component(k)
                    if value.strip().isdigit():
                        result[k] = int(value)
                return result
        return {}

    def time_tables(self) -> dict[int, str]:
        """The GTI extension each CCD's time selection refers to (last ``TIME`` entry), CCD -> EXTNAME."""
        entry = next((e for e in reversed(self.entries) if e.name.upper() == "TIME" and e.value == "TABLE"), None)
        if entry is None:
            return {}
        ccds = self.component_ccds() or {1: 1}
        result = {}
        for k, ccd in ccds.items():
            _, ref = entry.component(k)
            if ref:
                result[ccd] = ref.split(":")[-1].strip().upper()
        return result

    def value_range(self, column: str) -> tuple[float | None, float | None]:
        """The narrowest ``[low, high]`` the entries on ``column`` allow (None: unbounded)."""
        low: float | None = None
        high: float | None = None
        for e in self.entries:
            if e.name.upper() != column.upper() or e.form == "X" or e.value == "TABLE":
                continue
            for item in e.value.split(","):
                lo, hi = _parse_range(item)
                if lo is not None:
                    low = lo if low is None else max(low, lo)
                if hi is not None:
                    high = hi if high is None else min(high, hi)
        return low, high

    # ------------------------------------------------------------------ changes

    def without(self, name: str) -> "DataSubspace":
        """A copy without the entries on ``name``."""
        return replace(self, entries=tuple(e for e in self.entries if e.name.upper() != name.upper()))

    def with_entries(self, *entries: DssEntry) -> "DataSubspace":
        """A copy with ``entries`` appended."""
        return replace(self, entries=self.entries + tuple(entries))

    def with_time_tables(self, names: dict[int, str]) -> "DataSubspace":
        """Replace the TIME entries by one referring to new GTI tables (CCD -> EXTNAME), as the last entry."""
        ccds = self.component_ccds() or {1: next(iter(names), 1)}
        by_component = {k: names[c] for k, c in ccds.items() if c in names}
        if not by_component:
            return self.without("TIME")
        first = min(by_component)
        components = {k: (None, f":{name}") for k, name in by_component.items() if k != first}
        entry = DssEntry("TIME", "TABLE", "s", None, f":{by_component[first]}", components)
        return self.without("TIME").with_entries(entry)


def _parse_range(text: str) -> tuple[float | None, float | None]:
    text = text.strip()
    if not text:
        return None, None
    if ":" not in text:
        try:
            value = float(text.strip("[]()"))
        except ValueError:
            return None, None
        return value, value
    lo, hi = text.split(":", 1)
    lo, hi = lo.strip().lstrip("[("), hi.strip().rstrip("])")
    try:
        return (float(lo) if lo else None), (float(hi) if hi else None)
    except ValueError:
        return None, None


def bit_pattern(mask: int, bits: int = 31) -> str:
    """The DSS form of ``(FLAG & mask) == 0``: ``'b'`` then bits 30..0, ``0`` = must be clear, ``x`` = any.

    Examples
    --------
    >>> bit_pattern(0x766ba000)
    'b000x00xx00x0x000x0xxxxxxxxxxxxx'
    """
    return "b" + "".join("0" if mask >> bit & 1 else "x" for bit in range(bits - 1, -1, -1))


def range_text(low: Any = None, high: Any = None, low_closed: bool = True, high_closed: bool = True) -> str:
    """A DSS range value: ``a:b``, ``(a:``, ``:b)``, or ``a`` for a single value.

    Examples
    --------
    >>> range_text(10000, None, low_closed=False), range_text(None, 12), range_text(0, 0)
    ('(10000:', ':12', '0')
    """
    def show(v: Any) -> str:
        return f"{v:g}" if isinstance(v, float) else str(v)

    if low is not None and high is not None and low == high and low_closed and high_closed:
        return show(low)
    left = ("" if low_closed else "(") + (show(low) if low is not None else "")
    right = (show(high) if high is not None else "") + ("" if high_closed else ")")
    return f"{left}:{right}"


__all__ = ["DataSubspace", "DssEntry", "bit_pattern", "range_text"]
