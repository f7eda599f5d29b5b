"""The realtime worker: feed → parse → velocity → sink, with stats every second.

`tickerlake realtime worker` runs `run_worker`. It connects to `FEED_URL` (the local
simulator when unset), authenticates with `MASSIVE_API_KEY` (any key for the
simulator), subscribes to all symbols or a list, and keeps Redis current. It never
dies from input: every frame is parsed without raising (`messages`), every decoded
event is screened (`screening`: symbol grammar, time tolerance, prices, volumes), and
what is refused is counted per reason (`skipped_<reason>` in the `stats:worker` hash,
the `ts:{stats}:skipped:<reason>` series) and logged at most once per log interval,
while the good events of the same frame go on. A dropped feed is reconnected and
resubscribed, an unreachable Redis is waited for while a bounded buffer holds the
events (and a Redis that comes back as a new process is sent again what it had
acknowledged in the last seconds: the sink's replay window), a series Redis refuses costs
only its own samples (see `sink`). SIGTERM (or SIGINT) flushes what is queued and returns.

At start the worker publishes the settings the live pages draw (velocity window and
threshold) under `keys.WORKER_CONFIG_KEY`, so the pages show what it really runs with.
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
from pipelines.realtime.keys import PublishedWorkerConfig
from pipelines.realtime.messages import MAX_FRAME_BYTES, MAX_FRAME_EVENTS, Frame
from pipelines.realtime.screening import (
    MALFORMED,
    OVERSIZED,
    SKIP_REASONS,
    UNKNOWN_EVENT,
    EventLimits,
    Screen,
)
from pipelines.realtime.sink import RedisSink, SinkConfig
from pipelines.realtime.velocity import VelocityConfig, VelocityTracker

log = logging.getLogger(__name__)

ACTIVE_WINDOW_S = 60.0  # a symbol counts as active when it had an update this recently
FINAL_FLUSH_TIMEOUT_S = 5.0
LOG_INTERVAL_S = 10.0  # the progress line, and at most one line of skipped events, this often


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
    limits: EventLimits = field(default_factory=EventLimits)
    max_frame_bytes: int = MAX_FRAME_BYTES
    max_frame_events: int = MAX_FRAME_EVENTS


@dataclass
class WorkerCounters:
    """Input-side counts (the feed and sink keep their own).

    `received` counts the aggregates accepted for storage; `skipped` the refused events
    (or whole frames, for `oversized`) per reason, one of `screening.SKIP_REASONS`.
    """

    received: int = 0
    duplicates: int = 0
    minute_bars: int = 0
    skipped: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SKIP_REASONS, 0))

    @property
    def malformed(self) -> int:
        """Events that were not valid JSON of a known shape."""
        return self.skipped[MALFORMED]

    @property
    def unknown(self) -> int:
        """Events of a channel we do not handle."""
        return self.skipped[UNKNOWN_EVENT]

    @property
    def skipped_total(self) -> int:
        """Every skipped event (an oversized frame counts one)."""
        return sum(self.skipped.values())


class RealtimeWorker:
    """Feed, velocity and sink wired together. Construct (opens nothing), `await run()`,
    `stop()`."""

    def __init__(
        self, config: WorkerConfig, labels: dict[str, tuple[str, str]] | None = None
    ) -> None:
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
                max_frame_bytes=config.max_frame_bytes,
                max_frame_events=config.max_frame_events,
            ),
            self.handle_frame,
        )
        self._latest_start: dict[str, int] = {}
        self._screen = Screen(config.limits)
        self._skipped_logged = dict.fromkeys(SKIP_REASONS, 0)  # counts at the last log line
        self._stop = asyncio.Event()
        self._started_at = time.monotonic()

    def handle_frame(self, frame: Frame) -> None:
        """Screen the frame's aggregates, count what was skipped (per reason), run velocity on
        each good aggregate and queue it for Redis."""
        counters = self.counters
        skipped = counters.skipped
        if frame.malformed:
            skipped[MALFORMED] += frame.malformed
        if frame.unknown:
            skipped[UNKNOWN_EVENT] += frame.unknown
        if frame.oversized:
            skipped[OVERSIZED] += frame.oversized
        if not frame.aggregates:
            return
        screened = self._screen(frame.aggregates, int(time.time() * 1000))
        for reason, count in screened.skipped.items():
            skipped[reason] += count
        aggregates = screened.kept
        counters.received += len(aggregates)
        latest_start = self._latest_start
        update_velocity = self.velocity.update
        velocities = self.velocity.velocity
        add = self.sink.add
        channel = self.config.channel
        for aggregate in aggregates:
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
                log.info(
                    "velocity alert: %s %+.2f%% in %d s at $%.2f",
                    alert.symbol,
                    alert.velocity_pct,
                    self.config.velocity.window_ms // 1000,
                    alert.price,
                )
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
        await self.sink.publish_config(
            PublishedWorkerConfig(self.config.velocity, published_ms=int(time.time() * 1000))
        )
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
        self._log_skipped()
        if self.sink.pending:
            log.error("Redis unreachable at shutdown: %d events not written", self.sink.pending)
        else:
            log.info("flushed; %d events written in total", self.sink.counters.written)

    async def _write_stats_every_interval(self) -> None:
        interval = self.config.stats_interval_s
        last_written = self.sink.counters.written
        last_time = time.monotonic()
        next_log = last_time + LOG_INTERVAL_S
        while not self._stop.is_set():
            await asyncio.sleep(interval)
            now = time.monotonic()
            written = self.sink.counters.written
            rate = (written - last_written) / max(now - last_time, 1e-6)
            last_written, last_time = written, now
            await self.sink.write_stats(*self._stats_snapshot(rate))
            if now >= next_log:
                next_log = now + LOG_INTERVAL_S
                log.info(
                    "%.0f msgs/s, %d written, %d queued, %d dropped, %d skipped, %d samples "
                    "refused, feed %s",
                    rate,
                    written,
                    self.sink.pending,
                    self.sink.counters.dropped,
                    self.counters.skipped_total,
                    self.sink.counters.refused_total,
                    self.feed.counters.state,
                )
                self._log_skipped()

    def _log_skipped(self) -> None:
        """One line naming what was skipped since the last one, per reason (none if nothing)."""
        now = self.counters.skipped
        since = {
            r: now[r] - self._skipped_logged[r]
            for r in SKIP_REASONS
            if now[r] > self._skipped_logged[r]
        }
        if since:
            self._skipped_logged = dict(now)
            log.warning(
                "skipped since the last report: %s (bad input from the feed; the good "
                "events of the same frames were kept; totals in the stats:worker hash)",
                ", ".join(f"{count} {reason}" for reason, count in since.items()),
            )

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
            "skipped": float(self.counters.skipped_total),
            "refused": float(sink.refused_total),
        }
        for reason, count in self.counters.skipped.items():
            values[f"skipped:{reason}"] = float(count)
        counters: dict[str, object] = {
            "received": self.counters.received,
            "written": sink.written,
            "queued": self.sink.pending,
            "dropped": sink.dropped,
            "malformed": self.counters.malformed,
            "unknown": self.counters.unknown,
            "duplicates": self.counters.duplicates,
            "skipped": self.counters.skipped_total,
            **{f"skipped_{reason}": count for reason, count in self.counters.skipped.items()},
            "replayed": sink.replayed,
            "replays": sink.replays,
            "replay_evicted": sink.replay_evicted,
            "refused_samples": sink.refused_total,
            **{f"refused_{reason}": count for reason, count in sink.refused.items()},
            "feed_refusals": self.feed.counters.refusals,
            "feed_status_errors": self.feed.counters.status_errors,
            "feed_handler_errors": self.feed.counters.handler_errors,
            "alerts": sink.alerts,
            "feed_connects": self.feed.counters.connects,
            "feed_failures": self.feed.counters.failures,
            "feed_state": self.feed.counters.state,
            "redis_up": int(sink.redis_up),
            "updated_ms": int(time.time() * 1000),
            "started_s_ago": round(time.monotonic() - self._started_at, 1),
        }
        return values, counters


async def run_worker(
    config: WorkerConfig, labels: dict[str, tuple[str, str]] | None = None
) -> RealtimeWorker:
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
    log.info(
        "worker: feed %s, Redis %s, %s",
        config.feed_url.split("?", 1)[0],
        config.redis_url.split("@")[-1],
        "all symbols" if config.symbols is None else f"{len(config.symbols)} symbols",
    )
    with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
        runner.run(run_worker(config, labels))
    return 0
