"""The simulator speaks the Massive/Polygon stocks protocol, checked with a plain WebSocket
client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import orjson
import polars as pl
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from pipelines.realtime.simulator import MarketSimulator, SimulatorConfig
from tests.realtime.conftest import eventually

pytestmark = pytest.mark.integration

AGGREGATE_FIELDS = {"ev", "sym", "v", "av", "op", "vw", "o", "c", "h", "l", "a", "z", "s", "e"}


async def with_simulator(
    universe: pl.DataFrame,
    config: SimulatorConfig,
    body: Callable[[MarketSimulator], Awaitable[None]],
) -> None:
    simulator = MarketSimulator(universe, config)
    await simulator.start()
    try:
        await body(simulator)
    finally:
        await simulator.stop()


async def receive(ws: ClientConnection) -> list[dict[str, object]]:
    return orjson.loads(await asyncio.wait_for(ws.recv(), 10))


async def events_until(
    ws: ClientConnection, predicate: Callable[[dict], bool], limit: int = 500
) -> AsyncIterator:
    for _ in range(limit):
        for event in await receive(ws):
            if predicate(event):
                yield event


def test_connect_auth_subscribe_and_aggregates(universe: pl.DataFrame) -> None:
    async def body(simulator: MarketSimulator) -> None:
        async with connect(simulator.url, compression=None) as ws:
            assert await receive(ws) == [
                {"ev": "status", "status": "connected", "message": "Connected Successfully"}
            ]
            await ws.send(orjson.dumps({"action": "auth", "params": "secret"}).decode())
            assert await receive(ws) == [
                {"ev": "status", "status": "auth_success", "message": "authenticated"}
            ]
            await ws.send(
                orjson.dumps({"action": "subscribe", "params": "A.SYN0001,A.SYN0002"}).decode()
            )
            assert await receive(ws) == [
                {"ev": "status", "status": "success", "message": "subscribed to: A.SYN0001"},
                {"ev": "status", "status": "success", "message": "subscribed to: A.SYN0002"},
            ]
            seen: list[dict] = []
            async for event in events_until(ws, lambda e: e["ev"] == "A"):
                seen.append(event)
                if len(seen) >= 10:
                    break
            assert {e["sym"] for e in seen} <= {"SYN0001", "SYN0002"}
            for event in seen:
                assert set(event) == AGGREGATE_FIELDS
                assert (
                    event["l"]
                    <= min(event["o"], event["c"])
                    <= max(event["o"], event["c"])
                    <= event["h"]
                )
                assert event["e"] - event["s"] == 1000
            await ws.send(orjson.dumps({"action": "unsubscribe", "params": "A.SYN0001"}).decode())
            async for event in events_until(ws, lambda e: e["ev"] == "status"):
                assert event == {
                    "ev": "status",
                    "status": "success",
                    "message": "unsubscribed to: A.SYN0001",
                }
                break
            later = [e async for e in _take(events_until(ws, lambda e: e["ev"] == "A"), 10)]
            assert {e["sym"] for e in later} == {"SYN0002"}

    asyncio.run(with_simulator(universe, SimulatorConfig(rate=400, api_key="secret"), body))


async def _take(events: AsyncIterator, count: int) -> AsyncIterator:
    taken = 0
    async for event in events:
        yield event
        taken += 1
        if taken >= count:
            return


def test_bad_key_gets_auth_failed_and_subscribing_unauthenticated_is_refused(
    universe: pl.DataFrame,
) -> None:
    async def body(simulator: MarketSimulator) -> None:
        async with connect(simulator.url, compression=None) as ws:
            await receive(ws)
            await ws.send(orjson.dumps({"action": "subscribe", "params": "A.*"}).decode())
            (refused,) = await receive(ws)
            assert refused["status"] == "error"
            await ws.send(orjson.dumps({"action": "auth", "params": "wrong"}).decode())
            (failed,) = await receive(ws)
            assert (failed["ev"], failed["status"]) == ("status", "auth_failed")
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 10)

    asyncio.run(with_simulator(universe, SimulatorConfig(rate=100, api_key="secret"), body))


def test_many_events_per_frame_at_the_configured_rate_and_prices_continue_from_last_close(
    universe: pl.DataFrame,
) -> None:
    async def body(simulator: MarketSimulator) -> None:
        async with connect(simulator.url, compression=None) as ws:
            await receive(ws)
            await ws.send(orjson.dumps({"action": "auth", "params": "any"}).decode())
            await receive(ws)
            await ws.send(orjson.dumps({"action": "subscribe", "params": "A.*"}).decode())
            await receive(ws)
            frames = [await receive(ws) for _ in range(20)]
            first_open = {}
            for frame in frames:
                for event in frame:
                    first_open.setdefault(event["sym"], event["o"])
            assert max(len(f) for f in frames) > 1
            last_close = dict(universe.select("ticker", "last_close").iter_rows())
            for symbol, price in first_open.items():
                assert price == pytest.approx(last_close[symbol], rel=0.01)

    asyncio.run(with_simulator(universe, SimulatorConfig(rate=2000), body))


def test_minute_aggregates_on_the_am_channel(universe: pl.DataFrame) -> None:
    async def body(simulator: MarketSimulator) -> None:
        async with connect(simulator.url, compression=None) as ws:
            await receive(ws)
            await ws.send(orjson.dumps({"action": "auth", "params": "any"}).decode())
            await receive(ws)
            await ws.send(
                orjson.dumps({"action": "subscribe", "params": "A.SYN0000,AM.*"}).decode()
            )
            await receive(ws)
            await eventually(lambda: simulator.stats.events_sent > 0)
            simulator.end_minute_now()
            async for event in events_until(ws, lambda e: e["ev"] == "AM", limit=2000):
                assert set(event) == AGGREGATE_FIELDS
                assert event["e"] - event["s"] == 60_000
                break

    asyncio.run(with_simulator(universe, SimulatorConfig(rate=400), body))


def test_fault_mode_drops_connections(universe: pl.DataFrame) -> None:
    async def body(simulator: MarketSimulator) -> None:
        async with connect(simulator.url, compression=None) as ws:
            await receive(ws)
            with pytest.raises(ConnectionClosed):
                while True:
                    await asyncio.wait_for(ws.recv(), 10)
        await eventually(lambda: simulator.connections[0].dropped)

    asyncio.run(with_simulator(universe, SimulatorConfig(rate=100, drop_every_s=0.3), body))
