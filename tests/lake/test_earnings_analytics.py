"""Earnings analytics on hand-made reports and bars whose answers are known."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from lake import earnings_analytics as ea
from lake.marts import earnings_reactions

pytestmark = pytest.mark.unit

# Weekdays only, like trading sessions: Monday 2024-01-01 onwards.
SESSIONS = [d for d in (date(2024, 1, 1) + timedelta(days=i) for i in range(40)) if d.weekday() < 5]


def _bars(ticker: str, closes: list[float]) -> pl.DataFrame:
    return pl.DataFrame(
        {"ticker": ticker, "date": SESSIONS[: len(closes)], "close": [float(c) for c in closes]}
    )


def _earnings(rows: list[dict]) -> pl.DataFrame:
    base = {
        "fiscal_year": 2023,
        "fiscal_quarter": 4,
        "hour": "bmo",
        "eps_estimate": 1.0,
        "eps_actual": 1.1,
        "surprise_pct": 10.0,
        "source": "finnhub",
    }
    return pl.DataFrame([{**base, **r} for r in rows]).with_columns(
        pl.col("fiscal_year", "fiscal_quarter").cast(pl.Int32)
    )


def _paths(events: pl.DataFrame, bars: pl.DataFrame, *, days: int) -> pl.DataFrame:
    """The gold mart's paths: the analytics' input in the app."""
    return earnings_reactions(events, bars, days=days)


CLOSES = [100 + i for i in range(25)]  # close on session i is 100 + i
BARS = _bars("AAA", CLOSES)


@pytest.mark.parametrize(
    ("report_date", "hour", "day0_close"),
    [
        (SESSIONS[5], "bmo", 104),  # before the open: previous session's close
        (SESSIONS[5], "amc", 105),  # after the close: that day's close
        (SESSIONS[5], "dmh", 104),  # during market hours: the market saw it that day
        (SESSIONS[5], None, 104),
        (date(2024, 1, 6), "amc", 104),  # Saturday: last close before it (Friday, session 4)
        (date(2024, 1, 6), "bmo", 104),
    ],
)
def test_day_zero_is_the_last_close_before_the_news(report_date, hour, day0_close) -> None:
    events = _earnings([{"ticker": "AAA", "report_date": report_date, "hour": hour}])
    paths = _paths(events, BARS, days=10)
    assert paths["day"].to_list() == list(range(11))
    assert paths["close"][0] == day0_close
    assert paths["close"][10] == day0_close + 10
    assert paths["return_pct"][0] == 0.0
    assert paths["return_pct"][3] == pytest.approx(300 / day0_close)


def test_recent_events_keep_the_days_that_exist_and_orphans_are_dropped() -> None:
    events = _earnings(
        [
            {"ticker": "AAA", "report_date": SESSIONS[22], "hour": "amc"},  # 2 sessions after
            {"ticker": "AAA", "report_date": SESSIONS[0], "hour": "bmo"},  # no close before
            {"ticker": "ZZZ", "report_date": SESSIONS[5], "hour": "bmo"},  # no bars at all
        ]
    )
    paths = _paths(events, BARS, days=10)
    assert paths["report_date"].unique().to_list() == [SESSIONS[22]]
    assert paths["day"].to_list() == [0, 1, 2]


def test_paths_do_not_mix_tickers() -> None:
    bars = pl.concat([BARS, _bars("BBB", [50.0] * 25)])
    events = _earnings(
        [
            {"ticker": "AAA", "report_date": SESSIONS[5]},
            {"ticker": "BBB", "report_date": SESSIONS[5]},
        ]
    )
    paths = _paths(events, bars, days=4)
    bbb = paths.filter(pl.col("ticker") == "BBB")
    assert bbb["return_pct"].to_list() == [0.0] * 5


def test_surprise_by_quarter_keeps_the_last_reported_quarters() -> None:
    rows = [
        {
            "ticker": "AAA",
            "report_date": SESSIONS[i],
            "fiscal_year": 2022 + i // 4,
            "fiscal_quarter": i % 4 + 1,
            "surprise_pct": float(i),
        }
        for i in range(6)
    ]
    rows.append(
        {
            "ticker": "AAA",
            "report_date": SESSIONS[7],
            "fiscal_year": 2023,
            "fiscal_quarter": 3,
            "eps_actual": None,
        }
    )
    got = ea.surprise_by_quarter(_earnings(rows), quarters=4)
    assert got["period"].to_list() == ["2022 Q3", "2022 Q4", "2023 Q1", "2023 Q2"]
    assert got["surprise_pct"].to_list() == [2.0, 3.0, 4.0, 5.0]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, 3),
        ({"tickers": ["AAA"]}, 2),
        ({"quarters": [1]}, 1),
        ({"years": [2023]}, 2),
        ({"tickers": ["BBB"], "years": [2022]}, 0),
    ],
)
def test_filter_events(kwargs, expected) -> None:
    events = _earnings(
        [
            {"ticker": "AAA", "report_date": SESSIONS[1], "fiscal_year": 2023, "fiscal_quarter": 1},
            {"ticker": "AAA", "report_date": SESSIONS[2], "fiscal_year": 2022},
            {"ticker": "BBB", "report_date": SESSIONS[3], "fiscal_year": 2023},
            {"ticker": "BBB", "report_date": SESSIONS[4], "eps_actual": None},
        ]
    )
    assert ea.filter_events(events, **kwargs).height == expected


def test_correlation_is_one_when_returns_follow_surprises() -> None:
    # Each ticker rises by its surprise % (per session) after the report: perfect correlation.
    bars, rows = [], []
    for k, surprise in enumerate([-5.0, 1.0, 3.0, 8.0]):
        ticker = f"T{k}"
        closes = [100.0] * 6 + [100.0 * (1 + surprise / 100) ** (i + 1) for i in range(12)]
        bars.append(_bars(ticker, closes))
        rows.append({"ticker": ticker, "report_date": SESSIONS[6], "surprise_pct": surprise})
    paths = _paths(_earnings(rows), pl.concat(bars), days=10)
    corr = ea.surprise_return_correlation(paths, periods=[1, 5, 10])
    assert corr["events"].to_list() == [4, 4, 4]
    assert corr["correlation"][0] == pytest.approx(1.0)
    assert corr["correlation"][2] > 0.95
    points = ea.surprise_vs_return(paths, 1)
    assert points.sort("surprise_pct")["return_pct"].to_list() == pytest.approx([-5, 1, 3, 8])
    mean = ea.average_path(paths)
    assert mean["day"].to_list() == list(range(11)) and mean["mean_pct"][0] == 0.0


def test_correlation_is_null_for_tiny_samples() -> None:
    events = _earnings([{"ticker": "AAA", "report_date": SESSIONS[5]}])
    paths = _paths(events, BARS, days=3)
    corr = ea.surprise_return_correlation(paths, periods=[1])
    assert corr.row(0, named=True) == {"period": 1, "events": 1, "correlation": None}
