"""The one NYSE trading calendar: bounds, holidays, half days, out-of-range dates, and
that the validation checks and the synthetic market count the same sessions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import exchange_calendars as xcals
import numpy as np
import pandas as pd
import pytest

from expectations.context import ValidationContext
from expectations.flags import daily_bars_flags
from lake.calendar import (
    FIRST_DAY,
    LAST_DAY,
    DateOutsideCalendar,
    is_trading_day,
    last_completed_session,
    previous_trading_day,
    trading_days,
    trading_days_array,
)
from lake.errors import UsageError
from pipelines.cli_args import calendar_range
from pipelines.cli_errors import classify
from pipelines.sources import transforms
from pipelines.sources.base import SyntheticMarketConfig
from pipelines.sources.synthetic import SyntheticMarket

pytestmark = pytest.mark.unit


def test_bounds_are_the_first_session_of_2000_and_the_end_of_next_year() -> None:
    assert date(2000, 1, 3) == FIRST_DAY
    assert date(date.today().year + 1, 12, 31) == LAST_DAY
    assert calendar_range() == (FIRST_DAY, LAST_DAY)
    assert trading_days(FIRST_DAY, FIRST_DAY + timedelta(days=3)) == [
        date(2000, 1, 3),
        date(2000, 1, 4),
        date(2000, 1, 5),
        date(2000, 1, 6),
    ]
    assert trading_days(LAST_DAY - timedelta(days=7), LAST_DAY)[-1] <= LAST_DAY


def test_days_before_the_calendar_hold_no_sessions() -> None:
    assert trading_days(date(1999, 12, 1), date(2000, 1, 4)) == [date(2000, 1, 3), date(2000, 1, 4)]
    assert trading_days(date(1990, 1, 1), date(1999, 12, 31)) == []


@pytest.mark.parametrize(
    ("day", "why"),
    [
        (date(2024, 7, 4), "Independence Day"),
        (date(2024, 3, 29), "Good Friday"),
        (date(2024, 12, 25), "Christmas"),
        (date(2024, 1, 15), "Martin Luther King Jr. Day"),
        (date(2024, 11, 28), "Thanksgiving"),
        (date(2024, 7, 6), "a Saturday"),
        (date(2024, 7, 7), "a Sunday"),
    ],
)
def test_holidays_and_weekends_are_not_sessions(day: date, why: str) -> None:
    assert not is_trading_day(day), why
    assert day not in trading_days(day - timedelta(days=7), day + timedelta(days=7))


@pytest.mark.parametrize("day", [date(2024, 7, 3), date(2024, 11, 29), date(2024, 12, 24)])
def test_half_days_are_sessions(day: date) -> None:
    calendar = xcals.get_calendar("XNYS", start="2024-01-02", end="2024-12-31")
    assert pd.Timestamp(day) in calendar.early_closes  # the exchange closes at 13:00

    assert is_trading_day(day)
    assert day in trading_days(date(2024, 1, 1), date(2024, 12, 31))


def test_a_year_matches_exchange_calendars() -> None:
    calendar = xcals.get_calendar("XNYS", start="2000-01-03", end="2024-12-31")
    expected = [day.date() for day in calendar.sessions_in_range("2024-01-01", "2024-12-31")]

    assert trading_days(date(2024, 1, 1), date(2024, 12, 31)) == expected
    assert len(expected) == 252


def test_dates_come_back_as_dates_and_the_array_as_days() -> None:
    days = trading_days(date(2024, 3, 25), date(2024, 4, 2))
    array = trading_days_array(date(2024, 3, 25), date(2024, 4, 2))

    assert all(type(day) is date for day in days)
    assert array.dtype == np.dtype("datetime64[D]")
    assert array.tolist() == days
    assert date(2024, 3, 29) not in days
    array[0] = np.datetime64("2000-01-01")  # a copy: the calendar's own sessions stay intact
    assert trading_days(date(2024, 3, 25), date(2024, 3, 25)) == [date(2024, 3, 25)]
    assert trading_days(date(2024, 4, 2), date(2024, 3, 25)) == []


def test_previous_and_last_completed_sessions_skip_holidays() -> None:
    assert previous_trading_day(date(2024, 4, 1)) == date(2024, 3, 28)  # over Good Friday
    assert previous_trading_day(date(2024, 7, 5)) == date(2024, 7, 3)  # over July 4th
    # 23:30 in New York on 5 July is already the 6th in UTC: the New York date counts.
    assert last_completed_session(datetime(2024, 7, 6, 3, 30, tzinfo=UTC)) == date(2024, 7, 3)
    assert last_completed_session(datetime(2024, 7, 6, 4, 30, tzinfo=UTC)) == date(2024, 7, 5)


@pytest.mark.parametrize(
    "outside",
    [
        lambda: is_trading_day(date(1999, 12, 31)),
        lambda: is_trading_day(LAST_DAY + timedelta(days=1)),
        lambda: previous_trading_day(FIRST_DAY),
        lambda: trading_days(date(2024, 1, 2), LAST_DAY + timedelta(days=1)),
        lambda: trading_days_array(LAST_DAY + timedelta(days=1), LAST_DAY + timedelta(days=9)),
        lambda: last_completed_session(datetime(LAST_DAY.year + 1, 6, 1, tzinfo=UTC)),
    ],
)
def test_dates_outside_the_calendar_raise_a_usage_error(outside: Callable[[], object]) -> None:
    with pytest.raises(DateOutsideCalendar) as raised:
        outside()

    assert isinstance(raised.value, UsageError)
    code, message = classify(raised.value)
    assert code == 2
    assert f"{FIRST_DAY}" in message and f"{LAST_DAY}" in message


def test_the_continuity_check_and_the_synthetic_market_agree_on_the_sessions() -> None:
    # Jan-Jul 2024: MLK day, Presidents' Day, Good Friday, Memorial Day, Juneteenth,
    # July 4th and the 3 July half day.
    start, end = date(2024, 1, 2), date(2024, 7, 31)
    market = SyntheticMarket(SyntheticMarketConfig(seed=7, n_tickers=12, start=start, end=end))
    bars = transforms.daily_bars_frame(market.grouped_daily(start, end), source="synthetic")

    flags = daily_bars_flags(bars, ValidationContext(start=start, end=end))

    assert sorted(bars["date"].unique().to_list()) == trading_days(start, end)
    assert flags["date_is_trading_day"].all()
    assert flags["missing_trading_days"].sum() == 0
