"""Gold: split-adjusted bars, daily returns, monthly segments and earnings reactions,
derived from silver for a date range (incrementally) or from all of silver (in full)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import polars as pl

from lake import tables
from lake.adjustment import adjusted_bars
from lake.marts import REACTION_DAYS, daily_returns, earnings_reactions
from lake.schemas import (
    ADJUSTED_BARS,
    DAILY_BARS,
    DAILY_RETURNS,
    EARNINGS,
    EARNINGS_REACTIONS,
    SEGMENTS,
    SOURCE_COLUMN,
    SPLITS,
    TICKERS,
)
from lake.segmentation import segments
from pipelines.historical.lineage import upgrade_lineage

# Returns need each ticker's previous close: this many calendar days of look-back cover
# the longest market closure.
LOOKBACK_DAYS = 10


def build_gold(start: date, end: date, *, lake_uri: str, full: bool = False) -> dict[str, Any]:
    """Derive the gold tables of the lake at `lake_uri` for silver data dated in
    [start, end].

    - `adjusted_bars`: the range's bars, plus the whole history of every ticker with a
      split executed in the range (a split changes all earlier adjusted prices);
    - `daily_returns`: the same rows with % change versus the previous close;
    - `segments`: every month touching the range;
    - `earnings_reactions`: reports whose 10-day window overlaps the range.

    With `full=True` (or when gold is empty) every gold table is rebuilt from all of
    silver in one write each. Returns row counts per table.
    """
    upgrade_lineage(lake_uri=lake_uri)
    if full or not tables.exists(ADJUSTED_BARS, lake_uri=lake_uri):
        return build_gold_full(lake_uri=lake_uri)
    splits = known_splits(lake_uri=lake_uri)
    resplit = (
        splits.filter(pl.col("execution_date").is_between(start, end))["ticker"].unique().to_list()
    )
    adjusted = adjusted_bars(_bars_to_adjust(start, end, resplit, lake_uri=lake_uri), splits)
    result: dict[str, Any] = {
        "adjusted_bars": tables.merge_upsert(ADJUSTED_BARS, adjusted, lake_uri=lake_uri).as_dict()
    }
    returns = _returns(start, end, adjusted, resplit, lake_uri=lake_uri)
    result["daily_returns"] = tables.merge_upsert(
        DAILY_RETURNS, returns, lake_uri=lake_uri
    ).as_dict()
    result["segments"] = tables.merge_upsert(
        SEGMENTS, _segments(start, end, lake_uri=lake_uri), lake_uri=lake_uri
    ).as_dict()
    if tables.exists(EARNINGS, lake_uri=lake_uri):
        reactions = _reactions(start, end, adjusted, resplit, lake_uri=lake_uri)
        result["earnings_reactions"] = tables.merge_upsert(
            EARNINGS_REACTIONS, reactions, lake_uri=lake_uri
        ).as_dict()
    result["resplit_tickers"] = len(resplit)
    return result


def build_gold_full(*, lake_uri: str) -> dict[str, Any]:
    """Rebuild every gold table from all of silver, one overwrite each; returns row
    counts per table (`earnings_reactions` only when silver has earnings)."""
    bars = tables.read(DAILY_BARS, lake_uri=lake_uri)
    adjusted = adjusted_bars(bars, known_splits(lake_uri=lake_uri))
    # adjusted_bars comes sorted by (ticker, date), daily_returns by (date, ticker).
    tables.write(ADJUSTED_BARS, adjusted, mode="overwrite", lake_uri=lake_uri)
    returns = daily_returns(adjusted)
    tables.write(DAILY_RETURNS, returns, mode="overwrite", lake_uri=lake_uri)
    segs = segments(adjusted, _tickers_or_empty(lake_uri=lake_uri))
    tables.write(SEGMENTS, segs, mode="overwrite", sort_by=("month", "ticker"), lake_uri=lake_uri)
    result = {
        "adjusted_bars": adjusted.height,
        "daily_returns": returns.height,
        "segments": segs.height,
    }
    if tables.exists(EARNINGS, lake_uri=lake_uri):
        reactions = earnings_reactions(tables.read(EARNINGS, lake_uri=lake_uri), adjusted)
        tables.write(
            EARNINGS_REACTIONS,
            reactions,
            mode="overwrite",
            sort_by=("ticker", "report_date", "day"),
            lake_uri=lake_uri,
        )
        result["earnings_reactions"] = reactions.height
    return result


def known_splits(*, lake_uri: str) -> pl.DataFrame:
    """Splits executed up to the last loaded trading day (a split announced for a later
    date must not adjust prices yet); SPLITS columns."""
    if not tables.exists(SPLITS, lake_uri=lake_uri) or not tables.exists(
        DAILY_BARS, lake_uri=lake_uri
    ):
        return pl.DataFrame(schema=SPLITS.schema)
    last_day = tables.file_stats(DAILY_BARS, lake_uri=lake_uri)["max.date"].max()
    return tables.read(
        SPLITS, filters=pl.col("execution_date") <= pl.lit(last_day), lake_uri=lake_uri
    )


def _in(tickers: list[str]) -> pl.Expr:
    return pl.col("ticker").is_in(pl.Series(tickers, dtype=pl.String).implode())


def _bars_to_adjust(start: date, end: date, resplit: list[str], *, lake_uri: str) -> pl.DataFrame:
    """The range's silver bars, with the whole history of each re-split ticker instead."""
    new_bars = tables.read(
        DAILY_BARS,
        filters=[
            pl.col("year").is_between(start.year, end.year),
            pl.col("date").is_between(pl.lit(start), pl.lit(end)),
        ],
        lake_uri=lake_uri,
    )
    if not resplit:
        return new_bars
    history = tables.read(DAILY_BARS, filters=_in(resplit), lake_uri=lake_uri)
    return pl.concat([new_bars.filter(~_in(resplit)), history])


