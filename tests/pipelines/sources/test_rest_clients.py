"""The real clients against the local provider server: pagination, retries, auth errors, secrets."""

from __future__ import annotations

import logging
import socket
from datetime import date

import pytest

from lake.errors import TickerlakeError
from lake.settings import Settings
from pipelines.sources import get_sources
from pipelines.sources.finnhub import FinnhubClient
from pipelines.sources.fmp import FmpClient
from pipelines.sources.massive import MassiveClient
from pipelines.sources.synthetic import SyntheticMarket
from tests.pipelines.sources.provider_server import (
    FINNHUB_KEY,
    FMP_KEY,
    MASSIVE_KEY,
    PAGE_SIZE,
    ProviderServer,
)

pytestmark = pytest.mark.unit

DAY = date(2024, 2, 7)


def test_ticker_list_follows_next_url_and_sends_the_key_on_every_page(
    massive: MassiveClient, provider_server: ProviderServer, small_market: SyntheticMarket
) -> None:
    before = len(provider_server.seen("/v3/reference/tickers"))

    records = massive.ticker_list(date(2024, 3, 28))

    pages = provider_server.seen("/v3/reference/tickers")[before:]
    assert [r["ticker"] for r in records] == small_market.universe["ticker"].to_list()
    assert len(pages) == -(-small_market.universe.height // PAGE_SIZE)
    assert all(p.headers["authorization"] == f"Bearer {MASSIVE_KEY}" for p in pages)
    assert all("cursor" in p.query for p in pages[1:])
    assert all("apiKey" not in p.query and "apikey" not in p.query for p in pages)


def test_grouped_daily_asks_for_unadjusted_bars_one_session_at_a_time(
    massive: MassiveClient, provider_server: ProviderServer
) -> None:
    before = len(provider_server.seen("/v2/aggs/grouped"))
    calls: list[tuple[int, int]] = []

    frame = massive.grouped_daily(
        date(2024, 2, 15), date(2024, 2, 21), progress=lambda d, t: calls.append((d, t))
    )

    asked = provider_server.seen("/v2/aggs/grouped")[before:]
    # 2024-02-19 is Presidents' Day, and the 17th/18th a weekend.
    assert [r.path.rsplit("/", 1)[1] for r in asked] == [
        "2024-02-15",
        "2024-02-16",
        "2024-02-20",
        "2024-02-21",
    ]
    assert all(r.query["adjusted"] == "false" for r in asked)
    assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert frame.height == 4 * 40


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_a_retryable_status_is_retried_until_success(
    massive: MassiveClient,
    provider_server: ProviderServer,
    small_market: SyntheticMarket,
    status: int,
) -> None:
    path = f"/v2/aggs/grouped/locale/us/market/stocks/{DAY.isoformat()}"
    before = len(provider_server.seen(path))
    provider_server.fail_next(path, status, status)

    frame = massive.grouped_day(DAY)

    assert len(provider_server.seen(path)) - before == 3
    assert frame.equals(small_market.grouped_daily(DAY, DAY))


def test_retries_run_out_with_a_clear_error(provider_server: ProviderServer) -> None:
    client = FinnhubClient(
        FINNHUB_KEY, base_url=f"{provider_server.base_url}/api/v1", attempts=3, backoff_seconds=0.01
    )
    provider_server.fail_next("/api/v1/calendar/earnings", 503, 503, 503)

    with pytest.raises(
        TickerlakeError, match=r"Finnhub is not answering \(HTTP 503.*after 3 attempts"
    ):
        client.earnings_calendar(DAY, DAY)


def test_connection_errors_are_retried_then_reported() -> None:
    with socket.socket() as probe:  # a loopback port with nobody listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = MassiveClient(
        MASSIVE_KEY, base_url=f"http://127.0.0.1:{port}", attempts=2, backoff_seconds=0.01
    )

    with pytest.raises(TickerlakeError, match=r"Massive is not answering .*ConnectError"):
        client.splits(DAY, DAY)


