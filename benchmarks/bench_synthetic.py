"""Synthetic market speed: generating the default universe's bars (2,500 tickers x 4 years).

(a) a fresh market's `grouped_daily` over the whole default range (universe, earnings
    schedule, splits, factor-model simulation and wire frame): median of 3;
(b) reference measured in the same run: an i.i.d. random walk of the same shape
    (numpy normals + cumsum + exp), the floor any simulation pays; ratio (a)/(b);
(c) the wire → contract transform of those bars, and the other datasets' first fetch.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import numpy as np

from pipelines.sources import transforms
from pipelines.sources.base import SyntheticMarketConfig
from pipelines.sources.synthetic import SyntheticMarket


def _median_seconds(action: Callable[[], object], repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def run() -> list[str]:
    config = SyntheticMarketConfig()
    n_days = None

    def generate() -> None:
        nonlocal n_days
        frame = SyntheticMarket(config).grouped_daily(config.start, config.end)
        n_days = frame["t"].n_unique()

    generate_s = _median_seconds(generate)
    shape = (n_days or 1, config.n_tickers)

    def random_walk() -> None:
        rng = np.random.default_rng(0)
        np.exp(np.cumsum(rng.standard_normal(shape) * 0.02, axis=0))

    reference_s = _median_seconds(random_walk)
    market = SyntheticMarket(config)
    wire = market.grouped_daily(config.start, config.end)
    transform_s = _median_seconds(lambda: transforms.daily_bars_frame(wire, source=market.name))
    started = time.perf_counter()
    market.earnings_calendar(config.start, config.end)
    market.splits(config.start, config.end)
    market.grades(market.universe["ticker"].to_list(), config.start, config.end)
    market.news(config.start, config.end)
    market.ticker_details(config.end)
    others_s = time.perf_counter() - started
    return [
        f"synthetic bars, {config.n_tickers:,} tickers x {shape[0]:,} sessions "
        f"({wire.height:,} bars): {generate_s:.2f} s median of 3 "
        f"({wire.height / generate_s / 1e6:.2f} M bars/s)",
        f"reference i.i.d. random walk of the same shape: {reference_s * 1000:.0f} ms; "
        f"ratio synthetic / random walk: {generate_s / reference_s:.1f}x",
        f"wire -> DAILY_BARS transform: {transform_s * 1000:.0f} ms median of 3",
        f"earnings + splits + grades + news + ticker details (first fetch, cached market): "
        f"{others_s:.2f} s",
    ]


if __name__ == "__main__":
    for line in run():
        print(line)
