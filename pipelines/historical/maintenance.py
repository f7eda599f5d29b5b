"""Maintenance: compact and re-sort the lake's tables, vacuum old files, and create the
contract tables no load has written yet."""

from __future__ import annotations

from typing import Any

from lake import tables
from lake.errors import TickerlakeError
from lake.schemas import (
    ADJUSTED_BARS,
    DAILY_RETURNS,
    EARNINGS_REACTIONS,
    GOLD_TABLES,
    INDICATOR_RECONCILIATION,
    LOAD_LOG,
    SILVER_TABLES,
    VALIDATION_RESULTS,
    TableContract,
)
from pipelines.datasets import DATASETS
from pipelines.historical.bronze import bronze_contracts

# How maintenance re-sorts each big table: one ticker's history (or, for returns, one
# day's cross-section) in one file and one or two row groups. Silver tables take theirs
# from the dataset registry (`Dataset.sorted_by`).
GOLD_LAYOUT: dict[str, tuple[str, ...]] = {
    ADJUSTED_BARS.path: ("ticker", "date"),
    EARNINGS_REACTIONS.path: ("ticker", "report_date", "day"),
    DAILY_RETURNS.path: ("date", "ticker"),
}
# Appended to once per load, validation or reconciliation run: many small files,
# compacted like the rest (never re-sorted).
LOG_TABLES: tuple[TableContract, ...] = (VALIDATION_RESULTS, INDICATOR_RECONCILIATION, LOAD_LOG)


def sorted_layout() -> dict[str, tuple[str, ...]]:
    """Return the sort columns per table path for every table maintenance re-sorts."""
    silver = {
        dataset.contract.path: dataset.sorted_by
        for dataset in DATASETS
        if dataset.sorted_by is not None
    }
    return {**silver, **GOLD_LAYOUT}


def maintain(
    *,
    lake_uri: str,
    zorder: bool = True,
    retention_hours: int = tables.MIN_RETENTION_HOURS,
    force: bool = False,
) -> dict[str, Any]:
    """Compact every silver and gold table of the lake at `lake_uri` and the quality and
    load logs, re-sort the big tables, vacuum old files.

    `daily_bars`, `adjusted_bars` and `earnings_reactions` are rewritten sorted by
    ticker and date (one ticker's history then sits in one file and one or two row
    groups), `daily_returns` by date (one day's cross-section likewise); with
    `zorder=False` tables are only compacted. Safe beside loads: each table's rewrite
    commits against the version it read (lake/tables.py), so a day a load commits
    meanwhile is kept. Files no longer referenced by versions newer than
    `retention_hours` (at least 168, 7 days, unless `force=True`) are deleted, bronze
    included. Returns per-table counts of files added, removed and vacuumed.
    """
    if retention_hours < tables.MIN_RETENTION_HOURS and not force:
        raise TickerlakeError(
            f"maintain keeps at least {tables.MIN_RETENTION_HOURS} hours (7 days) of old "
            f"table versions; --retention-hours {retention_hours} needs --force, and only "
            "when nothing else reads or writes the lake"
        )
    layout = sorted_layout()
    summary: dict[str, Any] = {}
    for contract in (*SILVER_TABLES, *GOLD_TABLES, *LOG_TABLES):
        sort_by = layout.get(contract.path) if zorder else None
        metrics = tables.optimize(contract, sort_by=sort_by, lake_uri=lake_uri)
        deleted = tables.vacuum(
            contract, retention_hours=retention_hours, force=force, lake_uri=lake_uri
        )
        summary[contract.path] = {
            "files_added": metrics.get("numFilesAdded", 0),
            "files_removed": metrics.get("numFilesRemoved", 0),
            "vacuumed": len(deleted),
        }
    for contract in bronze_contracts():
        deleted = tables.vacuum(
            contract, retention_hours=retention_hours, force=force, lake_uri=lake_uri
        )
        summary[contract.path] = {"vacuumed": len(deleted)}
    return summary


def contract_tables() -> tuple[TableContract, ...]:
    """Every table a built lake holds: bronze per dataset, silver, gold, the quality logs
    and the load log. (`meta/synthetic_market` is not among them: it exists only in a
    lake built from the synthetic market, and marks one.)"""
    return (*bronze_contracts(), *SILVER_TABLES, *GOLD_TABLES, *LOG_TABLES)


def create_missing_tables(*, lake_uri: str) -> list[str]:
    """Create, empty and with its contract's schema, every contract table the loads left
    unwritten in the lake at `lake_uri` (a market without a split in the range leaves no
    `splits` table), so every engine reading the lake finds each table. Returns the
    paths created."""
    return [
        contract.path
        for contract in contract_tables()
        if tables.create_empty(contract, lake_uri=lake_uri)
    ]
