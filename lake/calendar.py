"""The NYSE trading calendar (exchange_calendars `XNYS`): the one Tickerlake uses.

Sessions are the days the exchange opens, half days (early closes, e.g. 2024-11-29)
included; weekends and holidays (e.g. 2024-07-04, Good Friday 2024-03-29) are not.

The calendar covers `FIRST_DAY` (2000-01-03) to `LAST_DAY` (31 December of next year):

- Ranges (`trading_days`, `trading_days_array`): days before `FIRST_DAY` hold no
  sessions (no source and no lake goes back further, and a batch's pre-2000 row is then
  simply no trading day); an end after `LAST_DAY` raises `DateOutsideCalendar`, since the
  exchange has not published those holidays and an answer would silently miss some.
- Single days (`is_trading_day`, `previous_trading_day`, `last_completed_session`): a
  day outside [`FIRST_DAY`, `LAST_DAY`] raises `DateOutsideCalendar`.

`DateOutsideCalendar` is a `UsageError` (exit code 2): the date came from the user.
Dates come back as `datetime.date`; the synthetic market takes `datetime64[D]` arrays.
The sessions are built once per process (~0.2 s) and kept.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np

from lake.errors import UsageError

FIRST_DAY = date(2000, 1, 3)  # the first XNYS session of 2000
LAST_DAY = date(date.today().year + 1, 12, 31)  # as far as exchange_calendars is trusted
NEW_YORK = ZoneInfo("America/New_York")


class DateOutsideCalendar(UsageError):
    """A date the trading calendar does not cover (before `FIRST_DAY` or after
    `LAST_DAY`). Exit code 2."""


def trading_days(start: date, end: date) -> list[date]:
    """Return the sessions in [start, end], ascending (empty when `end < start`).

    Raises `DateOutsideCalendar` when `start` or `end` is after `LAST_DAY`."""
    return trading_days_array(start, end).tolist()


def trading_days_array(start: date, end: date) -> np.ndarray:
    """Return the sessions in [start, end] as an ascending `datetime64[D]` array (a copy).

    Raises `DateOutsideCalendar` when `start` or `end` is after `LAST_DAY`."""
    for day in (start, end):
        if day > LAST_DAY:
            raise _outside(day)
    sessions = _sessions()
    first = np.searchsorted(sessions, np.datetime64(start, "D"), side="left")
    last = np.searchsorted(sessions, np.datetime64(end, "D"), side="right")
    return sessions[first : max(first, last)].copy()


def is_trading_day(day: date) -> bool:
    """True when `day` is a session. Raises `DateOutsideCalendar` outside the calendar."""
    _check(day)
    sessions = _sessions()
    position = np.searchsorted(sessions, np.datetime64(day, "D"))
    return bool(position < sessions.size and sessions[position] == np.datetime64(day, "D"))


def previous_trading_day(day: date) -> date:
    """Return the last session strictly before `day`.

    Raises `DateOutsideCalendar` when `day` is outside the calendar or no session of the
    calendar comes before it (`day` <= `FIRST_DAY`)."""
    _check(day)
    position = int(np.searchsorted(_sessions(), np.datetime64(day, "D"), side="left"))
    if position == 0:
        raise DateOutsideCalendar(
            f"the trading calendar has no session before {day}; "
            f"use dates after {FIRST_DAY}, up to {LAST_DAY}"
        )
    return _sessions()[position - 1].item()


def last_completed_session(now: datetime | None = None) -> date:
    """Return the last session strictly before the New York date of `now` (default: now,
    timezone-aware). Raises `DateOutsideCalendar` when that date is outside the calendar."""
    today = (now or datetime.now(UTC)).astimezone(NEW_YORK).date()
    return previous_trading_day(today)


def _check(day: date) -> None:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise _outside(day)


def _outside(day: date) -> DateOutsideCalendar:
    return DateOutsideCalendar(
        f"{day} is outside the trading calendar; use dates from {FIRST_DAY} to {LAST_DAY}"
    )


@lru_cache(maxsize=1)
def _sessions() -> np.ndarray:
    # Imported here: exchange_calendars brings pandas, which the CLI's flag checks and
    # the app's first paint need not pay for.
    import exchange_calendars as xcals

    calendar = xcals.get_calendar("XNYS", start=FIRST_DAY.isoformat(), end=LAST_DAY.isoformat())
    sessions = calendar.sessions.values.astype("datetime64[D]")
    sessions.setflags(write=False)  # shared by every caller: never changed in place
    return sessions
