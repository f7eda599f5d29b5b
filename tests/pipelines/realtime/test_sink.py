"""The sink against the real embedded Redis: one batch, coalesced per symbol, nothing lost."""

from __future__ import annotations

import asyncio
import threading

import orjson
import pytest
import redis

from pipelines.realtime import keys, transport
from pipelines.realtime.messages import SecondAggregate
from pipelines.realtime.sink import RedisSink, SinkConfig
from pipelines.realtime.velocity import Alert

pytestmark = pytest.mark.integration

LABELS = {"AAA": ("finance", "large"), "BBB": ("retail", "micro")}


def bar(symbol: str, start_ms: int, close: float) -> SecondAggregate:
    """A one-second bar of `symbol` starting at `start_ms` and closing at `close` dollars."""
    return SecondAggregate(
        sym=symbol,
        o=close - 0.5,
        h=close + 1.0,
        l=close - 1.0,
        c=close,
        v=100.0 + close,
        vw=close - 0.25,
        s=start_ms,
        e=start_ms + 1_000,
    )


def write_batch(
    redis_url: str, items: list[tuple[SecondAggregate, float]], alerts: list[Alert] = ()
) -> RedisSink:  # type: ignore[assignment]
    """Queue `items` (bar, velocity %) and `alerts` in a fresh sink, flush them as one batch."""

    async def run() -> RedisSink:
        sink = RedisSink(redis_url, SinkConfig(flush_events=10_000), LABELS)
        await sink.start()
        try:
            for aggregate, velocity in items:
                sink.add(aggregate, velocity)
            for alert in alerts:
                sink.add_alert(alert)
            assert await sink.flush()
            await sink.write_stats({"messages_per_s": 7.0}, {"written": sink.counters.written})
        finally:
            await sink.close()
        return sink

    return asyncio.run(run())


def listen(
    redis_url: str, channels: list[str]
) -> tuple[list[tuple[str, bytes]], threading.Event, threading.Thread]:
    """Subscribe to `channels` now; a thread collects (channel, data) until the event is set."""
    client = redis.Redis.from_url(redis_url)
    pubsub = client.pubsub()
    pubsub.subscribe(*channels)
    while pubsub.get_message(timeout=1) is not None:  # the subscribe confirmations
        pass
    heard: list[tuple[str, bytes]] = []
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            message = pubsub.get_message(timeout=0.05)
            if message is not None and message["type"] == "message":
                heard.append((message["channel"].decode(), message["data"]))
        pubsub.close()
        client.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return heard, stop, thread


def test_a_batch_keeps_every_sample_and_coalesces_the_hash_and_publishes(
    redis_url: str, redis_client: redis.Redis
) -> None:
    heard, stop, thread = listen(
        redis_url, [keys.symbol_channel("AAA"), keys.symbol_channel("BBB"), keys.ALL_BARS_CHANNEL]
    )
    t0 = 1_700_000_000_000
    items = [
        (bar("AAA", t0, 10.0), 0.1),
        (bar("BBB", t0, 50.0), -0.2),
        (bar("AAA", t0 + 1_000, 11.0), 0.2),
        (bar("AAA", t0 + 2_000, 12.0), 0.3),
        (bar("AAA", t0 + 2_000, 12.5), 0.35),  # a revision of the newest window: it wins
        (
            bar("AAA", t0 + 1_000, 11.5),
            0.9,
        ),  # a late revision of an older window: stored, not "last"
    ]
    sink = write_batch(redis_url, items)
    try:
        closes = redis_client.execute_command("TS.RANGE", keys.series_key("AAA", "close"), "-", "+")
        assert [(int(t), float(v)) for t, v in closes] == [
            (t0, 10.0),
            (t0 + 1_000, 11.5),
            (t0 + 2_000, 12.5),
        ]
        for field, value in zip(keys.FIELDS, (12.0, 13.5, 11.5, 12.5, 112.5, 12.25), strict=True):
            assert (
                float(redis_client.execute_command("TS.GET", keys.series_key("AAA", field))[1])
                == value
            )
        last = redis_client.hgetall(keys.last_value_key("AAA"))
        assert {
            k: last[k] for k in ("close", "open", "start_ms", "end_ms", "velocity_pct", "sector")
        } == {
            "close": "12.5",
            "open": "12.0",
            "start_ms": str(t0 + 2_000),
            "end_ms": str(t0 + 3_000),
            "velocity_pct": "0.35",
            "sector": "finance",
        }
        assert redis_client.hget(keys.last_value_key("BBB"), "close") == "50.0"
        assert redis_client.smembers(keys.ACTIVE_SYMBOLS_KEY) == {"AAA", "BBB"}
        assert sink.counters.written == len(items) and sink.counters.dropped == 0

        def heard_all() -> bool:
            return any(channel == keys.ALL_BARS_CHANNEL for channel, _ in heard)

        for _ in range(100):
            if heard_all():
                break
            threading.Event().wait(0.05)
    finally:
        stop.set()
        thread.join(5)
    per_symbol = [
        (channel, orjson.loads(data)) for channel, data in heard if channel != keys.ALL_BARS_CHANNEL
    ]
    # One publish per symbol per flush, carrying that symbol's latest bar.
    assert sorted((channel, message["c"], message["s"]) for channel, message in per_symbol) == [
        ("bars:AAA", 12.5, t0 + 2_000),
        ("bars:BBB", 50.0, t0),
    ]
    everything = [orjson.loads(data) for channel, data in heard if channel == keys.ALL_BARS_CHANNEL]
    assert len(everything) == 1
    assert sorted((b["sym"], b["c"]) for b in everything[0]) == [("AAA", 12.5), ("BBB", 50.0)]


