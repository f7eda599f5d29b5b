"""market_daily: after each NYSE close, load the day end to end.

trading_day (skips the whole run on holidays) → extract every dataset to bronze →
validate and MERGE each into silver (a failing batch is quarantined and fails the run,
without retries) → build gold → reconcile indicators (pipelines.reconciliation).

Every task that writes beyond bronze runs in the `lake_writers` pool (one slot, shared
with market_backfill and market_maintenance).

Tasks hand each other only small values (the day, bronze batch ids); the data moves
through the lake, so the DAG runs unchanged on the Celery or Kubernetes executors.
Heavy imports happen inside the tasks, so parsing this file stays fast.
"""

from __future__ import annotations

from datetime import date
from typing import Any, cast

import pendulum
from airflow.sdk import Param, chain, dag, task
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from pipelines.dag_defaults import (
    DATASETS,
    DEFAULT_ARGS,
    GOLD_ASSETS,
    SILVER_ASSETS,
    SPLITS_DATASET,
    WRITERS_POOL,
    task_lake_uri,
    task_sources,
)


@dag(
    dag_id="market_daily",
    description="Load one NYSE trading day: bronze → validated silver → gold.",
    # 21:30 UTC on weekdays: after the 16:00 New York close in winter and summer time.
    schedule="30 21 * * 1-5",
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params={
        "day": Param(
            None,
            type=["null", "string"],
            format="date",
            description="Trading day to load (YYYY-MM-DD); empty: the run's date in New York.",
        )
    },
    tags=["tickerlake", "market", "daily"],
)
def market_daily() -> None:
    @task
    def trading_day(params: dict[str, Any] | None = None, logical_date=None, dag_run=None) -> str:
        """Return the day to load (ISO); skip the run when it is not an NYSE session."""
        from pipelines.historical import is_trading_day

        if params and params.get("day"):
            day = date.fromisoformat(params["day"])
        else:
            moment = logical_date if logical_date is not None else dag_run.run_after
            day = pendulum.instance(moment).in_timezone("America/New_York").date()
        if not is_trading_day(day):
            raise AirflowSkipException(f"{day} is not an NYSE trading day: nothing to load")
        return day.isoformat()

    @task
    def extract(dataset: str, day: str) -> str:
        """Fetch one dataset for the day into bronze; return the bronze batch id."""
        from pipelines.historical import extract as extract_to_bronze

        when = date.fromisoformat(day)
        return extract_to_bronze(
            dataset, when, when, lake_uri=task_lake_uri(), sources=task_sources()
        )

    @task(pool=WRITERS_POOL)
    def load_silver(
        dataset: str, batch_id: str, splits_batch_id: str | None = None
    ) -> dict[str, Any]:
        """Validate a bronze batch and MERGE it into silver; a failed validation
        quarantines the batch and fails the task at once (retrying cannot fix data).
        The bars load also gets the day's splits batch, so a split-day jump is known."""
        from pipelines.historical import ValidationFailed
        from pipelines.historical import load_silver as load

        try:
            return load(
                dataset, batch_id, lake_uri=task_lake_uri(), splits_batch_id=splits_batch_id
            )
        except ValidationFailed as exc:
            raise AirflowFailException(str(exc)) from exc

    @task(outlets=GOLD_ASSETS, pool=WRITERS_POOL)
    def build_gold(day: str) -> dict[str, Any]:
        """Rebuild the gold tables the day touches; create (empty) every contract table
        the loads left unwritten, so the lake holds all of them from the first run."""
        from pipelines.historical import build_gold as build
        from pipelines.historical import create_missing_tables

        when, lake_uri = date.fromisoformat(day), task_lake_uri()
        result = build(when, when, lake_uri=lake_uri)
        result["created_empty"] = create_missing_tables(lake_uri=lake_uri)
        return result

    @task(pool=WRITERS_POOL)
    def reconcile_indicators(day: str) -> dict[str, Any]:
        """Recompute indicators for a sample of tickers and append their agreement with
        TA-Lib (and Massive, when its key is set) to quality/indicator_reconciliation."""
        from pipelines.reconciliation import reconcile_indicators as reconcile

        result = reconcile(
            as_of=date.fromisoformat(day), sources=task_sources(), lake_uri=task_lake_uri()
        )
        return {key: result[key] for key in ("run_id", "as_of", "tickers", "references", "rows")}

    # A task call returns an XComArg that Airflow resolves to the task's return value (a
    # str here) before the downstream task runs; Airflow's `Task` protocol cannot express
    # that (see airflow.sdk.bases.decorator.Task), so the references are typed as what the
    # downstream tasks receive. `cast` does nothing at run time.
    day = cast(str, trading_day())
    batches = {
        dataset.name: cast(
            str, extract.override(task_id=f"extract_{dataset.name}")(dataset.name, day)
        )
        for dataset in DATASETS
    }
    loads = [
        load_silver.override(task_id=f"load_{dataset.name}", outlets=[SILVER_ASSETS[dataset.name]])(
            dataset.name,
            batches[dataset.name],
            splits_batch_id=(
                batches[SPLITS_DATASET] if dataset.validated_with_load_splits else None
            ),
        )
        for dataset in DATASETS
    ]
    gold = build_gold(day)
    # Silver loads run one after another, in dataset order: later checks read what the
    # earlier loads wrote (tickers before bars, bars before the split audit).
    chain(*loads, gold, reconcile_indicators(day))


market_daily()
