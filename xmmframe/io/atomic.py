"""Atomic output: write to a temporary file beside the target, rename on success.

Examples
--------
>>> from xmmframe.io.atomic import atomic_output
>>> with atomic_output("product.fits") as stream:      # doctest: +SKIP
...     stream.write(b"...")
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Sequence
from typing import BinaryIO

from xmmframe.errors import OutputError


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def check_not_input(path: str | os.PathLike[str], protect: Sequence[str | os.PathLike[str]]) -> None:
    """Refuse to write over one of the input files."""
    target = os.path.abspath(os.fspath(path))
    for source in protect:
        if source and os.path.exists(target) and os.path.exists(source) and os.path.samefile(target, source):
            raise OutputError("refusing to overwrite the input file", path)


@contextlib.contextmanager
def atomic_path(
    path: str | os.PathLike[str], protect: Sequence[str | os.PathLike[str]] = ()
) -> Iterator[str]:
    """Yield a temporary path beside ``path``; move it onto ``path`` only if the block succeeds."""
    target = os.fspath(path)
    check_not_input(target, protect)
    directory = os.path.dirname(os.path.abspath(target))
    if not os.path.isdir(directory):
        raise OutputError(f"output directory {directory} does not exist", target)
    if os.path.isdir(target):
        raise OutputError("is a directory; give a file name for the output", target)
    try:
        fd, tmp = tempfile.mkstemp(prefix=".xmmframe-", suffix=".tmp", dir=directory)
    except OSError as err:
        raise OutputError(f"cannot write in {directory}: {err.strerror}", target) from None
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs get the usual permissions
    try:
        yield tmp
        try:
            os.replace(tmp, target)
        except OSError as err:
            raise OutputError(f"cannot move the finished output into place: {err.strerror}", target) from None
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
        raise


@contextlib.contextmanager
def atomic_output(
    path: str | os.PathLike[str], protect: Sequence[str | os.PathLike[str]] = ()
) -> Iterator[BinaryIO]:
    """Yield a binary stream (readable too) whose content replaces ``path`` only on success."""
    with atomic_path(path, protect) as tmp, open(tmp, "w+b") as stream:
        yield stream
