"""The NYSE trading calendar (exchange_calendars `XNYS`), as plain dates."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import exchange_calendars as xcals
import numpy as np
import pandas as pd

NEW_YORK = ZoneInfo("America/New_York")


@lru_cache(maxsize=1)
def _xnys() -> xcals.ExchangeCalendar:
    # Wide bounds so that synthetic histories and backfills of the last decades all fit.
    return xcals.get_calendar("XNYS", start="2000-01-03", end=f"{date.today().year + 1}-12-31")


@lru_cache(maxsize=64)
def _sessions(start: date, end: date) -> tuple[date, ...]:
    if end < start:
        return ()
    calendar = _xnys()
    first = max(pd.Timestamp(start), calendar.first_session)
    last = min(pd.Timestamp(end), calendar.last_session)
    if last < first:
        return ()
    return tuple(day.date() for day in calendar.sessions_in_range(first, last))


def trading_days(start: date, end: date) -> list[date]:
    """Return the NYSE sessions in [start, end] (holidays and weekends excluded), ascending."""
    return list(_sessions(start, end))


def trading_days_array(start: date, end: date) -> np.ndarray:
    """Return the NYSE sessions in [start, end] as a `datetime64[D]` array."""
    return np.array(_sessions(start, end), dtype="datetime64[D]")


def is_trading_day(day: date) -> bool:
    """True when `day` is an NYSE session."""
    return _xnys().is_session(pd.Timestamp(day))


def last_completed_session(now: datetime | None = None) -> date:
    """Return the last NYSE session strictly before today's New York date (`now` defaults to now)."""
    today = (now or datetime.now(UTC)).astimezone(NEW_YORK).date()
    yesterday = pd.Timestamp(today) - pd.Timedelta(days=1)
    return _xnys().date_to_session(yesterday, direction="previous").date()
