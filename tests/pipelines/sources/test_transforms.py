"""The pure wire → contract transforms, on hand-written provider records."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from lake import schemas
from pipelines.sources import transforms, wire

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("t_ms", "expected"),
    [
        (1602705600000, date(2020, 10, 14)),  # 16:00 EDT = 20:00 UTC
        (1705352400000, date(2024, 1, 15)),  # 16:00 EST = 21:00 UTC
        (1705366800000, date(2024, 1, 15)),  # 01:00 UTC on the 16th is 20:00 EST on the 15th
    ],
)
def test_bar_dates_are_new_york_dates(t_ms: int, expected: date) -> None:
    raw = wire.wire_frame(
        [{"T": "AAA", "o": 1, "h": 2, "l": 0.5, "c": 1.5, "v": 10, "t": t_ms}], wire.GROUPED_DAILY
    )

    frame = transforms.daily_bars_frame(raw, source="massive")

    assert frame["date"].to_list() == [expected]
    assert frame["year"].to_list() == [expected.year]
    assert frame.schema == schemas.DAILY_BARS.schema


def test_missing_vwap_and_transactions_stay_null() -> None:
    raw = wire.wire_frame(
        [{"T": "AAA", "o": 1, "h": 2, "l": 0.5, "c": 1.5, "v": 10, "t": 1602705600000}],
        wire.GROUPED_DAILY,
    )

    frame = transforms.daily_bars_frame(raw, source="massive")

    assert frame["vwap"].to_list() == [None]
    assert frame["transactions"].to_list() == [None]


def test_tickers_get_their_sic_division_and_shares() -> None:
    raw = wire.wire_frame(
        [
            {
                "ticker": "AAA",
                "sic_code": "7372",
                "share_class_shares_outstanding": None,
                "weighted_shares_outstanding": 5e6,
                "list_date": "1999-03-10",
                "active": True,
            },
            {
                "ticker": "BBB",
                "sic_code": "6022",
                "share_class_shares_outstanding": 2e6,
                "weighted_shares_outstanding": 1e6,
                "list_date": None,
                "active": None,
            },
        ],
        wire.TICKER_DETAILS,
    )

    frame = transforms.tickers_frame(raw, source="massive")

    assert frame["sector"].to_list() == ["Services", "Finance, Insurance & Real Estate"]
    assert frame["shares_outstanding"].to_list() == [5e6, 2e6]
    assert frame["list_date"].to_list() == [date(1999, 3, 10), None]
    assert frame["active"].to_list() == [True, True]


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("Upgrade", "upgrade"),
        ("downgrade", "downgrade"),
        ("init", "initiate"),
        ("Initiate", "initiate"),
        ("Maintain", "maintain"),
        ("hold", "maintain"),
    ],
)
def test_grade_actions_are_normalised(action: str, expected: str) -> None:
    raw = wire.wire_frame(
        [
            {
                "symbol": "AAA",
                "date": "2024-01-02",
                "gradingCompany": "UBS",
                "previousGrade": "",
                "newGrade": "Buy",
                "action": action,
            }
        ],
        wire.GRADES,
    )

    frame = transforms.grades_frame(raw, source="fmp")

    assert frame["action"].to_list() == [expected]
    assert frame["previous_grade"].to_list() == [None]


def test_news_rows_are_keyed_per_article_and_ticker() -> None:
    raw = wire.wire_frame(
        [
            {
                "id": "abc",
                "publisher.name": "Wire",
                "title": "T",
                "published_utc": "2024-06-24T18:33:53Z",
                "tickers": "AAA",
            },
            {
                "id": "abc",
                "publisher.name": "Wire",
                "title": "T",
                "published_utc": "2024-06-24T18:33:53Z",
                "tickers": "BBB",
            },
        ],
        wire.NEWS,
    )

    frame = transforms.news_frame(raw, source="massive")

    assert frame["id"].to_list() == ["abc:AAA", "abc:BBB"]
    assert frame["published_utc"].to_list() == [datetime(2024, 6, 24, 18, 33, 53, tzinfo=UTC)] * 2
    assert frame.schema == schemas.NEWS.schema


def test_surprise_uses_the_estimates_magnitude() -> None:
    raw = wire.wire_frame(
        [
            {
                "date": "2024-05-01",
                "epsActual": -0.5,
                "epsEstimate": -1.0,
                "hour": "amc",
                "quarter": 1,
                "year": 2024,
                "symbol": "AAA",
            }
        ],
        wire.EARNINGS_CALENDAR,
    )

    frame = transforms.earnings_frame(raw, source="finnhub")

    assert frame["surprise_pct"].to_list() == [50.0]  # a smaller loss than expected is a beat
