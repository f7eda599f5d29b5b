"""The worker against a feed sending every class of garbage between good frames.

A scripted server speaking the Massive/Polygon protocol sends good frames interleaved
with hostile ones (deep nesting, numbers beyond float, NaN, wrong types in every field,
bytes that are not UTF-8, objects instead of arrays, a million tiny events, a 10 MB
string, binary and empty frames, unknown event codes, impossible bars, mid-stream
`auth_failed` / `max_connections` with a close, a frame too big for the transport).
The real worker writes to the real embedded Redis. Checked: the worker is still running,
every good event is in Redis exactly once (events lost: 0, duplicates: 0), and the skip
counters, per reason, equal what was sent, in the worker and in its Redis stats.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

import orjson
import polars as pl
import pytest
import redis

from pipelines.realtime import keys, screening
from pipelines.realtime.messages import MAX_FRAME_EVENTS
from pipelines.realtime.sink import SinkConfig
from pipelines.realtime.worker import RealtimeWorker, WorkerConfig
from tests.pipelines.realtime.conftest import eventually
from tests.pipelines.realtime.scripted_feed import Close, ScriptedFeed, Send, Step

pytestmark = pytest.mark.integration

TRANSPORT_CAP = 12 * 2**20  # the test worker's transport cap; the parser's is the default 8 MiB


class Script:
    """Builds the script and remembers what it holds: good events and skips per reason."""

    def __init__(self, symbols: list[str]) -> None:
        self.symbols = symbols
        self.base = int(time.time() * 1000) - 120_000  # good windows start two minutes ago
        self.turn = 0
        self.good: set[tuple[str, int]] = set()
        self.skipped = dict.fromkeys(screening.SKIP_REASONS, 0)
        self.steps: list[Step] = []

    def event(self, **overrides: object) -> dict[str, object]:
        """A valid, never-sent-before aggregate (not yet counted as good)."""
        symbol = self.symbols[self.turn % len(self.symbols)]
        start = self.base + (self.turn // len(self.symbols)) * 1_000
        self.turn += 1
        event: dict[str, object] = {
            "ev": "A",
            "sym": symbol,
            "v": 100.0,
            "av": 1_000.0,
            "op": 9.9,
            "vw": 10.05,
            "o": 10.0,
            "c": 10.1,
            "h": 10.2,
            "l": 9.9,
            "a": 10.0,
            "z": 10,
            "s": start,
            "e": start + 1_000,
        }
        event.update(overrides)
        return event

    def good_event(self) -> bytes:
        event = self.event()
        self.good.add((str(event["sym"]), int(event["s"])))  # type: ignore[call-overload]
        return orjson.dumps(event)

    def frame(self, *parts: bytes, binary: bool = False) -> None:
        """A frame of raw event texts, with a good event before and after them."""
        body = b",".join([self.good_event(), *parts, self.good_event()])
        self.steps.append(Send(b"[" + body + b"]", binary=binary))

    def good_frame(self, count: int = 20) -> None:
        self.steps.append(Send(b"[" + b",".join(self.good_event() for _ in range(count)) + b"]"))

    def skip(self, reason: str, count: int = 1) -> None:
        self.skipped[reason] += count


def garbage_script(symbols: list[str]) -> Script:
    s = Script(symbols)
    send = s.steps.append
    s.good_frame()
    # Frames that are not JSON at all: one malformed each, whatever they held.
    send(Send(b"[" * 100_000))
    s.skip(screening.MALFORMED)
    send(Send(b"[" + b"[" * 5_000 + b"]" * 5_000 + b"]"))
    s.skip(screening.MALFORMED)
    send(Send(b'[{"ev":"A","sym":"AAPL","o":NaN,"c":Infinity}]'))
    s.skip(screening.MALFORMED)
    send(Send(b'[{"ev":"A","sym":'))  # truncated
    s.skip(screening.MALFORMED)
    send(Send(b""))
    send(Send(b"", binary=True))
    s.skip(screening.MALFORMED, 2)
    send(Send(orjson.dumps({"ev": "A", "sym": "AAPL"})))  # an object, not an array
    s.skip(screening.MALFORMED)
    s.good_frame()
    # Bad events among good ones in the same frame: only the bad ones go.
    s.frame(orjson.dumps(s.event()).replace(b'"o":10.0', b'"o":1e400'))
    s.skip(screening.MALFORMED)
    huge = orjson.dumps(s.event(s=111, e=222)).replace(b'"s":111', f'"s":{2**70}'.encode())
    s.frame(huge.replace(b'"e":222', f'"e":{2**70 + 1_000}'.encode()))
    s.skip(screening.TOO_FAR_AHEAD)
    wrong_types = [
        orjson.dumps(s.event(**{name: "x" if name != "sym" else 5}))
        for name in ("sym", "o", "h", "l", "c", "v", "vw", "s", "e", "av", "op", "a", "z")
    ]
    s.frame(*wrong_types, b"42", b'"text"', b"null", b"[]", b'{"ev":5}', b'{"ev":null}')
    s.skip(screening.MALFORMED, len(wrong_types) + 6)
    not_utf8 = orjson.dumps(s.event(sym="ZZZZ")).replace(b"ZZZZ", b"\xff\xfe")
    s.frame(not_utf8, binary=True)
    s.skip(screening.MALFORMED)
    s.frame(binary=True)  # a binary frame of good events is taken like a text one
    s.frame(b'{"ev":"T","sym":"AAPL","p":1.0}', b'{"ev":"Q"}', b'{"ev":"XA","sym":"AAPL"}')
    s.skip(screening.UNKNOWN_EVENT, 3)
    impossible = {
        screening.BAD_SYMBOL: [
            {"sym": "aapl"},
            {"sym": "A{B}"},
            {"sym": ""},
            {"sym": "TOOLONGSYMBOL"},
        ],
        screening.TOO_FAR_AHEAD: [
            {"s": s.base + 2 * screening.DAY_MS, "e": s.base + 2 * screening.DAY_MS + 1}
        ],
        screening.TOO_OLD: [
            {"s": s.base - 30 * screening.DAY_MS, "e": s.base - 30 * screening.DAY_MS + 1},
            {"s": 1, "e": 2},
        ],
        screening.BAD_PRICE: [{"c": 0}, {"o": -1.5}, {"vw": -0.01}, {"op": 0}],
        screening.HIGH_BELOW_LOW: [{"h": 9.0, "l": 9.5}],
        screening.NEGATIVE_VOLUME: [{"v": -5}, {"av": -1}],
        screening.END_BEFORE_START: [{"s": s.base + 5_000, "e": s.base}],
    }
    for reason, cases in impossible.items():
        s.frame(*(orjson.dumps(s.event(**case)) for case in cases))
        s.skip(reason, len(cases))
    # Floods: a million tiny events (over the event cap), fifty thousand broken ones (under
    # it: each counted), a 10 MB symbol (over the 8 MiB byte cap).
    send(Send(b"[" + b",".join([b"1"] * 1_000_000) + b"]"))
    s.skip(screening.OVERSIZED)
    s.frame(*([b"{}"] * (MAX_FRAME_EVENTS // 2)))
    s.skip(screening.MALFORMED, MAX_FRAME_EVENTS // 2)
    send(Send(orjson.dumps([s.event(sym="A" * 10 * 2**20)])))
    s.skip(screening.OVERSIZED)
    s.good_frame()
    # Statuses mid-stream: an error (the connection stays), then refusals and closes.
    send(
        Send(orjson.dumps([{"ev": "status", "status": "error", "message": "invalid channel: X.Y"}]))
    )
    s.good_frame()
    send(
        Send(
            orjson.dumps(
                [{"ev": "status", "status": "auth_failed", "message": "authentication failed"}]
            )
        )
    )
    send(Close())
    s.good_frame()
    send(
        Send(
            orjson.dumps(
                [
                    {
                        "ev": "status",
                        "status": "max_connections",
                        "message": "Maximum number of websocket connections exceeded.",
                    }
                ]
            )
        )
    )
    send(Close())
    s.good_frame()
    # Too big even for the transport: the client closes (1009); counted, then reconnected.
    send(Send(b"[" + b" " * (TRANSPORT_CAP + 1) + b"]", last_on_connection=True))
    s.skip(screening.OVERSIZED)
    s.good_frame()
    return s


def test_every_class_of_garbage_is_counted_and_skipped_and_no_good_event_is_lost(
    redis_url: str, redis_client: redis.Redis, universe: pl.DataFrame
) -> None:
    symbols = universe["ticker"].to_list()
    script = garbage_script(symbols)

    async def run() -> RealtimeWorker:
        feed = ScriptedFeed(script.steps)
        await feed.start()
        labels = {
            r[0]: (r[1], r[2])
            for r in universe.select("ticker", "sector", "cap_bucket").iter_rows()
        }
        worker = RealtimeWorker(
            WorkerConfig(
                feed_url=feed.url,
                api_key="test",
                redis_url=redis_url,
                stats_interval_s=0.1,
                sink=SinkConfig(flush_events=50, flush_interval_s=0.05),
                feed_backoff_initial_s=0.05,
                feed_backoff_max_s=0.2,
            ),
            labels,
        )
        worker.feed.config = replace(worker.feed.config, transport_max_bytes=TRANSPORT_CAP)
        running = asyncio.create_task(worker.run())
        try:
            await eventually(feed.finished.is_set, timeout=90)
            await eventually(
                lambda: worker.counters.received == len(script.good) and worker.sink.pending == 0,
                timeout=30,
            )
            await eventually(
                lambda: (
                    redis_client.hget(keys.WORKER_STATS_KEY, "skipped")
                    == str(sum(script.skipped.values()))
                )
            )
            assert not running.done(), "the worker stopped on its own"
            assert feed.connections == 4  # three closes: auth_failed, max_connections, too big
        finally:
            worker.stop()
            await asyncio.wait_for(running, 30)
            await feed.stop()
        return worker

    worker = asyncio.run(run())

    # Every good event is in Redis once: events lost 0, duplicates 0.
    ts = redis_client.ts()
    stored = {
        (symbol, start)
        for symbol in symbols
        for start, _ in ts.range(keys.series_key(symbol, "close"), "-", "+")
    }
    lost, extra = script.good - stored, stored - script.good
    assert (len(lost), len(extra)) == (0, 0), (
        f"events lost: {len(lost)}, duplicates/strays: {len(extra)}"
    )
    assert worker.counters.duplicates == 0
    assert len(script.good) == worker.sink.counters.written
    assert redis_client.smembers(keys.ACTIVE_SYMBOLS_KEY) == set(
        symbols
    )  # no junk symbol got series
    # The skip counters, per reason, equal what was sent; in the worker and in Redis.
    assert worker.counters.skipped == script.skipped
    stats = redis_client.hgetall(keys.WORKER_STATS_KEY)
    assert {
        reason: int(stats[f"skipped_{reason}"]) for reason in screening.SKIP_REASONS
    } == script.skipped
    assert (
        ts.get(keys.stats_key(f"skipped:{screening.MALFORMED}"))[1]
        == script.skipped[screening.MALFORMED]
    )
    assert int(stats["feed_refusals"]) == 2 and int(stats["feed_status_errors"]) == 1
    assert (worker.sink.counters.dropped, worker.sink.counters.refused_total) == (0, 0)
