"""Atomic, crash-safe and exclusive output: every file xmmframe writes goes through here.

A product is written to a temporary file beside its final name (``.NAME.xmmframe-PID-XXXX.tmp``),
flushed to disk with ``fsync``, and renamed onto the final name only when it is complete; the
directory is then synced so that the rename itself survives a power cut.  A process killed at
any moment (``SIGKILL`` included) therefore leaves either the old file or the new one under the
final name, never a partial one.  The temporary files a killed process leaves behind are removed
by the next write of the same output.

While a file is being written its writer holds an exclusive lock on it (``flock`` on
``.NAME.xmmframe-lock`` beside it, removed afterwards; the kernel releases it when a process
dies): a second process writing the same output at the same time is refused with
:class:`~xmmframe.errors.OutputError` instead of racing it.

Outputs of one task that belong together (the spectrum, light curve, image and filtered list of
one ``evselect`` run) are written in an :func:`atomic_group`: each is written to its temporary
file, and only when all are complete are they renamed, one after the other.  An error in any of
them leaves none of them behind.  Only a kill in the microseconds of the final renames can
leave some renamed and the rest not renamed; each file is still whole.

Examples
--------
>>> from xmmframe.io.atomic import atomic_output
>>> with atomic_output("product.fits") as stream:      # doctest: +SKIP
...     stream.write(b"...")
>>> with atomic_group():                                # doctest: +SKIP
...     spectrum.write("src.pha"); image.write("src.img")   # both or neither
"""

from __future__ import annotations

import contextlib
import contextvars
import errno
import fcntl
import hashlib
import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

from xmmframe.errors import OutputError

_TMP_SUFFIX = ".tmp"
_LOCK_SUFFIX = ".xmmframe-lock"


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


def _stem(target: str) -> str:
    """The output's name as used in its temporary and lock files (shortened when very long)."""
    name = os.path.basename(target)
    if len(name) <= 180:
        return name
    return f"{name[:120]}~{hashlib.sha1(name.encode('utf-8', 'surrogateescape')).hexdigest()[:16]}"


def _tmp_prefix(target: str) -> str:
    return f".{_stem(target)}.xmmframe-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_stale(target: str) -> None:
    """Delete temporary files of ``target`` left by writers that no longer run."""
    directory = os.path.dirname(os.path.abspath(target))
    pattern = re.compile(re.escape(_tmp_prefix(target)) + r"(\d+)-[^/]*" + re.escape(_TMP_SUFFIX) + "$")
    with contextlib.suppress(OSError):
        for name in os.listdir(directory):
            match = pattern.match(name)
            if match and int(match.group(1)) != os.getpid() and not _alive(int(match.group(1))):
                with contextlib.suppress(OSError):
                    os.remove(os.path.join(directory, name))


