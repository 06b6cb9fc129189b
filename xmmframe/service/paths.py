"""File names from requests, checked: nothing outside the jobs directory is ever served.

A job id is 32 hexadecimal digits; a file name is one plain name (letters, digits, ``._-``,
not starting with a dot).  The resolved path (symbolic links followed) must lie inside the
job's own folder and be a regular file, so neither ``../``, an absolute name, an encoded
separator nor a symbolic link planted in a job folder reaches any other file.

Examples
--------
>>> check_job_id("0123456789abcdef0123456789abcdef")
'0123456789abcdef0123456789abcdef'
>>> check_file_name("../jobs.sqlite")
Traceback (most recent call last):
...
xmmframe.errors.RequestError: file name '../jobs.sqlite' is not a plain file name (letters, digits, '._-')
"""

from __future__ import annotations

import os
import re

from xmmframe.errors import RequestError

_JOB_ID = re.compile(r"^[0-9a-f]{32}$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def check_job_id(job_id: str) -> str:
    """``job_id`` if it is one (else a 404 :class:`~xmmframe.errors.RequestError`)."""
    if not _JOB_ID.match(job_id):
        raise RequestError(f"no job {job_id[:80]!r} (a job id is 32 hexadecimal digits)", 404)
    return job_id


def check_file_name(name: str) -> str:
    """``name`` if it is a plain file name (else a 400 error)."""
    if not _NAME.match(name) or ".." in name:
        raise RequestError(f"file name {name[:200]!r} is not a plain file name (letters, digits, '._-')", 400)
    return name


def inside(root: str, *parts: str) -> str:
    """The real path of ``root/parts...``, refused (404) unless it is a regular file inside ``root``."""
    base = os.path.realpath(root)
    target = os.path.realpath(os.path.join(base, *parts))
    if os.path.commonpath([base, target]) != base or target == base:
        raise RequestError("the file is outside the job's folder", 404)
    if not os.path.isfile(target):
        raise RequestError(f"no file {parts[-1]!r}", 404)
    return target


__all__ = ["check_file_name", "check_job_id", "inside"]