def _returns(
    start: date, end: date, adjusted: pl.DataFrame, resplit: list[str], *, lake_uri: str
) -> pl.DataFrame:
    """Daily returns of the range (and of each re-split ticker's whole history), with a
    few days of stored adjusted bars before the range for the previous closes."""
    lookback = tables.read(
        ADJUSTED_BARS,
        filters=pl.col("date").is_between(
            pl.lit(start - timedelta(days=LOOKBACK_DAYS)), pl.lit(end)
        ),
        columns=["ticker", "date", "close", "volume", SOURCE_COLUMN],
        lake_uri=lake_uri,
    )
    returns_source = pl.concat(
        [
            lookback.filter(~_in(resplit)),
            adjusted.select("ticker", "date", "close", "volume", SOURCE_COLUMN),
        ]
    ).unique(subset=["ticker", "date"], keep="last")
    return daily_returns(returns_source).filter((pl.col("date") >= start) | _in(resplit))


def _segments(start: date, end: date, *, lake_uri: str) -> pl.DataFrame:
    """Segments of every month touching [start, end], from the stored daily returns."""
    month_bars = tables.read(
        DAILY_RETURNS,
        filters=pl.col("date").is_between(pl.lit(start.replace(day=1)), pl.lit(_month_end(end))),
        columns=["ticker", "date", "close", "volume", SOURCE_COLUMN],
        lake_uri=lake_uri,
    )
    return segments(month_bars, _tickers_or_empty(lake_uri=lake_uri))


def _reactions(
    start: date, end: date, adjusted: pl.DataFrame, resplit: list[str], *, lake_uri: str
) -> pl.DataFrame:
    """Reactions of the reports whose window overlaps [start, end] (every report of a
    re-split ticker), from stored returns with the re-split tickers' new adjusted bars."""
    # A report's 10 trading days span at most ~3 calendar weeks.
    window_start = start - timedelta(days=3 * REACTION_DAYS)
    reports = tables.read(
        EARNINGS,
        filters=(pl.col("report_date").is_between(pl.lit(window_start), pl.lit(end)))
        | _in(resplit),
        lake_uri=lake_uri,
    )
    window_bars = tables.read(
        DAILY_RETURNS,
        filters=pl.col("date") >= pl.lit(window_start - timedelta(days=LOOKBACK_DAYS)),
        columns=["ticker", "date", "close"],
        lake_uri=lake_uri,
    )
    if resplit:
        window_bars = pl.concat(
            [
                window_bars.filter(~_in(resplit)),
                adjusted.filter(_in(resplit)).select("ticker", "date", "close"),
            ]
        )
    return earnings_reactions(reports, window_bars)


def _tickers_or_empty(*, lake_uri: str) -> pl.DataFrame:
    if tables.exists(TICKERS, lake_uri=lake_uri):
        return tables.read(TICKERS, columns=["ticker", "shares_outstanding"], lake_uri=lake_uri)
    return pl.DataFrame(schema={"ticker": pl.String, "shares_outstanding": pl.Float64})


def _month_end(day: date) -> date:
    next_month = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
    return next_month - timedelta(days=1)
