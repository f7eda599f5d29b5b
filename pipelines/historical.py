"""The historical steps: extract → bronze, validate → silver, transform → gold, maintain.

Plain functions that run the same from Airflow, the CLI and tests. Steps hand data to
each other through the lake (a bronze batch id, never a local file or a large XCom)
and return small JSON-able dicts.

- `extract` fetches one dataset for a date range and appends it to `bronze/<dataset>`
  as received (the provider's wire columns) plus `_batch_id`, `_source`, `_loaded_at`
  and `_dataset`. A dataset no source serves (its provider's key is not set, see
  `pipelines.sources.get_sources`) is skipped with a note, never faked.
- `load_silver` turns one bronze batch into its silver contract (every row's `source`
  is the batch's `_source`), validates it
  (`expectations.validate_or_quarantine`: a failing batch goes to quarantine and
  raises `ValidationFailed`, so nothing of it reaches silver) and MERGEs it on the key.
- `build_gold` derives split-adjusted bars, monthly segments and the marts.
- `maintain` compacts and re-clusters files and vacuums old versions.
- `load_day`, `backfill` and `build_demo` chain the steps. They move whole ranges per
  step (one bronze batch, one validation and one write per dataset), which is what
  keeps the 2,500-ticker × 4-year demo within minutes.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import orjson
import polars as pl

from lake import tables
from lake.adjustment import adjusted_bars
from lake.errors import TickerlakeError
from lake.marts import REACTION_DAYS, daily_returns, earnings_reactions
from lake.schemas import (
    ADJUSTED_BARS,
    DAILY_BARS,
    DAILY_RETURNS,
    EARNINGS,
    EARNINGS_REACTIONS,
    GOLD_TABLES,
    GRADES,
    INDICATOR_RECONCILIATION,
    NEWS,
    SEGMENTS,
    SILVER_TABLES,
    SOURCE_COLUMN,
    SPLITS,
    TICKERS,
    TableContract,
)
from lake.segmentation import segments
from lake.storage import lake_root
from pipelines.progress import ProgressCallback
from pipelines.sources import Sources, SyntheticMarketConfig, get_sources, transforms, wire
from pipelines.sources import calendar as trading_calendar
from pipelines.sources.base import UNTRADED_SHARE_BY_SOURCE
from pipelines.ticker_schedule import ticker_details_due

if TYPE_CHECKING:
    from deltalake import DeltaTable

DATASETS = ("tickers", "daily_bars", "splits", "earnings", "grades", "news")

SILVER: dict[str, TableContract] = {
    "tickers": TICKERS,
    "daily_bars": DAILY_BARS,
    "splits": SPLITS,
    "earnings": EARNINGS,
    "grades": GRADES,
    "news": NEWS,
}
_WIRE_SCHEMAS: dict[str, pl.Schema] = {
    "tickers": wire.TICKER_DETAILS,
    "daily_bars": wire.GROUPED_DAILY,
    "splits": wire.SPLITS,
    "earnings": wire.EARNINGS_CALENDAR,
    "grades": wire.GRADES,
    "news": wire.NEWS,
}
_TRANSFORMS: dict[str, Callable[..., pl.DataFrame]] = {
    "tickers": transforms.tickers_frame,
    "daily_bars": transforms.daily_bars_frame,
    "splits": transforms.splits_frame,
    "earnings": transforms.earnings_frame,
    "grades": transforms.grades_frame,
    "news": transforms.news_frame,
}
# Which source role serves each dataset (see `pipelines.sources.Sources`).
ROLES: dict[str, str] = {
    "tickers": "bars",
    "daily_bars": "bars",
    "splits": "bars",
    "news": "bars",
    "earnings": "earnings",
    "grades": "grades",
}
# What `extract` returns for a dataset no source serves, followed by the reason; the
# DAG hands it to `load_silver` like a batch id, which then reports the skip.
SKIPPED_BATCH = "skipped: "
BRONZE_METADATA = pl.Schema(
    {
        "_batch_id": pl.String,
        "_source": pl.String,
        "_loaded_at": pl.Datetime("ms", "UTC"),
        "_dataset": pl.String,
    }
)
# FMP's free tier covers about a hundred large symbols: grades are fetched for the
# largest tickers by market cap.
GRADED_TICKERS = 100
DEMO_SOURCE = "synthetic"

log = logging.getLogger(__name__)

# What has been loaded, so a backfill resumes where it stopped.
LOAD_LOG = TableContract(
    name="load_log",
    layer="meta",
    key=("run", "start", "end", "finished_at"),
    schema=pl.Schema(
        {
            "run": pl.String,  # demo | backfill | day
            "start": pl.Date,
            "end": pl.Date,
            "batch_ids": pl.String,  # JSON object dataset -> batch id
            "rows": pl.Int64,  # silver daily_bars rows in the batch
            "finished_at": pl.Datetime("ms", "UTC"),
        }
    ),
)
# The synthetic market the demo was built from, so later loads extend the same market.
SYNTHETIC_MARKET = TableContract(
    name="synthetic_market",
    layer="meta",
    key=("seed",),
    schema=pl.Schema({"seed": pl.Int64, "n_tickers": pl.Int64, "start": pl.Date, "end": pl.Date}),
)


def bronze_contract(dataset: str) -> TableContract:
    """Return the contract of `bronze/<dataset>`: the wire columns plus load metadata.

    Delta column names are case-insensitive, so a wire name that clashes with another
    in all but case (Polygon's `T` ticker next to its `t` timestamp) is stored with the
    suffix `_uc` (`T_uc`); `bronze_to_wire` undoes it.
    """
    _check_dataset(dataset)
    schema = {_bronze_name(name, dataset): dtype for name, dtype in _WIRE_SCHEMAS[dataset].items()}
    return TableContract(
        name=dataset,
        layer="bronze",
        key=("_batch_id",),
        schema=pl.Schema({**schema, **BRONZE_METADATA}),
    )


def bronze_to_wire(dataset: str, bronze: pl.DataFrame) -> pl.DataFrame:
    """Return bronze rows as the provider's wire frame (metadata dropped, names restored)."""
    names = {_bronze_name(name, dataset): name for name in _WIRE_SCHEMAS[dataset].names()}
    return bronze.select([pl.col(stored).alias(wire_name) for stored, wire_name in names.items()])


def _bronze_name(name: str, dataset: str) -> str:
    lower = [other.lower() for other in _WIRE_SCHEMAS[dataset].names() if other != name]
    return f"{name}_uc" if name.lower() in lower and name != name.lower() else name


def is_trading_day(day: date) -> bool:
    """True when `day` is an NYSE (XNYS) session."""
    return trading_calendar.is_trading_day(day)


# --- steps -------------------------------------------------------------------------


def extract(
    dataset: str,
    start: date,
    end: date,
    *,
    sources: Sources | None = None,
    progress: ProgressCallback | None = None,
) -> str:
    """Fetch `dataset` for [start, end] and append it to `bronze/<dataset>` as received.

    Returns the batch id that `load_silver` takes. `tickers` is a snapshot as of `end`;
    `grades` covers the largest `GRADED_TICKERS` tickers by market cap. When no source
    serves the dataset, nothing is fetched or written, a warning is logged and the
    returned id is `SKIPPED_BATCH` + the reason (e.g. `skipped: earnings: FINNHUB_API_KEY
    not set`), which `load_silver` reports as skipped.
    """
    _check_dataset(dataset)
    if end < start:
        raise TickerlakeError(f"start {start} is after end {end}: pass start <= end")
    sources = _sources(sources)
    reason = skip_reason(dataset, sources)
    if reason is not None:
        log.warning("skipped %s", reason)
        return SKIPPED_BATCH + reason
    frame, source_name = _fetch(dataset, start, end, sources, progress)
    batch_id = f"{dataset}-{start:%Y%m%d}-{end:%Y%m%d}-{uuid.uuid4().hex[:10]}"
    stored = frame.rename(
        {
            name: _bronze_name(name, dataset)
            for name in frame.columns
            if name in _WIRE_SCHEMAS[dataset]
        }
    )
    tagged = stored.with_columns(
        pl.lit(batch_id).alias("_batch_id"),
        pl.lit(source_name).alias("_source"),
        pl.lit(datetime.now(UTC)).cast(pl.Datetime("ms", "UTC")).alias("_loaded_at"),
        pl.lit(dataset).alias("_dataset"),
    )
    if not tagged.is_empty():
        tables.write(bronze_contract(dataset), tagged, mode="append")
    return batch_id


def skip_reason(dataset: str, sources: Sources) -> str | None:
    """Return why `dataset` cannot be extracted from `sources` (`"<dataset>: <KEY> not
    set"`), or None when a source serves it."""
    missing = sources.missing(ROLES[dataset])
    return None if missing is None else f"{dataset}: {missing}"


def load_silver(
    dataset: str, batch_id: str, *, splits_batch_id: str | None = None
) -> dict[str, Any]:
    """Transform bronze batch `batch_id`, validate it and MERGE it into its silver table.

    Every row's `source` is the one bronze recorded for the batch. A skipped batch
    (`extract` returned `SKIPPED_BATCH` + reason) loads nothing and returns
    `{"dataset", "batch_id", "rows": 0, "committed": False, "skipped": reason}`.

    For `daily_bars`, `splits_batch_id` names the splits batch extracted for the same
    range: its splits join the validation context, so a price jump on a split day that
    silver does not know yet is not flagged as a move without a split. Returns `{"dataset", "batch_id", "rows", "inserted", "updated", "unchanged",
    "version", "committed"}`. Raises `ValidationFailed` (after quarantining the batch)
    when it fails its expectations; silver is then left untouched.
    """
    from expectations import validate_or_quarantine
    from expectations.lake_context import lake_context

    _check_dataset(dataset)
    contract = SILVER[dataset]
    if batch_id.startswith(SKIPPED_BATCH):
        reason = batch_id.removeprefix(SKIPPED_BATCH)
        log.warning("skipped %s", reason)
        return {
            "dataset": dataset,
            "batch_id": batch_id,
            "rows": 0,
            "committed": False,
            "skipped": reason,
        }
    frame = _silver_batch(dataset, batch_id)
    if frame.is_empty():
        return {"dataset": dataset, "batch_id": batch_id, "rows": 0, "committed": False}
    upgrade_lineage()
    # The gate's context comes from silver (calendar, expected tickers, previous
    # closes, splits), plus this load's own splits when given.
    context = lake_context(contract, frame)
    if dataset == "daily_bars":
        source = _batch_source(dataset, batch_id)
        context = replace(context, max_untraded_share=UNTRADED_SHARE_BY_SOURCE.get(source))
    if dataset == "daily_bars" and splits_batch_id is not None:
        fresh = _silver_batch("splits", splits_batch_id).select(context.splits.columns)
        context = replace(context, splits=pl.concat([context.splits, fresh]).unique())
    validate_or_quarantine(contract, frame, batch_id=batch_id, context=context)
    result = tables.merge_upsert(contract, frame)
    return {"dataset": dataset, "batch_id": batch_id, "rows": frame.height, **result.as_dict()}


def build_gold(start: date, end: date, *, full: bool = False) -> dict[str, Any]:
    """Derive the gold tables for silver data dated in [start, end].

    - `adjusted_bars`: the range's bars, plus the whole history of every ticker with a
      split executed in the range (a split changes all earlier adjusted prices);
    - `daily_returns`: the same rows with % change versus the previous close;
    - `segments`: every month touching the range;
    - `earnings_reactions`: reports whose 10-day window overlaps the range.

    With `full=True` (or when gold is empty) every gold table is rebuilt from all of
    silver in one write each. Returns row counts per table.
    """
    upgrade_lineage()
    if full or not tables.exists(ADJUSTED_BARS):
        return _build_gold_full()
    splits = _known_splits()
    resplit = (
        splits.filter(pl.col("execution_date").is_between(start, end))["ticker"].unique().to_list()
    )
    new_bars = tables.read(
        DAILY_BARS,
        filters=[
            pl.col("year").is_between(start.year, end.year),
            pl.col("date").is_between(pl.lit(start), pl.lit(end)),
        ],
    )
    if resplit:
        history = tables.read(
            DAILY_BARS,
            filters=pl.col("ticker").is_in(pl.Series(resplit, dtype=pl.String).implode()),
        )
        new_bars = pl.concat(
            [
                new_bars.filter(
                    ~pl.col("ticker").is_in(pl.Series(resplit, dtype=pl.String).implode())
                ),
                history,
            ]
        )
    adjusted = adjusted_bars(new_bars, splits)
    result: dict[str, Any] = {
        "adjusted_bars": tables.merge_upsert(ADJUSTED_BARS, adjusted).as_dict()
    }

    # Returns need each ticker's previous close: read a few days of look-back.
    lookback = tables.read(
        ADJUSTED_BARS,
        filters=pl.col("date").is_between(pl.lit(start - timedelta(days=10)), pl.lit(end)),
        columns=["ticker", "date", "close", "volume", SOURCE_COLUMN],
    )
    returns_source = pl.concat(
        [
            lookback.filter(~pl.col("ticker").is_in(pl.Series(resplit, dtype=pl.String).implode())),
            adjusted.select("ticker", "date", "close", "volume", SOURCE_COLUMN),
        ]
    ).unique(subset=["ticker", "date"], keep="last")
    returns = daily_returns(returns_source).filter(
        (pl.col("date") >= start)
        | pl.col("ticker").is_in(pl.Series(resplit, dtype=pl.String).implode())
    )
    result["daily_returns"] = tables.merge_upsert(DAILY_RETURNS, returns).as_dict()

    month_start = start.replace(day=1)
    month_bars = tables.read(
        DAILY_RETURNS,
        filters=pl.col("date").is_between(pl.lit(month_start), pl.lit(_month_end(end))),
        columns=["ticker", "date", "close", "volume", SOURCE_COLUMN],
    )
    result["segments"] = tables.merge_upsert(
        SEGMENTS, segments(month_bars, _tickers_or_empty())
    ).as_dict()

    # A report's 10 trading days span at most ~3 calendar weeks.
    window_start = start - timedelta(days=3 * REACTION_DAYS)
    if tables.exists(EARNINGS):
        reports = tables.read(
            EARNINGS,
            filters=(pl.col("report_date").is_between(pl.lit(window_start), pl.lit(end)))
            | pl.col("ticker").is_in(pl.Series(resplit, dtype=pl.String).implode()),
        )
        window_bars = tables.read(
            DAILY_RETURNS,
            filters=pl.col("date") >= pl.lit(window_start - timedelta(days=10)),
            columns=["ticker", "date", "close"],
        )
        if resplit:
            window_bars = pl.concat(
                [
                    window_bars.filter(
                        ~pl.col("ticker").is_in(pl.Series(resplit, dtype=pl.String).implode())
                    ),
                    adjusted.filter(
                        pl.col("ticker").is_in(pl.Series(resplit, dtype=pl.String).implode())
                    ).select("ticker", "date", "close"),
                ]
            )
        result["earnings_reactions"] = tables.merge_upsert(
            EARNINGS_REACTIONS, earnings_reactions(reports, window_bars)
        ).as_dict()
    result["resplit_tickers"] = len(resplit)
    return result


def maintain(
    *, zorder: bool = True, retention_hours: int = tables.MIN_RETENTION_HOURS, force: bool = False
) -> dict[str, Any]:
    """Compact every silver and gold table and the quality and load logs, re-sort the
    big tables, vacuum old files.

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
    layout = {
        DAILY_BARS.path: ("ticker", "date"),
        ADJUSTED_BARS.path: ("ticker", "date"),
        EARNINGS_REACTIONS.path: ("ticker", "report_date", "day"),
        DAILY_RETURNS.path: ("date", "ticker"),
    }
    from expectations.quarantine import VALIDATION_RESULTS

    # Appended to once per load, validation or reconciliation run: many small files,
    # compacted like the rest (never re-sorted).
    logs = (VALIDATION_RESULTS, INDICATOR_RECONCILIATION, LOAD_LOG)
    summary: dict[str, Any] = {}
    for contract in (*SILVER_TABLES, *GOLD_TABLES, *logs):
        metrics = tables.optimize(contract, sort_by=layout.get(contract.path) if zorder else None)
        deleted = tables.vacuum(contract, retention_hours=retention_hours, force=force)
        summary[contract.path] = {
            "files_added": metrics.get("numFilesAdded", 0),
            "files_removed": metrics.get("numFilesRemoved", 0),
            "vacuumed": len(deleted),
        }
    for dataset in DATASETS:
        contract = bronze_contract(dataset)
        summary[contract.path] = {
            "vacuumed": len(tables.vacuum(contract, retention_hours=retention_hours, force=force))
        }
    return summary


def contract_tables() -> tuple[TableContract, ...]:
    """Every table a built lake holds: bronze per dataset, silver, gold, the quality logs
    and the load log. (`meta/synthetic_market` is not among them: it exists only in a
    lake built from the synthetic market, and marks one.)"""
    from expectations.quarantine import VALIDATION_RESULTS

    return (
        *(bronze_contract(dataset) for dataset in DATASETS),
        *SILVER_TABLES,
        *GOLD_TABLES,
        VALIDATION_RESULTS,
        INDICATOR_RECONCILIATION,
        LOAD_LOG,
    )


def create_missing_tables() -> list[str]:
    """Create, empty and with its contract's schema, every contract table the loads left
    unwritten (a market without a split in the range leaves no `splits` table), so every
    engine reading the lake finds each table. Returns the paths created."""
    return [contract.path for contract in contract_tables() if tables.create_empty(contract)]


def load_day(day: date, *, sources: Sources | None = None) -> dict[str, Any]:
    """Load every dataset for one trading day end to end (bronze → silver → gold).

    On a non-trading day nothing is fetched and `{"day": ..., "skipped": "..."}` comes
    back (the daily DAG checks `is_trading_day` first and skips the run). Raises
    `ValidationFailed` when a dataset's batch is quarantined; datasets loaded before it
    stay loaded, gold is not rebuilt.
    """
    if not is_trading_day(day):
        return {"day": day.isoformat(), "skipped": "not an NYSE trading day"}
    return _load_range("day", day, day, _sources(sources), progress=None)


def backfill(
    start: date,
    end: date,
    *,
    chunk_days: int = 60,
    sources: Sources | None = None,
    progress: ProgressCallback | None = None,
    maintain_after: bool = True,
) -> dict[str, Any]:
    """Load [start, end] in chunks of `chunk_days` calendar days, oldest first.

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
    sources = _sources(sources)
    chunks = _chunks(start, end, chunk_days)
    loaded_days = _loaded_days()
    summary: dict[str, Any] = {"chunks": len(chunks), "loaded": 0, "skipped": 0, "rows": 0}
    skipped_datasets: dict[str, None] = {}
    for index, (chunk_start, chunk_end) in enumerate(chunks):
        days = trading_calendar.trading_days(chunk_start, chunk_end)
        if not days or set(days) <= loaded_days:
            summary["skipped"] += 1
        else:
            result = _load_range("backfill", chunk_start, chunk_end, sources, progress=None)
            summary["loaded"] += 1
            summary["rows"] += result["rows"]
            skipped_datasets.update(dict.fromkeys(result["skipped_datasets"]))
        if progress is not None:
            progress("backfill chunks", index + 1, len(chunks))
    summary["skipped_datasets"] = list(skipped_datasets)
    if summary["loaded"] and maintain_after:
        maintain()
    return summary


def build_demo(
    *,
    n_tickers: int = 2500,
    years: int = 4,
    seed: int = 7,
    reconciled_sessions: int = 5,
    progress: ProgressCallback | None = None,
    force: bool = False,
) -> dict[str, Any]:
    """Build the demo lake from the synthetic market through the same steps as a load.

    Refuses (`TickerlakeError`, nothing written) when the lake holds other data (see
    `other_data`) unless `force`; with `force` the synthetic rows are merged in beside
    it, replacing any row with the same key, and every row keeps saying its source.

    `years` of NYSE trading days ending at the last completed session, `n_tickers`
    tickers, deterministic for `seed`. Each dataset is extracted, validated and written
    once for the whole range, gold is built in one pass, then tables are compacted and
    old files vacuumed; the indicator reconciliation runs for the last
    `reconciled_sessions` sessions, as the daily DAG would have. The market's identity is recorded in the lake, so later
    `load_day`/`backfill` calls extend the same synthetic market. Returns
    `{"start", "end", "tickers", "bars", "seconds", ...}`.
    """
    from pipelines.sources.synthetic import SyntheticMarket

    upgrade_lineage()  # a demo lake from before lineage is still a demo lake
    if not force:
        refuse_other_data()
    started = datetime.now(UTC)
    end = trading_calendar.last_completed_session()
    start = trading_calendar.trading_days(
        end - timedelta(days=round(years * 365.25)) + timedelta(days=1), end
    )[0]
    config = SyntheticMarketConfig(seed=seed, n_tickers=n_tickers, start=start, end=end)
    market = SyntheticMarket(config)
    sources = Sources(bars=market, earnings=market, grades=market)
    tables.write(
        SYNTHETIC_MARKET,
        pl.DataFrame({"seed": [seed], "n_tickers": [n_tickers], "start": [start], "end": [end]}),
        mode="overwrite",
    )
    result = _load_range("demo", start, end, sources, progress=progress, full_gold=True)
    _reconcile_recent(end, reconciled_sessions, sources, progress)
    if progress is not None:
        progress("maintain", 0, 1)
    # Forced: the demo is written into an empty lake (or one the user chose to overwrite),
    # so no other reader or writer can hold an older snapshot of these versions.
    maintain(zorder=False, retention_hours=0, force=True)
    if progress is not None:
        progress("maintain", 1, 1)
    result.update(
        tickers=n_tickers,
        bars=result["rows"],
        seconds=round((datetime.now(UTC) - started).total_seconds(), 1),
    )
    return result


def _reconcile_recent(
    end: date, sessions: int, sources: Sources, progress: ProgressCallback | None
) -> None:
    """Run the daily DAG's indicator reconciliation for the last few sessions, so a demo
    lake's Data quality page shows agreement over time, as a loaded lake's would (against
    TA-Lib only: the synthetic tickers have no provider indicators)."""
    from pipelines.reconciliation import reconcile_indicators

    if sessions <= 0:
        return
    days = trading_calendar.trading_days(end - timedelta(days=2 * sessions + 7), end)[-sessions:]
    for done, day in enumerate(days):
        if progress is not None:
            progress("reconcile indicators", done, len(days))
        reconcile_indicators(as_of=day, sources=sources)
    if progress is not None:
        progress("reconcile indicators", len(days), len(days))


def refuse_other_data() -> None:
    """Raise `TickerlakeError` (one line: what was found, how to proceed) when the lake
    holds data other than the synthetic demo (see `other_data`)."""
    found = other_data()
    if found is not None:
        raise TickerlakeError(
            f"the lake at {lake_root()} holds data that is not the synthetic demo "
            f"({found}); the demo would mix synthetic rows into it. Point LAKE_URI at an "
            "empty folder, or run `tickerlake demo --force` to write the demo anyway"
        )


def other_data() -> str | None:
    """Say what in the lake is not the synthetic demo, or return None when nothing is.

    "Other data" is any row of a bronze, silver or gold table whose source is not
    `synthetic` (bronze `_source`, silver and gold `source`); a row without one (a
    table written before lineage was recorded) counts as other. Decided from the Delta
    files' min/max/null-count statistics, so no data file is read. An empty lake, or
    one that holds only a demo, is not other data. Returns e.g.
    `"silver/daily_bars has rows from massive"`.
    """
    bronze = [(bronze_contract(dataset), "_source") for dataset in DATASETS]
    lineage = [(contract, SOURCE_COLUMN) for contract in (*SILVER_TABLES, *GOLD_TABLES)]
    for contract, column in (*lineage, *bronze):
        names = _sources_seen(contract, column)
        if None in names:
            return f"{contract.path} has rows that do not say their source"
        if names - {DEMO_SOURCE}:
            return f"{contract.path} has rows from {', '.join(sorted(names - {DEMO_SOURCE}))}"
    return None


def upgrade_lineage() -> list[str]:
    """Add the `source` column to silver and gold tables written before lineage was
    recorded; returns the paths of the tables upgraded (empty when none needed it).

    Their rows get `synthetic` when every bronze batch the lake ever loaded came from
    the synthetic market (silver is only ever written from bronze, so nothing else can
    be in it), and stay null (unknown) otherwise: a row is never labelled real or
    synthetic on a guess. Costs one metadata read per table when nothing is to do.
    """
    from deltalake.schema import Field, PrimitiveType

    upgraded = []
    for contract in (*SILVER_TABLES, *GOLD_TABLES):
        if not tables.exists(contract):
            continue
        # The cached handle answers the common case (nothing to do) without IO.
        if _has_lineage(tables.open_table(contract)):
            continue
        table = tables.open_table(contract, fresh=True)
        if _has_lineage(table):
            continue
        table.alter.add_columns([Field(SOURCE_COLUMN, PrimitiveType("string"), nullable=True)])
        if _bronze_all_synthetic():
            tables.open_table(contract, fresh=True).update(
                updates={SOURCE_COLUMN: f"'{DEMO_SOURCE}'"}, predicate=f"{SOURCE_COLUMN} IS NULL"
            )
        tables.open_table(contract, fresh=True)
        log.warning("added the source column to %s", contract.path)
        upgraded.append(contract.path)
    return upgraded


def _has_lineage(table: DeltaTable) -> bool:
    return SOURCE_COLUMN in {field.name for field in table.schema().fields}


def _bronze_all_synthetic() -> bool:
    seen: set[str | None] = set()
    for dataset in DATASETS:
        seen |= _sources_seen(bronze_contract(dataset), "_source")
    return seen == {DEMO_SOURCE}


def _sources_seen(contract: TableContract, column: str) -> set[str | None]:
    """Return the source names the table's file statistics show for `column` (None for
    rows without one, or a table without the column); empty for a missing or empty table.
    Statistics give each file's min and max, which name every source of a file holding
    one or two, and at least two of a file holding more."""
    if not tables.exists(contract):
        return set()
    stats = tables.file_stats(contract)
    if stats.is_empty() or stats["num_records"].sum() == 0:
        return set()
    low, high, nulls = f"min.{column}", f"max.{column}", f"null_count.{column}"
    if low not in stats.columns:
        return {None}
    names: set[str | None] = set(stats[low].to_list()) | set(stats[high].to_list())
    if stats[nulls].fill_null(1).sum() > 0:
        names.add(None)
    return names


def synthetic_config() -> SyntheticMarketConfig | None:
    """Return the synthetic market the demo lake was built from, or None."""
    if not tables.exists(SYNTHETIC_MARKET):
        return None
    row = tables.read(SYNTHETIC_MARKET).row(0, named=True)
    return SyntheticMarketConfig(
        seed=row["seed"], n_tickers=row["n_tickers"], start=row["start"], end=row["end"]
    )


# --- internals ---------------------------------------------------------------------


def _silver_batch(dataset: str, batch_id: str) -> pl.DataFrame:
    """Return bronze batch `batch_id` transformed to its silver contract (maybe empty)."""
    bronze = bronze_contract(dataset)
    if tables.exists(bronze) and not batch_id.startswith(SKIPPED_BATCH):
        raw = tables.read(bronze, filters=pl.col("_batch_id") == pl.lit(batch_id))
    else:
        raw = pl.DataFrame(schema=bronze.schema)
    # One batch comes from one source (see `extract`); an empty batch stamps no row.
    source = raw["_source"][0] if raw.height else DEMO_SOURCE
    return _TRANSFORMS[dataset](bronze_to_wire(dataset, raw), source=source)


def _batch_source(dataset: str, batch_id: str) -> str | None:
    """Return the `_source` bronze recorded for batch `batch_id` (None when unknown)."""
    bronze = bronze_contract(dataset)
    if not tables.exists(bronze):
        return None
    names = tables.read(
        bronze, filters=pl.col("_batch_id") == pl.lit(batch_id), columns=["_source"]
    )["_source"]
    return names[0] if names.len() else None


def _check_dataset(dataset: str) -> None:
    if dataset not in DATASETS:
        raise TickerlakeError(f"unknown dataset {dataset!r}: pick one of {', '.join(DATASETS)}")


def _sources(sources: Sources | None) -> Sources:
    if sources is not None:
        return sources
    return get_sources(synthetic=synthetic_config())


def _fetch(
    dataset: str,
    start: date,
    end: date,
    sources: Sources,
    progress: ProgressCallback | None,
) -> tuple[pl.DataFrame, str]:
    """Return the dataset's wire frame and the name of the source that served it (the
    caller has checked `skip_reason`: the dataset's role has a source)."""
    if dataset == "grades":
        assert sources.grades is not None
        tickers = _graded_tickers(sources, end)
        return sources.grades.grades(tickers, start, end), sources.grades.name
    if dataset == "earnings":
        assert sources.earnings is not None
        return sources.earnings.earnings_calendar(start, end), sources.earnings.name
    assert sources.bars is not None
    if dataset == "daily_bars":
        report = None
        if progress is not None:

            def report(done: int, total: int) -> None:
                progress("fetch daily bars", done, total)

        return sources.bars.grouped_daily(start, end, progress=report), sources.bars.name
    if dataset == "tickers":
        if not ticker_details_due(bronze_contract("tickers"), sources.bars.name):
            return pl.DataFrame(schema=wire.TICKER_DETAILS), sources.bars.name
        return sources.bars.ticker_details(end), sources.bars.name
    if dataset == "splits":
        return sources.bars.splits(start, end), sources.bars.name
    return sources.bars.news(start, end), sources.bars.name


def _graded_tickers(sources: Sources, as_of: date) -> list[str]:
    if tables.exists(TICKERS):
        frame = tables.read(TICKERS, columns=["ticker", "market_cap"])
    elif sources.bars is not None:
        frame = transforms.tickers_frame(
            sources.bars.ticker_details(as_of), source=sources.bars.name
        )
    else:
        return []  # no tickers known yet, and no bars source to ask
    return (
        frame.sort("market_cap", descending=True, nulls_last=True)
        .head(GRADED_TICKERS)["ticker"]
        .to_list()
    )


def _load_range(
    run: str,
    start: date,
    end: date,
    sources: Sources,
    *,
    progress: ProgressCallback | None,
    full_gold: bool = False,
) -> dict[str, Any]:
    steps = len(DATASETS) * 2 + 1
    done = 0
    batch_ids: dict[str, str] = {}
    loads: dict[str, Any] = {}
    # Extract everything first, so the bars' validation can see this range's splits.
    for dataset in DATASETS:
        if progress is not None:
            progress(f"{run}: load {start}..{end}", done, steps)
        batch_ids[dataset] = extract(dataset, start, end, sources=sources, progress=progress)
        done += 1
    for dataset in DATASETS:
        if progress is not None:
            progress(f"{run}: load {start}..{end}", done, steps)
        extra = {"splits_batch_id": batch_ids["splits"]} if dataset == "daily_bars" else {}
        loads[dataset] = load_silver(dataset, batch_ids[dataset], **extra)
        done += 1
    gold = build_gold(start, end, full=full_gold)
    done += 1
    if progress is not None:
        progress(f"{run}: load {start}..{end}", done, steps)
    rows = int(loads["daily_bars"].get("rows", 0))
    skipped = [load["skipped"] for load in loads.values() if "skipped" in load]
    create_missing_tables()
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
    )
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


