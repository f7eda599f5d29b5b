"""Gold marts: small precomputed tables for pages that would otherwise scan everything.

- `daily_returns`: every ticker's close and % change versus the previous close, laid out
  by date, so the market-health page reads one day's (or a month's) cross-section
  without touching the ticker-sorted `adjusted_bars`.
- `earnings_reactions`: the price path over the trading days after each earnings
  report, normalised to the last close before the news, for the EPS page.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from lake.schemas import DAILY_RETURNS, EARNINGS_REACTIONS

REACTION_DAYS = 10


def daily_returns(adjusted_bars: pl.DataFrame) -> pl.DataFrame:
    """Return `DAILY_RETURNS` rows from split-adjusted bars (ticker, date, close, volume,
    source); each row keeps its bar's `source`.

    `pct_change` = (close / previous close − 1) × 100, where the previous close is the
    ticker's previous bar in `adjusted_bars` (null on its first bar, so pass one bar of
    look-back before the dates you want). Rows come back sorted by (date, ticker).
    """
    frame = (
        adjusted_bars.lazy()
        .select("ticker", "date", "close", "volume", "source")
        .sort("ticker", "date")
        # Previous row's close when it belongs to the same ticker: a flat shift is much
        # faster than a windowed one over millions of rows.
        .with_columns(
            pl.when(pl.col("ticker") == pl.col("ticker").shift(1))
            .then(pl.col("close").shift(1))
            .alias("prev_close")
        )
        .with_columns(
            ((pl.col("close") / pl.col("prev_close") - 1.0) * 100.0).alias("pct_change"),
            (pl.col("close") * pl.col("volume")).alias("dollar_volume"),
        )
        .sort("date", "ticker")
    )
    return DAILY_RETURNS.conform(frame.collect())


def earnings_reactions(
    earnings: pl.DataFrame, adjusted_bars: pl.DataFrame, *, days: int = REACTION_DAYS
) -> pl.DataFrame:
    """Return `EARNINGS_REACTIONS` rows: for each report, trading days 0..`days` after it.

    Day 0 is the last close before the news: for a report after the close (`amc`) the
    report date's own close; before the open (`bmo`), during market hours (`dmh`) or at
    an unknown hour, the close of the trading day before the report date. `path` =
    close / day-0 close, `return_pct` = (path − 1) × 100. Days not traded yet are absent;
    reports with no bar before them are dropped. `source` is the report's (the row
    exists because of the report; the prices' lineage is in `adjusted_bars`).
    """
    bars = (
        adjusted_bars.lazy()
        .select("ticker", "date", "close")
        .sort("ticker", "date")
        .with_columns(pl.int_range(pl.len()).over("ticker").alias("bar_index"))
    )
    reports = (
        earnings.lazy()
        .select(
            "ticker",
            "report_date",
            "hour",
            "fiscal_year",
            "fiscal_quarter",
            "eps_estimate",
            "eps_actual",
            "surprise_pct",
            "source",
        )
        .with_columns(
            pl.when(pl.col("hour") == "amc")
            .then(pl.col("report_date"))
            .otherwise(pl.col("report_date") - timedelta(days=1))
            .alias("news_cutoff")
        )
        .sort("news_cutoff")
    )
    base = reports.join_asof(
        bars.select(
            "ticker",
            pl.col("date").alias("news_cutoff"),
            "bar_index",
            pl.col("close").alias("base_close"),
        ).sort("news_cutoff"),
        on="news_cutoff",
        by="ticker",
        strategy="backward",
        check_sortedness=False,
    ).filter(pl.col("bar_index").is_not_null())
    path = (
        base.with_columns(pl.int_ranges(0, days + 1, dtype=pl.Int32).alias("day"))
        .explode("day")
        .with_columns((pl.col("bar_index") + pl.col("day")).alias("bar_index"))
        .join(bars, on=["ticker", "bar_index"], how="inner")
        .with_columns((pl.col("close") / pl.col("base_close")).alias("path"))
        .with_columns(((pl.col("path") - 1.0) * 100.0).alias("return_pct"))
        .sort("ticker", "report_date", "day")
    )
    return EARNINGS_REACTIONS.conform(path.collect())
