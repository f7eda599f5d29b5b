"""Market-health figures over the whole demo universe (2,500 tickers).

Times `lake.market_health.market_summary` (every figure of the market-health page: market
map, sector performance ×3, movers, mega caps, cap buckets, liquidity tiers, breadth with
the 50/200-day SMA shares) on one year plus the 200-session look-back of synthetic
closes, warm, against a reference measured in the same run: one Polars pass that only
takes each ticker's last close (the least any cross-section figure must do).
"""

from __future__ import annotations

import statistics
import time
from datetime import date, timedelta

import polars as pl

from lake import market_health

N_TICKERS = 2500
END = date(2025, 10, 31)
START = END - timedelta(days=365)
LOOKBACK = timedelta(days=300)
REPEATS = 7


def _inputs() -> tuple[pl.DataFrame, pl.DataFrame]:
    from lake.schemas import cap_bucket
    from pipelines.sources import SyntheticMarketConfig, transforms
    from pipelines.sources.synthetic import SyntheticMarket

    config = SyntheticMarketConfig(seed=7, n_tickers=N_TICKERS, start=START - LOOKBACK, end=END)
    bars = SyntheticMarket(config)
    closes = transforms.daily_bars_frame(
        bars.grouped_daily(START - LOOKBACK, END), source=bars.name
    ).select("ticker", "date", "close", "volume")
    tickers = transforms.tickers_frame(bars.ticker_details(END), source=bars.name)
    dollar = closes.group_by("ticker").agg((pl.col("close") * pl.col("volume")).mean().alias("adv"))
    universe = (
        tickers.select("ticker", "name", "sector", "market_cap")
        .join(dollar, on="ticker", how="left")
        .with_columns(
            cap_bucket(pl.col("market_cap")).alias("cap_bucket"),
            pl.col("adv")
            .rank(descending=True)
            .qcut(3, labels=["high", "medium", "low"])
            .cast(pl.String)
            .alias("liquidity_tier"),
        )
        .drop("adv")
    )
    return closes.select("ticker", "date", "close").sort("ticker", "date"), universe


def _median_ms(fn) -> float:
    fn()  # warm
    times = []
    for _ in range(REPEATS):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1000


def run() -> list[str]:
    """Return the printed figures: median ms of the full summary and of the reference."""
    bars, universe = _inputs()
    summary_ms = _median_ms(lambda: market_health.market_summary(bars, universe, START, END))
    reference_ms = _median_ms(lambda: bars.group_by("ticker").agg(pl.col("close").last()))
    mega = market_health.filter_universe(universe, cap_buckets=["mega", "large"])
    filtered_ms = _median_ms(lambda: market_health.market_summary(bars, mega, START, END))
    return [
        f"bars: {bars.height:,} closes ({universe.height:,} tickers, {START} → {END} "
        "+ 200-session look-back)",
        f"market_summary, whole universe:     median {summary_ms:7.1f} ms (target ≤ 300 ms)",
        f"market_summary, mega+large filter:  median {filtered_ms:7.1f} ms",
        f"reference (last close per ticker):  median {reference_ms:7.1f} ms",
        f"ratio summary / reference: {summary_ms / reference_ms:.1f}×",
    ]
