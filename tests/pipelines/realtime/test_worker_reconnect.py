"""Redis goes away mid-stream and comes back on the same address with the same password.

The worker is given one `REDIS_URL` (password included) and nothing else: it must notice
the outage, hold events in its bounded buffer (dropping the oldest beyond it, counted),
and write again by itself once the server answers, re-creating the series it needs.
The server keeps an append-only file, as the embedded service does, so what was written
before the outage is still there: the figure checked is events lost = events dropped by
the bounded buffer, exactly, and nothing else.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest
import redis

from lake.errors import TickerlakeError
from pipelines.realtime import keys
from pipelines.realtime.simulator import MarketSimulator, SimulatorConfig
from pipelines.realtime.worker import RealtimeWorker
from pipelines.services import (
    EmbeddedRedis,
    check_timeseries,
    free_loopback_port,
    start_redis,
)
from pipelines.services.install import redis_environment, redis_stack_paths
from tests.pipelines.realtime.conftest import eventually
from tests.pipelines.realtime.test_sink_replay import PASSWORD as REPLAY_PASSWORD
from tests.pipelines.realtime.test_sink_replay import Server
from tests.pipelines.realtime.test_worker import scenario

pytestmark = pytest.mark.integration

PASSWORD = "reconnect-test-password"


def redis_with_password(port: int, workdir: Path) -> EmbeddedRedis:
    """Start Redis with TimeSeries on 127.0.0.1:`port`, a password and an append-only file.

    Started directly rather than through `start_redis`, whose plain free-port check
    refuses a port the old server's TIME_WAIT sockets still hold; Redis itself binds
    with SO_REUSEADDR, so the same address is back at once, as the supervised service is.
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
            "--requirepass",
            PASSWORD,
            "--save",
            "",
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
            "--dir",
            str(workdir),
            "--loadmodule",
            str(paths.timeseries_module),
        ],
        env=redis_environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://:{PASSWORD}@127.0.0.1:{port}/0"
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


def test_worker_follows_redis_back_to_the_same_address_and_loses_only_the_buffer_overflow(
    tmp_path: Path, universe: pl.DataFrame, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_loopback_port()
    workdir = tmp_path / "redis"  # the same folder both times: the append-only file survives
    servers = [redis_with_password(port, workdir)]
    figures: dict[str, int] = {}

    async def body(market: MarketSimulator, worker: RealtimeWorker) -> None:
        worker.sink.config = replace(worker.sink.config, buffer_limit=300)
        await eventually(lambda: worker.sink.counters.written >= 200)
        servers[0].stop()
        await eventually(lambda: not worker.sink.counters.redis_up)
        # Down long enough for the bounded buffer to overflow and drop its oldest events.
        await eventually(lambda: worker.sink.counters.dropped >= 200)
        figures["buffered_at_restart"] = worker.sink.pending  # (less a batch being retried)
        assert worker.sink.pending <= 300
        servers.append(redis_with_password(port, workdir))
        await eventually(lambda: worker.sink.counters.redis_up and worker.sink.pending < 100)
        market.pause()
        await eventually(
            lambda: (
                worker.sink.pending == 0 and worker.counters.received == market.stats.events_sent
            )
        )

    caplog.set_level("INFO")
    try:
        worker = asyncio.run(
            scenario(servers[0].url, universe, body, simulator=SimulatorConfig(rate=400))
        )
        client = redis.Redis.from_url(servers[-1].url, decode_responses=True)
        try:
            stored = sum(
                len(client.ts().range(keys.series_key(t, "close"), "-", "+"))
                for t in universe["ticker"]
            )
            stats = client.hgetall(keys.WORKER_STATS_KEY)
        finally:
            client.close()
    finally:
        servers[-1].stop()

    counters = worker.sink.counters
    lost = worker.counters.received - stored
    print(
        f"received {worker.counters.received}, stored {stored}, buffered at restart "
        f"{figures['buffered_at_restart']}, dropped {counters.dropped}, events lost {lost}"
    )
    assert counters.dropped >= 200
    assert lost == counters.dropped  # nothing lost beyond the documented bounded buffer
    assert counters.written == stored
    assert counters.failed_flushes > 0
    assert int(stats["dropped"]) == counters.dropped and stats["redis_up"] == "1"
    assert any("Redis unreachable" in r.getMessage() for r in caplog.records)
    assert any("Redis reachable" in r.getMessage() for r in caplog.records)
    assert not any(PASSWORD in r.getMessage() for r in caplog.records)  # never logged


def test_redis_killed_mid_stream_loses_nothing_it_had_acknowledged(
    tmp_path: Path, universe: pl.DataFrame
) -> None:
    """kill -9 Redis (append-only file, fsync every second, as embedded) mid-stream, its
    file cut back to a moment before the kill (a crash before the fsync), restarted on the
    same address. Figure checked: events lost = events the worker received less the
    windows Redis holds = dropped (0: the buffer never filled); printed with the events
    the sink sent again."""
    port = free_loopback_port()
    workdir = tmp_path / "redis"
    server = Server(
        workdir, port, start_redis(workdir, port=port, password=REPLAY_PASSWORD, persist=True)
    )
    figures: dict[str, int] = {}

    async def body(market: MarketSimulator, worker: RealtimeWorker) -> None:
        await eventually(lambda: worker.sink.counters.written >= 300)
        on_disk, mark = server.aof_size(), worker.sink.counters.written
        await eventually(lambda: worker.sink.counters.written >= mark + 300)
        figures["acknowledged_after_cut"] = worker.sink.counters.written - mark  # at least
        await asyncio.to_thread(server.crash, keep_bytes=on_disk)
        await eventually(lambda: worker.sink.counters.replays >= 1)
        await eventually(lambda: worker.sink.counters.written >= mark + 900)
        market.pause()
        await eventually(
            lambda: (
                worker.sink.pending == 0 and worker.counters.received == market.stats.events_sent
            )
        )

    try:
        worker = asyncio.run(
            scenario(server.url, universe, body, simulator=SimulatorConfig(rate=400))
        )
        client = redis.Redis.from_url(server.url, decode_responses=True)
        try:
            stored = {
                ticker: {
                    int(ts)
                    for ts, _ in client.execute_command(
                        "TS.RANGE", keys.series_key(ticker, "close"), "-", "+"
                    )
                }
                for ticker in universe["ticker"]
            }
            volume_samples = sum(
                len(client.execute_command("TS.RANGE", keys.series_key(t, "volume"), "-", "+"))
                for t in universe["ticker"]
            )
        finally:
            client.close()
    finally:
        server.current.stop()

    counters = worker.sink.counters
    windows = sum(len(starts) for starts in stored.values())
    lost = worker.counters.received - windows
    print(
        f"received {worker.counters.received}, windows in Redis {windows}, acknowledged then "
        f"cut from the append-only file ≥ {figures['acknowledged_after_cut']}, re-sent "
        f"{counters.replayed} in {counters.replays} replay(s), dropped {counters.dropped}, "
        f"events lost {lost}"
    )
    assert worker.counters.duplicates == 0  # every window the simulator sent is distinct
    assert counters.replays >= 1 and counters.replayed >= figures["acknowledged_after_cut"]
    assert lost == counters.dropped == 0  # nothing lost beyond the (unfilled) bounded buffer
    assert volume_samples == windows
    assert counters.written == worker.counters.received
