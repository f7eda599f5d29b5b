"""Market-health analytics: the whole market at a glance, as pure functions of Polars frames.

Two inputs recur:

- `bars`: daily bars, at least `ticker, date, close` (split-adjusted, dollars), one row
  per ticker and trading day, for as much history as a figure needs (breadth above the
  200-day SMA needs 200 sessions before the day it describes).
- `universe`: one row per ticker with `ticker, name, sector, market_cap, cap_bucket,
  liquidity_tier` (see `universe_frame`).

Returns are in percent (5.0 means +5 %), market caps in dollars. Nothing here reads
or writes anything; the app and the benchmarks feed it frames from `lake.queries`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Literal

import polars as pl

UNIVERSE_COLUMNS = ("ticker", "name", "sector", "market_cap", "cap_bucket", "liquidity_tier")
GroupBy = Literal["sector", "cap_bucket", "liquidity_tier"]


def universe_frame(tickers: pl.DataFrame, segments: pl.DataFrame) -> pl.DataFrame:
    """Return one row per ticker: `ticker, name, sector, market_cap, cap_bucket, liquidity_tier`.

    `tickers` is the silver TICKERS table, `segments` one month of the gold SEGMENTS
    table (market cap at that month's close wins over the reference market cap).
    Tickers with no segment keep the reference cap and get null bucket and tier.
    """
    seg = segments.select("ticker", "market_cap", "cap_bucket", "liquidity_tier").rename(
        {"market_cap": "segment_cap"}
    )
    return (
        tickers.select("ticker", "name", "sector", "market_cap")
        .join(seg, on="ticker", how="left")
        .with_columns(pl.coalesce("segment_cap", "market_cap").alias("market_cap"))
        .select(UNIVERSE_COLUMNS)
        .sort("ticker")
    )


def filter_universe(
    universe: pl.DataFrame,
    *,
    cap_buckets: Sequence[str] | None = None,
    liquidity_tiers: Sequence[str] | None = None,
) -> pl.DataFrame:
    """Return the rows of `universe` in the given cap buckets and liquidity tiers.

    `None` or an empty sequence means no restriction on that dimension.
    """
    predicate = pl.lit(True)
    if cap_buckets:
        predicate &= pl.col("cap_bucket").is_in(list(cap_buckets))
    if liquidity_tiers:
        predicate &= pl.col("liquidity_tier").is_in(list(liquidity_tiers))
    return universe.filter(predicate)


def latest_changes(bars: pl.DataFrame) -> pl.DataFrame:
    """Return each ticker's change on the market's last trading day versus its previous close.

    In: `bars` (`ticker, date, close`). Out: `ticker, date, close, prev_close, change_pct`
    for the tickers that traded on the last date in `bars` and the session before it.
    """
    last_day = bars.select(pl.col("date").max()).item()
    return (
        bars.select("ticker", "date", "close")
        .sort("ticker", "date")
        .with_columns(pl.col("close").shift(1).over("ticker").alias("prev_close"))
        .filter((pl.col("date") == last_day) & pl.col("prev_close").is_not_null())
        .with_columns(_pct("close", "prev_close").alias("change_pct"))
    )


def period_returns(bars: pl.DataFrame, start: date, end: date) -> pl.DataFrame:
    """Return each ticker's % change over [start, end].

    The base is the last close before `start` (the period's previous close) when `bars`
    has one, else the first close in the period. Out: `ticker, base_close, end_close,
    return_pct`, for tickers with a close in the period.
    """
    ordered = bars.select("ticker", "date", "close").sort("ticker", "date")
    before = (
        ordered.filter(pl.col("date") < start)
        .group_by("ticker")
        .agg(pl.col("close").last().alias("prev_close"))
    )
    inside = (
        ordered.filter(pl.col("date").is_between(start, end))
        .group_by("ticker")
        .agg(
            pl.col("close").first().alias("first_close"),
            pl.col("close").last().alias("end_close"),
        )
    )
    return (
        inside.join(before, on="ticker", how="left")
        .select(
            "ticker",
            pl.coalesce("prev_close", "first_close").alias("base_close"),
            "end_close",
        )
        .with_columns(_pct("end_close", "base_close").alias("return_pct"))
        .sort("ticker")
    )


def group_performance(returns: pl.DataFrame, universe: pl.DataFrame, by: GroupBy) -> pl.DataFrame:
    """Return performance per sector, cap bucket or liquidity tier.

    In: `returns` with `ticker, return_pct` (from `period_returns`, or `latest_changes`
    renamed), `universe`. Out: `<by>, tickers, advancers, decliners, median_return_pct,
    cap_weighted_return_pct`, best group first.
    """
    joined = returns.select("ticker", "return_pct").join(
        universe.select("ticker", by, "market_cap"), on="ticker", how="inner"
    )
    weight = pl.col("market_cap").fill_null(0.0)
    return (
        joined.filter(pl.col(by).is_not_null() & pl.col("return_pct").is_not_null())
        .group_by(by)
        .agg(
            pl.len().alias("tickers"),
            (pl.col("return_pct") > 0).sum().alias("advancers"),
            (pl.col("return_pct") < 0).sum().alias("decliners"),
            pl.col("return_pct").median().alias("median_return_pct"),
            ((pl.col("return_pct") * weight).sum() / weight.sum()).alias("cap_weighted_return_pct"),
        )
        .sort("cap_weighted_return_pct", descending=True, nulls_last=True)
    )


def top_movers(
    changes: pl.DataFrame, universe: pl.DataFrame, *, n: int = 10, worst: bool = False
) -> pl.DataFrame:
    """Return the `n` best (or worst) performers by `change_pct`, with name and sector.

    In: `changes` from `latest_changes`. Out: `ticker, name, sector, cap_bucket, close,
    prev_close, change_pct`, restricted to the tickers in `universe`.
    """
    return (
        changes.join(universe.select("ticker", "name", "sector", "cap_bucket"), on="ticker")
        .sort("change_pct", descending=not worst, nulls_last=True)
        .head(n)
        .select("ticker", "name", "sector", "cap_bucket", "close", "prev_close", "change_pct")
    )


def mega_cap_leaders(changes: pl.DataFrame, universe: pl.DataFrame, *, n: int = 10) -> pl.DataFrame:
    """Return the `n` largest tickers (mega caps first, by market cap) with their day's change.

    Out: `ticker, name, sector, market_cap, close, change_pct`, largest first.
    """
    return (
        changes.join(universe.select("ticker", "name", "sector", "market_cap"), on="ticker")
        .sort("market_cap", descending=True, nulls_last=True)
        .head(n)
        .select("ticker", "name", "sector", "market_cap", "close", "change_pct")
    )


def breadth_history(bars: pl.DataFrame) -> pl.DataFrame:
    """Return market breadth per trading day.

    In: `bars` (`ticker, date, close`). Out per date: `advancers, decliners, unchanged,
    advance_decline_line` (running sum of advancers minus decliners), `pct_above_sma50`,
    `pct_above_sma200` (share of tickers, in percent, whose close is above their own 50-
    and 200-session simple moving average; tickers without that much history are left
    out of the share).
    """
    enriched = (
        bars.select("ticker", "date", "close")
        .sort("ticker", "date")
        .with_columns(
            (pl.col("close") - pl.col("close").shift(1)).over("ticker").alias("diff"),
            pl.col("close").rolling_mean(50).over("ticker").alias("sma50"),
            pl.col("close").rolling_mean(200).over("ticker").alias("sma200"),
        )
    )
    return (
        enriched.group_by("date")
        .agg(
            (pl.col("diff") > 0).sum().alias("advancers"),
            (pl.col("diff") < 0).sum().alias("decliners"),
            (pl.col("diff") == 0).sum().alias("unchanged"),
            _share_above("sma50").alias("pct_above_sma50"),
            _share_above("sma200").alias("pct_above_sma200"),
        )
        .sort("date")
        .with_columns(
            (pl.col("advancers").cast(pl.Int64) - pl.col("decliners").cast(pl.Int64))
            .cum_sum()
            .alias("advance_decline_line")
        )
    )


def breadth(bars: pl.DataFrame) -> dict[str, float | int | date | None]:
    """Return the last trading day's breadth as a dict (keys as in `breadth_history`)."""
    history = breadth_history(bars)
    if history.is_empty():
        return {}
    return history.row(-1, named=True)


def market_index(
    bars: pl.DataFrame, universe: pl.DataFrame | None = None, *, base: float = 100.0
) -> pl.DataFrame:
    """Return an index-like average of the market: equal- and cap-weighted, rebased to `base`.

    Each day's index return is the mean (equal) or market-cap-weighted mean (cap) of the
    tickers' close-to-close returns that day; the level compounds those returns from
    `base` on the first date. Out: `date, tickers, equal_weighted, cap_weighted,
    equal_return_pct`. Without `universe`, both columns are equal-weighted.
    """
    daily = (
        bars.select("ticker", "date", "close")
        .sort("ticker", "date")
        .with_columns((pl.col("close") / pl.col("close").shift(1) - 1).over("ticker").alias("r"))
    )
    if universe is not None:
        daily = daily.join(universe.select("ticker", "market_cap"), on="ticker", how="left")
    else:
        daily = daily.with_columns(pl.lit(1.0).alias("market_cap"))
    weight = pl.col("market_cap").fill_null(0.0)
    per_day = (
        daily.group_by("date")
        .agg(
            pl.col("r").count().alias("tickers"),
            pl.col("r").mean().fill_null(0.0).alias("r_equal"),
            ((pl.col("r") * weight).sum() / weight.filter(pl.col("r").is_not_null()).sum())
            .fill_nan(0.0)
            .fill_null(0.0)
            .alias("r_cap"),
        )
        .sort("date")
    )
    return per_day.select(
        "date",
        "tickers",
        (base * (1 + pl.col("r_equal")).cum_prod()).alias("equal_weighted"),
        (base * (1 + pl.col("r_cap")).cum_prod()).alias("cap_weighted"),
        (pl.col("r_equal") * 100).alias("equal_return_pct"),
    )


def close_trend(bars: pl.DataFrame, ticker: str, *, sessions: int = 30) -> pl.DataFrame:
    """Return the last `sessions` closes of `ticker`: `date, close, change_pct` (from the first)."""
    one = bars.filter(pl.col("ticker") == ticker).sort("date").tail(sessions)
    if one.is_empty():
        return one.select("date", "close").with_columns(
            pl.lit(None, pl.Float64).alias("change_pct")
        )
    first = one["close"][0]
    return one.select("date", "close", ((pl.col("close") / first - 1) * 100).alias("change_pct"))


def market_map(returns: pl.DataFrame, universe: pl.DataFrame) -> pl.DataFrame:
    """Return the treemap's rows: `sector, ticker, name, market_cap, return_pct`.

    Tickers without a positive market cap or a return are left out (they cannot be sized
    or coloured).
    """
    return (
        returns.select("ticker", "return_pct")
        .join(universe.select("ticker", "name", "sector", "market_cap"), on="ticker")
        .filter(
            (pl.col("market_cap") > 0)
            & pl.col("return_pct").is_not_null()
            & pl.col("sector").is_not_null()
        )
        .select("sector", "ticker", "name", "market_cap", "return_pct")
        .sort("market_cap", descending=True)
    )


def _pct(numerator: str, denominator: str) -> pl.Expr:
    return (pl.col(numerator) / pl.col(denominator) - 1) * 100


def _share_above(average: str) -> pl.Expr:
    known = pl.col(average).is_not_null()
    above = (pl.col("close") > pl.col(average)) & known
    return pl.when(known.sum() > 0).then(above.sum() / known.sum() * 100).otherwise(None)
