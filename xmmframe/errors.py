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


class StoreError(XmmframeError):
    """An event store cannot be read or updated: no catalogue, an unknown exposure, a held lock."""


class SelectionError(XmmframeError):
    """A selection expression cannot be parsed or compiled."""


class OutputError(XmmframeError):
    """An output file cannot be written."""


class CalibrationError(XmmframeError):
    """Calibration is missing or malformed: a CCF, a CIF entry, a CCF extension or column."""


def _caret_lines(expression: str, position: int, width: int = 72) -> str:
    """Two lines: (a window of) the expression and a caret under ``position``."""
    text = expression.replace("\n", " ").replace("\t", " ")
    position = max(0, min(position, len(text)))
    start = max(0, position - width // 2)
    end = min(len(text), start + width)
    start = max(0, min(start, end - width))
    prefix = "..." if start > 0 else ""
    suffix = "..." if end < len(text) else ""
    return f"  {prefix}{text[start:end]}{suffix}\n  {' ' * (len(prefix) + position - start)}^"


class SelectionSyntaxError(SelectionError):
    """A selection expression is not well formed.

    The message names the problem and the column (1-based), and shows the expression with a
    caret under the offending character; ``position`` is the 0-based offset.
    """

    def __init__(self, reason: str, expression: str, position: int) -> None:
        self.reason = reason
        self.expression = expression
        self.position = position
        super().__init__(f"{reason} at column {position + 1}\n{_caret_lines(expression, position)}")


class SelectionLimitError(SelectionSyntaxError):
    """A selection expression is longer or more deeply nested than the documented limits
    (:mod:`xmmframe.select.limits`); the message names the column where the limit was crossed."""


class UnknownColumnError(SelectionError):
    """A selection names a column the table does not have; the message lists the columns."""

    def __init__(self, name: str, columns: list[str] | tuple[str, ...], where: str = "") -> None:
        import difflib

        self.column = name
        self.columns = tuple(columns)
        close = difflib.get_close_matches(name.upper(), [c.upper() for c in columns], n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        listing = ", ".join(columns) if columns else "(none)"
        super().__init__(f"unknown column {name!r}{where}{hint}; the table's columns are {listing}")


class UnknownMacroError(SelectionError):
    """A ``#NAME`` macro is neither a header keyword nor a built-in macro."""

    def __init__(self, name: str, known: list[str] | tuple[str, ...] = (), where: str = "") -> None:
        self.macro = name
        defined = f"; macros defined here: {', '.join('#' + k for k in known)}" if known else ""
        super().__init__(
            f"unknown macro #{name}{where}: no keyword {name} in the table or primary header{defined}"
        )


class ShapeArgumentError(SelectionError):
    """A region shape got the wrong number or kind of arguments; the message says what it takes."""


class SelectionTypeError(SelectionError):
    """An operator got operands of the wrong kind (e.g. bitwise ``&`` on a floating-point column)."""


class UnsupportedSelectionError(SelectionError):
    """A selection feature SAS has but xmmframe does not implement (e.g. ``mask()``)."""


class RegionFileError(SelectionError):
    """A region file (ds9 text or FITS region table) cannot be understood; names the file."""


class SelectionWarning(UserWarning):
    """A selection does something legal but probably unintended (as SAS would, silently)."""


class GtiError(XmmframeError):
    """A GTI table is damaged: a NaN or infinite bound, or START after STOP; names the file and row."""


class OdfError(XmmframeError):
    """An Observation Data File (ODF) set is unusable: no summary file, a required constituent missing,
    a constituent without the columns it must have, or inconsistent records; names the file."""


class OdfSummaryError(OdfError):
    """An ODF summary file (``*SUM.SAS`` / ``*SUM.ASC``) cannot be parsed; names the file and line."""

    def __init__(self, message: str, path: str | os.PathLike[str] | None = None, line: int | None = None) -> None:
        self.line = line
        super().__init__(f"line {line}: {message}" if line is not None else message, path)


class OdfWarning(UserWarning):
    """An optional ODF constituent is missing or odd; processing goes on without it."""


class ProcessingError(XmmframeError):
    """Raw-to-calibrated processing (epproc/emproc) cannot go on: names the exposure, CCD and step."""


class ProductError(XmmframeError):
    """A product cannot be made with the parameters given (bin size, ranges, image size, missing GTIs)."""


class ParameterError(XmmframeError):
    """A SAS-style task parameter is unknown, malformed or inconsistent."""


class RequestError(XmmframeError):
    """A web service request that is malformed, over a limit or not allowed; ``status`` is its HTTP code."""

    def __init__(self, message: str, status: int = 422, path: str | os.PathLike[str] | None = None) -> None:
        self.status = status
        super().__init__(message, path)


class MergeWarning(UserWarning):
    """Event lists being merged differ in a way the merged list may not represent (INSTRUME, FILTER)."""


class CalibrationWarning(UserWarning):
    """Calibration that is usable but not authoritative (e.g. xmmframe's built-in set)."""
