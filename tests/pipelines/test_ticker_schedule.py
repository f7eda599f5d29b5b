"""Ticker details come on a slower schedule than bars: a real provider's are refetched only
when the lake's newest fetch from it is TICKER_DETAILS_MAX_AGE_DAYS old (local server, real
Delta lake)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from lake import tables
from lake.schemas import TICKERS
from lake.settings import get_settings
from pipelines import historical
from pipelines.sources.base import Sources
from pipelines.sources.massive import MassiveClient
from pipelines.sources.synthetic import SyntheticMarket
from pipelines.ticker_schedule import ticker_details_due
from tests.pipelines.sources.provider_server import ProviderServer

pytestmark = pytest.mark.unit

AS_OF = date(2024, 3, 28)
BRONZE = historical.bronze_contract("tickers")


def detail_requests(server: ProviderServer) -> int:
    return len(server.seen("/v3/reference/tickers/"))


def test_ticker_details_are_fetched_once_a_week_not_on_every_load(
    lake_uri: str,
    massive: MassiveClient,
    provider_server: ProviderServer,
    small_market: SyntheticMarket,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Figures: the second load within the week makes 0 detail requests and writes 0 rows;
    a week later all tickers are fetched again."""
    sources = Sources(bars=massive, earnings=small_market, grades=small_market)
    assert ticker_details_due(BRONZE, "massive", lake_uri=lake_uri)  # an empty lake has none

    before = detail_requests(provider_server)
    first = historical.extract("tickers", AS_OF, AS_OF, sources=sources, lake_uri=lake_uri)
    fetched = detail_requests(provider_server) - before
    assert fetched == small_market.universe.height
    assert historical.load_silver("tickers", first, lake_uri=lake_uri)["rows"] == fetched

    again = historical.extract("tickers", AS_OF, AS_OF, sources=sources, lake_uri=lake_uri)

    assert detail_requests(provider_server) - before == fetched  # no new request
    assert tables.read(BRONZE).height == fetched
    assert historical.load_silver("tickers", again, lake_uri=lake_uri)["rows"] == 0
    assert tables.read(TICKERS).height == fetched  # silver keeps the details
    in_a_week = datetime.now(UTC) + timedelta(days=7)
    assert ticker_details_due(BRONZE, "massive", lake_uri=lake_uri, now=in_a_week)
    assert not ticker_details_due(
        BRONZE, "massive", lake_uri=lake_uri, now=in_a_week - timedelta(hours=1)
    )
    monkeypatch.setenv("TICKER_DETAILS_MAX_AGE_DAYS", "0")  # 0: on every load
    get_settings.cache_clear()
    assert ticker_details_due(BRONZE, "massive", lake_uri=lake_uri)


def test_only_a_fetch_from_the_same_source_counts(
    lake_uri: str, small_market: SyntheticMarket
) -> None:
    sources = Sources(bars=small_market, earnings=small_market, grades=small_market)
    historical.extract("tickers", AS_OF, AS_OF, sources=sources, lake_uri=lake_uri)

    # A synthetic fetch says nothing about Massive's details; the synthetic market is free.
    assert ticker_details_due(BRONZE, "massive", lake_uri=lake_uri)
    assert ticker_details_due(BRONZE, "synthetic", lake_uri=lake_uri)
