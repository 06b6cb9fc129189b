"""The SAS data subspace (DSS) as typed metadata: one :class:`DssEntry` per filter applied.

SAS records every filter applied to an event list, and carried into its products, as one
entry: a *name* (``DSTYPi``: a column, or ``POS(X,Y)``/``DET(DETX,DETY)`` for a region), a
*value* (``DSVALi``: a range ``500:10000``, ``(10000:``, ``:12``, a value ``0``, a bit pattern
``b000x00xx...``, or ``TABLE``), a *unit* (``DSUNIi``), a *form* (``DSFORMi``: ``'X'`` for bit
patterns) and a *ref* (``DSREFi``: the table a ``TABLE`` value refers to, ``':GTI00004'``).
A data subspace has *components*, one per CCD; an entry's value and ref may differ per
component (``kDSVALi``, ``kDSREFi``).

The cards are read and written by :mod:`xmmframe.io.dss`; what the entries mean (building them
from a selection, intersecting, the GTI and region tables they refer to) is in
:mod:`xmmframe.select.dss`.

Examples
--------
>>> from xmmframe.model.dss import DssEntry, component_count
>>> ccd = DssEntry("CCDNR", "1", components={2: ("2", None)})
>>> time = DssEntry("TIME", "TABLE", "s", ref=":GTI00004", components={2: (None, ":GTI00104")})
>>> time.component(2), component_count([ccd, time])
(('TABLE', ':GTI00104'), 2)
>>> DssEntry("POS(X,Y)", "TABLE").region
('POS', 'X,Y')
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

#: A region entry's name: the coordinate type and its columns (``POS(X,Y)``, ``DET(DETX,DETY)``; SAS
#: repeats the columns once per component for some products: ``POS(X,Y)(X,Y)(X,Y)``).
_REGION = re.compile(r"^([A-Za-z]+)\(([^()]+)\)(?:\(\2\))*$")


@dataclass(frozen=True)
class DssEntry:
    """One data-subspace entry (a filter on one column or region).

    Attributes
    ----------
    name : str
        ``DSTYP``: a column name, or ``POS(X,Y)`` / ``DET(DETX,DETY)`` for a region.
    value : str
        ``DSVAL`` of component 1.
    unit : str or None
        ``DSUNI``.
    form : str or None
        ``DSFORM``, the data type (``'X'`` for bit patterns).
    ref : str or None
        ``DSREF`` of component 1 (``':GTI00004'``).
    components : dict of int to (str or None, str or None)
        ``k -> (value, ref)`` overrides for components k >= 2 (None: same as component 1).
    """

    name: str
    value: str = ""
    unit: str | None = None
    form: str | None = None
    ref: str | None = None
    components: dict[int, tuple[str | None, str | None]] = field(default_factory=dict)

    def component(self, k: int) -> tuple[str, str | None]:
        """``(value, ref)`` of component ``k`` (1-based).

        Examples
        --------
        >>> DssEntry("CCDNR", "1", components={3: ("3", None)}).component(3)
        ('3', None)
        """
        value, ref = self.components.get(k, (None, None)) if k > 1 else (None, None)
        return (value if value is not None else self.value, ref if ref is not None else self.ref)

    @property
    def region(self) -> tuple[str, str] | None:
        """``(type, columns)`` of a region entry (``('POS', 'X,Y')``), None for a column entry."""
        match = _REGION.match(self.name)
        return (match.group(1), match.group(2)) if match else None


def component_count(entries: Iterable[DssEntry]) -> int:
    """Number of components of a data subspace: the highest numbered one, 1 with entries, 0 without.

    Examples
    --------
    >>> component_count([DssEntry("PI", "500:2000")]), component_count([])
    (1, 0)
    """
    entries = list(entries)
    return max((max(e.components, default=1) for e in entries), default=0)


__all__ = ["DssEntry", "component_count"]
