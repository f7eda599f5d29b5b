"""Validation speed on the demo's size: ≈2.5 M daily bars (2,500 tickers × 4 years).

Splits the time into the Polars check columns (trading days, gaps, moves), the
conversion to pandas, and GX's own run of the daily_bars suite, and compares GX's
run with the same row checks written as plain Polars expressions (the reference: what
validating without GX would cost).
"""

from __future__ import annotations

import statistics
import time
from datetime import date

import polars as pl

from expectations.context import ValidationContext
from expectations.flags import daily_bars_flags
from expectations.runner import run_gx, validate
from expectations.suites import build_suite
from lake.schemas import DAILY_BARS

N_TICKERS = 2500
START, END = date(2021, 11, 1), date(2025, 10, 31)
REPEATS = 3


def _bars() -> pl.DataFrame:
    from pipelines.sources import SyntheticMarketConfig, transforms
    from pipelines.sources.synthetic import SyntheticMarket

    config = SyntheticMarketConfig(seed=7, n_tickers=N_TICKERS, start=START, end=END)
    market = SyntheticMarket(config)
    return transforms.daily_bars_frame(market.grouped_daily(START, END), source=market.name)


def _polars_checks(frame: pl.DataFrame) -> pl.DataFrame:
    prices = ("open", "high", "low", "close")
    return frame.select(
        *(
            pl.col(c).is_null().sum().alias(f"{c}_null")
            for c in (*prices, "ticker", "date", "volume")
        ),
        *((pl.col(c) <= 0).sum().alias(f"{c}_not_positive") for c in prices),
        (pl.col("low") > pl.min_horizontal("open", "close")).sum().alias("low_above"),
        (pl.col("high") < pl.max_horizontal("open", "close")).sum().alias("high_below"),
        (pl.col("volume") < 0).sum().alias("volume_negative"),
        pl.struct("ticker", "date").is_duplicated().sum().alias("duplicates"),
        (~pl.col("date_is_trading_day")).sum().alias("non_trading"),
        (pl.col("missing_trading_days") > 0).sum().alias("gaps"),
    )


def _median(fn) -> float:
    times = []
    for _ in range(REPEATS):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def run() -> list[str]:
    """Return the printed figures: seconds per stage and the ratio to a plain scan."""
    bars = _bars()
    context = ValidationContext()
    validate(DAILY_BARS, bars.head(1000), batch_id="warm-up", context=context)  # imports, calendar
    flagged = daily_bars_flags(bars, context)
    suite = build_suite(DAILY_BARS)

    reference = _median(lambda: _polars_checks(flagged))
    flags = _median(lambda: daily_bars_flags(bars, context))
    to_pandas = _median(lambda: flagged.to_pandas())
    gx_run = _median(lambda: run_gx(suite, flagged, index_columns=["ticker", "date"]))
    total = _median(lambda: validate(DAILY_BARS, bars, batch_id="bench", context=context))
    return [
        f"daily_bars validation on {bars.height:,} bars ({N_TICKERS} tickers, {START}..{END}), "
        f"median of {REPEATS}:",
        f"  Polars check columns  {flags:6.2f} s",
        f"  to pandas             {to_pandas:6.2f} s",
        f"  GX suite run          {gx_run:6.2f} s ({len(suite.expectations)} expectations)",
        f"  validate() total      {total:6.2f} s",
        f"  same checks in Polars {reference:6.2f} s (GX run = {gx_run / reference:,.1f}x that)",
    ]
