"""The sink's replay window against a real Redis killed with SIGKILL.

With `appendfsync everysec` Redis acknowledges writes up to a second or two before they
are on disk. The fault is made exact here: the server is killed, and its append-only
file cut back to the size it had before the last acknowledged batch, as a crash before
the fsync leaves it. Figures checked: samples the restarted server lacked, samples
missing after the sink's next flush (0), one-minute candles equal to the raw seconds,
alerts in the stream exactly once, bars re-published (0).
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest
import redis

from pipelines.realtime import keys
from pipelines.realtime.sink import RedisSink, SinkConfig
from pipelines.realtime.velocity import Alert
from pipelines.services import EmbeddedRedis, free_loopback_port, start_redis
from tests.pipelines.realtime.conftest import eventually
from tests.pipelines.realtime.test_sink import LABELS, bar, listen

pytestmark = pytest.mark.integration

PASSWORD = "replay-test-password"
T0 = 1_767_225_600_000  # 2026-01-01 00:00 UTC: minute-aligned


@dataclass
class Server:
    """A persistent Redis (AOF, fsync every second) that can be killed and restarted."""

    workdir: Path
    port: int
    current: EmbeddedRedis

    @property
    def url(self) -> str:
        return self.current.url

    def aof_size(self) -> int:
        return self._incr_file().stat().st_size

    def _incr_file(self) -> Path:
        [path] = (self.workdir / "appendonlydir").glob("*.incr.aof")
        return path

    def crash(self, *, keep_bytes: int | None = None) -> None:
        """SIGKILL the server; with `keep_bytes`, its append-only file loses what came after
        (what a crash before the fsync loses); then start it again on the same address."""
        os.kill(self.current.process.pid, signal.SIGKILL)
        self.current.process.wait(timeout=10)
        if keep_bytes is not None:
            os.truncate(self._incr_file(), keep_bytes)
        self.current = start_redis(self.workdir, port=self.port, password=PASSWORD, persist=True)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    port = free_loopback_port()
    workdir = tmp_path / "redis"
    started = Server(
        workdir, port, start_redis(workdir, port=port, password=PASSWORD, persist=True)
    )
    yield started
    started.current.stop()


def seconds(symbol: str, first: int, last: int) -> list:
    """Bars of `symbol` for the seconds `first`..`last` after T0 (close = 100 + second)."""
    return [(bar(symbol, T0 + s * 1_000, 100.0 + s), 0.1) for s in range(first, last + 1)]


async def flush_until_written(sink: RedisSink) -> None:
    """Flush until Redis takes the batch (the first try after a restart meets a dead connection)."""

    async def flushed() -> bool:
        return await sink.flush()

    await eventually(flushed)


def stored_seconds(client: redis.Redis, symbol: str, field: str = "close") -> list[int]:
    samples = client.execute_command("TS.RANGE", keys.series_key(symbol, field), "-", "+")
    return [(int(ts) - T0) // 1_000 for ts, _ in samples]


def test_what_a_crash_lost_after_acknowledging_it_is_sent_again(server: Server) -> None:
    alert = Alert("AAA", T0 + 70_000, 0.9, 170.0, 168.5)
    figures: dict[str, int] = {}

    async def run() -> RedisSink:
        sink = RedisSink(server.url, SinkConfig(flush_events=10_000, replay_window_s=3_600), LABELS)
        await sink.start()
        try:
            for item in seconds("AAA", 0, 29) + seconds("BBB", 0, 29):
                sink.add(*item)
            assert await sink.flush()
            on_disk = server.aof_size()
            # Acknowledged, then lost by the crash: seconds 30-89 (closing minute 0), an alert.
            for item in seconds("AAA", 30, 89) + seconds("BBB", 30, 89):
                sink.add(*item)
            sink.add_alert(alert)
            assert await sink.flush()
            server.crash(keep_bytes=on_disk)
            with redis.Redis.from_url(server.url) as client:
                figures["kept_by_redis"] = len(stored_seconds(client, "AAA")) + len(
                    stored_seconds(client, "BBB")
                )
            heard, stop, listener = listen(server.url, [keys.ALL_BARS_CHANNEL])
            for item in seconds("AAA", 90, 94):
                sink.add(*item)
            await flush_until_written(sink)
            with redis.Redis.from_url(server.url) as client:
                client.publish(keys.ALL_BARS_CHANNEL, b"end")
            await eventually(lambda: any(data == b"end" for _, data in heard))
            stop.set()
            listener.join(timeout=10)
            figures["bar_messages"] = len(heard) - 1
            figures["republished"] = sum(len(orjson.loads(data)) for _, data in heard[:-1]) - 1
        finally:
            await sink.close()
        return sink

    sink = asyncio.run(run())
    client = redis.Redis.from_url(server.url, decode_responses=True)
    aaa, bbb = stored_seconds(client, "AAA"), stored_seconds(client, "BBB")
    missing = (95 - len(set(aaa))) + (90 - len(set(bbb)))
    print(
        f"acknowledged {95 + 90} per-second bars, the restarted Redis held "
        f"{figures['kept_by_redis']}, re-sent {sink.counters.replayed}, missing after the "
        f"next flush {missing}, bars re-published {figures['republished']}"
    )
    assert figures["kept_by_redis"] == 60  # the fault is real: seconds 30-89 were gone
    assert missing == 0 and aaa == list(range(95)) and bbb == list(range(90))
    assert sink.counters.replays == 1 and sink.counters.replayed == 180
    assert sink.counters.written == 185 and sink.counters.dropped == 0
    for field in keys.FIELDS:  # every field, not only close
        assert stored_seconds(client, "BBB", field) == list(range(90))
    # The closed minute's candle is whole again (RedisTimeSeries recomputes it).
    minute = client.execute_command("TS.RANGE", keys.series_key("BBB", "volume", "1m"), "-", "+")
    assert (int(minute[0][0]), float(minute[0][1])) == (T0, sum(200.0 + s for s in range(60)))
    close_1m = client.execute_command("TS.RANGE", keys.series_key("BBB", "close", "1m"), "-", "+")
    assert (int(close_1m[0][0]), float(close_1m[0][1])) == (T0, 159.0)
    assert client.hget(keys.last_value_key("BBB"), "start_ms") == str(T0 + 89_000)
    assert client.hget(keys.last_value_key("AAA"), "start_ms") == str(T0 + 94_000)
    entries = client.xrange(keys.ALERTS_STREAM)
    assert [(e["symbol"], int(e["time_ms"])) for _, e in entries] == [("AAA", T0 + 70_000)]
    # The re-sent window reaches the series, not the channels: one message, the new bars.
    assert figures["bar_messages"] == 1 and figures["republished"] == 0
    client.close()


def test_a_restart_that_kept_everything_gets_no_duplicate(server: Server) -> None:
    alert = Alert("AAA", T0 + 5_000, 0.9, 105.0, 104.0)

    async def run() -> RedisSink:
        sink = RedisSink(server.url, SinkConfig(flush_events=10_000, replay_window_s=3_600), LABELS)
        await sink.start()
        try:
            for item in seconds("AAA", 0, 9):
                sink.add(*item)
            sink.add_alert(alert)
            assert await sink.flush()
            server.crash()  # the append-only file kept everything
            for item in seconds("AAA", 10, 12):
                sink.add(*item)
            await flush_until_written(sink)
        finally:
            await sink.close()
        return sink

    sink = asyncio.run(run())
    client = redis.Redis.from_url(server.url, decode_responses=True)
    assert stored_seconds(client, "AAA") == list(range(13))
    assert len(client.xrange(keys.ALERTS_STREAM)) == 1  # duplicates: 0
    assert sink.counters.replays == 1 and sink.counters.alerts == 1
    client.close()


def test_a_dropped_connection_to_the_same_server_replays_nothing(server: Server) -> None:
    async def run() -> RedisSink:
        sink = RedisSink(server.url, SinkConfig(flush_events=10_000), LABELS)
        await sink.start()
        try:
            for item in seconds("AAA", 0, 9):
                sink.add(*item)
            assert await sink.flush()
            with redis.Redis.from_url(server.url) as client:
                assert client.client_kill_filter(_type="normal", skipme=True) >= 1
            for item in seconds("AAA", 10, 12):
                sink.add(*item)
            await flush_until_written(sink)
        finally:
            await sink.close()
        return sink

    sink = asyncio.run(run())
    with redis.Redis.from_url(server.url, decode_responses=True) as client:
        assert stored_seconds(client, "AAA") == list(range(13))
    assert sink.counters.replays == 0 and sink.counters.replayed == 0


def test_the_replay_window_is_bounded_by_count_and_says_what_it_let_go(
    redis_url: str, redis_client: redis.Redis
) -> None:
    async def run() -> RedisSink:
        sink = RedisSink(
            redis_url,
            SinkConfig(flush_events=10_000, replay_limit=50, replay_window_s=3_600),
            LABELS,
        )
        await sink.start()
        try:
            for first in (0, 40, 80):
                for item in seconds("AAA", first, first + 39):
                    sink.add(*item)
                assert await sink.flush()
        finally:
            await sink.close()
        return sink

    sink = asyncio.run(run())
    assert sink.counters.replay_evicted == 80  # the first two batches, pushed out early
    assert sink.counters.written == 120
