"""The sha256 of every file the demo and the refdata product tests write, for checking a refactoring.

With ``SOURCE_DATE_EPOCH`` set, xmmframe's products are reproducible byte for byte, so a change
that should not alter any product can be checked by hashing them before and after it:

.. code-block:: console

    $ PYTHONPATH=$PWD python benchmarks/product_hashes.py --json before.json        # on the old tree
    $ PYTHONPATH=$PWD python benchmarks/product_hashes.py --compare before.json     # on the new tree

It runs ``xmmframe demo`` into a scratch folder, then the product tests that read
``../shared/refdata`` (``tests/products``, ``tests/cli``, ``tests/imaging``) with a fixed pytest
``--basetemp``, and hashes every file below both folders, by path relative to them.  With
``--compare`` it prints the files that are new, gone or different and exits 1 if there are any.
The products of the SAS-style commands record their command line (``XPROC0``), input paths
included: compare trees whose ``../shared/refdata`` is spelled the same (e.g. both checked out
side by side, or both exported into the same parent folder).
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: The tests whose written files are hashed (they write products from the real SAS inputs).
TEST_PATHS = ("tests/products", "tests/cli", "tests/imaging")
#: Files that are not products: pytest's own bookkeeping, numba caches, logs.
SKIP_SUFFIXES = (".pyc", ".nbi", ".nbc", ".lock", ".log")
#: Files that differ from run to run by design, not compared (hashed and listed all the same).
UNSTABLE = {
    "demo/summary.txt": "the wall-clock time of each step",
    "tests/spec*/s.pha": "hypothesis draws new spectra each run",
    "tests/test_date_is_the_time_of_writi*/*": "written without SOURCE_DATE_EPOCH on purpose",
}


def _hashes(folder: Path, prefix: str) -> dict[str, str]:
    result: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink() and not path.name.endswith(SKIP_SUFFIXES):
            result[f"{prefix}/{path.relative_to(folder)}"] = hashlib.sha256(path.read_bytes()).hexdigest()
    return result


def collect(scratch: Path, epoch: str, tests: bool = True) -> dict[str, str]:
    """Run the demo and the product tests under ``scratch`` and hash what they wrote."""
    env = dict(os.environ, SOURCE_DATE_EPOCH=epoch, PYTHONPATH=str(ROOT))
    demo = scratch / "demo"
    subprocess.run([sys.executable, "-m", "xmmframe.cli.main", "demo", str(demo)], env=env, check=True,
                   cwd=ROOT, stdout=subprocess.DEVNULL)
    hashes = _hashes(demo, "demo")
    if tests:
        base = scratch / "tests"
        subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--basetemp", str(base),
                        "-o", "addopts=", *TEST_PATHS], env=env, check=False, cwd=ROOT)
        hashes.update(_hashes(base, "tests"))
    return hashes


def _stable(name: str) -> bool:
    return not any(fnmatch.fnmatch(name, pattern) for pattern in UNSTABLE)


def compare(old: dict[str, str], new: dict[str, str]) -> list[str]:
    """Lines naming each file that is new, gone or different (:data:`UNSTABLE` files left out)."""
    old = {k: v for k, v in old.items() if _stable(k)}
    new = {k: v for k, v in new.items() if _stable(k)}
    lines = [f"new       {name}" for name in sorted(set(new) - set(old))]
    lines += [f"gone      {name}" for name in sorted(set(old) - set(new))]
    lines += [f"differs   {name}" for name in sorted(set(old) & set(new)) if old[name] != new[name]]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="write the hashes to this file")
    parser.add_argument("--compare", help="compare with the hashes in this file")
    parser.add_argument("--epoch", default="1700000000", help="SOURCE_DATE_EPOCH (default 1700000000)")
    parser.add_argument("--no-tests", action="store_true", help="hash the demo's files only")
    parser.add_argument("--folder", default=str(Path(tempfile.gettempdir()) / "xmmframe-product-hashes"),
                        help="scratch folder, emptied first (file names appear in headers: keep it the same)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder afterwards")
    args = parser.parse_args(argv)
    scratch = Path(args.folder)
    shutil.rmtree(scratch, ignore_errors=True)
    try:
        hashes = collect(scratch, args.epoch, tests=not args.no_tests)
    finally:
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    if args.json:
        Path(args.json).write_text(json.dumps(hashes, indent=1, sort_keys=True) + "\n")
    print(f"{len(hashes)} files hashed")
    if args.compare:
        lines = compare(json.loads(Path(args.compare).read_text()), hashes)
        print("\n".join(lines) if lines else "all files byte-identical")
        return 1 if lines else 0
    for name, digest in sorted(hashes.items()):
        print(digest, name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
