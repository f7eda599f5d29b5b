"""Real providers' limits, against the local provider server: the client-side rate under a
burst of 429s, `Retry-After` (seconds and HTTP-date), 500s, truncated JSON, slow answers,
and redirects that must never carry the key to another host.

Rates are measured from the server's arrival times, as the provider would count them.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime

import pytest
from pydantic import ValidationError

from lake.errors import ServiceUnavailable, TickerlakeError
from lake.settings import Settings
from pipelines.sources.finnhub import FinnhubClient
from pipelines.sources.fmp import FmpClient
from pipelines.sources.massive import MassiveClient
from pipelines.sources.rate_limit import Rate, RateLimiter, parse_rates
from pipelines.sources.rest import ProviderUnavailable, retry_after_seconds
from pipelines.sources.synthetic import SyntheticMarket
from tests.pipelines.sources.provider_server import (
    CUT_SHORT,
    FINNHUB_KEY,
    FMP_KEY,
    MASSIVE_KEY,
    TRUNCATED_JSON,
    Fault,
    ProviderServer,
    SeenRequest,
    redirect,
    slow,
    too_many_requests,
)

pytestmark = pytest.mark.unit

DAY = date(2024, 2, 7)
GROUPED = f"/v2/aggs/grouped/locale/us/market/stocks/{DAY.isoformat()}"
RATE = 20  # requests per second in the rate tests: small enough to keep them short


def busiest_second(requests: list[SeenRequest]) -> int:
    """Return the most requests that arrived within any one second (server clock)."""
    times = sorted(r.at for r in requests)
    return max(
        (sum(1 for later in times[i:] if later < start + 1.0) for i, start in enumerate(times)),
        default=0,
    )


@pytest.fixture
def other_host(small_market: SyntheticMarket) -> ProviderServer:
    """A second server on another loopback port: where a hostile redirect points."""
    server = ProviderServer(market=small_market, as_of=date(2024, 3, 28))
    httpd = server.start()
    yield server
    httpd.shutdown()
    httpd.server_close()


# --- the pieces -----------------------------------------------------------------------


def test_retry_after_is_read_in_seconds_and_as_an_http_date() -> None:
    now = datetime(2024, 2, 7, 21, 0, 0, tzinfo=UTC)

    assert retry_after_seconds("7", now) == 7.0
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=90), usegmt=True), now) == 90
    assert retry_after_seconds("Wed, 07 Feb 2024 20:59:00 GMT", now) == 0.0  # already past
    assert retry_after_seconds("soon", now) is None
    assert retry_after_seconds("inf", now) is None
    assert retry_after_seconds(None, now) is None


def test_plan_presets_and_custom_rates() -> None:
    assert parse_rates("free", "massive") == (Rate(5, 60.0),)
    assert parse_rates("paid", "massive") == (Rate(100, 1.0),)
    assert parse_rates("free", "finnhub") == (Rate(60, 60.0), Rate(30, 1.0))
    assert parse_rates("free", "fmp") == (Rate(250, 86400.0),)
    assert parse_rates("10/second,500/hour", "fmp") == (Rate(10, 1.0), Rate(500, 3600.0))
    assert parse_rates("unlimited", "fmp") == ()
    with pytest.raises(TickerlakeError, match="FMP_RATE_LIMIT='lots'"):
        parse_rates("lots", "fmp")


def test_a_malformed_rate_setting_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MASSIVE_RATE_LIMIT", "5 per minute")

    with pytest.raises(ValidationError, match="MASSIVE_RATE_LIMIT"):
        Settings(_env_file=None)


def test_clients_from_settings_default_to_the_free_plans(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("MASSIVE_RATE_LIMIT", "FINNHUB_RATE_LIMIT", "FMP_RATE_LIMIT"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("MASSIVE_API_KEY", "k1")
    monkeypatch.setenv("FINNHUB_API_KEY", "k2")
    monkeypatch.setenv("FMP_API_KEY", "k3")
    monkeypatch.setenv("FMP_RATE_LIMIT", "paid")
    settings = Settings(_env_file=None)

    assert MassiveClient.from_settings(settings).rest.limiter.rates == (Rate(5, 60.0),)
    assert FinnhubClient.from_settings(settings).rest.limiter.rates == (
        Rate(60, 60.0),
        Rate(30, 1.0),
    )
    assert FmpClient.from_settings(settings).rest.limiter.rates == (Rate(300, 60.0),)


def test_a_request_counts_until_one_period_after_its_answer() -> None:
    clock = [0.0]
    limiter = RateLimiter((Rate(2, 1.0),), clock=lambda: clock[0])
    first, second = limiter.acquire(), limiter.acquire()
    clock[0] = 0.5
    limiter.release(first)  # answered at 0.5: its slot frees at 1.5, not 1.0
    clock[0] = 1.2
    limiter.release(second)
    waiter = threading.Thread(target=limiter.acquire)
    waiter.start()
    waiter.join(timeout=0.2)
    assert waiter.is_alive()  # at 1.2 both slots still count
    clock[0] = 1.5
    limiter.hold(0.0)  # wakes the waiter, which finds first's slot free
    waiter.join(timeout=5)
    assert not waiter.is_alive()
    assert limiter.seconds_for(6) == 3.0


# --- against the server ---------------------------------------------------------------


def test_the_rate_is_kept_under_a_burst_of_429s(
    provider_server: ProviderServer, small_market: SyntheticMarket
) -> None:
    """Figures: no second holds more than RATE requests (+1 for the window boundary);
    records lost 0, duplicates 0, though 8 of the requests were answered 429."""
    client = MassiveClient(
        MASSIVE_KEY,
        base_url=provider_server.base_url,
        backoff_seconds=0.01,
        rate_limit=f"{RATE}/second",
        max_workers=4,
    )
    tickers = small_market.universe["ticker"].to_list()[:24]
    before = len(provider_server.requests)
    provider_server.fail_next("/v3/reference/tickers/", *[too_many_requests()] * 8)

    frame = client.ticker_details(date(2024, 3, 28), tickers=tickers)

    seen = provider_server.requests[before:]
    assert sum(1 for r in seen if r.fault is not None) == 8
    assert len(seen) == 24 + 8
    assert busiest_second(seen) <= RATE + 1
    assert sorted(frame["ticker"].to_list()) == sorted(tickers)  # lost 0, duplicated 0


@pytest.mark.parametrize("form", ["seconds", "http-date"])
def test_after_a_429_with_retry_after_no_request_comes_before_it(
    other_host: ProviderServer, small_market: SyntheticMarket, form: str
) -> None:
    """Figure: on the server's clock, no request of the client's four threads is sent
    within the Retry-After (1 s) of a 429; records lost 0, duplicates 0."""
    server = other_host  # a server of its own: every answer takes 0.1 s, so the four
    server.latency_seconds = 0.1  # threads send a steady stream, not one burst
    client = MassiveClient(
        MASSIVE_KEY, base_url=server.base_url, backoff_seconds=0.01, max_workers=4
    )
    # An HTTP-date has whole seconds and is written before the fetch starts: 3 s ahead
    # leaves well over 1 s of wait when the 429 is read.
    value = (
        "1"
        if form == "seconds"
        else format_datetime(datetime.now(UTC) + timedelta(seconds=3), usegmt=True)
    )
    tickers = small_market.universe["ticker"].to_list()[:32]
    server.fail_next("/v3/reference/tickers/", *[Fault(None)] * 6, too_many_requests(value))

    frame = client.ticker_details(date(2024, 3, 28), tickers=tickers)

    refused = next(r for r in server.requests if r.fault is not None and r.fault.status == 429)
    # Requests already on their way when the 429 came back arrive within a moment of it;
    # nothing sent after the client read the 429 may come before the second is up.
    gaps = [r.at - refused.at for r in server.requests if r.at > refused.at]
    assert [gap for gap in gaps if 0.2 < gap < 0.99] == []
    assert len(gaps) >= 32 - 6  # the retry and the requests after it did come
    assert sorted(frame["ticker"].to_list()) == sorted(tickers)


def test_a_retry_after_beyond_the_cap_fails_at_once_with_a_clear_error(
    provider_server: ProviderServer,
) -> None:
    client = FmpClient(FMP_KEY, base_url=provider_server.base_url, backoff_seconds=0.01)
    before = len(provider_server.seen("/stable/grades"))
    provider_server.fail_next("/stable/grades", too_many_requests("3600"))

    with pytest.raises(ProviderUnavailable) as raised:
        client.grades(["AAA"], DAY, DAY)

    message = str(raised.value)
    assert "FMP asks to wait 3600 s" in message and "FMP_RATE_LIMIT" in message
    assert FMP_KEY not in message
    assert isinstance(raised.value, ServiceUnavailable)
    assert len(provider_server.seen("/stable/grades")) - before == 1  # not retried


def test_429s_to_the_end_give_one_clear_error_naming_the_setting(
    provider_server: ProviderServer,
) -> None:
    client = FinnhubClient(
        FINNHUB_KEY, base_url=f"{provider_server.base_url}/api/v1", attempts=3, backoff_seconds=0.01
    )
    before = len(provider_server.seen("/api/v1/stock/earnings"))
    provider_server.fail_next("/api/v1/stock/earnings", *[too_many_requests("0")] * 3)

    with pytest.raises(ProviderUnavailable) as raised:
        client.earnings_surprises("AAA")

    assert str(raised.value).startswith("Finnhub kept refusing with HTTP 429")
    assert "after 3 attempts" in str(raised.value) and "FINNHUB_RATE_LIMIT" in str(raised.value)
    assert FINNHUB_KEY not in str(raised.value)
    assert len(provider_server.seen("/api/v1/stock/earnings")) - before == 3


def test_the_waits_between_tries_stop_at_the_deadline(provider_server: ProviderServer) -> None:
    """Each Retry-After asks for 1 s; a 1.5 s budget allows one wait, so two tries."""
    client = MassiveClient(MASSIVE_KEY, base_url=provider_server.base_url, attempts=10)
    client.rest.deadline_seconds = 1.5
    before = len(provider_server.seen(GROUPED))
    provider_server.fail_next(GROUPED, *[too_many_requests("1")] * 10)

    with pytest.raises(ProviderUnavailable, match="after 2 attempts"):
        client.grouped_day(DAY)

    assert len(provider_server.seen(GROUPED)) - before == 2
    provider_server.clear_faults()  # the 8 left unused must not reach later tests


def test_a_page_answered_500_then_200_gives_each_record_once(
    massive: MassiveClient, provider_server: ProviderServer, small_market: SyntheticMarket
) -> None:
    """Figures: records lost 0, duplicates 0, when the second page fails once."""
    provider_server.fail_next("/v3/reference/tickers", Fault(None), 500)

    records = massive.ticker_list(date(2024, 3, 28))

    assert [r["ticker"] for r in records] == small_market.universe["ticker"].to_list()


@pytest.mark.parametrize("fault", [TRUNCATED_JSON, CUT_SHORT], ids=["bad-json", "cut-short"])
def test_a_truncated_answer_is_retried(
    massive: MassiveClient,
    provider_server: ProviderServer,
    small_market: SyntheticMarket,
    fault: Fault,
) -> None:
    """Figures: one retry; the day's bars complete (rows lost 0, duplicates 0)."""
    before = len(provider_server.seen(GROUPED))
    provider_server.fail_next(GROUPED, fault)

    frame = massive.grouped_day(DAY)

    assert len(provider_server.seen(GROUPED)) - before == 2
    assert frame.equals(small_market.grouped_daily(DAY, DAY))


