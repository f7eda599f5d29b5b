"""The load log (`meta/load_log`): one row per finished load, so a backfill resumes
where it stopped."""

from __future__ import annotations

from datetime import UTC, date, datetime

import orjson
import polars as pl

from lake import calendar as trading_calendar
from lake import tables
from lake.schemas import LOAD_LOG


def record_run(
    run: str, start: date, end: date, batch_ids: dict[str, str], rows: int, *, lake_uri: str
) -> None:
    """Append a finished load of [start, end] to the load log: `run` (demo | backfill |
    day), its bronze batch id per dataset and its silver bar rows."""
    tables.write(
        LOAD_LOG,
        pl.DataFrame(
            {
                "run": [run],
                "start": [start],
                "end": [end],
                "batch_ids": [orjson.dumps(batch_ids).decode()],
                "rows": [rows],
                "finished_at": [datetime.now(UTC)],
            }
        ),
        mode="append",
        lake_uri=lake_uri,
    )


def loaded_days(*, lake_uri: str) -> set[date]:
    """Return every trading day a logged load covered (empty for a lake never loaded)."""
    if not tables.exists(LOAD_LOG, lake_uri=lake_uri):
        return set()
    days: set[date] = set()
    logged = tables.read(LOAD_LOG, columns=["start", "end"], lake_uri=lake_uri)
    for row in logged.iter_rows(named=True):
        days.update(trading_calendar.trading_days(row["start"], row["end"]))
    return days