def test_replies_stay_in_step_after_a_batch_and_an_alert(
    redis_url: str, redis_client: redis.Redis
) -> None:
    """Commands whose replies are switched off must not leave replies for the next command."""
    t0 = 1_700_000_100_000
    alert = Alert("AAA", t0, 0.8, 10.08, 10.0)
    items = [
        (bar(symbol, t0 + i * 1_000, 10.0 + i), 0.0) for i in range(50) for symbol in ("AAA", "BBB")
    ]
    write_batch(redis_url, items, [alert])
    # The stats written after the batch on the same connection landed where they belong.
    assert redis_client.hget(keys.WORKER_STATS_KEY, "written") == "100"
    assert float(redis_client.execute_command("TS.GET", keys.stats_key("messages_per_s"))[1]) == 7.0
    assert redis_client.xlen(keys.ALERTS_STREAM) == 1
    assert redis_client.xrange(keys.ALERTS_STREAM)[0][1]["velocity_pct"] == "0.8"
    assert redis_client.execute_command("TS.GET", keys.alert_series_key("AAA"))[0] == t0
    assert redis_client.hget(keys.last_value_key("AAA"), "close") == "59.0"
    assert redis_client.ping()


def test_series_emptied_between_batches_are_recreated_and_rewritten(
    redis_url: str, redis_client: redis.Redis
) -> None:
    t0 = 1_700_000_200_000

    async def run() -> RedisSink:
        sink = RedisSink(redis_url, SinkConfig(), LABELS)
        await sink.start()
        try:
            sink.add(bar("AAA", t0, 10.0), 0.0)
            assert await sink.flush()
            redis_client.flushdb()  # as a restarted Redis without persistence would come back
            sink.add(bar("AAA", t0 + 1_000, 11.0), 0.0)
            assert await sink.flush()  # the missing series are found, re-created, written again
            assert sink.pending == 0
        finally:
            await sink.close()
        return sink

    sink = asyncio.run(run())
    assert redis_client.execute_command("TS.GET", keys.series_key("AAA", "close")) == [
        t0 + 1_000,
        11.0,
    ]
    assert redis_client.execute_command(
        "TS.INFO", keys.series_key("AAA", "close")
    )  # re-created, with rules
    assert sink.counters.written == 2 and sink.counters.dropped == 0


