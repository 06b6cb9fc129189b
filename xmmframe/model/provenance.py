"""How a file was made: the one source of its ``CREATOR``, ``XPROC0`` and "Created by" history.

Every file xmmframe writes names the task that made it and the xmmframe version in one format,
``xmmframe <task> (xmmframe-<version>)`` (SAS writes ``<task> (<task>-<version>)``), and, when
it was made from a command line, that command as ``XPROC0``.  :class:`Provenance` holds these
facts; :func:`xmmframe.io.fits_write.provenance_keywords` turns them into header keywords.

Examples
--------
>>> from xmmframe.model.provenance import Provenance
>>> made = Provenance("tabgtigen", command="tabgtigen table=rate.fits gtiset=gti.fits", version="0.1.0")
>>> made.creator
'xmmframe tabgtigen (xmmframe-0.1.0)'
>>> made.created_from("rate.fits")
'Created by xmmframe tabgtigen (xmmframe-0.1.0) from rate.fits'
"""

from __future__ import annotations

from dataclasses import dataclass

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
    """

    task: str
    command: str | None = None
    version: str = __version__

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
