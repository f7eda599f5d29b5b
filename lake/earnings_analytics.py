"""Earnings analytics: surprises by quarter, the mean path after reports, surprise-vs-return
correlation.

Pure functions of Polars frames. Inputs:

- `earnings`: the silver EARNINGS table (`ticker, report_date, fiscal_quarter,
  fiscal_year, hour, eps_estimate, eps_actual, surprise_pct, ...`); `hour` is `bmo`
  (before the open), `amc` (after the close) or `dmh` (during market hours).
- `paths`: the normalized price path over the sessions after each report, one row per
  report and `day` (0 = the last close before the news) with `return_pct` — the gold
  EARNINGS_REACTIONS table, built by `lake.marts.earnings_reactions` (the one place
  that defines day 0).

Percentages are in percent (5.0 means +5 %).
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl


def filter_events(
    earnings: pl.DataFrame,
    *,
    tickers: Sequence[str] | None = None,
    quarters: Sequence[int] | None = None,
    years: Sequence[int] | None = None,
) -> pl.DataFrame:
    """Return the reported events (actual EPS known) matching tickers, fiscal quarters and years.

    `None` or an empty sequence means no restriction on that dimension. Filter by
    market cap beforehand by passing the tickers of the wanted buckets.
    """
    predicate = pl.col("eps_actual").is_not_null()
    if tickers:
        predicate &= pl.col("ticker").is_in(list(tickers))
    if quarters:
        predicate &= pl.col("fiscal_quarter").is_in(list(quarters))
    if years:
        predicate &= pl.col("fiscal_year").is_in(list(years))
    return earnings.filter(predicate)


def surprise_by_quarter(
    earnings: pl.DataFrame, *, tickers: Sequence[str] | None = None, quarters: int = 4
) -> pl.DataFrame:
    """Return each ticker's EPS surprise % for its last `quarters` reported quarters.

    Out: `ticker, fiscal_year, fiscal_quarter, period` (e.g. `2024 Q3`), `report_date,
    eps_estimate, eps_actual, surprise_pct`, sorted by ticker and period.
    """
    reported = filter_events(earnings, tickers=tickers)
    return (
        reported.sort("ticker", "fiscal_year", "fiscal_quarter")
        .group_by("ticker", maintain_order=True)
        .tail(quarters)
        .select(
            "ticker",
            "fiscal_year",
            "fiscal_quarter",
            _period_label().alias("period"),
            "report_date",
            "eps_estimate",
            "eps_actual",
            "surprise_pct",
        )
    )


def surprise_vs_return(paths: pl.DataFrame, period: int) -> pl.DataFrame:
    """Return one point per event: `ticker, report_date, surprise_pct, return_pct` at day `period`.

    Events whose path does not reach `period` sessions, or without a surprise, are left out.
    """
    return paths.filter((pl.col("day") == period) & pl.col("surprise_pct").is_not_null()).select(
        "ticker", "report_date", "fiscal_year", "fiscal_quarter", "surprise_pct", "return_pct"
    )


def surprise_return_correlation(paths: pl.DataFrame, periods: Sequence[int]) -> pl.DataFrame:
    """Return the Pearson correlation between surprise % and the return after each period.

    Out: `period` (sessions after day 0), `events` (sample size), `correlation` (null
    when fewer than 3 events or no variation).
    """
    rows = []
    for period in periods:
        points = surprise_vs_return(paths, period)
        n = points.height
        corr = None
        if n >= 3:
            value = points.select(pl.corr("surprise_pct", "return_pct")).item()
            corr = None if value is None or value != value else float(value)
        rows.append({"period": period, "events": n, "correlation": corr})
    return pl.DataFrame(
        rows, schema={"period": pl.Int64, "events": pl.Int64, "correlation": pl.Float64}
    )


def average_path(paths: pl.DataFrame) -> pl.DataFrame:
    """Return the mean and median `return_pct` per day across events.

    Out: `day, events, mean_pct, median_pct`.
    """
    return (
        paths.group_by("day")
        .agg(
            pl.len().alias("events"),
            pl.col("return_pct").mean().alias("mean_pct"),
            pl.col("return_pct").median().alias("median_pct"),
        )
        .sort("day")
    )


def _period_label() -> pl.Expr:
    return pl.format("{} Q{}", pl.col("fiscal_year"), pl.col("fiscal_quarter"))
