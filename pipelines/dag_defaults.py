"""What every Tickerlake DAG shares: default task arguments (retries with exponential
backoff, the failure alert), the datasets to load (`pipelines.datasets`), an Asset per
lake table, the writers pool (`pipelines.airflow_env`), and the hooks that pick the lake
and the sources.

DAG files import this at parse time, so it stays light: the alert and the settings are
imported inside the callables.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.sdk import Asset

from lake.schemas import GOLD_TABLES
from pipelines.airflow_env import WRITERS_POOL, WRITERS_POOL_SLOTS, sources_from_environment
from pipelines.datasets import DATASETS, SPLITS_DATASET, Dataset

if TYPE_CHECKING:
    from pipelines.sources import Sources

__all__ = [
    "DATASETS",
    "DEFAULT_ARGS",
    "GOLD_ASSETS",
    "SILVER_ASSETS",
    "SPLITS_DATASET",
    "WRITERS_POOL",
    "WRITERS_POOL_SLOTS",
    "Dataset",
    "lake_asset",
    "on_task_failure",
    "task_lake_uri",
    "task_sources",
]


def lake_asset(layer: str, name: str) -> Asset:
    """Return the Airflow Asset that stands for the lake table `layer/name`."""
    return Asset(name=f"{layer}.{name}", uri=f"x-tickerlake://{layer}/{name}", group="tickerlake")


# One Asset per silver table (keyed by dataset name) and per gold table.
SILVER_ASSETS = {
    dataset.name: lake_asset(dataset.contract.layer, dataset.contract.name) for dataset in DATASETS
}
GOLD_ASSETS = [lake_asset(contract.layer, contract.name) for contract in GOLD_TABLES]


def on_task_failure(context: dict[str, Any]) -> None:
    """Log a failed task and POST it to ALERT_WEBHOOK_URL when one is configured."""
    from pipelines.alerts import task_failure_alert

    task_failure_alert(context)


def task_sources() -> Sources | None:
    """Return the sources named by TICKERLAKE_SOURCES, or None for the normal wiring."""
    return sources_from_environment()


def task_lake_uri() -> str:
    """Return the lake a task writes to: `LAKE_URI` in the task's settings."""
    from lake.settings import get_settings

    return get_settings().lake_uri


DEFAULT_ARGS: dict[str, Any] = {
    "owner": "tickerlake",
    "retries": 3,
    "retry_delay": timedelta(minutes=2),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=30),
    "on_failure_callback": on_task_failure,
}
