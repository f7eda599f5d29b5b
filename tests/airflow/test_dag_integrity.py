"""The DAG files parse, and every DAG carries the settings operations rely on."""

from __future__ import annotations

import itertools

import pytest

pytestmark = pytest.mark.integration

EXPECTED_DAGS = {"market_daily", "market_backfill", "market_maintenance"}


def test_dags_import_without_errors(dag_bag) -> None:
    assert dag_bag.import_errors == {}
    assert set(dag_bag.dag_ids) >= EXPECTED_DAGS


@pytest.mark.parametrize("dag_id", sorted(EXPECTED_DAGS))
def test_dag_settings(dag_bag, dag_id: str) -> None:
    dag = dag_bag.dags[dag_id]

    assert "tickerlake" in dag.tags
    assert dag.catchup is False
    assert dag.max_active_runs == 1
    for task in dag.tasks:
        assert task.retries >= 1, task.task_id
        assert task.retry_exponential_backoff, task.task_id
        assert task.max_retry_delay is not None, task.task_id
        assert task.on_failure_callback, task.task_id


def test_daily_dag_flow(dag_bag) -> None:
    from pipelines.datasets import DATASET_NAMES as DATASETS

    dag = dag_bag.dags["market_daily"]
    first = dag.get_task("trading_day")
    loads = [dag.get_task(f"load_{name}") for name in DATASETS]

    assert {t.task_id for t in first.downstream_list} >= {f"extract_{name}" for name in DATASETS}
    for earlier, later in itertools.pairwise(loads):
        assert later.task_id in earlier.downstream_task_ids
    assert "build_gold" in loads[-1].downstream_task_ids
    # Every registry dataset has its extract and its load, publishing its silver asset.
    for name in DATASETS:
        assert f"load_{name}" in dag.get_task(f"extract_{name}").downstream_task_ids
        assert [a.name for a in dag.get_task(f"load_{name}").outlets] == [f"silver.{name}"]
    assert [a.name for a in dag.get_task("load_daily_bars").outlets] == ["silver.daily_bars"]
    assert {a.name for a in dag.get_task("build_gold").outlets} >= {
        "gold.adjusted_bars",
        "gold.segments",
    }
    assert dag.timetable.expression == "30 21 * * 1-5"


def test_dag_table_names_match_the_lake(dag_bag) -> None:
    from lake.schemas import GOLD_TABLES

    gold = {a.name for a in dag_bag.dags["market_daily"].get_task("build_gold").outlets}

    assert gold == {f"gold.{contract.name}" for contract in GOLD_TABLES}


# Tasks that write beyond bronze, per DAG: each must take the one shared writers pool.
LAKE_WRITERS = {
    "market_daily": {
        *(f"load_{name}" for name in ("tickers", "daily_bars", "splits", "earnings", "grades")),
        "load_news",
        "build_gold",
        "reconcile_indicators",
    },
    "market_backfill": {"load_chunk", "maintain"},
    "market_maintenance": {"maintain"},
}


@pytest.mark.parametrize("dag_id", sorted(LAKE_WRITERS))
def test_lake_writers_share_one_pool(dag_bag, dag_id: str) -> None:
    from pipelines.dag_defaults import WRITERS_POOL

    dag = dag_bag.dags[dag_id]
    pooled = {task.task_id for task in dag.tasks if task.pool == WRITERS_POOL}

    assert pooled == LAKE_WRITERS[dag_id]
    assert all(dag.get_task(task_id).pool_slots == 1 for task_id in pooled)


def test_the_writers_pool_exists_with_one_slot(airflow_home) -> None:
    from airflow.models.pool import Pool

    from pipelines.dag_defaults import WRITERS_POOL

    pool = Pool.get_pool(WRITERS_POOL)

    assert pool is not None
    assert pool.slots == 1


def test_maintenance_runs_weekly_after_the_friday_close(dag_bag) -> None:
    dag = dag_bag.dags["market_maintenance"]

    assert dag.timetable.expression == "0 6 * * 6"  # Saturday 06:00 UTC
    assert [task.task_id for task in dag.tasks] == ["maintain"]
    assert dag.get_task("maintain").retries >= 1
