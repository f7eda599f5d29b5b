"""What every Tickerlake DAG shares: default task arguments (retries with exponential
backoff, the failure alert), an Asset per lake table, and the hook that picks sources.

DAG files import this at parse time, so it stays light: the alert and the sources are
imported inside the callables.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.sdk import Asset

if TYPE_CHECKING:
    from pipelines.sources import Sources

# The order of pipelines.historical.DATASETS (tickers first, then bars, then what refers
# to them) and the gold tables of lake.schemas; tests/airflow checks both.
DATASETS = ("tickers", "daily_bars", "splits", "earnings", "grades", "news")
GOLD_TABLES = ("adjusted_bars", "daily_returns", "segments", "earnings_reactions")


def lake_asset(layer: str, name: str) -> Asset:
    """Return the Airflow Asset that stands for the lake table `layer/name`."""
    return Asset(name=f"{layer}.{name}", uri=f"x-tickerlake://{layer}/{name}", group="tickerlake")


SILVER_ASSETS = {name: lake_asset("silver", name) for name in DATASETS}
GOLD_ASSETS = [lake_asset("gold", name) for name in GOLD_TABLES]


def on_task_failure(context: dict[str, Any]) -> None:
    """Log a failed task and POST it to ALERT_WEBHOOK_URL when one is configured."""
    from pipelines.alerts import task_failure_alert

    task_failure_alert(context)


def task_sources() -> Sources | None:
    """Return the sources named by TICKERLAKE_SOURCES, or None for the normal wiring."""
    from pipelines.airflow_env import sources_from_environment

    return sources_from_environment()


# Every task that writes silver, gold, the quality logs or runs maintenance takes the one
# slot of this pool, whichever DAG it belongs to: the daily load, a backfill and the weekly
# maintenance never write at the same time. (Commits are conflict-checked anyway, see
# lake/tables.py; the pool saves the redo.) Extracts stay outside: they only append new
# bronze batches, which conflict with nothing, and their provider calls run in parallel.
# pipelines/airflow_env.py creates the pool (`airflow pools set`) before Airflow starts.
WRITERS_POOL = "lake_writers"
WRITERS_POOL_SLOTS = 1

DEFAULT_ARGS: dict[str, Any] = {
    "owner": "tickerlake",
    "retries": 3,
    "retry_delay": timedelta(minutes=2),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=30),
    "on_failure_callback": on_task_failure,
}
