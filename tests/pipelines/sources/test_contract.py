"""One contract for every source: fetch returns the wire shape, the transform the table contract.

Parametrized over the synthetic market and the real clients (against the local provider
server, which serves the same synthetic content), so both must agree record for record.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from lake import schemas
from pipelines.datasets import DATASET_NAMES, FetchRequest, get_dataset
from pipelines.sources import transforms
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


# The range each dataset is fetched for, kept short where a range means many requests.
RANGES: dict[str, tuple[date, date]] = {
    "daily_bars": (date(2024, 1, 22), date(2024, 1, 30)),
    "news": (date(2024, 1, 15), date(2024, 2, 20)),
}


def _fetch(dataset: str, sources: Sources, market: SyntheticMarket, lake: Path) -> pl.DataFrame:
    """Fetch `dataset` through its registry entry (per-ticker datasets: the 6 largest)."""
    entry = get_dataset(dataset)
    start, end = RANGES.get(dataset, (START, END))
    tickers = _largest(market, 6) if entry.per_ticker else None
    request = FetchRequest(start=start, end=end, lake_uri=str(lake), tickers=tickers)
    return entry.fetch(sources, request)


@pytest.mark.parametrize("dataset", DATASET_NAMES)
def test_fetch_returns_wire_and_transform_returns_contract(
    sources: Sources, small_market: SyntheticMarket, dataset: str, tmp_path: Path
) -> None:
    entry = get_dataset(dataset)
    contract = entry.contract

    raw = _fetch(dataset, sources, small_market, tmp_path)
    served_by = getattr(sources, entry.role).name
    frame = entry.transform(raw, source=served_by)

    assert raw.schema == entry.wire
    assert raw.height > 0
    assert frame.schema == contract.schema
    assert frame.height == raw.height
    assert frame.select(contract.key).is_duplicated().sum() == 0
    # Lineage: every row names the source that served it.
    assert frame["source"].unique().to_list() == [served_by]
    assert served_by in schemas.SOURCES


@pytest.mark.parametrize("dataset", DATASET_NAMES)
def test_real_clients_receive_what_the_synthetic_market_serves(
    small_market: SyntheticMarket,
    massive: MassiveClient,
    finnhub: FinnhubClient,
    fmp: FmpClient,
    dataset: str,
    tmp_path: Path,
) -> None:
    real = Sources(bars=massive, earnings=finnhub, grades=fmp)
    synthetic = Sources(bars=small_market, earnings=small_market, grades=small_market)

    received = _fetch(dataset, real, small_market, tmp_path)
    served = _fetch(dataset, synthetic, small_market, tmp_path)

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
