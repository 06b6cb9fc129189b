"""The event store: many exposures as one indexed, lazily queried table that is also a HATS catalogue.

:func:`ingest` adds event lists; :func:`open_store` gives a :class:`Store` for queries.
Modules: :mod:`.layout` (where things live, the columns ingest adds), :mod:`.sky` (RA/DEC and
HEALPix), :mod:`.catalog` (one row per exposure), :mod:`.ingest`, :mod:`.query`, :mod:`.hats`.

Examples
--------
>>> import xmmframe
>>> xmmframe.ingest(["P0001730201M1S002MIEVLI.FTZ"], "store")            # doctest: +SKIP
>>> xmmframe.open_store("store").cone(263.6579, -32.556, 0.1).collect()   # doctest: +SKIP
"""

from xmmframe.store.ingest import IngestReport, ingest
from xmmframe.store.query import Store, open_store

__all__ = ["IngestReport", "Store", "ingest", "open_store"]
