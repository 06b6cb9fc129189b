"""``#NAME`` macros: header keywords whose text is part of a selection (``#XMMEA_EM``).

SAS substitutes the value of the keyword ``NAME`` (table header first, then the primary
header) into the expression, recursively.  When the header does not define the three
standard EPIC masks, the values SAS writes are used (``XMMEA_EP`` for pn, ``XMMEA_EM`` for
MOS, ``XMMEA_SM`` the strict MOS mask), so that a selection written for SAS also works on a
table whose header lost them.

Examples
--------
>>> from xmmframe.select.macros import MacroTable
>>> MacroTable().lookup("XMMEA_EM")
('(FLAG & 0x766ba000) == 0', 'built-in')
"""

from __future__ import annotations

from dataclasses import dataclass

from xmmframe.model.meta import EventMeta

#: The standard EPIC event-attribute masks, used when the header does not define them.
BUILTIN_MACROS: dict[str, str] = {
    "XMMEA_EP": "(FLAG & 0xcfa0000) == 0",
    "XMMEA_EM": "(FLAG & 0x766ba000) == 0",
    "XMMEA_SM": "(FLAG & 0xfffffeff) == 0",
}


@dataclass(frozen=True)
class MacroTable:
    """Where ``#NAME`` gets its text: the event list's headers, then :data:`BUILTIN_MACROS`.

    Parameters
    ----------
    meta : EventMeta, optional
        The table whose headers define the macros.
    """

    meta: EventMeta | None = None

    def lookup(self, name: str) -> tuple[str | None, str]:
        """The text of macro ``name`` and where it came from (``header``/``built-in``), or ``(None, "")``.

        Numeric and logical keyword values become their literal text (``12``, ``true``).
        """
        key = name.upper()
        if self.meta is not None:
            value = self.meta.keyword(key)
            if isinstance(value, bool):
                return ("true" if value else "false"), "header"
            if isinstance(value, (int, float)):
                return repr(value), "header"
            if isinstance(value, str) and value.strip():
                return value.strip(), "header"
        if key in BUILTIN_MACROS:
            return BUILTIN_MACROS[key], "built-in"
        return None, ""

    def known(self) -> list[str]:
        """Names of the selection macros defined (``XMMEA_*`` keywords and the built-ins)."""
        names = set(BUILTIN_MACROS)
        if self.meta is not None:
            names |= set(self.meta.macros)
        return sorted(names)
