"""Exception hierarchy of xmmframe.

Every error raised on bad input is an :class:`XmmframeError` subclass whose
message names the file, HDU, column or expression position at fault, so that
the command line can print it as one line.

Examples
--------
>>> import xmmframe
>>> try:
...     xmmframe.scan_fits("missing.fits")
... except xmmframe.errors.XmmframeError as err:
...     print(type(err).__name__)
FileAccessError
"""

from __future__ import annotations

import os


class XmmframeError(Exception):
    """Base class of every error xmmframe raises on bad input or bad usage."""

    def __init__(self, message: str, path: str | os.PathLike[str] | None = None) -> None:
        self.path = os.fspath(path) if path is not None else None
        self.message = message
        super().__init__(f"{self.path}: {message}" if self.path else message)


class FileAccessError(XmmframeError):
    """A file does not exist or cannot be read."""


class NotFitsError(XmmframeError):
    """A file is not FITS (no ``SIMPLE = T`` primary header)."""


class EmptyFileError(NotFitsError):
    """A file has zero bytes."""


class TruncatedFileError(XmmframeError):
    """A FITS file ends before the data its headers announce."""


class HeaderError(XmmframeError):
    """A FITS header is malformed: unreadable card, missing or invalid mandatory keyword."""


class HduNotFoundError(XmmframeError):
    """The requested HDU (by name or index) is not in the file."""


class ColumnError(XmmframeError):
    """A column is missing, or its format cannot be represented."""


class ParquetMetadataError(XmmframeError):
    """A Parquet file lacks the xmmframe metadata needed to rebuild FITS headers."""


class SelectionError(XmmframeError):
    """A selection expression cannot be parsed or compiled."""


class OutputError(XmmframeError):
    """An output file cannot be written."""
