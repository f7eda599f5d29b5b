"""Resampling daily bars to weeks and months."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from lake.bars import resample_bars
from lake.errors import TickerlakeError

pytestmark = pytest.mark.unit


def _bars(ticker: str, days: list[date], seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    n = len(days)
    close = 50 * np.exp(np.cumsum(rng.normal(0, 0.02, n)))
    return pl.DataFrame(
        {
            "ticker": ticker,
            "date": days,
            "open": close * rng.uniform(0.98, 1.02, n),
            "high": close * 1.03,
            "low": close * 0.97,
            "close": close,
            "volume": rng.integers(1, 1000, n).astype(float),
            "vwap": close * rng.uniform(0.99, 1.01, n),
        }
    )


def _weekdays(start: date, count: int, skip: set[date] = frozenset()) -> list[date]:
    days, day = [], start
    while len(days) < count:
        if day.weekday() < 5 and day not in skip:
            days.append(day)
        day += timedelta(days=1)
    return days


def test_week_aggregates_and_ends_on_its_last_trading_day() -> None:
    good_friday = date(2024, 3, 29)
    days = _weekdays(date(2024, 3, 25), 9, skip={good_friday})  # Mon 25 .. Fri 5 Apr
    bars = _bars("AAA", days, 1)

    weeks = resample_bars(bars, "week")

    assert weeks["date"].to_list() == [date(2024, 3, 28), date(2024, 4, 5)]
    first = bars.filter(pl.col("date") <= date(2024, 3, 28))
    row = weeks.row(0, named=True)
    assert row["open"] == first["open"][0]
    assert row["close"] == first["close"][-1]
    assert row["high"] == first["high"].max()
    assert row["low"] == first["low"].min()
    assert row["volume"] == first["volume"].sum()
    expected_vwap = (first["vwap"] * first["volume"]).sum() / first["volume"].sum()
    assert row["vwap"] == pytest.approx(expected_vwap, rel=1e-12)


def test_month_is_labelled_by_its_last_bar_and_tickers_stay_apart() -> None:
    days = _weekdays(date(2024, 1, 2), 60)
    bars = pl.concat([_bars("BBB", days, 2), _bars("AAA", days[5:], 3)])

    months = resample_bars(bars, "month")

    assert months["ticker"].to_list() == ["AAA"] * 3 + ["BBB"] * 3
    month = pl.col("date").dt.month().alias("month")
    last_days = bars.group_by("ticker", month).agg(pl.col("date").max())
    assert sorted(months["date"].to_list()) == sorted(last_days["date"].to_list())
    assert months.filter(pl.col("ticker") == "BBB")["volume"].sum() == pytest.approx(
        bars.filter(pl.col("ticker") == "BBB")["volume"].sum()
    )


def test_vwap_ignores_bars_without_one_and_day_is_sorted_passthrough() -> None:
    days = _weekdays(date(2024, 1, 1), 5)
    bars = _bars("AAA", days, 4).with_columns(
        pl.when(pl.col("date") == days[0]).then(None).otherwise(pl.col("vwap")).alias("vwap")
    )

    week = resample_bars(bars, "week").row(0, named=True)
    rest = bars.filter(pl.col("date") > days[0])

    assert week["vwap"] == pytest.approx(
        (rest["vwap"] * rest["volume"]).sum() / rest["volume"].sum()
    )
    assert resample_bars(bars.reverse(), "day").equals(bars)


def test_unknown_interval_raises() -> None:
    with pytest.raises(TickerlakeError, match="unknown interval 'hour'"):
        resample_bars(_bars("AAA", _weekdays(date(2024, 1, 1), 3), 5), "hour")  # type: ignore[arg-type]