@pytest.mark.parametrize(
    ("make_client", "variable", "secret"),
    [
        (
            lambda url: MassiveClient(
                "wrong-massive-secret", base_url=url, backoff_seconds=0.01
            ).grouped_day(DAY),
            "MASSIVE_API_KEY",
            "wrong-massive-secret",
        ),
        (
            lambda url: FinnhubClient(
                "wrong-finnhub-secret", base_url=f"{url}/api/v1", backoff_seconds=0.01
            ).earnings_calendar(DAY, DAY),
            "FINNHUB_API_KEY",
            "wrong-finnhub-secret",
        ),
        (
            lambda url: FmpClient("wrong-fmp-secret", base_url=url, backoff_seconds=0.01).grades(
                ["AAA"], DAY, DAY
            ),
            "FMP_API_KEY",
            "wrong-fmp-secret",
        ),
    ],
    ids=["massive", "finnhub", "fmp"],
)
def test_a_rejected_key_names_the_variable_and_never_the_key(
    provider_server: ProviderServer,
    make_client,
    variable: str,
    secret: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    before = len(provider_server.requests)

    with pytest.raises(TickerlakeError) as raised:
        make_client(provider_server.base_url)

    assert variable in str(raised.value)
    assert "401" in str(raised.value)
    assert secret not in str(raised.value)
    assert secret not in caplog.text
    assert len(provider_server.requests) - before == 1  # an auth error is not retried


def test_the_fmp_key_never_reaches_the_logs(
    fmp: FmpClient,
    small_market: SyntheticMarket,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Other suites (Airflow's logging config) may have disabled or quietened httpx's logger.
    monkeypatch.setattr(logging.getLogger("httpx"), "disabled", False)
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="httpx")
    symbols = small_market.universe.sort("cap_rank").head(2)["ticker"].to_list()

    frame = fmp.grades(symbols, date(2024, 1, 2), date(2024, 3, 28))

    assert frame.height > 0
    assert "/stable/grades" in caplog.text  # httpx did log the requests...
    assert FMP_KEY not in caplog.text  # ...with the key scrubbed
    assert FMP_KEY not in repr(fmp) and FMP_KEY not in repr(fmp.rest)


def test_news_flattens_each_article_to_one_row_per_ticker(
    massive: MassiveClient, small_market: SyntheticMarket
) -> None:
    frame = massive.news(date(2024, 1, 15), date(2024, 2, 20))

    assert frame["publisher.name"].null_count() == 0
    assert frame.select("id", "tickers").is_duplicated().sum() == 0
    assert frame.equals(small_market.news(date(2024, 1, 15), date(2024, 2, 20)))


def test_unknown_ticker_details_are_skipped(massive: MassiveClient) -> None:
    frame = massive.ticker_details(date(2024, 3, 28), tickers=["NOPE-404"])

    assert frame.is_empty()


def test_earnings_surprises_come_back_in_the_wire_shape(
    finnhub: FinnhubClient, small_market: SyntheticMarket
) -> None:
    symbol = small_market.universe["ticker"][0]

    frame = finnhub.earnings_surprises(symbol, limit=1)

    assert frame.columns == [
        "actual",
        "estimate",
        "period",
        "quarter",
        "year",
        "surprise",
        "surprisePercent",
        "symbol",
    ]
    assert frame["symbol"].to_list() == [symbol]


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        # No key at all: the synthetic market serves everything.
        ({}, ("synthetic", "synthetic", "synthetic")),
        # Some keys: a role without its key has no source (skipped, never faked).
        ({"MASSIVE_API_KEY": "k1"}, ("massive", None, None)),
        ({"FINNHUB_API_KEY": "k2", "FMP_API_KEY": "k3"}, (None, "finnhub", "fmp")),
        (
            {"POLYGON_API_KEY": "k1", "FINNHUB_API_KEY": "k2", "FMP_API_KEY": "k3"},
            ("massive", "finnhub", "fmp"),
        ),
        # Asked for: the synthetic market fills the roles without a key ...
        (
            {"MASSIVE_API_KEY": "k1", "TICKERLAKE_SYNTHETIC": "true"},
            ("massive", "synthetic", "synthetic"),
        ),
        # ... or, refused, serves nothing even with no key set.
        ({"TICKERLAKE_SYNTHETIC": "false"}, (None, None, None)),
    ],
)
def test_get_sources_uses_a_real_client_exactly_where_its_key_is_set(
    monkeypatch: pytest.MonkeyPatch, keys: dict[str, str], expected: tuple[str | None, ...]
) -> None:
    for variable in (
        "MASSIVE_API_KEY",
        "POLYGON_API_KEY",
        "FINNHUB_API_KEY",
        "FMP_API_KEY",
        "TICKERLAKE_SYNTHETIC",
    ):
        monkeypatch.delenv(variable, raising=False)
    for variable, value in keys.items():
        monkeypatch.setenv(variable, value)

    sources = get_sources(Settings(_env_file=None))

    names = tuple(
        None if role is None else role.name
        for role in (sources.bars, sources.earnings, sources.grades)
    )
    assert names == expected
    missing = {role: sources.missing(role) for role in ("bars", "earnings", "grades")}
    for (role, note), name in zip(missing.items(), names, strict=True):
        assert (note is None) == (name is not None), role
    if names[1] is None:
        assert missing["earnings"] == "FINNHUB_API_KEY not set"
