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
from datetime import date, timedelta
from typing import Literal

import polars as pl

UNIVERSE_COLUMNS = ("ticker", "name", "sector", "market_cap", "cap_bucket", "liquidity_tier")
GroupBy = Literal["sector", "cap_bucket", "liquidity_tier"]
RECENT_DAYS = 31  # calendar days searched back for a previous close


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
    # The previous close is at most a few sessions back (a halt can make it older).
    recent = bars.filter(pl.col("date") >= last_day - timedelta(days=RECENT_DAYS))
    return (
        recent.select("ticker", "date", "close")
        .sort("ticker", "date")
        .with_columns(pl.when(_same_ticker(1)).then(pl.col("close").shift(1)).alias("prev_close"))
        .filter((pl.col("date") == last_day) & pl.col("prev_close").is_not_null())
        .with_columns(_pct("close", "prev_close").alias("change_pct"))
    )


def period_returns(bars: pl.DataFrame, start: date, end: date) -> pl.DataFrame:
    """Return each ticker's % change over [start, end].

    The base is the last close before `start` (the period's previous close, searched up
    to `RECENT_DAYS` back) when `bars` has one, else the first close in the period.
    Out: `ticker, base_close, end_close, return_pct`, for tickers with a close in the
    period.
    """
    window = bars.lazy().filter(pl.col("date").is_between(start - timedelta(days=RECENT_DAYS), end))
    before = (
        window.filter(pl.col("date") < start)
        .group_by("ticker")
        .agg(pl.col("close").sort_by("date").last().alias("prev_close"))
    )
    inside = (
        window.filter(pl.col("date") >= start)
        .group_by("ticker")
        .agg(
            pl.col("close").sort_by("date").first().alias("first_close"),
            pl.col("close").sort_by("date").last().alias("end_close"),
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
        .collect()
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


def breadth_history(bars: pl.DataFrame, since: date | None = None) -> pl.DataFrame:
    """Return market breadth per trading day (from `since`, when given).

    In: `bars` (`ticker, date, close`). Out per date: `advancers, decliners, unchanged,
    advance_decline_line` (running sum of advancers minus decliners from the first date
    shown), `pct_above_sma50`, `pct_above_sma200` (share of tickers, in percent, whose
    close is above their own 50- and 200-session simple moving average; tickers without
    that much history are left out of the share; null when no ticker has it).
    """
    # Flat windows over the (ticker, date)-sorted column, masked where a window would
    # reach into the previous ticker: several times faster than `.over("ticker")`.
    diff = pl.when(_same_ticker(1)).then(pl.col("close") - pl.col("close").shift(1))
    sma50 = pl.when(_same_ticker(49)).then(pl.col("close").rolling_mean(50))
    sma200 = pl.when(_same_ticker(199)).then(pl.col("close").rolling_mean(200))
    flags = (
        bars.select("ticker", "date", "close")
        .sort("ticker", "date")
        .with_columns(
            up=diff > 0,
            down=diff < 0,
            flat=diff == 0,
            known50=sma50.is_not_null(),
            above50=pl.col("close") > sma50,
            known200=sma200.is_not_null(),
            above200=pl.col("close") > sma200,
        )
    )
    if since is not None:
        flags = flags.filter(pl.col("date") >= since)
    counts = (
        flags.group_by("date")
        .agg(pl.col("up", "down", "flat", "known50", "above50", "known200", "above200").sum())
        .sort("date")
    )
    return counts.select(
        "date",
        pl.col("up").alias("advancers"),
        pl.col("down").alias("decliners"),
        pl.col("flat").alias("unchanged"),
        (pl.col("up").cast(pl.Int64) - pl.col("down").cast(pl.Int64))
        .cum_sum()
        .alias("advance_decline_line"),
        _share("above50", "known50").alias("pct_above_sma50"),
        _share("above200", "known200").alias("pct_above_sma200"),
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
        .with_columns(
            pl.when(_same_ticker(1)).then(pl.col("close") / pl.col("close").shift(1) - 1).alias("r")
        )
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


# Companies drawn with a tile of their own: every label stays readable, and the browser
# lays out each tile's text (60 instead of 150 tiles draws about 0.4 s faster).
MAP_LARGEST = 60


def map_tiles(rows: pl.DataFrame, *, largest: int = MAP_LARGEST) -> pl.DataFrame:
    """Return the treemap's nodes: one per sector, one per company among the `largest`
    by market cap, and one "Other (n)" per sector holding the rest of its companies.

    In: `rows` from `market_map`. Out: `id, parent, label, name, market_cap` (dollars),
    `return_pct` (cap-weighted for sectors and "Other"), `tickers` (companies in the
    node), sectors first. Areas stay true to the whole market: a sector's value is all
    of its companies' cap, while only the largest get a labelled tile of their own.
    """
    weighted = (pl.col("return_pct") * pl.col("market_cap")).sum() / pl.col("market_cap").sum()
    ranked = rows.sort("market_cap", "ticker", descending=[True, False]).with_row_index("rank")
    drawn = ranked.filter(pl.col("rank") < largest)
    rest = ranked.filter(pl.col("rank") >= largest)
    sectors = (
        rows.group_by("sector")
        .agg(pl.col("market_cap").sum(), weighted.alias("return_pct"), pl.len().alias("tickers"))
        .sort("sector")
        .select(
            pl.col("sector").alias("id"),
            pl.lit("").alias("parent"),
            pl.col("sector").alias("label"),
            pl.col("sector").alias("name"),
            "market_cap",
            "return_pct",
            pl.col("tickers").cast(pl.UInt32),
        )
    )
    companies = drawn.select(
        pl.format("{}/{}", "sector", "ticker").alias("id"),
        pl.col("sector").alias("parent"),
        pl.col("ticker").alias("label"),
        pl.col("name").fill_null(""),
        "market_cap",
        "return_pct",
        pl.lit(1, pl.UInt32).alias("tickers"),
    )
    others = (
        rest.group_by("sector")
        .agg(pl.col("market_cap").sum(), weighted.alias("return_pct"), pl.len().alias("tickers"))
        .sort("sector")
        .select(
            pl.format("{}/other", "sector").alias("id"),
            pl.col("sector").alias("parent"),
            pl.format("Other ({})", "tickers").alias("label"),
            pl.format("{} smaller companies", "tickers").alias("name"),
            "market_cap",
            "return_pct",
            pl.col("tickers").cast(pl.UInt32),
        )
    )
    return pl.concat([sectors, companies, others])


def _same_ticker(rows_back: int) -> pl.Expr:
    """True where the row `rows_back` above belongs to the same ticker (frame sorted by ticker)."""
    return pl.col("ticker").shift(rows_back) == pl.col("ticker")


def _pct(numerator: str, denominator: str) -> pl.Expr:
    return (pl.col(numerator) / pl.col(denominator) - 1) * 100


def _share(above: str, known: str) -> pl.Expr:
    return pl.when(pl.col(known) > 0).then(pl.col(above) / pl.col(known) * 100)


def market_summary(
    bars: pl.DataFrame,
    universe: pl.DataFrame,
    start: date,
    end: date,
    *,
    breadth: pl.DataFrame | None = None,
) -> dict:
    """Return every market-health figure for `universe` over [start, end] in one call.

    In: `bars` (`ticker, date, close`) from at least 200 sessions before `start` (for the
    SMA breadth) to `end`; `universe` already filtered by cap bucket and liquidity tier.
    Out (dict of frames unless noted): `last_day` (date), `changes` (last session vs
    previous close), `map` (treemap rows over the period), `map_tiles` (its drawn
    nodes, see `map_tiles`), `sectors_day`,
    `sectors_month` (month to date), `sectors_period`, `top`, `worst`, `mega`, `by_cap`,
    `by_tier` (over the period), `breadth_history` (from `start`; `breadth`, when given,
    is used as is: the `breadth_history` of the same bars, computed once elsewhere).
    """
    members = bars.filter(pl.col("ticker").is_in(universe["ticker"].implode()))
    members = members.filter(pl.col("date") <= end)
    last_day = members.select(pl.col("date").max()).item()
    changes = latest_changes(members)
    period = period_returns(members, start, end)
    month = period_returns(members, last_day.replace(day=1), last_day)
    day = changes.rename({"change_pct": "return_pct"})
    map_rows = market_map(period, universe)
    return {
        "last_day": last_day,
        "changes": changes,
        "map": map_rows,
        "map_tiles": map_tiles(map_rows),
        "sectors_day": group_performance(day, universe, "sector"),
        "sectors_month": group_performance(month, universe, "sector"),
        "sectors_period": group_performance(period, universe, "sector"),
        "top": top_movers(changes, universe, n=10),
        "worst": top_movers(changes, universe, n=10, worst=True),
        "mega": mega_cap_leaders(changes, universe, n=10),
        "by_cap": group_performance(period, universe, "cap_bucket"),
        "by_tier": group_performance(period, universe, "liquidity_tier"),
        "breadth_history": (breadth_history(members, since=start) if breadth is None else breadth),
    }
