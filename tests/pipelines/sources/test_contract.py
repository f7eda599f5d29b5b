"""One contract for every source: fetch returns the wire shape, the transform the table contract.

Parametrized over the synthetic market and the real clients (against the local provider
server, which serves the same synthetic content), so both must agree record for record.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import polars as pl
import pytest

from lake import schemas
from pipelines.historical import ROLES
from pipelines.sources import transforms, wire
from pipelines.sources.base import BarsSource, EarningsSource, GradesSource, Sources
from pipelines.sources.finnhub import FinnhubClient
from pipelines.sources.fmp import FmpClient
from pipelines.sources.massive import MassiveClient
from pipelines.sources.synthetic import SyntheticMarket

pytestmark = pytest.mark.unit

START, END = date(2024, 1, 2), date(2024, 3, 28)


@pytest.fixture(params=["synthetic", "real"])
def sources(
    request: pytest.FixtureRequest,
    small_market: SyntheticMarket,
    massive: MassiveClient,
    finnhub: FinnhubClient,
    fmp: FmpClient,
) -> Sources:
    if request.param == "synthetic":
        return Sources(bars=small_market, earnings=small_market, grades=small_market)
    return Sources(bars=massive, earnings=finnhub, grades=fmp)


def _largest(market: SyntheticMarket, count: int) -> list[str]:
    return market.universe.sort("cap_rank").head(count)["ticker"].to_list()


DATASETS: dict[
    str,
    tuple[
        Callable[[Sources, SyntheticMarket], pl.DataFrame],
        pl.Schema,
        Callable,
        schemas.TableContract,
    ],
] = {
    "daily_bars": (
        lambda s, m: s.bars.grouped_daily(date(2024, 1, 22), date(2024, 1, 30)),
        wire.GROUPED_DAILY,
        transforms.daily_bars_frame,
        schemas.DAILY_BARS,
    ),
    "tickers": (
        lambda s, m: s.bars.ticker_details(END),
        wire.TICKER_DETAILS,
        transforms.tickers_frame,
        schemas.TICKERS,
    ),
    "splits": (
        lambda s, m: s.bars.splits(START, END),
        wire.SPLITS,
        transforms.splits_frame,
        schemas.SPLITS,
    ),
    "news": (
        lambda s, m: s.bars.news(date(2024, 1, 15), date(2024, 2, 20)),
        wire.NEWS,
        transforms.news_frame,
        schemas.NEWS,
    ),
    "earnings": (
        lambda s, m: s.earnings.earnings_calendar(START, END),
        wire.EARNINGS_CALENDAR,
        transforms.earnings_frame,
        schemas.EARNINGS,
    ),
    "grades": (
        lambda s, m: s.grades.grades(_largest(m, 6), START, END),
        wire.GRADES,
        transforms.grades_frame,
        schemas.GRADES,
    ),
}


@pytest.mark.parametrize("dataset", list(DATASETS))
def test_fetch_returns_wire_and_transform_returns_contract(
    sources: Sources, small_market: SyntheticMarket, dataset: str
) -> None:
    fetch, wire_schema, transform, contract = DATASETS[dataset]

    raw = fetch(sources, small_market)
    served_by = getattr(sources, ROLES[dataset]).name
    frame = transform(raw, source=served_by)

    assert raw.schema == wire_schema
    assert raw.height > 0
    assert frame.schema == contract.schema
    assert frame.height == raw.height
    assert frame.select(contract.key).is_duplicated().sum() == 0
    # Lineage: every row names the source that served it.
    assert frame["source"].unique().to_list() == [served_by]
    assert served_by in schemas.SOURCES


@pytest.mark.parametrize("dataset", list(DATASETS))
def test_real_clients_receive_what_the_synthetic_market_serves(
    small_market: SyntheticMarket,
    massive: MassiveClient,
    finnhub: FinnhubClient,
    fmp: FmpClient,
    dataset: str,
) -> None:
    fetch = DATASETS[dataset][0]
    real = Sources(bars=massive, earnings=finnhub, grades=fmp)
    synthetic = Sources(bars=small_market, earnings=small_market, grades=small_market)

    received, served = fetch(real, small_market), fetch(synthetic, small_market)

    sort = list(received.columns)
    assert received.sort(sort).equals(served.sort(sort))


def test_every_source_satisfies_its_protocol(
    small_market: SyntheticMarket, massive: MassiveClient, finnhub: FinnhubClient, fmp: FmpClient
) -> None:
    for source in (small_market, massive):
        assert isinstance(source, BarsSource)
    for source in (small_market, finnhub):
        assert isinstance(source, EarningsSource)
    for source in (small_market, fmp):
        assert isinstance(source, GradesSource)


def test_grouped_daily_dates_are_new_york_sessions(sources: Sources) -> None:
    frame = transforms.daily_bars_frame(
        sources.bars.grouped_daily(date(2024, 1, 12), date(2024, 1, 16)),
        source=sources.bars.name,
    )

    # 2024-01-15 is Martin Luther King Jr. Day: no session.
    assert sorted(set(frame["date"].to_list())) == [date(2024, 1, 12), date(2024, 1, 16)]
    assert frame["year"].unique().to_list() == [2024]
