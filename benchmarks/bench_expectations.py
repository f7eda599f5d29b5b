"""Validation speed on the demo's size: ≈2.5 M daily bars (2,500 tickers × 4 years).

Splits the time into the Polars check columns (trading days, gaps, moves), the
conversion to pandas, and GX's own run of the daily_bars suite, and compares the
total with a plain Polars scan of the same frame (the reference).
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
    from lake.settings import Settings
    from pipelines.sources import SyntheticMarketConfig, get_sources, transforms

    config = SyntheticMarketConfig(seed=7, n_tickers=N_TICKERS, start=START, end=END)
    sources = get_sources(Settings(), synthetic=config)
    return transforms.daily_bars_frame(sources.bars.grouped_daily(START, END))


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

    reference = _median(lambda: bars.select(pl.all().null_count()))
    flags = _median(lambda: daily_bars_flags(bars, context))
    to_pandas = _median(lambda: flagged.to_pandas())
    gx_run = _median(lambda: run_gx(suite, flagged, index_columns=["ticker", "date"]))
    total = _median(lambda: validate(DAILY_BARS, bars, batch_id="bench", context=context))
    return [
        f"daily_bars validation on {bars.height:,} bars ({N_TICKERS} tickers, {START}..{END}), median of {REPEATS}:",
        f"  Polars check columns  {flags:6.2f} s",
        f"  to pandas             {to_pandas:6.2f} s",
        f"  GX suite run          {gx_run:6.2f} s ({len(suite.expectations)} expectations)",
        f"  validate() total      {total:6.2f} s = {total / reference:,.0f}x a plain Polars scan ({reference * 1000:.1f} ms)",
    ]
