"""On-demand queries: what they return, and the errors a user sees."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from lake import queries, tables
from lake.adjustment import adjusted_bars
from lake.errors import TickerlakeError
from lake.marts import daily_returns
from lake.schemas import ADJUSTED_BARS, DAILY_BARS, DAILY_RETURNS, SEGMENTS, SPLITS, TICKERS
from lake.segmentation import segments
from tests.lake.frames import bars, weekdays

pytestmark = pytest.mark.integration

TICKERS_HERE = ["AAA", "BBB", "CCC"]
DAYS = weekdays(date(2024, 1, 2), 30)


@pytest.fixture
def small_lake(any_lake_uri: str) -> str:
    raw = bars(TICKERS_HERE, DAYS)
    splits = SPLITS.conform(
        pl.DataFrame(
            {
                "ticker": ["BBB"],
                "execution_date": [DAYS[10]],
                "split_from": [1.0],
                "split_to": [2.0],
                "source": ["massive"],
            }
        )
    )
    info = TICKERS.conform(
        pl.DataFrame(
            {
                "ticker": TICKERS_HERE,
                "name": ["A Inc", "B Corp", "C Ltd"],
                "cik": None,
                "composite_figi": None,
                "primary_exchange": "XNYS",
                "type": "CS",
                "sic_code": ["3571", "6022", "7372"],
                "sic_description": None,
                "sector": ["Manufacturing", "Finance, Insurance & Real Estate", "Services"],
                "market_cap": [1e9, 2e9, 3e9],
                "shares_outstanding": [1e8, 1e8, 1e8],
                "list_date": None,
                "active": True,
                "source": "massive",
            },
            schema_overrides={
                "cik": pl.String,
                "composite_figi": pl.String,
                "sic_description": pl.String,
                "list_date": pl.Date,
            },
        )
    )
    adjusted = adjusted_bars(raw, splits)
    tables.write(DAILY_BARS, raw, mode="append")
    tables.write(SPLITS, splits, mode="append")
    tables.write(TICKERS, info, mode="append")
    tables.write(ADJUSTED_BARS, adjusted, mode="append", sort_by=("ticker", "date"))
    tables.write(DAILY_RETURNS, daily_returns(adjusted), mode="append")
    tables.write(SEGMENTS, segments(adjusted, info), mode="append")
    return any_lake_uri


def test_adjusted_bars_for_one_ticker_and_range(small_lake: str) -> None:
    frame = queries.adjusted_bars("BBB", DAYS[5], DAYS[14], columns=["close", "split_factor"])

    assert frame.columns == ["ticker", "date", "close", "split_factor"]
    assert frame["date"].to_list() == DAYS[5:15]
    assert frame["split_factor"].to_list() == [2.0] * 5 + [1.0] * 5


def test_adjusted_bars_for_several_tickers_are_sorted(small_lake: str) -> None:
    frame = queries.adjusted_bars(["CCC", "AAA"])

    assert frame.height == 2 * len(DAYS)
    assert frame.select("ticker", "date").equals(
        frame.select("ticker", "date").sort("ticker", "date")
    )


def test_unknown_ticker_is_named(small_lake: str) -> None:
    with pytest.raises(TickerlakeError, match="unknown ticker: ZZZZ"):
        queries.adjusted_bars(["AAA", "ZZZZ"])


def test_known_ticker_outside_the_range_gives_no_rows(small_lake: str) -> None:
    frame = queries.adjusted_bars("AAA", date(2020, 1, 1), date(2020, 2, 1))

    assert frame.is_empty()


def test_start_after_end_is_refused(small_lake: str) -> None:
    with pytest.raises(TickerlakeError, match="start 2024-02-01 is after end 2024-01-01"):
        queries.adjusted_bars("AAA", date(2024, 2, 1), date(2024, 1, 1))


def test_cross_section_and_last_load_date(small_lake: str) -> None:
    last = queries.last_load_date()
    section = queries.daily_cross_section()

    assert last == DAYS[-1]
    assert section["ticker"].to_list() == TICKERS_HERE
    assert section["pct_change"].to_list() == pytest.approx([1.0, 1.0, 1.0])
    assert section["sector"].to_list()[0] == "Manufacturing"
    assert set(section["cap_bucket"].to_list()) <= {"small", "mid", "large"}
    with pytest.raises(TickerlakeError, match="no bars on 2024-01-06"):
        queries.daily_cross_section(date(2024, 1, 6))


def test_segments_default_to_the_latest_month(small_lake: str) -> None:
    latest = queries.segments()

    assert latest["month"].unique().to_list() == [DAYS[-1].replace(day=1)]
    assert latest["liquidity_rank"].to_list() == [1, 2, 3]


@pytest.mark.parametrize(
    "read",
    [
        lambda: queries.adjusted_bars("AAA"),
        lambda: queries.last_load_date(),
        lambda: queries.tickers(),
        lambda: queries.daily_cross_section(),
        lambda: queries.grades("AAA"),
    ],
)
def test_an_empty_lake_says_how_to_build_it(lake_uri: str, read) -> None:
    with pytest.raises(TickerlakeError, match=r"tickerlake demo.*make run"):
        read()
