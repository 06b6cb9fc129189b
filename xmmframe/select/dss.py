"""The SAS data subspace (DSS): keywords recording every filter applied to an event list.

SAS writes one entry per filter: ``DSTYPi`` (column, or ``POS(X,Y)`` for a region),
``DSVALi`` (a range ``500:10000``, ``(10000:``, ``:12``, a value ``0``, a bit pattern
``b000x00xx...`` with ``DSFORMi = 'X'``, or ``TABLE`` with ``DSREFi = ':GTI00004'``), ``DSUNIi``.
A data subspace has *components*, one per CCD (``DSTYP1 = 'CCDNR'``, ``DSVAL1 = '1'``,
``2DSVAL1 = '2'`` ...); ``kDSVALi``/``kDSREFi`` override entry i for component k.  Downstream
SAS tasks (arfgen, backscale, epiclccorr) read the region and the time selection from here.

Card order follows evselect: every ``DSTYP``/``DSUNI``, then per entry ``DSFORM``/``DSVAL``/
``DSREF``, then the component overrides, then ``MTYPEn``/``MFORMn`` for regions.

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

import re
from dataclasses import dataclass, field, replace
from typing import Any

from astropy.io import fits

from xmmframe.io.cards import keyword_cards

_DSS = re.compile(r"^(\d*)DS(TYP|VAL|UNI|FORM|REF)(\d+)$")
_COMMENTS = {"TYP": "name", "VAL": "value", "UNI": "units", "FORM": "data type", "REF": "reference"}


@dataclass(frozen=True)
class DssEntry:
    """One data-subspace entry (a filter on one column or region).

    Attributes
    ----------
    name : str
        ``DSTYP``: a column name or ``POS(X,Y)``.
    value : str
        ``DSVAL`` of component 1.
    unit, form, ref : str or None
        ``DSUNI``, ``DSFORM`` (``'X'`` for bit patterns), ``DSREF`` (``':GTI00004'``).
    components : dict
        ``k -> (value, ref)`` overrides for components k >= 2 (None: same as component 1).
    """

    name: str
    value: str = ""
    unit: str | None = None
    form: str | None = None
    ref: str | None = None
    components: dict[int, tuple[str | None, str | None]] = field(default_factory=dict)

    def component(self, k: int) -> tuple[str, str | None]:
        """``(value, ref)`` of component ``k`` (1-based)."""
        value, ref = self.components.get(k, (None, None)) if k > 1 else (None, None)
        return (value if value is not None else self.value, ref if ref is not None else self.ref)


@dataclass(frozen=True)
class DataSubspace:
    """The data subspace of an event list or product: ordered entries over numbered components."""

    entries: tuple[DssEntry, ...] = ()

    @classmethod
    def from_header(cls, header: fits.Header) -> "DataSubspace":
        """Read the ``DS*`` keywords of a header."""
        raw: dict[int, dict[str, Any]] = {}
        for key in header:
            match = _DSS.match(key)
            if not match:
                continue
            comp = int(match.group(1) or 1)
            what, index = match.group(2), int(match.group(3))
            raw.setdefault(index, {}).setdefault(comp, {})[what] = str(header[key]).strip()
        entries = []
        for index in sorted(raw):
            base = raw[index].get(1, {})
            if "TYP" not in base:
                continue
            components = {
                k: (v.get("VAL"), v.get("REF")) for k, v in sorted(raw[index].items()) if k > 1
            }
            entries.append(DssEntry(base["TYP"], base.get("VAL", ""), base.get("UNI"), base.get("FORM"),
                                    base.get("REF"), components))
        return cls(tuple(entries))

    @property
    def ncomponents(self) -> int:
        """Number of components (CCDs), at least 1 when there are entries."""
        counts = [max(e.components, default=1) for e in self.entries]
        return max(counts, default=0) if self.entries else 0

    def cards(self) -> tuple[str, ...]:
        """The card images, in evselect's order."""
        items: list[tuple[str, Any, str]] = []
        for i, e in enumerate(self.entries, 1):
            items.append((f"DSTYP{i}", e.name, "data subspace descriptor: name"))
            if e.unit:
                items.append((f"DSUNI{i}", e.unit, "data subspace descriptor: units"))
        for i, e in enumerate(self.entries, 1):
            if e.form:
                items.append((f"DSFORM{i}", e.form, "data subspace descriptor: data type"))
            items.append((f"DSVAL{i}", e.value, "data subspace descriptor: value"))
            if e.ref:
                items.append((f"DSREF{i}", e.ref, "data subspace descriptor: reference"))
        for k in range(2, self.ncomponents + 1):
            for i, e in enumerate(self.entries, 1):
                value, ref = e.components.get(k, (None, None))
                if value is not None:
                    items.append((f"{k}DSVAL{i}", value, "data subspace descriptor: value"))
                if ref is not None:
                    items.append((f"{k}DSREF{i}", ref, "data subspace descriptor: reference"))
        regions = [e for e in self.entries if e.name.upper().startswith("POS(")]
        for n, e in enumerate(regions, 1):
            items.append((f"MTYPE{n}", "POS", "DM Keyword: Descriptor name"))
            items.append((f"MFORM{n}", e.name[4:-1], ""))
        return keyword_cards(items)

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
