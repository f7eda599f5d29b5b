"""The worker end to end: simulator → worker → the real embedded Redis with TimeSeries."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest
import redis
import redis.asyncio as redis_async

from lake.errors import TickerlakeError
from pipelines.realtime import keys
from pipelines.realtime.simulator import MarketSimulator, SimulatorConfig
from pipelines.realtime.sink import SinkConfig
from pipelines.realtime.worker import RealtimeWorker, WorkerConfig
from pipelines.services import (
    EmbeddedRedis,
    check_timeseries,
    free_loopback_port,
    start_redis,
)
from pipelines.services.install import redis_environment, redis_stack_paths
from tests.pipelines.realtime.conftest import eventually

pytestmark = pytest.mark.integration

PROJECT_ROOT = Path(__file__).resolve().parents[3]

Body = Callable[[MarketSimulator, RealtimeWorker], Awaitable[None]]


async def scenario(
    redis_url: str,
    universe: pl.DataFrame,
    body: Body,
    *,
    simulator: SimulatorConfig | None = None,
    symbols: list[str] | None = None,
) -> RealtimeWorker:
    """Run a simulator and a worker in this event loop around `body`; return the stopped worker."""
    market = MarketSimulator(universe, simulator or SimulatorConfig(rate=200))
    await market.start()
    labels = {
        r[0]: (r[1], r[2]) for r in universe.select("ticker", "sector", "cap_bucket").iter_rows()
    }
    worker = RealtimeWorker(
        WorkerConfig(
            feed_url=market.url,
            api_key="test",
            redis_url=redis_url,
            symbols=symbols,
            sink=SinkConfig(flush_events=50, flush_interval_s=0.05),
        ),
        labels,
    )
    running = asyncio.create_task(worker.run())
    try:
        await body(market, worker)
        assert not running.done(), "the worker stopped on its own"
    finally:
        worker.stop()
        await asyncio.wait_for(running, 30)
        await market.stop()
    return worker


def test_values_land_in_series_hash_set_channels_and_stats(
    redis_url: str, redis_client: redis.Redis, universe: pl.DataFrame
) -> None:
    received: list[bytes] = []

    async def body(market: MarketSimulator, worker: RealtimeWorker) -> None:
        subscriber = redis_async.Redis.from_url(redis_url)
        pubsub = subscriber.pubsub()
        await pubsub.subscribe(keys.symbol_channel("SYN0001"), keys.ALL_BARS_CHANNEL)

        async def listen() -> None:
            async for message in pubsub.listen():
                if message["type"] == "message":
                    received.append(message["channel"])

        listener = asyncio.create_task(listen())
        await eventually(lambda: worker.sink.counters.written >= 400)
        await eventually(lambda: redis_client.exists(keys.stats_key("messages_per_s")))
        await eventually(lambda: {b"bars:SYN0001", b"bars"} <= set(received))
        market.pause()
        await eventually(
            lambda: (
                worker.sink.pending == 0 and worker.counters.received == market.stats.events_sent
            )
        )
        listener.cancel()
        await pubsub.aclose()
        await subscriber.aclose()

    worker = asyncio.run(
        scenario(redis_url, universe, body, symbols=["SYN0001", "SYN0002", "SYN0003"])
    )

    ts = redis_client.ts()
    assert redis_client.smembers(keys.ACTIVE_SYMBOLS_KEY) == {"SYN0001", "SYN0002", "SYN0003"}
    close_key = keys.series_key("SYN0002", "close")
    info = ts.info(close_key)
    assert info.labels == {
        "symbol": "SYN0002",
        "field": "close",
        "sector": "services",
        "cap_bucket": "large",
        "timeframe": "1s",
    }
    assert info.duplicate_policy == "last"
    assert info.retention_msecs == SinkConfig().retention_ms
    assert keys.series_key("SYN0002", "close", "1m") in str(info.rules)  # the compaction rule
    samples = {
        field: ts.range(keys.series_key("SYN0002", field), "-", "+") for field in keys.FIELDS
    }
    assert len({len(s) for s in samples.values()}) == 1
    last = redis_client.hgetall(keys.last_value_key("SYN0002"))
    latest_start, latest_close = samples["close"][-1]
    assert int(last["start_ms"]) == latest_start
    assert float(last["close"]) == latest_close
    assert float(last["high"]) == samples["high"][-1][1]
    assert (last["sector"], last["cap_bucket"]) == ("services", "large")
    total = sum(
        len(ts.range(keys.series_key(s, "vwap"), "-", "+"))
        for s in ("SYN0001", "SYN0002", "SYN0003")
    )
    assert total == worker.sink.counters.written == worker.counters.received
    by_field = ts.mrange("-", "+", filters=["symbol=SYN0001", "timeframe=1s"])
    assert len(by_field) == len(keys.FIELDS)
    stats = redis_client.hgetall(keys.WORKER_STATS_KEY)
    assert int(stats["written"]) == worker.sink.counters.written
    assert int(stats["dropped"]) == 0


def restart_on_port(port: int, workdir: Path) -> EmbeddedRedis:
    """Start the embedded Redis again on `port` right away.

    `start_redis` refuses a port that cannot be bound plainly, which the old server's
    TIME_WAIT sockets prevent for a minute; Redis itself binds with SO_REUSEADDR.
    """
    paths = redis_stack_paths()
    workdir.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [
            str(paths.server),
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
            "--loadmodule",
            str(paths.timeseries_module),
        ],
        env=redis_environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 15
    while True:
        try:
            check_timeseries(url)
            return EmbeddedRedis(url=url, port=port, process=process, workdir=workdir)
        except TickerlakeError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise
            time.sleep(0.05)


def test_redis_restart_mid_stream_resumes_ingest(tmp_path: Path, universe: pl.DataFrame) -> None:
    port = free_loopback_port()
    server = start_redis(tmp_path / "first", port=port)
    client = redis.Redis.from_url(server.url, decode_responses=True)
    servers = [server]

    async def body(market: MarketSimulator, worker: RealtimeWorker) -> None:
        await eventually(lambda: worker.sink.counters.written >= 100)
        servers[0].stop()
        await eventually(lambda: not worker.sink.counters.redis_up)
        queued_at_outage = worker.counters.received
        await eventually(lambda: worker.counters.received > queued_at_outage + 100)
        servers.append(restart_on_port(port, tmp_path / "second"))
        await eventually(lambda: worker.sink.counters.redis_up and worker.sink.pending < 50)
        await eventually(lambda: client.exists(keys.series_key("SYN0004", "close")))
        market.pause()
        await eventually(
            lambda: (
                worker.sink.pending == 0 and worker.counters.received == market.stats.events_sent
            )
        )

    try:
        worker = asyncio.run(scenario(server.url, universe, body))
        assert worker.sink.counters.dropped == 0
        assert worker.sink.counters.failed_flushes > 0
        # The restarted server holds everything received since the outage began, series re-created.
        info = client.ts().info(keys.series_key("SYN0004", "close"))
        assert info.labels["symbol"] == "SYN0004"
        assert info.rules
        assert client.scard(keys.ACTIVE_SYMBOLS_KEY) == universe.height
    finally:
        client.close()
        servers[-1].stop()


def test_bounded_buffer_drops_oldest_and_counts_while_redis_is_away(
    tmp_path: Path, universe: pl.DataFrame
) -> None:
    port = free_loopback_port()
    server = start_redis(tmp_path / "redis", port=port)

    async def body(market: MarketSimulator, worker: RealtimeWorker) -> None:
        await eventually(lambda: worker.sink.counters.written >= 50)
        server.stop()
        await eventually(lambda: worker.sink.counters.dropped >= 200)

    async def run() -> RealtimeWorker:
        market_config = SimulatorConfig(rate=400)
        worker_holder: list[RealtimeWorker] = []

        async def capture(market: MarketSimulator, worker: RealtimeWorker) -> None:
            worker.sink.config = replace(worker.sink.config, buffer_limit=100)
            worker_holder.append(worker)
            await body(market, worker)

        await scenario(server.url, universe, capture, simulator=market_config)
        return worker_holder[0]

    worker = asyncio.run(run())
    assert worker.sink.pending <= 100
    assert worker.sink.counters.dropped >= 200


def test_dropped_feed_is_reconnected_and_resubscribed(
    redis_url: str, redis_client: redis.Redis, universe: pl.DataFrame
) -> None:
    async def body(market: MarketSimulator, worker: RealtimeWorker) -> None:
        await eventually(lambda: len(market.connections) >= 3 and market.connections[0].dropped)
        await eventually(worker.feed.in_sync)
        written = worker.sink.counters.written
        await eventually(lambda: worker.sink.counters.written > written + 50)

    worker = asyncio.run(
        scenario(redis_url, universe, body, simulator=SimulatorConfig(rate=200, drop_every_s=0.5))
    )
    assert worker.feed.counters.connects >= 3
    assert worker.feed.active == set()  # cleared when the connection closed at stop


def test_resubscription_restores_the_desired_symbols(
    redis_url: str, redis_client: redis.Redis, universe: pl.DataFrame
) -> None:
    async def body(market: MarketSimulator, worker: RealtimeWorker) -> None:
        await eventually(
            lambda: len(market.connections) >= 2 and market.connections[1].subscriptions
        )
        assert market.connections[1].subscriptions == {"A.SYN0007", "A.SYN0008"}
        await eventually(lambda: worker.feed.active == {"A.SYN0007", "A.SYN0008"})

    asyncio.run(
        scenario(
            redis_url,
            universe,
            body,
            simulator=SimulatorConfig(rate=200, drop_every_s=0.5),
            symbols=["SYN0007", "SYN0008"],
        )
    )
    assert redis_client.smembers(keys.ACTIVE_SYMBOLS_KEY) == {"SYN0007", "SYN0008"}


def test_malformed_frames_and_duplicates_are_counted_and_last_value_wins(
    redis_url: str, redis_client: redis.Redis, universe: pl.DataFrame
) -> None:
    async def body(market: MarketSimulator, worker: RealtimeWorker) -> None:
        await eventually(
            lambda: len(market.stats.skipped_sent) == 7 and len(market.stats.revisions) >= 40
        )
        market.pause()
        await eventually(
            lambda: (
                worker.counters.skipped_total == market.stats.malformed_sent
                and worker.counters.received
                == market.stats.events_sent + market.stats.duplicates_sent
                and worker.sink.pending == 0
            )
        )

    config = SimulatorConfig(rate=300, malformed_every=3, duplicate_every=4)
    market_stats: list = []

    async def run() -> RealtimeWorker:
        async def capture(market: MarketSimulator, worker: RealtimeWorker) -> None:
            market_stats.append(market.stats)
            await body(market, worker)

        return await scenario(redis_url, universe, capture, simulator=config)

    worker = asyncio.run(run())
    stats = market_stats[0]
    assert worker.counters.duplicates == stats.duplicates_sent
    ts = redis_client.ts()
    for (symbol, start), close in stats.revisions.items():
        assert ts.range(keys.series_key(symbol, "close"), start, start) == [(start, close)]
    assert not redis_client.exists(keys.series_key("BROKEN", "close"))
    assert {r: c for r, c in worker.counters.skipped.items() if c} == stats.skipped_sent
    assert len(stats.skipped_sent) == 7  # every reason the simulator's garbage cycles through
    assert int(redis_client.hget(keys.WORKER_STATS_KEY, "skipped")) == stats.malformed_sent


def test_an_injected_spike_produces_exactly_one_alert(
    redis_url: str, redis_client: redis.Redis, universe: pl.DataFrame
) -> None:
    messages: list[dict] = []

    async def body(market: MarketSimulator, worker: RealtimeWorker) -> None:
        subscriber = redis_async.Redis.from_url(redis_url, decode_responses=True)
        pubsub = subscriber.pubsub()
        await pubsub.subscribe(keys.ALERTS_CHANNEL)

        async def listen() -> None:
            async for message in pubsub.listen():
                if message["type"] == "message":
                    messages.append(message)

        listener = asyncio.create_task(listen())
        await eventually(lambda: "SYN0005" in worker.velocity.velocity)
        market.inject_spike("SYN0005", 1.5)
        await eventually(lambda: worker.sink.counters.alerts >= 1)
        # The pre-spike price leaves the window: velocity falls back, the symbol re-arms.
        await eventually(lambda: abs(worker.velocity.velocity["SYN0005"]) < 0.25, timeout=20)
        market.pause()
        await eventually(
            lambda: (
                worker.sink.pending == 0 and worker.counters.received == market.stats.events_sent
            )
        )
        await eventually(lambda: len(messages) >= 1)
        listener.cancel()
        await pubsub.aclose()
        await subscriber.aclose()

    worker = asyncio.run(scenario(redis_url, universe, body, simulator=SimulatorConfig(rate=100)))
    entries = redis_client.xrange(keys.ALERTS_STREAM)
    assert [e[1]["symbol"] for e in entries] == ["SYN0005"]
    assert float(entries[0][1]["velocity_pct"]) >= 0.5
    assert len(redis_client.ts().range(keys.alert_series_key("SYN0005"), "-", "+")) == 1
    assert len(messages) == 1
    assert worker.sink.counters.alerts == 1


def test_sigterm_flushes_queued_events_and_exits_zero(
    redis_url: str, redis_client: redis.Redis, universe: pl.DataFrame, tmp_path: Path
) -> None:
    async def run() -> tuple[int | None, bytes, int]:
        market = MarketSimulator(universe, SimulatorConfig(rate=200))
        await market.start()
        env = dict(os.environ, LAKE_URI=str(tmp_path / "no-lake"), PYTHONPATH=str(PROJECT_ROOT))
        env.pop("FEED_URL", None)
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "pipelines.cli",
            "realtime",
            "worker",
            "--feed-url",
            market.url,
            "--redis-url",
            redis_url,
            # Nothing flushes on its own: whatever reaches Redis, SIGTERM flushed.
            "--flush-events",
            "1000000",
            "--flush-ms",
            "600000",
            env={**env, "MASSIVE_API_KEY": "test"},
            cwd=PROJECT_ROOT,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            await eventually(
                lambda: market.stats.events_sent >= 300 and market.connections, timeout=60
            )
            assert not redis_client.exists(keys.series_key("SYN0001", "close"))
            market.pause()
            # The worker's stats hash (written every second) shows it received all of it.
            await eventually(
                lambda: (
                    redis_client.hget(keys.WORKER_STATS_KEY, "received")
                    == str(market.stats.events_sent)
                ),
                timeout=20,
            )
            process.send_signal(signal.SIGTERM)
            output, _ = await asyncio.wait_for(process.communicate(), 60)
        finally:
            if process.returncode is None:
                process.kill()
            await market.stop()
        return process.returncode, output, market.stats.events_sent

    code, output, sent = asyncio.run(run())
    assert code == 0, output.decode()[-2000:]
    stats = redis_client.hgetall(keys.WORKER_STATS_KEY)
    assert int(stats["written"]) == int(stats["received"]) == sent > 0
    stored = sum(
        len(redis_client.ts().range(keys.series_key(t, "close"), "-", "+"))
        for t in universe["ticker"]
    )
    assert stored == int(stats["written"])
