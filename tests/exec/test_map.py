"""map_exposures: local pool and Dask give the same results; one failing exposure stays alone; bad input."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from xmmframe.errors import ParameterError, StoreError
from xmmframe.exec import FlareTask, ImageTask, SpectrumTask, cone_exposures, map_exposures
from xmmframe.products import flare_gti

from .conftest import SOURCE
from .functions import FailOn, count_events

KEYS = ["obs_id", "instrume", "expid"]


def _undated(cards: tuple[str, ...]) -> list[str]:
    """Header cards without the creation DATE (which differs between runs a second apart)."""
    return [card for card in cards if not card.startswith("DATE ")]


def _catalog_keys(store) -> list[tuple[str, str, str]]:
    return list(store.catalog().select(KEYS).iter_rows())


def test_every_exposure_opens_in_its_worker(exec_store):
    run = map_exposures(exec_store, count_events, workers=1, progress=False)  # the default: a new local pool
    assert run.ok and run.keys == _catalog_keys(exec_store)
    assert [counted for counted, _ in run.results] == [listed for _, listed in run.results]
    assert sum(counted for counted, _ in run.results) == exec_store.catalog()["events"].sum()


def _same_spectra(first, second) -> None:
    assert first.keys == second.keys and first.ok and second.ok
    for a, b in zip(first.results, second.results):
        np.testing.assert_array_equal(a.spectrum.counts, b.spectrum.counts)
        assert a.spectrum.exposure == b.spectrum.exposure and a.spectrum.backscal == b.spectrum.backscal
        assert _undated(a.spectrum.cards) == _undated(b.spectrum.cards)
        np.testing.assert_array_equal(a.arf.specresp, b.arf.specresp)


def test_dask_gives_the_local_results(exec_store, pool, dask_client):
    rows = cone_exposures(exec_store, *SOURCE)
    task = SpectrumTask(*SOURCE, rmf=False)
    local = map_exposures(rows, task, store=exec_store, executor=pool)
    dask = map_exposures(rows, task, store=exec_store, executor="dask", client=dask_client)
    _same_spectra(local, dask)
    assert sum(r.spectrum.total for r in local.results) > 10000
    # and both equal the product made here, in this process
    key = local.keys[0]
    direct = task(exec_store.events(*key), rows.row(0, named=True))
    np.testing.assert_array_equal(direct.spectrum.counts, local.results[0].spectrum.counts)

    flares_local = map_exposures(exec_store, FlareTask(), executor=pool)
    flares_dask = map_exposures(exec_store, FlareTask(), executor="dask", client=dask_client)
    for key, a, b in zip(flares_local.keys, flares_local.results, flares_dask.results):
        expected = flare_gti(exec_store.events(*key))
        for screening in (a, b):
            np.testing.assert_array_equal(screening.gti.start, expected.gti.start)
            np.testing.assert_array_equal(screening.gti.stop, expected.gti.stop)
            np.testing.assert_array_equal(screening.lightcurve.rate, expected.lightcurve.rate)


def test_dask_by_scheduler_address(exec_store, dask_client):
    run = map_exposures(exec_store, count_events, executor="dask", client=dask_client.scheduler.address)
    assert run.ok and [c for c, _ in run.results] == exec_store.catalog()["events"].to_list()


@pytest.mark.parametrize("executor", ["local", "dask"])
def test_a_failing_exposure_is_reported_alone(exec_store, pool, dask_client, executor):
    options = {"executor": pool} if executor == "local" else {"executor": "dask", "client": dask_client}
    run = map_exposures(exec_store, FailOn("0201903501"), **options)
    failed = [("0201903501", "EMOS1", "S001"), ("0201903501", "EMOS2", "S002")]
    assert [f.key for f in run.failures] == failed
    for failure in run.failures:
        assert failure.error == "ValueError: refusing observation 0201903501"
        assert "Traceback" in failure.traceback and "in __call__" in failure.traceback
        assert "ValueError: refusing observation 0201903501" in failure.traceback
    counts = dict(zip(_catalog_keys(exec_store), exec_store.catalog()["events"]))
    assert dict(run.items()) == {key: n for key, n in counts.items() if key not in failed}
    assert [r is None for r in run.results] == [key in failed for key in run.keys]
    assert run.succeeded().height == 6 and not run.ok
    with pytest.raises(Exception, match="2 of 8 exposures failed: 0201903501_EMOS1_S001: ValueError"):
        run.raise_on_failure()


def test_catalogue_rows_select_exposures(exec_store, pool):
    rows = exec_store.exposures(instrume="EMOS2")
    run = map_exposures(rows, count_events, store=exec_store, executor=pool)
    assert run.keys == list(rows.select(KEYS).iter_rows()) and len(run.keys) == 4
    reversed_rows = rows.reverse()
    assert map_exposures(reversed_rows, count_events, store=exec_store.root, executor=pool).keys == run.keys[::-1]


def test_image_task_gives_each_exposures_own_image(exec_store, pool):
    rows = exec_store.exposures(obs_id="0201901401")
    run = map_exposures(rows, ImageTask(bin=80, selection="PI in [500:2000]"), store=exec_store, executor=pool,
                        progress=True)
    assert run.ok and len(run.results) == 2
    for key, image in run.items():
        direct = exec_store.events(*key).image(bin=80, selection="PI in [500:2000]")
        np.testing.assert_array_equal(image.data, direct.data)
        assert _undated(image.cards) == _undated(direct.cards)
        assert image.data.sum() > 5000


def test_bad_input_is_a_clear_error(exec_store, tmp_path):
    rows = exec_store.exposures(instrume="EMOS1")
    with pytest.raises(StoreError, match="need the store they come from"):
        map_exposures(rows, count_events)
    unknown = rows.with_columns(pl.lit("0999999999").alias("obs_id"))
    with pytest.raises(StoreError, match="no exposure 0999999999_EMOS1_"):
        map_exposures(unknown, count_events, store=exec_store)
    with pytest.raises(StoreError, match="no exposures to run on"):
        map_exposures(rows.clear(), count_events, store=exec_store)
    with pytest.raises(StoreError, match="no such directory"):
        map_exposures(tmp_path / "missing", count_events)
    with pytest.raises(ParameterError, match="unknown executor 'threads'"):
        map_exposures(exec_store, count_events, executor="threads")
    with pytest.raises(ParameterError, match="client= is for executor='dask'"):
        map_exposures(exec_store, count_events, client="tcp://127.0.0.1:1")
    with pytest.raises(ParameterError, match="workers must be at least 1"):
        map_exposures(exec_store, count_events, workers=0)
    with pytest.raises(StoreError, match="no exposure covers the cone RA 10.00000 Dec 10.00000"):
        cone_exposures(exec_store, 10.0, 10.0, 0.1)


def test_local_pool_shares_the_cpus_between_the_polars_thread_pools_of_its_workers(monkeypatch):
    import os

    from xmmframe.exec.backends import POLARS_THREADS, default_workers, local_pool

    monkeypatch.delenv(POLARS_THREADS, raising=False)
    with local_pool(2) as pool:
        sizes = {pool.submit(pl.thread_pool_size).result() for _ in range(4)}
    assert sizes == {max(1, default_workers() // 2)}
    assert POLARS_THREADS not in os.environ  # set for the spawn only
    monkeypatch.setenv(POLARS_THREADS, "3")  # the user's setting wins
    with local_pool(2) as pool:
        assert pool.submit(pl.thread_pool_size).result() == 3
