"""Fixtures for the pipelines tests (sources, historical steps, CLI): a small synthetic market
and the local provider server (tests/pipelines/sources/provider_server.py) with clients on it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from pipelines.sources.base import SyntheticMarketConfig
from pipelines.sources.finnhub import FinnhubClient
from pipelines.sources.fmp import FmpClient
from pipelines.sources.massive import MassiveClient
from pipelines.sources.synthetic import SyntheticMarket
from tests.pipelines.sources.provider_server import (
    FINNHUB_KEY,
    FMP_KEY,
    MASSIVE_KEY,
    ProviderServer,
)

SMALL_MARKET = SyntheticMarketConfig(
    seed=9, n_tickers=40, start=date(2024, 1, 2), end=date(2024, 3, 28)
)


@pytest.fixture(scope="session")
def small_market() -> SyntheticMarket:
    return SyntheticMarket(SMALL_MARKET)


@pytest.fixture(scope="session")
def provider_server(small_market: SyntheticMarket) -> Iterator[ProviderServer]:
    server = ProviderServer(market=small_market, as_of=SMALL_MARKET.end)
    httpd = server.start()
    yield server
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def massive(provider_server: ProviderServer) -> MassiveClient:
    return MassiveClient(MASSIVE_KEY, base_url=provider_server.base_url, backoff_seconds=0.01)


@pytest.fixture
def finnhub(provider_server: ProviderServer) -> FinnhubClient:
    return FinnhubClient(
        FINNHUB_KEY, base_url=f"{provider_server.base_url}/api/v1", backoff_seconds=0.01
    )


@pytest.fixture
def fmp(provider_server: ProviderServer) -> FmpClient:
    return FmpClient(FMP_KEY, base_url=provider_server.base_url, backoff_seconds=0.01)
