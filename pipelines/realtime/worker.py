"""The realtime worker: feed → parse → velocity → sink, with stats every second.

`tickerlake realtime worker` runs `run_worker`. It connects to `FEED_URL` (the local
simulator when unset), authenticates with `MASSIVE_API_KEY` (any key for the
simulator), subscribes to all symbols or a list, and keeps Redis current. It never
dies from input: malformed events are counted and skipped, a dropped feed is
reconnected and resubscribed, an unreachable Redis is waited for while a bounded
buffer holds the events. SIGTERM (or SIGINT) flushes what is queued and returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from dataclasses import dataclass, field

from pipelines.realtime import messages
from pipelines.realtime.feed import Feed, FeedConfig
from pipelines.realtime.messages import Frame
from pipelines.realtime.sink import RedisSink, SinkConfig
from pipelines.realtime.velocity import VelocityConfig, VelocityTracker

log = logging.getLogger(__name__)

ACTIVE_WINDOW_S = 60.0  # a symbol counts as active when it had an update this recently
FINAL_FLUSH_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class WorkerConfig:
    """Everything the worker needs: feed, Redis, subscriptions (None = all symbols), tuning."""

    feed_url: str
    api_key: str
    redis_url: str
    symbols: list[str] | None = None
    channel: str = "A"
    sink: SinkConfig = field(default_factory=SinkConfig)
    velocity: VelocityConfig = field(default_factory=VelocityConfig)
    stats_interval_s: float = 1.0
    feed_backoff_initial_s: float = 0.1
    feed_backoff_max_s: float = 10.0


@dataclass
class WorkerCounters:
    """Input-side counts (the feed and sink keep their own)."""

    received: int = 0
    malformed: int = 0
    unknown: int = 0
    duplicates: int = 0
    minute_bars: int = 0


class RealtimeWorker:
    """Feed, velocity and sink wired together. Construct (opens nothing), `await run()`, `stop()`."""

    def __init__(self, config: WorkerConfig, labels: dict[str, tuple[str, str]] | None = None) -> None:
        self.config = config
        self.counters = WorkerCounters()
        self.velocity = VelocityTracker(config.velocity)
        self.sink = RedisSink(config.redis_url, config.sink, labels)
        self.feed = Feed(
            FeedConfig(
                url=config.feed_url,
                api_key=config.api_key,
                backoff_initial_s=config.feed_backoff_initial_s,
                backoff_max_s=config.feed_backoff_max_s,
            ),
            self.handle_frame,
        )
        self._latest_start: dict[str, int] = {}
        self._stop = asyncio.Event()
        self._started_at = time.monotonic()

    def handle_frame(self, frame: Frame) -> None:
        """Count what was skipped, run velocity on each aggregate and queue it for Redis."""
        counters = self.counters
        if frame.malformed:
            counters.malformed += frame.malformed
        if frame.unknown:
            counters.unknown += frame.unknown
        if not frame.aggregates:
            return
        counters.received += len(frame.aggregates)
        latest_start = self._latest_start
        update_velocity = self.velocity.update
        velocities = self.velocity.velocity
        add = self.sink.add
        channel = self.config.channel
        for aggregate in frame.aggregates:
            if isinstance(aggregate, messages.MinuteAggregate) and channel != "AM":
                counters.minute_bars += 1  # minute bars come from compaction; not stored twice
                continue
            symbol = aggregate.sym
            previous = latest_start.get(symbol)
            if previous is not None and aggregate.s <= previous:
                counters.duplicates += 1  # a repeat or revision: stored (last value wins)
            else:
                latest_start[symbol] = aggregate.s
            alert = update_velocity(symbol, aggregate.s, aggregate.c)
            if alert is not None:
                log.info("velocity alert: %s %+.2f%% in %d s at $%.2f", alert.symbol,
                         alert.velocity_pct, self.config.velocity.window_ms // 1000, alert.price)
                self.sink.add_alert(alert)
            add(aggregate, velocities.get(symbol, 0.0))

    def stop(self) -> None:
        """Ask the worker to finish: stop the feed, flush what is queued, return from `run`."""
        if not self._stop.is_set():
            log.info("stopping: flushing %d queued events", self.sink.pending)
        self._stop.set()
        self.feed.stop()
        self.sink.wake()

    async def run(self) -> None:
        """Run until `stop()`: stream, flush and write stats; flush once more at the end."""
        await self.sink.start()
        params = messages.subscription_params(self.config.channel, self.config.symbols)
        await self.feed.subscribe(params)
        tasks = [
            asyncio.create_task(self.feed.run(), name="feed"),
            asyncio.create_task(self.sink.run(self._stop), name="sink"),
            asyncio.create_task(self._write_stats_every_interval(), name="stats"),
        ]
        stopper = asyncio.create_task(self._stop.wait())
        try:
            done, _ = await asyncio.wait([*tasks, stopper], return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if task is not stopper and task.exception() is not None:
                    log.error("worker task %s failed: %r", task.get_name(), task.exception())
                    raise task.exception()  # type: ignore[misc]
        finally:
            self._stop.set()
            self.feed.stop()
            self.sink.wake()
            feed_task, sink_task, stats_task = tasks
            for task in (feed_task, stats_task, stopper):
                task.cancel()
            # The sink is not cancelled: a batch in flight on the writer thread must finish
            # (and be counted) before the final flush.
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(sink_task, FINAL_FLUSH_TIMEOUT_S * 6)
            for task in (feed_task, stats_task):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            await self._final_flush()
            await self.sink.close()

    async def _final_flush(self) -> None:
        deadline = time.monotonic() + FINAL_FLUSH_TIMEOUT_S
        while self.sink.pending and time.monotonic() < deadline:
            if not await self.sink.flush():
                await asyncio.sleep(0.1)
        await self.sink.write_stats(*self._stats_snapshot(0.0))
        if self.sink.pending:
            log.error("Redis unreachable at shutdown: %d events not written", self.sink.pending)
        else:
            log.info("flushed; %d events written in total", self.sink.counters.written)

    async def _write_stats_every_interval(self) -> None:
        interval = self.config.stats_interval_s
        last_written = self.sink.counters.written
        last_time = time.monotonic()
        next_log = last_time + 10
        while not self._stop.is_set():
            await asyncio.sleep(interval)
            now = time.monotonic()
            written = self.sink.counters.written
            rate = (written - last_written) / max(now - last_time, 1e-6)
            last_written, last_time = written, now
            await self.sink.write_stats(*self._stats_snapshot(rate))
            if now >= next_log:
                next_log = now + 10
                log.info("%.0f msgs/s, %d written, %d queued, %d dropped, %d malformed, feed %s",
                         rate, written, self.sink.pending, self.sink.counters.dropped,
                         self.counters.malformed, self.feed.counters.state)

    def _stats_snapshot(self, rate: float) -> tuple[dict[str, float], dict[str, object]]:
        sink = self.sink.counters
        flush_times, sink.flush_ms_window = sink.flush_ms_window, []
        horizon = time.monotonic() - ACTIVE_WINDOW_S
        active = sum(1 for t in self.sink.last_update.values() if t >= horizon)
        lag = max(0.0, time.time() * 1000 - sink.latest_end_ms) if sink.latest_end_ms else 0.0
        values = {
            "active_symbols": float(active),
            "messages_per_s": rate,
            "flush_ms": max(flush_times) if flush_times else 0.0,
            "dropped": float(sink.dropped),
            "malformed": float(self.counters.malformed),
            "lag_ms": lag,
        }
        counters: dict[str, object] = {
            "received": self.counters.received,
            "written": sink.written,
            "queued": self.sink.pending,
            "dropped": sink.dropped,
            "malformed": self.counters.malformed,
            "unknown": self.counters.unknown,
            "duplicates": self.counters.duplicates,
            "alerts": sink.alerts,
            "feed_connects": self.feed.counters.connects,
            "feed_failures": self.feed.counters.failures,
            "feed_state": self.feed.counters.state,
            "redis_up": int(sink.redis_up),
            "updated_ms": int(time.time() * 1000),
            "started_s_ago": round(time.monotonic() - self._started_at, 1),
        }
        return values, counters


async def run_worker(config: WorkerConfig, labels: dict[str, tuple[str, str]] | None = None) -> RealtimeWorker:
    """Run a worker until SIGTERM or SIGINT, then flush and return it (for its counters)."""
    worker = RealtimeWorker(config, labels)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, worker.stop)
    try:
        await worker.run()
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
    return worker


def serve_worker(config: WorkerConfig) -> int:
    """Run the worker until SIGTERM/SIGINT (the `tickerlake realtime worker` command); return 0."""
    from pipelines.realtime.runtime import event_loop_factory
    from pipelines.realtime.universe import load_universe

    universe = load_universe(fallback_count=10_000)
    labels = {
        row[0]: (row[1], row[2])
        for row in universe.select("ticker", "sector", "cap_bucket").iter_rows()
    }
    log.info("worker: feed %s, Redis %s, %s", config.feed_url.split("?", 1)[0],
             config.redis_url.split("@")[-1], "all symbols" if config.symbols is None
             else f"{len(config.symbols)} symbols")
    with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
        runner.run(run_worker(config, labels))
    return 0
