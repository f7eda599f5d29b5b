"""market_backfill: load a date range on demand, chunk by chunk, resumably.

Triggered by hand with `start`/`end` (and optionally `chunk_days`). One mapped task
per chunk calls `pipelines.historical.backfill` for that chunk, which skips a chunk
whose trading days are already loaded (meta/load_log): re-running the same range after
a failure continues where it stopped. Chunks run one at a time (Delta MERGEs on the same
tables), then the tables are compacted and re-clustered once.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pendulum
from airflow.sdk import Param, dag, task
from airflow.sdk.exceptions import AirflowFailException

from pipelines.dag_defaults import (
    DEFAULT_ARGS,
    GOLD_ASSETS,
    SILVER_ASSETS,
    WRITERS_POOL,
    task_lake_uri,
    task_sources,
)


@dag(
    dag_id="market_backfill",
    description="Load a date range in chunks; re-running resumes after the last loaded chunk.",
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params={
        "start": Param(
            "2025-01-02", type="string", format="date", description="First day (YYYY-MM-DD)."
        ),
        "end": Param(
            "2025-12-31", type="string", format="date", description="Last day (YYYY-MM-DD)."
        ),
        "chunk_days": Param(
            60, type="integer", minimum=1, maximum=366, description="Calendar days per chunk."
        ),
    },
    tags=["tickerlake", "market", "backfill"],
)
def market_backfill() -> None:
    @task
    def plan_chunks(params: dict[str, Any] | None = None) -> list[dict[str, str]]:
        """Split [start, end] into chunks of `chunk_days` calendar days (small XCom)."""
        assert params is not None  # Airflow always passes the DAG's params (see `params=`)
        start = date.fromisoformat(params["start"])
        end = date.fromisoformat(params["end"])
        if end < start:
            raise AirflowFailException(f"start {start} is after end {end}: pass start <= end")
        step = timedelta(days=int(params["chunk_days"]))
        chunks = []
        cursor = start
        while cursor <= end:
            last = min(cursor + step - timedelta(days=1), end)
            chunks.append({"start": cursor.isoformat(), "end": last.isoformat()})
            cursor = last + timedelta(days=1)
        return chunks

    @task(max_active_tis_per_dag=1, pool=WRITERS_POOL)
    def load_chunk(chunk: dict[str, str]) -> dict[str, Any]:
        """Load one chunk end to end (skipped inside when already loaded); a quarantined
        batch fails the chunk at once, without retries."""
        from pipelines.historical import ValidationFailed, backfill

        start, end = date.fromisoformat(chunk["start"]), date.fromisoformat(chunk["end"])
        try:
            return backfill(
                start,
                end,
                lake_uri=task_lake_uri(),
                chunk_days=(end - start).days + 1,
                sources=task_sources(),
                maintain_after=False,  # once, in the maintain task
            )
        except ValidationFailed as exc:
            raise AirflowFailException(str(exc)) from exc

    @task(outlets=[*SILVER_ASSETS.values(), *GOLD_ASSETS], pool=WRITERS_POOL)
    def maintain() -> dict[str, Any]:
        """Compact and re-cluster the tables once after all chunks."""
        from pipelines.historical import maintain as maintain_tables

        return maintain_tables(lake_uri=task_lake_uri())

    load_chunk.expand(chunk=plan_chunks()) >> maintain()


market_backfill()
