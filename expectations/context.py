"""What cross-row checks need to know beyond the batch itself: the trading calendar,
which tickers should trade, the splits, and the closes just before the batch.

A `ValidationContext` is a plain value: the lake-backed constructor lives in
`expectations.lake_context`, tests build one by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

import polars as pl

# exchange_calendars builds XNYS sessions from this day on; older dates are not
# trading days as far as the checks are concerned.
CALENDAR_START = date(2000, 1, 3)


@dataclass(frozen=True)
class ValidationContext:
    """Facts about the world around a batch that its cross-row checks use.

    - `start`, `end`: the range the batch was asked for (None: the batch's own min/max
      date). A trading day in the range with no bar for an expected ticker is a gap.
    - `previous_closes`: `ticker, close` (dollars) on the trading day before `start`;
      these tickers were trading and are expected on every trading day of the range.
    - `inactive_tickers`: tickers known to be delisted; never expected after their
      last bar.
    - `splits`: `ticker, execution_date, split_from, split_to` known for the range
      (a big move on a split day is expected).
    - `bars`: `ticker, date, open, close` raw bars around the splits being audited
      (for the splits suite's "matching move" check).
    - `max_untraded_share`: None when the source sends a bar for every ticker every
      session (the synthetic market): a missing (ticker, day) is a gap and fails. A
      share (0-1) when the source sends no bar for a day a ticker did not trade
      (Massive's grouped daily): a missing (ticker, day) is then a warning, and the
      batch fails only when a session lacks more than that share of the expected
      tickers (a truncated download).
    """

    start: date | None = None
    end: date | None = None
    previous_closes: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(schema={"ticker": pl.String, "close": pl.Float64})
    )
    inactive_tickers: frozenset[str] = frozenset()
    splits: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(
            schema={
                "ticker": pl.String,
                "execution_date": pl.Date,
                "split_from": pl.Float64,
                "split_to": pl.Float64,
            }
        )
    )
    bars: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(
            schema={"ticker": pl.String, "date": pl.Date, "open": pl.Float64, "close": pl.Float64}
        )
    )
    max_untraded_share: float | None = None


@lru_cache(maxsize=1)
def _xnys():
    import exchange_calendars as xcals

    # A fixed end far enough ahead; building the calendar costs ~0.5 s, so keep one.
    return xcals.get_calendar("XNYS", start=CALENDAR_START.isoformat(), end="2035-12-31")


@lru_cache(maxsize=64)
def _sessions(start: date, end: date) -> pl.Series:
    calendar = _xnys()
    low = max(start, CALENDAR_START)
    if end < low:
        return pl.Series("date", [], dtype=pl.Date)
    sessions = calendar.sessions_in_range(low.isoformat(), end.isoformat())
    return pl.Series("date", list(sessions.date), dtype=pl.Date)


def trading_days(start: date, end: date) -> pl.Series:
    """Return the NYSE (XNYS) trading days in [start, end] as a sorted Date series."""
    return _sessions(start, end)


def previous_trading_day(day: date) -> date:
    """Return the last NYSE trading day strictly before `day`."""
    days = trading_days(day - timedelta(days=10), day - timedelta(days=1))
    return days[-1]
