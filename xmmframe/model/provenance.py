"""How a file was made: the one source of its ``CREATOR``, ``DATE``, ``XPROC0`` and HISTORY.

Every file xmmframe writes names the task that made it and the xmmframe version in one format,
``xmmframe <task> (xmmframe-<version>)`` (SAS writes ``<task> (<task>-<version>)``), and, when
it was made from a command line, that command as ``XPROC0``; a product's HISTORY says what it
was made from and with which parameters.  :class:`Provenance` holds these facts;
:func:`xmmframe.io.cards.provenance_keywords` turns them into header keywords.

Examples
--------
>>> from xmmframe.model.provenance import Provenance
>>> made = Provenance("tabgtigen", command="tabgtigen table=rate.fits gtiset=gti.fits", version="0.1.0")
>>> made.creator
'xmmframe tabgtigen (xmmframe-0.1.0)'
>>> made.created_from("rate.fits")
'Created by xmmframe tabgtigen (xmmframe-0.1.0) from rate.fits'
>>> Provenance("evselect", version="0.1.0", source="M1.fits", parameters=(("timebinsize", 100),)).history
('Created by xmmframe evselect (xmmframe-0.1.0) from M1.fits', 'timebinsize=100')
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Any

from xmmframe._version import __version__


@dataclass(frozen=True)
class Provenance:
    """The task that made a file, the command line it ran from and the xmmframe version.

    Parameters
    ----------
    task : str
        The task or subcommand (``epproc``, ``evselect``, ``rmfgen``, ``simulate``...).
    command : str, optional
        The command as typed (SAS parameter syntax), recorded as ``XPROC0``.
    version : str
        The xmmframe version (default: this one).
    source : str, optional
        What the file was made from (a file name, ``ODF 0999990101 exposure S003``), for HISTORY.
    parameters : tuple of (str, object)
        The task's parameters, for HISTORY.
    date : str, optional
        The creation date (``DATE``); None: the moment the file is written (``SOURCE_DATE_EPOCH``
        honoured).
    """

    task: str
    command: str | None = None
    version: str = __version__
    source: str | None = None
    parameters: tuple[tuple[str, Any], ...] = ()
    date: str | None = None

    @property
    def creator(self) -> str:
        """The ``CREATOR`` value: ``xmmframe <task> (xmmframe-<version>)``."""
        return f"xmmframe {self.task} (xmmframe-{self.version})"

    def created_from(self, source: str) -> str:
        """The first HISTORY line of a product: ``Created by <creator> from <source>``.

        Examples
        --------
        >>> Provenance("epproc", version="0.1.0").created_from("ODF 0999990101 exposure S003")
        'Created by xmmframe epproc (xmmframe-0.1.0) from ODF 0999990101 exposure S003'
        """
        return f"Created by {self.creator} from {source}"

    @property
    def history(self) -> tuple[str, ...]:
        """HISTORY lines of a product (at most 70 characters each): what made it, from what, with what.

        Empty without a :attr:`source`.
        """
        if self.source is None:
            return ()
        lines = textwrap.wrap(self.created_from(self.source), 70)
        params = " ".join(f"{k}={v}" for k, v in self.parameters)
        return tuple(lines + (textwrap.wrap(params, 70) if params else []))
