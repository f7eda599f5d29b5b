"""Small hand-made contract frames for the lake tests."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from lake.schemas import DAILY_BARS


def bars(tickers: list[str], days: list[date], *, close: float = 10.0) -> pl.DataFrame:
    """Return `DAILY_BARS` rows: every ticker on every day, close rising by 1% a day."""
    rows = []
    for t_index, ticker in enumerate(tickers):
        for d_index, day in enumerate(days):
            price = close * (1 + t_index) * 1.01**d_index
            rows.append(
                {
                    "ticker": ticker,
                    "date": day,
                    "open": price,
                    "high": price * 1.02,
                    "low": price * 0.98,
                    "close": price,
                    "volume": 1000.0 * (1 + t_index),
                    "vwap": price,
                    "transactions": 10,
                    "source": "synthetic",
                    "year": day.year,
                }
            )
    return DAILY_BARS.conform(pl.DataFrame(rows))


def weekdays(start: date, count: int) -> list[date]:
    """Return the first `count` Monday-to-Friday dates from `start` on."""
    days, day = [], start
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days
