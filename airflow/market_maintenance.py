"""market_maintenance: once a week, after the Friday close, compact and re-sort the lake's
tables and vacuum files older than 7 days (`pipelines.historical.maintain`).

Daily loads add one small file per table and day, which defeats the one-ticker pruning
as they pile up; this run puts every table back into files sorted by (ticker, date). It
takes the one slot of the `lake_writers` pool, so it never overlaps a daily load or a
backfill chunk; its commits are conflict-checked against the version it read anyway
(lake/tables.py), so even a writer outside Airflow loses nothing. Vacuum keeps 7 days
(never forced here).
"""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.sdk import dag, task

from pipelines.dag_defaults import (
    DEFAULT_ARGS,
    GOLD_ASSETS,
    SILVER_ASSETS,
    WRITERS_POOL,
    task_lake_uri,
)

# Saturdays 06:00 UTC: after Friday's close and its daily load (21:30 UTC), well before
# Monday's open, when nothing else is scheduled to write.
WEEKLY_AFTER_FRIDAY_CLOSE = "0 6 * * 6"


@dag(
    dag_id="market_maintenance",
    description="Weekly: compact and re-sort every lake table, vacuum files older than 7 days.",
    schedule=WEEKLY_AFTER_FRIDAY_CLOSE,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["tickerlake", "market", "maintenance"],
)
def market_maintenance() -> None:
    @task(pool=WRITERS_POOL, outlets=[*SILVER_ASSETS.values(), *GOLD_ASSETS])
    def maintain() -> dict[str, Any]:
        """Compact, re-sort and vacuum every table; return per-table file counts."""
        from pipelines.historical import maintain as maintain_tables

        return maintain_tables(lake_uri=task_lake_uri())

    maintain()


market_maintenance()
