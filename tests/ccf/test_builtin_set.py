"""The built-in calibration set: compact, in CCF format, indexed by its master index."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from astropy.io import fits

from xmmframe.ccf.access import builtin_directory
from xmmframe.ccf.cif import read_cif

NAME = re.compile(r"^[A-Z0-9]{2,5}_[A-Z0-9]+_\d{4}\.CCF$")


def test_builtin_set_is_compact_and_named_like_ccfs():
    files = sorted(Path(builtin_directory()).glob("*.CCF"))
    assert len(files) >= 15
    assert sum(f.stat().st_size for f in files) < 2_000_000
    for path in files:
        assert NAME.match(path.name), path.name
        header = fits.getheader(path)
        for key in ("SCOPE", "TYPEID", "ISSUE", "VALDATE", "SUBDATE", "CATEGORY", "EXTSEQID"):
            assert key in header, (path.name, key)
        assert path.name == f"{header['SCOPE']}_{header['TYPEID']}_{header['ISSUE']:04d}.CCF"


def test_master_index_lists_every_file_with_md5():
    directory = Path(builtin_directory())
    index = read_cif(directory / "XMM_CALINDEX_0001.CCF")
    listed = set(index.entries["FNAME"])
    on_disk = {p.name for p in directory.glob("*.CCF")} - {"XMM_CALINDEX_0001.CCF"}
    assert listed == on_disk
    for row in index.entries.iter_rows(named=True):
        assert hashlib.md5((directory / row["FNAME"]).read_bytes()).hexdigest() == row["MD5"]
