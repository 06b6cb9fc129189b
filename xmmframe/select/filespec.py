"""SAS data-set block specifications: which file and which extension ``gti()``/``region()`` read.

SAS names a block (FITS extension) of a data set in four ways; ``N`` counts extensions from 1
(``N`` is the HDU number with the primary HDU as 0, as in CFITSIO), a name is an EXTNAME
(case-insensitive)::

    set              the first binary table of the file
    set+N            extension N
    set[N] set[name] extension N, or the extension called name
    set:N  set:name  the same

Examples
--------
>>> from xmmframe.select.filespec import parse_filespec
>>> parse_filespec("M1_gti.fits")
FileSpec(path='M1_gti.fits', block=None)
>>> parse_filespec("P0001730201M1S002FBKTSR0000.FTZ:REGION")
FileSpec(path='P0001730201M1S002FBKTSR0000.FTZ', block='REGION')
>>> parse_filespec("gti.fits[2]").block, parse_filespec("gti.fits+1").block
(2, 1)
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

_BRACKET = re.compile(r"^(?P<path>.+?)\[(?P<block>[^\[\]]*)\]$")
_PLUS = re.compile(r"^(?P<path>.+?)\+(?P<block>\d+)$")
_COLON = re.compile(r"^(?P<path>.+):(?P<block>[A-Za-z0-9_.,-]+)$")


@dataclass(frozen=True)
class FileSpec:
    """A file and, optionally, one of its blocks.

    Attributes
    ----------
    path : str
        The file name as written (relative names are resolved by :meth:`resolve`).
    block : int, str or None
        Extension number (1 = first extension) or EXTNAME; None for the default block.
    """

    path: str
    block: int | str | None = None

    def resolve(self, base_dir: str | os.PathLike[str] | None = None) -> str:
        """The path, made absolute against ``base_dir`` (default: the current directory)."""
        path = Path(os.path.expanduser(self.path))
        if not path.is_absolute():
            path = Path(base_dir if base_dir is not None else os.getcwd()) / path
        return str(path)

    def __str__(self) -> str:
        if self.block is None:
            return self.path
        return f"{self.path}[{self.block}]"


def parse_filespec(text: str) -> FileSpec | None:
    """Split ``set``, ``set+N``, ``set[N|name]`` or ``set:N|name``; None when the block is empty.

    A numeric block becomes an ``int``, anything else an EXTNAME ``str``.  ``None`` is
    returned for a malformed specification (``set[]``).
    """
    text = text.strip()
    for pattern in (_BRACKET, _PLUS, _COLON):
        match = pattern.match(text)
        if match:
            block = match.group("block").strip()
            if not block:
                return None
            return FileSpec(match.group("path").strip(), int(block) if block.isdigit() else block)
    return FileSpec(text)