def _build_gold_full() -> dict[str, Any]:
    bars = tables.read(DAILY_BARS)
    adjusted = adjusted_bars(bars, _known_splits())
    tables.write(ADJUSTED_BARS, adjusted, mode="overwrite")  # sorted by (ticker, date)
    returns = daily_returns(adjusted)
    tables.write(DAILY_RETURNS, returns, mode="overwrite")  # sorted by (date, ticker)
    segs = segments(adjusted, _tickers_or_empty())
    tables.write(SEGMENTS, segs, mode="overwrite", sort_by=("month", "ticker"))
    result = {
        "adjusted_bars": adjusted.height,
        "daily_returns": returns.height,
        "segments": segs.height,
    }
    if tables.exists(EARNINGS):
        reactions = earnings_reactions(tables.read(EARNINGS), adjusted)
        tables.write(
            EARNINGS_REACTIONS,
            reactions,
            mode="overwrite",
            sort_by=("ticker", "report_date", "day"),
        )
        result["earnings_reactions"] = reactions.height
    return result


def _known_splits() -> pl.DataFrame:
    """Splits executed up to the last loaded trading day (a split announced for a later
    date must not adjust prices yet)."""
    if not tables.exists(SPLITS) or not tables.exists(DAILY_BARS):
        return pl.DataFrame(schema=SPLITS.schema)
    last_day = tables.file_stats(DAILY_BARS)["max.date"].max()
    return tables.read(SPLITS, filters=pl.col("execution_date") <= pl.lit(last_day))


def _tickers_or_empty() -> pl.DataFrame:
    if tables.exists(TICKERS):
        return tables.read(TICKERS, columns=["ticker", "shares_outstanding"])
    return pl.DataFrame(schema={"ticker": pl.String, "shares_outstanding": pl.Float64})


def _month_end(day: date) -> date:
    next_month = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
    return next_month - timedelta(days=1)


def _chunks(start: date, end: date, chunk_days: int) -> list[tuple[date, date]]:
    chunks = []
    cursor = start
    while cursor <= end:
        last = min(cursor + timedelta(days=chunk_days - 1), end)
        chunks.append((cursor, last))
        cursor = last + timedelta(days=1)
    return chunks


def _loaded_days() -> set[date]:
    if not tables.exists(LOAD_LOG):
        return set()
    days: set[date] = set()
    for row in tables.read(LOAD_LOG, columns=["start", "end"]).iter_rows(named=True):
        days.update(trading_calendar.trading_days(row["start"], row["end"]))
    return days
