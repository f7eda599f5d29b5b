"""Synthetic stock splits: forward splits for high-priced names, reverse splits for penny stocks.

Scheduled quarter by quarter from the market's anchor, each quarter from its own keyed
stream, so the splits up to a day never depend on the range asked for. Roughly 0.5% of
the universe splits per year (≈0.3% forward, ≈0.2% reverse); a company splits at most once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import numpy as np
import polars as pl

from lake.calendar import trading_days
from pipelines.sources.synthetic.quarters import quarter_start, quarters_between
from pipelines.sources.synthetic.streams import Stream, quarter_generator

FORWARD_RATE = 0.0008  # expected forward splits per ticker per quarter
REVERSE_RATE = 0.0005
FORWARD_MIN_PRICE = 100.0  # dollars at the anchor
REVERSE_MAX_PRICE = 4.0
SETTLE_DAYS = 15  # no split in the first sessions after the anchor: the jump needs a before


def _forward_ratio(rng: np.random.Generator, price: float) -> tuple[float, float]:
    if price >= 1000:
        return 1.0, float(rng.choice([10, 20]))
    if price >= 400:
        return 1.0, float(rng.choice([4, 5]))
    if price >= 200:
        return 1.0, float(rng.choice([2, 3, 4]))
    return rng.choice([(1.0, 2.0), (2.0, 3.0), (1.0, 3.0)], p=[0.6, 0.25, 0.15]).tolist()


def _reverse_ratio(rng: np.random.Generator, price: float) -> tuple[float, float]:
    if price < 1.0:
        return float(rng.choice([10, 20, 25])), 1.0
    return float(rng.choice([5, 8, 10])), 1.0


def split_events(universe: pl.DataFrame, seed: int, anchor: date, last_day: date) -> pl.DataFrame:
    """Return the splits executed in [anchor, last_day].

    Columns: `ticker_index` (row in `universe`), `ticker`, `execution_date`, `split_from`,
    `split_to` (split_from old shares become split_to new shares).
    """
    price0 = universe["price0"].to_numpy()
    n = price0.size
    forward_pool = set(np.flatnonzero(price0 >= FORWARD_MIN_PRICE).tolist())
    reverse_pool = set(np.flatnonzero(price0 <= REVERSE_MAX_PRICE).tolist())
    earliest = trading_days(anchor, anchor + timedelta(days=60))[SETTLE_DAYS]
    rows: list[tuple[int, date, float, float]] = []
    for year, quarter in quarters_between(anchor, last_day):
        rng = quarter_generator(seed, Stream.SPLITS, year, quarter)
        start = quarter_start(year, quarter)
        sessions = trading_days(start, start + timedelta(days=91))
        sessions = [d for d in sessions if d < quarter_start(*_next(year, quarter))]
        for pool, rate, ratio in (
            (forward_pool, FORWARD_RATE, _forward_ratio),
            (reverse_pool, REVERSE_RATE, _reverse_ratio),
        ):
            count = min(int(rng.poisson(rate * n)), len(pool))
            chosen: Iterable[int] = rng.choice(sorted(pool), count, replace=False) if count else []
            for index in chosen:
                day = sessions[int(rng.integers(0, len(sessions)))]
                split_from, split_to = ratio(rng, float(price0[index]))
                pool.discard(int(index))
                if earliest <= day <= last_day:
                    rows.append((int(index), day, split_from, split_to))
    frame = pl.DataFrame(
        rows,
        schema={
            "ticker_index": pl.Int64,
            "execution_date": pl.Date,
            "split_from": pl.Float64,
            "split_to": pl.Float64,
        },
        orient="row",
    )
    return (
        frame.with_columns(universe["ticker"].gather(frame["ticker_index"]).alias("ticker"))
        .select("ticker_index", "ticker", "execution_date", "split_from", "split_to")
        .sort("execution_date", "ticker")
    )


def _next(year: int, quarter: int) -> tuple[int, int]:
    return (year + 1, 1) if quarter == 4 else (year, quarter + 1)


def split_factors(splits: pl.DataFrame, days: np.ndarray, n_tickers: int) -> np.ndarray:
    """Return C[t, i]: the product of split_to/split_from of ticker i's splits executed on or
    before day t (`days` a datetime64[D] array). Raw price = continuous price / C; raw volume
    = continuous volume × C."""
    factors = np.ones((days.size, n_tickers))
    for index, executed, split_from, split_to in splits.select(
        "ticker_index", "execution_date", "split_from", "split_to"
    ).iter_rows():
        first = int(np.searchsorted(days, np.datetime64(executed, "D")))
        factors[first:, index] *= split_to / split_from
    return factors
