"""Market-day orchestration: one trading day (`load_day`) or a range in resumable chunks
(`backfill`), each through extract → silver → gold and logged in `meta/load_log`.

A range moves whole per step (one bronze batch, one validation and one write per
dataset), which is what keeps a multi-year load within minutes.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from lake import calendar as trading_calendar
from lake.errors import TickerlakeError
from pipelines.datasets import DATASETS, SPLITS_DATASET, rows_dataset
from pipelines.historical.bronze import extract
from pipelines.historical.gold import build_gold
from pipelines.historical.maintenance import create_missing_tables, maintain
from pipelines.historical.runs import loaded_days, record_run
from pipelines.historical.silver import load_silver
from pipelines.historical.wiring import step_sources
from pipelines.progress import ProgressCallback
from pipelines.sources import Sources


def is_trading_day(day: date) -> bool:
    """True when `day` is an NYSE (XNYS) session."""
    return trading_calendar.is_trading_day(day)


def load_day(day: date, *, lake_uri: str, sources: Sources | None = None) -> dict[str, Any]:
    """Load every dataset for one trading day end to end (bronze → silver → gold) into
    the lake at `lake_uri`.

    On a non-trading day nothing is fetched and `{"day": ..., "skipped": "..."}` comes
    back (the daily DAG checks `is_trading_day` first and skips the run). Raises
    `ValidationFailed` when a dataset's batch is quarantined; datasets loaded before it
    stay loaded, gold is not rebuilt.
    """
    if not is_trading_day(day):
        return {"day": day.isoformat(), "skipped": "not an NYSE trading day"}
    sources = step_sources(sources, lake_uri=lake_uri)
    return load_range("day", day, day, sources, lake_uri=lake_uri, progress=None)


def backfill(
    start: date,
    end: date,
    *,
    lake_uri: str,
    chunk_days: int = 60,
    sources: Sources | None = None,
    progress: ProgressCallback | None = None,
    maintain_after: bool = True,
) -> dict[str, Any]:
    """Load [start, end] into the lake at `lake_uri` in chunks of `chunk_days` calendar
    days, oldest first.

    Resumable: a chunk whose trading days were all loaded before (by a demo, a backfill
    or daily loads, per `meta/load_log`) is skipped, so re-running after a failure
    continues where it stopped. Ends with `maintain()` when anything was loaded and
    `maintain_after` (a DAG that maintains in its own task passes False).
    Returns `{"chunks", "loaded", "skipped", "rows", "skipped_datasets"}` (`skipped`:
    chunks already loaded; `skipped_datasets`: datasets no source serves, with why).
    """
    if end < start:
        raise TickerlakeError(f"start {start} is after end {end}: pass start <= end")
    if chunk_days < 1:
        raise TickerlakeError("chunk_days must be at least 1")
    sources = step_sources(sources, lake_uri=lake_uri)
    chunks = _chunks(start, end, chunk_days)
    done_days = loaded_days(lake_uri=lake_uri)
    summary: dict[str, Any] = {"chunks": len(chunks), "loaded": 0, "skipped": 0, "rows": 0}
    skipped_datasets: dict[str, None] = {}
    for index, (chunk_start, chunk_end) in enumerate(chunks):
        days = trading_calendar.trading_days(chunk_start, chunk_end)
        if not days or set(days) <= done_days:
            summary["skipped"] += 1
        else:
            result = load_range(
                "backfill", chunk_start, chunk_end, sources, lake_uri=lake_uri, progress=None
            )
            summary["loaded"] += 1
            summary["rows"] += result["rows"]
            skipped_datasets.update(dict.fromkeys(result["skipped_datasets"]))
        if progress is not None:
            progress("backfill chunks", index + 1, len(chunks))
    summary["skipped_datasets"] = list(skipped_datasets)
    if summary["loaded"] and maintain_after:
        maintain(lake_uri=lake_uri)
    return summary


def load_range(
    run: str,
    start: date,
    end: date,
    sources: Sources,
    *,
    lake_uri: str,
    progress: ProgressCallback | None,
    full_gold: bool = False,
) -> dict[str, Any]:
    """Load [start, end] end to end: extract every dataset, load each into silver in
    registry order, build gold (in full with `full_gold`), create missing contract
    tables, log the run as `run`. Returns `{"start", "end", "rows", "batch_ids",
    "silver", "gold", "skipped_datasets"}` (`rows`: silver bar rows loaded)."""
    steps = len(DATASETS) * 2 + 1
    label = f"{run}: load {start}..{end}"
    done = 0
    batch_ids: dict[str, str] = {}
    loads: dict[str, Any] = {}
    # Extract everything first, so the bars' validation can see this range's splits.
    for dataset in DATASETS:
        if progress is not None:
            progress(label, done, steps)
        batch_ids[dataset.name] = extract(
            dataset.name, start, end, lake_uri=lake_uri, sources=sources, progress=progress
        )
        done += 1
    for dataset in DATASETS:
        if progress is not None:
            progress(label, done, steps)
        splits_batch_id = batch_ids[SPLITS_DATASET] if dataset.validated_with_load_splits else None
        loads[dataset.name] = load_silver(
            dataset.name,
            batch_ids[dataset.name],
            lake_uri=lake_uri,
            splits_batch_id=splits_batch_id,
        )
        done += 1
    gold = build_gold(start, end, lake_uri=lake_uri, full=full_gold)
    done += 1
    if progress is not None:
        progress(label, done, steps)
    rows = int(loads[rows_dataset().name].get("rows", 0))
    skipped = [load["skipped"] for load in loads.values() if "skipped" in load]
    create_missing_tables(lake_uri=lake_uri)
    record_run(run, start, end, batch_ids, rows, lake_uri=lake_uri)
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "rows": rows,
        "batch_ids": batch_ids,
        "silver": {name: _small(result) for name, result in loads.items()},
        "gold": gold,
        "skipped_datasets": skipped,
    }


def _small(result: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in result.items() if k != "batch_id"}


def _chunks(start: date, end: date, chunk_days: int) -> list[tuple[date, date]]:
    chunks = []
    cursor = start
    while cursor <= end:
        last = min(cursor + timedelta(days=chunk_days - 1), end)
        chunks.append((cursor, last))
        cursor = last + timedelta(days=1)
    return chunks