def test_a_series_redis_refuses_costs_only_its_own_samples(
    redis_url: str, redis_client: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    """One key squatted by a plain string, one series with a one-second retention fed a late
    sample: every other series gets every sample (events lost: 0), the refused ones are
    counted per reason, logged once per key, and the next batch goes the same way."""
    t0 = 1_700_000_300_000
    symbols = ["AAA", "BAD", "BBB", "OLD"]
    redis_client.set(keys.series_key("BAD", "close"), "someone else's string")
    redis_client.execute_command("TS.CREATE", keys.series_key("OLD", "close"), "RETENTION", 1_000)
    events_per_symbol = 100

    def batch(first: int) -> list[tuple[SecondAggregate, float]]:
        items = [
            (bar(symbol, t0 + i * 1_000, 10.0 + i / 100), 0.0)
            for i in range(first, first + events_per_symbol)
            for symbol in symbols
        ]
        late = bar("OLD", t0 + (first - 10) * 1_000 - 500, 5.0)  # behind OLD's 1 s retention
        return [*items, (late, 0.0)]

    async def run() -> RedisSink:
        sink = RedisSink(redis_url, SinkConfig(flush_events=10_000), LABELS)
        await sink.start()
        try:
            for first in (0, events_per_symbol):
                for aggregate, velocity in batch(first):
                    sink.add(aggregate, velocity)
                assert await sink.flush()
                assert sink.pending == 0
        finally:
            await sink.close()
        return sink

    with caplog.at_level("WARNING", logger="pipelines.realtime.sink"):
        sink = asyncio.run(run())

    sent = 2 * events_per_symbol
    ts = redis_client.ts()
    stored = {
        (symbol, field): len(ts.range(keys.series_key(symbol, field), "-", "+"))
        for symbol in symbols
        for field in keys.FIELDS
        if (symbol, field) != ("BAD", "close")
    }
    late = {("OLD", field): 2 for field in keys.FIELDS if field != "close"}  # two late bars kept
    expected = {key: sent + late.get(key, 0) for key in stored}
    expected[("OLD", "close")] = len(
        ts.range(keys.series_key("OLD", "close"), "-", "+")
    )  # trimmed by its retention
    lost = sum(expected[key] - stored[key] for key in stored)
    assert lost == 0, f"events lost: {lost}"
    assert stored[("OLD", "close")] >= 1
    assert redis_client.get(keys.series_key("BAD", "close")) == "someone else's string"
    assert sink.counters.refused == {
        transport.NOT_A_SERIES: sent,
        transport.OLDER_THAN_RETENTION: 2,
        transport.INVALID_TIMESTAMP: 0,
        transport.INVALID_VALUE: 0,
        transport.OTHER_REFUSAL: 0,
    }
    assert sink.counters.written == 2 * (len(symbols) * events_per_symbol + 1)
    assert sink.counters.dropped == 0
    assert float(redis_client.hget(keys.last_value_key("BAD"), "close")) == 10.0 + (sent - 1) / 100
    bad_lines = [
        r
        for r in caplog.records
        if "ts:{BAD}:close" in r.getMessage() and "refused" in r.getMessage()
    ]
    assert len(bad_lines) == 1, "one log line per key per interval"
    assert "delete it" in bad_lines[0].getMessage()


def test_a_squatted_series_heals_once_the_key_is_deleted(
    redis_url: str, redis_client: redis.Redis
) -> None:
    t0 = 1_700_000_400_000
    redis_client.set(keys.series_key("BAD", "close"), "x")

    async def run() -> RedisSink:
        sink = RedisSink(redis_url, SinkConfig(flush_events=10_000), LABELS)
        await sink.start()
        try:
            sink.add(bar("BAD", t0, 10.0), 0.0)
            assert await sink.flush()
            redis_client.delete(keys.series_key("BAD", "close"))
            sink._not_series.clear()  # as after NOT_A_SERIES_RETRY_S
            sink.add(bar("BAD", t0 + 1_000, 11.0), 0.0)
            assert await sink.flush()
        finally:
            await sink.close()
        return sink

    sink = asyncio.run(run())
    assert redis_client.execute_command("TS.GET", keys.series_key("BAD", "close")) == [
        t0 + 1_000,
        11.0,
    ]
    assert sink.counters.refused[transport.NOT_A_SERIES] == 1


def test_redis_out_of_memory_holds_the_batch_and_writes_it_once_memory_is_back(
    redis_url: str, redis_client: redis.Redis
) -> None:
    t0 = 1_700_000_500_000
    previous = redis_client.config_get("maxmemory")["maxmemory"]

    async def run() -> RedisSink:
        sink = RedisSink(redis_url, SinkConfig(flush_events=10_000), LABELS)
        await sink.start()
        try:
            redis_client.config_set("maxmemory", 1)  # every write is refused with OOM
            for i in range(50):
                sink.add(bar("AAA", t0 + i * 1_000, 10.0), 0.0)
            assert not await sink.flush()  # held, as for an unreachable server
            assert sink.pending == 50
            redis_client.config_set("maxmemory", previous)
            assert await sink.flush()
        finally:
            redis_client.config_set("maxmemory", previous)
            await sink.close()
        return sink

    sink = asyncio.run(run())
    assert len(redis_client.ts().range(keys.series_key("AAA", "close"), "-", "+")) == 50
    assert (sink.counters.written, sink.counters.dropped, sink.counters.refused_total) == (50, 0, 0)