class _TargetLock:
    """Exclusive, non-blocking lock of one output path, held by one writer at a time."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.path = os.path.join(os.path.dirname(os.path.abspath(target)), f".{_stem(target)}{_LOCK_SUFFIX}")
        self.fd: int | None = None

    def acquire(self) -> None:
        while True:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666 & ~_umask())
            except OSError as err:
                raise OutputError(f"cannot write in {os.path.dirname(self.path)}: {err.strerror}",
                                  self.target) from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as err:
                os.close(fd)
                if err.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                    raise OutputError("another process is writing this output; try again when it has "
                                      "finished", self.target) from None
                raise OutputError(f"cannot lock the output: {err.strerror}", self.target) from None
            # the previous holder may have removed the lock file between our open and our lock
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(self.path))
            except FileNotFoundError:
                same = False
            if same:
                self.fd = fd
                return
            os.close(fd)

    def release(self) -> None:
        if self.fd is None:
            return
        with contextlib.suppress(FileNotFoundError):
            os.remove(self.path)
        os.close(self.fd)
        self.fd = None


def _fsync_file(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(directory: str) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _sync(tmp: str, target: str) -> None:
    try:
        _fsync_file(tmp)
    except OSError as err:
        raise OutputError(f"cannot write the output to disk: {err.strerror}", target) from None


def _replace(tmp: str, target: str) -> None:
    try:
        os.replace(tmp, target)
    except OSError as err:
        raise OutputError(f"cannot move the finished output into place: {err.strerror}", target) from None


@dataclass
class _Group:
    pending: list[tuple[str, str]] = field(default_factory=list)
    locks: list[_TargetLock] = field(default_factory=list)
    targets: set[str] = field(default_factory=set)


_GROUP: contextvars.ContextVar[_Group | None] = contextvars.ContextVar("xmmframe_atomic_group", default=None)


@contextlib.contextmanager
def atomic_group() -> Iterator[None]:
    """Write several outputs all-or-nothing: renames happen only when every one is complete.

    Examples
    --------
    >>> with atomic_group():                                       # doctest: +SKIP
    ...     spectrum.write("src.pha"); curve.write("src.lc")
    """
    outer = _GROUP.get()
    if outer is not None:  # nested groups join the outermost one
        yield
        return
    group = _Group()
    token = _GROUP.set(group)
    try:
        yield
        for tmp, target in group.pending:  # everything on disk first, so the renames follow each other closely
            _sync(tmp, target)
        directories = set()
        for tmp, target in group.pending:
            _replace(tmp, target)
            directories.add(os.path.dirname(os.path.abspath(target)))
        group.pending.clear()
        for directory in directories:
            _fsync_dir(directory)
    finally:
        _GROUP.reset(token)
        for tmp, _ in group.pending:
            with contextlib.suppress(FileNotFoundError):
                os.remove(tmp)
        for lock in group.locks:
            lock.release()


@contextlib.contextmanager
def atomic_path(
    path: str | os.PathLike[str], protect: Sequence[str | os.PathLike[str]] = ()
) -> Iterator[str]:
    """Yield a temporary path beside ``path``; move it onto ``path`` only if the block succeeds.

    Examples
    --------
    >>> with atomic_path("table.parquet") as tmp:                 # doctest: +SKIP
    ...     frame.write_parquet(tmp)
    """
    target = os.fspath(path)
    check_not_input(target, protect)
    directory = os.path.dirname(os.path.abspath(target))
    if not os.path.isdir(directory):
        raise OutputError(f"output directory {directory} does not exist", target)
    if os.path.isdir(target):
        raise OutputError("is a directory; give a file name for the output", target)
    group = _GROUP.get()
    key = os.path.abspath(target)
    if group is not None and key in group.targets:
        raise OutputError("written twice in one task", target)
    lock = _TargetLock(target)
    lock.acquire()
    handed_to_group = False
    try:
        _remove_stale(target)
        try:
            fd, tmp = tempfile.mkstemp(prefix=f"{_tmp_prefix(target)}{os.getpid()}-", suffix=_TMP_SUFFIX,
                                       dir=directory)
        except OSError as err:
            raise OutputError(f"cannot write in {directory}: {err.strerror}", target) from None
        os.close(fd)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs get the usual permissions
        try:
            yield tmp
            if group is not None:
                group.pending.append((tmp, target))
                group.locks.append(lock)
                group.targets.add(key)
                handed_to_group = True
            else:
                _sync(tmp, target)
                _replace(tmp, target)
                _fsync_dir(directory)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.remove(tmp)
            raise
    finally:
        if not handed_to_group:
            lock.release()


@contextlib.contextmanager
def atomic_output(
    path: str | os.PathLike[str], protect: Sequence[str | os.PathLike[str]] = ()
) -> Iterator[BinaryIO]:
    """Yield a binary stream (readable too) whose content replaces ``path`` only on success.

    Examples
    --------
    >>> with atomic_output("notes.txt") as stream:                # doctest: +SKIP
    ...     stream.write(b"text")
    """
    with atomic_path(path, protect) as tmp, open(tmp, "w+b") as stream:
        yield stream