def test_truncated_answers_to_the_end_give_one_clear_error(
    provider_server: ProviderServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = FmpClient(FMP_KEY, base_url=provider_server.base_url, attempts=3, backoff_seconds=0.01)
    provider_server.fail_next("/stable/grades", TRUNCATED_JSON, CUT_SHORT, TRUNCATED_JSON)

    with pytest.raises(
        ProviderUnavailable, match=r"FMP is not answering \(a truncated response.*after 3 attempts"
    ) as raised:
        client.grades(["AAA"], DAY, DAY)

    assert FMP_KEY not in str(raised.value) and FMP_KEY not in caplog.text


def test_a_slow_answer_times_out_and_is_retried(
    provider_server: ProviderServer, small_market: SyntheticMarket
) -> None:
    client = MassiveClient(
        MASSIVE_KEY, base_url=provider_server.base_url, timeout_seconds=0.3, backoff_seconds=0.01
    )
    before = len(provider_server.seen(GROUPED))
    provider_server.fail_next(GROUPED, slow(1.5))

    frame = client.grouped_day(DAY)

    assert len(provider_server.seen(GROUPED)) - before == 2
    assert frame.equals(small_market.grouped_daily(DAY, DAY))


@pytest.mark.parametrize(
    ("make_call", "path", "key"),
    [
        (
            lambda url: MassiveClient(MASSIVE_KEY, base_url=url).grouped_day(DAY),
            GROUPED,
            MASSIVE_KEY,
        ),
        (
            lambda url: FinnhubClient(FINNHUB_KEY, base_url=f"{url}/api/v1").earnings_surprises(
                "AAA"
            ),
            "/api/v1/stock/earnings",
            FINNHUB_KEY,
        ),
        (
            lambda url: FmpClient(FMP_KEY, base_url=url).grades(["AAA"], DAY, DAY),
            "/stable/grades",
            FMP_KEY,
        ),
    ],
    ids=["massive-header", "finnhub-header", "fmp-query"],
)
def test_a_redirect_to_another_host_never_carries_the_key(
    provider_server: ProviderServer, other_host: ProviderServer, make_call, path: str, key: str
) -> None:
    """Figure: requests carrying the key that reach the other host: 0."""
    provider_server.fail_next(path, redirect(f"{other_host.base_url}{path}?symbol=AAA"))

    with pytest.raises(TickerlakeError, match=r"redirected .* to another host") as raised:
        make_call(provider_server.base_url)

    assert f"127.0.0.1:{other_host.port}" in str(raised.value)
    assert key not in str(raised.value)
    assert not any(key in repr(r) for r in other_host.requests)
    assert other_host.requests == []


def test_a_redirect_within_the_provider_is_followed_with_the_key(
    provider_server: ProviderServer, small_market: SyntheticMarket
) -> None:
    symbol = small_market.universe.sort("cap_rank")["ticker"][0]
    client = FmpClient(FMP_KEY, base_url=provider_server.base_url, backoff_seconds=0.01)
    before = len(provider_server.seen("/stable/grades"))
    # Relative, and without the key: the client adds the key back for its own origin only.
    provider_server.fail_next("/stable/grades", redirect(f"/stable/grades?symbol={symbol}", 301))

    followed = client.grades([symbol], date(2024, 1, 2), date(2024, 3, 28))

    asked = provider_server.seen("/stable/grades")[before:]
    assert len(asked) == 2  # the redirected try and its follow-up
    assert all(r.query.get("apikey") == FMP_KEY for r in asked)
    assert followed.height > 0
    assert followed.equals(client.grades([symbol], date(2024, 1, 2), date(2024, 3, 28)))
