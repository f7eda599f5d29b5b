"""The app's cached loaders (`app/data.py`) against the small demo lake."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest
import streamlit as st

from app import data
from lake import market_health, queries

pytestmark = pytest.mark.integration


@pytest.fixture
def uri(app_lake: str) -> str:
    st.cache_data.clear()
    st.cache_resource.clear()
    return app_lake


def _most_but_not_all(uri: str) -> tuple[str, ...]:
    """Cap buckets holding at least half the universe but not all of it."""
    counts = data.universe(uri)["cap_bucket"].value_counts().sort("count")
    return tuple(counts["cap_bucket"].drop_nulls()[1:])


def test_home_breadth_counts_only_the_filtered_tickers(uri: str) -> None:
    caps = _most_but_not_all(uri)
    members = market_health.filter_universe(data.universe(uri), cap_buckets=caps)
    everyone = data.universe(uri).height
    assert everyone * 0.5 <= members.height < everyone  # the "read all, then filter" path
    end = data.overview(uri).last_day
    start = end - timedelta(days=90)
    home = data.home_view(uri, caps, (), start, end)
    bars = queries.daily_returns(
        start - timedelta(days=data.SMA_LOOKBACK_DAYS), end, columns=["close"], lake_uri=uri
    ).filter(pl.col("ticker").is_in(members["ticker"].implode()))
    expected = market_health.breadth_history(bars.select("ticker", "date", "close"), since=start)
    assert home["tickers"] == members.height
    assert home["breadth_history"].equals(expected)
    last = home["breadth"]
    assert last["advancers"] + last["decliners"] + last["unchanged"] <= members.height


def test_market_view_shares_the_home_breadth(uri: str) -> None:
    end = data.overview(uri).last_day
    start = end - timedelta(days=120)
    home = data.home_view(uri, (), (), start, end)
    market = data.market_view(uri, (), (), start, end, None)
    assert market["breadth_history"].equals(home["breadth_history"])
    assert market["members"].height == home["tickers"]
    drawn = market["map_tiles"].filter(pl.col("parent") != "")["tickers"].sum()
    assert drawn == market["map"].height  # every mapped company is in a tile


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        (None, "—"),
        ("{}", "—"),
        (
            '{"expect_column_values_to_be_between(close)": 3, "expect_x(a)": null, "y": 1}',
            "expect_column_values_to_be_between(close): 3 rows; expect_x(a); y: 1 row",
        ),
        ("not json", "not json"),
    ],
)
def test_expectation_list_reads_as_a_line(stored: str | None, shown: str) -> None:
    assert data.expectation_list(stored) == shown
