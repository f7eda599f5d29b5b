"""Prices continue from the lake: a small lake built by the real demo build, then the simulator."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import orjson
import polars as pl
import pytest
from websockets.asyncio.client import connect

from lake import queries
from pipelines.realtime.simulator import MarketSimulator, SimulatorConfig
from pipelines.realtime.universe import UNIVERSE_SCHEMA, load_universe
from tests.conftest import build_demo_lake

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def built_lake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A lake of 30 synthetic tickers over one year, built once through `build_demo`."""
    uri, _ = build_demo_lake(tmp_path_factory.mktemp("realtime-lake"), n_tickers=30, years=1)
    yield uri


async def first_bar_per_symbol(universe: pl.DataFrame) -> dict[str, dict]:
    """Every ticker's first per-second aggregate from a simulator, read over the protocol."""
    simulator = MarketSimulator(universe, SimulatorConfig(rate=600, frame_events=100))
    await simulator.start()
    first: dict[str, dict] = {}
    try:
        async with connect(simulator.url, compression=None) as ws:
            await ws.recv()  # connected
            await ws.send(orjson.dumps({"action": "auth", "params": "key"}).decode())
            await ws.recv()  # auth_success
            await ws.send(orjson.dumps({"action": "subscribe", "params": "A.*"}).decode())
            while len(first) < universe.height:
                for event in orjson.loads(await asyncio.wait_for(ws.recv(), 10)):
                    if event["ev"] == "A":
                        first.setdefault(event["sym"], event)
    finally:
        await simulator.stop()
    return first


def test_universe_is_the_lakes_last_day(built_lake: str) -> None:
    universe = load_universe(lake_uri=built_lake, fallback_count=5)
    last_day = queries.daily_cross_section(lake_uri=built_lake)
    assert universe.schema == UNIVERSE_SCHEMA
    assert universe.height == last_day.height == 30  # from the lake, not the 5-ticker fallback
    expected = dict(zip(last_day["ticker"], last_day["close"], strict=True))
    assert dict(zip(universe["ticker"], universe["last_close"], strict=True)) == expected
    assert universe["sector"].null_count() == 0 and universe["cap_bucket"].null_count() == 0
    assert set(universe["cap_bucket"]) != {"unknown"}  # labels come from the lake's segments


def test_simulator_prices_start_at_each_tickers_last_close(built_lake: str) -> None:
    universe = load_universe(lake_uri=built_lake)
    first = asyncio.run(first_bar_per_symbol(universe))
    assert set(first) == set(universe["ticker"])
    for ticker, last_close in universe.select("ticker", "last_close").iter_rows():
        bar = first[ticker]
        assert bar["o"] == pytest.approx(
            last_close, abs=1e-4
        )  # the first window opens at the close
        assert bar["c"] == pytest.approx(last_close, rel=0.01)  # one second of a random walk later
        assert bar["l"] <= min(bar["o"], bar["c"]) and bar["h"] >= max(bar["o"], bar["c"])
