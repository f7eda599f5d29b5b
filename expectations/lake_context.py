"""Build a batch's `ValidationContext` from what the lake already holds (silver)."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from expectations.context import ValidationContext
from lake import tables
from lake.calendar import previous_trading_day
from lake.schemas import DAILY_BARS, SPLITS, TICKERS, TableContract

# Bars read before a split's execution date, so the previous close is found across
# a long weekend or a holiday.
SPLIT_LOOKBACK_DAYS = 10


def lake_context(
    contract: TableContract, frame: pl.DataFrame, *, lake_uri: str | None = None
) -> ValidationContext:
    """Return the context for validating `frame` (a batch of `contract`'s table).

    daily_bars: the range is the batch's min/max date; previous closes are silver bars
    of the trading day before it (those tickers must keep trading); delisted tickers
    (silver tickers with active = false) and the range's silver splits come along.
    splits: silver bars of the split tickers around the execution dates, for the
    "matching move" check. Other tables need no context. Missing tables count as empty.
    """
    if contract.name == DAILY_BARS.name and "date" in frame.columns and frame.height:
        start: date
        end: date
        start, end = frame.select(
            pl.col("date").min().alias("start"), pl.col("date").max().alias("end")
        ).row(0)
        before = previous_trading_day(start)
        previous = _read(DAILY_BARS, pl.col("date") == before, ["ticker", "close"], lake_uri)
        inactive = _read(TICKERS, pl.col("active").not_(), ["ticker"], lake_uri)
        splits = _read(
            SPLITS,
            pl.col("execution_date").is_between(start, end),
            ["ticker", "execution_date", "split_from", "split_to"],
            lake_uri,
        )
        return ValidationContext(
            start=start,
            end=end,
            previous_closes=previous
            if previous is not None
            else ValidationContext().previous_closes,
            inactive_tickers=frozenset(inactive["ticker"].to_list())
            if inactive is not None
            else frozenset(),
            splits=splits if splits is not None else ValidationContext().splits,
        )
    if contract.name == SPLITS.name and "execution_date" in frame.columns and frame.height:
        first: date
        last: date
        first, last = frame.select(
            pl.col("execution_date").min().alias("first"),
            pl.col("execution_date").max().alias("last"),
        ).row(0)
        tickers = frame["ticker"].unique().to_list()
        bars = _read(
            DAILY_BARS,
            [
                pl.col("date").is_between(first - timedelta(days=SPLIT_LOOKBACK_DAYS), last),
                pl.col("ticker").is_in(tickers),
            ],
            ["ticker", "date", "open", "close"],
            lake_uri,
        )
        return ValidationContext(bars=bars) if bars is not None else ValidationContext()
    return ValidationContext()


def _read(
    contract: TableContract,
    filters: pl.Expr | list[pl.Expr],
    columns: list[str],
    lake_uri: str | None,
) -> pl.DataFrame | None:
    try:
        return tables.read(contract, filters=filters, columns=columns, lake_uri=lake_uri)
    except tables.TableMissing:
        return None
