"""Where things live in an event store, and the columns ingest adds to every event.

An event store is one directory that is at once xmmframe's archive of exposures and a valid
`HATS <https://hats.readthedocs.io>`_ catalogue of their events::

    STORE/
      _catalog.parquet                      one row per exposure (the commit point of every ingest)
      hats.properties, properties           HATS catalogue properties (npix suffix "/")
      partition_info.csv                    HATS partitions: Norder, Npix of every sky cell with events
      dataset/_common_metadata              the Arrow schema shared by every event file
      dataset/Norder=7/Dir=0/Npix=<cell>/<OBS_ID>_<INSTRUME>_<EXPID>-<token>.parquet
      exposures/<OBS_ID>_<INSTRUME>_<EXPID>-<token>.parquet    FITS headers and extensions (no rows)
      hot/Norder=7/Dir=0/Npix=<cell>/<OBS_ID>_<INSTRUME>_<EXPID>-<token>.arrow
                                            query columns of each event file (see xmmframe.store.hot)
      .lock                                 taken by ingest while it commits

Why one layout and not a HATS view beside per-exposure files: the events of an exposure are
split by HEALPix cell at ``PARTITION_ORDER`` (one file per exposure and cell, an XMM field
covers one to six cells), and HATS allows a partition to be a directory of files.  The same
files then serve xmmframe (which finds an exposure's files in the catalogue, so observation and
instrument pruning needs no directory listing) and lsdb (which reads a cell's directory), and
the events are stored once.  A separate HATS view would store every event twice and write it twice.  Observation and instrument are stored as dictionary-encoded columns in every file, so
both readers see them.

``PARTITION_ORDER`` 7 (cells of 0.46 deg, 0.21 deg^2) keeps the files of one exposure few and
large enough to scan fast while a cone of a few arcminutes touches one or two cells.  Inside a
file, rows are sorted by the HEALPix index at ``INDEX_ORDER`` 29 (the HATS spatial index
``_healpix_29``, 0.4 milliarcsecond cells); the Parquet row groups of ``ROW_GROUP_ROWS`` events
then each cover a compact patch of sky, and their min/max statistics of ``_healpix_29``, RA,
DEC, X, Y and TIME let cone, region and time queries skip most of them.  ``_row`` is the event's
row number in the ingested file, so sorting by it gives the original order back.

Examples
--------
>>> exposure_key("0001730201", "EMOS1", "S001")
'0001730201_EMOS1_S001'
>>> cell_of_index(12345 << 44)
12345
"""

from __future__ import annotations

import os
import re

#: HEALPix order of the sky cells that partition the events (HATS ``Norder``).
PARTITION_ORDER = 7
#: HEALPix order of the per-event spatial index (``_healpix_29``, the HATS spatial index column).
INDEX_ORDER = 29
#: Events per Parquet row group in the store's event files.
ROW_GROUP_ROWS = 1 << 16
#: Bits between an ``INDEX_ORDER`` index and its ``PARTITION_ORDER`` cell (nested scheme).
CELL_SHIFT = 2 * (INDEX_ORDER - PARTITION_ORDER)

#: Columns ingest adds to every event, after the event list's own columns.
INDEX_COLUMN = "_healpix_29"
ROW_COLUMN = "_row"
RA_COLUMN = "RA"
DEC_COLUMN = "DEC"
#: Exposure identification stored in every event file (dictionary-encoded).
KEY_COLUMNS = ("obs_id", "instrume", "expid")
#: Every column the store adds; ``Store.events`` drops them to give the event list back.
STORE_COLUMNS = (*KEY_COLUMNS, RA_COLUMN, DEC_COLUMN, INDEX_COLUMN, ROW_COLUMN)

CATALOG_FILE = "_catalog.parquet"
LOCK_FILE = ".lock"
DATASET_DIR = "dataset"
HOT_DIR = "hot"
EXPOSURES_DIR = "exposures"
STAGING_DIR = ".staging"

_UNSAFE = re.compile(r"[^A-Za-z0-9.+-]")


def exposure_key(obs_id: str, instrume: str, expid: str) -> str:
    """The name that identifies an exposure in file names: ``OBSID_INSTRUME_EXPID``."""
    return "_".join(_UNSAFE.sub("-", part) for part in (obs_id, instrume, expid))


def cell_of_index(index: int) -> int:
    """The ``PARTITION_ORDER`` cell holding an ``INDEX_ORDER`` HEALPix index (nested scheme)."""
    return index >> CELL_SHIFT


def cell_directory(root: str | os.PathLike[str], cell: int) -> str:
    """The HATS directory of a sky cell: ``dataset/Norder=7/Dir=<cell//10000*10000>/Npix=<cell>``."""
    return os.path.join(os.fspath(root), DATASET_DIR, f"Norder={PARTITION_ORDER}",
                        f"Dir={cell // 10000 * 10000}", f"Npix={cell}")


def event_file(root: str | os.PathLike[str], cell: int, key: str, token: str) -> str:
    """The file of one exposure's events in one sky cell."""
    return os.path.join(cell_directory(root, cell), f"{key}-{token}.parquet")


def hot_file(event_path: str) -> str:
    """The query-column file of an event file (a path relative to the store root, or absolute under it).

    It mirrors the event file's place under ``hot/`` instead of ``dataset/``, so that HATS
    readers listing a cell's directory see Parquet files only.

    Examples
    --------
    >>> hot_file("dataset/Norder=7/Dir=0/Npix=5/k-t.parquet")
    'hot/Norder=7/Dir=0/Npix=5/k-t.arrow'
    """
    head, marker, tail = event_path.rpartition(DATASET_DIR + os.sep)
    if not marker:
        raise ValueError(f"not an event file of a store: {event_path}")
    return head + HOT_DIR + os.sep + tail[: -len(".parquet")] + ".arrow"


def exposure_file(root: str | os.PathLike[str], key: str, token: str) -> str:
    """The file holding an exposure's FITS headers and extensions."""
    return os.path.join(os.fspath(root), EXPOSURES_DIR, f"{key}-{token}.parquet")
