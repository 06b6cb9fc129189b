"""A small event store of real refdata event lists, shared by the exec tests, and a Dask cluster.

The store holds the six XGA clean MOS lists (three observations of one cluster, Abell 907
region) and the two PPS MOS lists of obs 0001730201, ingested once per session.  The Dask
LocalCluster (2 worker processes, 1 thread each) is started once per session too.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

import xmmframe.store as xstore
from xmmframe.exec import local_pool

#: Where the XGA observations point (between their three pointings) and a source radius (deg).
SOURCE = (149.5916, -11.0887, 0.02)


@pytest.fixture(scope="session")
def store_sources(refdata: Path) -> list[Path]:
    """The eight event lists of the test store."""
    files = sorted(refdata.glob("xga/*/eclean/*.fits")) + sorted(refdata.glob("exod/0001730201/P*MIEVLI.FTZ"))
    assert len(files) == 8
    return files


@pytest.fixture(scope="session")
def exec_store(store_sources: list[Path], tmp_path_factory: pytest.TempPathFactory) -> xstore.Store:
    """The store, ingested once."""
    root = tmp_path_factory.mktemp("exec") / "store"
    report = xstore.ingest([str(p) for p in store_sources], root)
    assert not report.skipped and len(report.ingested) == 8
    return xstore.open_store(root)


@pytest.fixture(scope="session")
def pool():
    """A warm local pool of 2 spawned workers, shared by the tests that do not test pool start-up."""
    with local_pool(2) as executor:
        yield executor


@pytest.fixture(scope="session")
def dask_client():
    """A dask.distributed Client on a LocalCluster of 2 worker processes (1 thread each)."""
    distributed = pytest.importorskip("dask.distributed")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                           dashboard_address=None)
        client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()
