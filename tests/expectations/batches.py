"""Small, clean batches of every silver table, built by hand for the expectation tests."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import polars as pl

from lake.calendar import trading_days
from lake.schemas import DAILY_BARS, EARNINGS, GRADES, NEWS, SPLITS, TICKERS

TICKER_NAMES = ("AAA", "BBB", "CCC", "DDD", "EEE")
START = date(2025, 11, 3)
END = date(2025, 12, 31)


def clean_bars(
    tickers: tuple[str, ...] = TICKER_NAMES, start: date = START, end: date = END, seed: int = 1
) -> pl.DataFrame:
    """Return consistent daily bars (small moves, low ≤ open/close ≤ high) on every XNYS day."""
    days = trading_days(start, end)
    rng = np.random.default_rng(seed)
    frames = []
    for ticker in tickers:
        closes = 50 * np.exp(np.cumsum(rng.normal(0, 0.01, len(days))))
        opens = closes * np.exp(rng.normal(0, 0.005, len(days)))
        frames.append(
            pl.DataFrame(
                {
                    "ticker": ticker,
                    "date": days,
                    "open": opens,
                    "high": np.maximum(opens, closes) * 1.01,
                    "low": np.minimum(opens, closes) * 0.99,
                    "close": closes,
                    "volume": rng.uniform(1e5, 1e6, len(days)),
                    "vwap": (opens + closes) / 2,
                    "transactions": rng.integers(100, 1000, len(days)),
                    "source": "synthetic",
                }
            )
        )
    return DAILY_BARS.conform(
        pl.concat(frames).with_columns(pl.col("date").dt.year().alias("year"))
    )


def clean_tickers(tickers: tuple[str, ...] = TICKER_NAMES) -> pl.DataFrame:
    """Return a tickers batch, all active."""
    n = len(tickers)
    return TICKERS.conform(
        pl.DataFrame(
            {
                "ticker": list(tickers),
                "name": [f"{t} Corp" for t in tickers],
                "cik": [f"{i:010d}" for i in range(n)],
                "composite_figi": [f"BBG000{i:06d}" for i in range(n)],
                "primary_exchange": "XNYS",
                "type": "CS",
                "sic_code": "3571",
                "sic_description": "Electronic Computers",
                "sector": "Manufacturing",
                "market_cap": [1e9 * (i + 1) for i in range(n)],
                "shares_outstanding": [1e7 * (i + 1) for i in range(n)],
                "list_date": date(2010, 1, 4),
                "active": True,
                "source": "massive",
            }
        )
    )


def clean_splits() -> pl.DataFrame:
    """Return one 2-for-1 split of AAA on 2025-11-17 (apply it to bars with `with_split`)."""
    return SPLITS.conform(
        pl.DataFrame(
            {
                "ticker": ["AAA"],
                "execution_date": [date(2025, 11, 17)],
                "split_from": [1.0],
                "split_to": [2.0],
                "source": ["massive"],
            }
        )
    )


def with_split(bars: pl.DataFrame, ticker: str, day: date, ratio: float) -> pl.DataFrame:
    """Return raw bars as a provider serves them: prices divided by `ratio` from `day` on."""
    after = (pl.col("ticker") == ticker) & (pl.col("date") >= day)
    return bars.with_columns(
        [
            pl.when(after).then(pl.col(c) / ratio).otherwise(pl.col(c)).alias(c)
            for c in ("open", "high", "low", "close", "vwap")
        ]
    )


def clean_earnings(tickers: tuple[str, ...] = TICKER_NAMES) -> pl.DataFrame:
    """Return one report per ticker; the last one not reported yet (null EPS actual and
    surprise)."""
    n = len(tickers)
    actual = [1.0 + i / 10 for i in range(n)]
    actual[-1] = None  # type: ignore[call-overload]
    return EARNINGS.conform(
        pl.DataFrame(
            {
                "ticker": list(tickers),
                "report_date": [START + timedelta(days=i) for i in range(n)],
                "fiscal_quarter": 3,
                "fiscal_year": 2025,
                "hour": ["bmo", "amc", "dmh", "", None][:n] + ["bmo"] * max(0, n - 5),
                "eps_estimate": [1.0, None, 1.2, 1.3, 1.4][:n] + [1.0] * max(0, n - 5),
                "eps_actual": actual,
                "surprise_pct": [a - 1.0 if a is not None else None for a in actual],
                "revenue_estimate": 1e9,
                "revenue_actual": [1.1e9] * (n - 1) + [None],
                "source": "finnhub",
            },
            strict=False,
        )
    )


def clean_grades() -> pl.DataFrame:
    """Return three grade actions."""
    return GRADES.conform(
        pl.DataFrame(
            {
                "ticker": ["AAA", "AAA", "BBB"],
                "date": [date(2025, 11, 4), date(2025, 11, 4), date(2025, 11, 5)],
                "firm": ["Morgan Stanley", "Goldman Sachs", "Morgan Stanley"],
                "previous_grade": ["Hold", None, "Buy"],
                "new_grade": ["Buy", "Neutral", "Buy"],
                "action": ["upgrade", "initiate", "maintain"],
                "source": "fmp",
            }
        )
    )


def clean_news() -> pl.DataFrame:
    """Return two articles."""
    return NEWS.conform(
        pl.DataFrame(
            {
                "id": ["n1-AAA", "n2-BBB"],
                "ticker": ["AAA", "BBB"],
                "published_utc": [datetime(2025, 11, 4, 13, 0), datetime(2025, 11, 5, 14, 0)],
                "title": ["AAA beats", "BBB misses"],
                "publisher": ["Wire", "Wire"],
                "article_url": ["https://example.com/1", "https://example.com/2"],
                "source": "massive",
            }
        ).with_columns(pl.col("published_utc").dt.replace_time_zone("UTC"))
    )
