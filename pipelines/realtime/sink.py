"""The sink: batched writes of aggregates, last values, alerts and stats to Redis.

What goes where is the key scheme (`keys`); how commands travel is `transport` (hiredis
packing, one write per flush) and `routing` (the node of each hash slot on a cluster).
This module decides what to write when.

A flush is one write of many commands: the samples (six per event) in `TS.MADD`s grouped
by hash slot — per symbol on a cluster, the whole batch on a single server — then per
symbol one `HSET` and one `PUBLISH` of its latest bar only, however many events it had in
the batch (batches grow when the writer falls behind, so this coalescing saves most where
it is needed). The `HSET`/`PUBLISH` replies (nothing to act on) are switched off with
`CLIENT REPLY OFF … ON` when the server allows it (never on a cluster), so only the
samples' and alerts' replies are read.

Redis IO runs on one writer thread, which keeps flushes in order; the loop only hands
batches over.

Replies are judged per sample, never per batch: a series Redis refuses (a key of
another type holding its name, a sample older than its retention, a value it cannot
take) costs only its own samples, counted per reason in `SinkCounters.refused`
(`transport.REFUSAL_REASONS`) and logged once per key per `REFUSAL_LOG_INTERVAL_S`; every
other sample of the batch is stored. A series found missing (the database was emptied) is
re-created and its samples sent again in the same flush. Replies that mean the server
cannot write right now (out of memory, read-only replica, loading, busy) hold the whole
batch for the next flush, as an unreachable server does.

A reply is not persistence: with `appendfsync everysec` Redis acknowledges a write up to
about a second (two when the disk is slow) before it is on disk, so a server killed and
restarted from its append-only file (or a replica promoted) can come back without the
last writes it acknowledged. The sink therefore keeps a replay window: the batches
acknowledged in the last `replay_window_s` seconds (at most `replay_limit` events).
Whenever a connection to the server is (re)opened, the sink reads the server's identity
(`INFO server` run_id); when it is a new server process (or cannot tell: a cluster, an
ACL refusing INFO), the window is sent again before anything new, samples and last-value
hashes only. That is idempotent: every series has `DUPLICATE_POLICY LAST` and
RedisTimeSeries recomputes a closed one-minute bucket when a sample in it is re-added,
so a re-sent sample changes nothing when it was kept and restores it (and its candle)
when it was lost. Bars are not re-published (subscribers only want what is new), and an
alert is re-added to the `alerts` stream only when the stream does not already hold it
(same symbol and window), which also keeps an alert held across an outage from being
added twice. Counted in `SinkCounters.replayed`/`replays`; events pushed out of the window
by `replay_limit` before their time was up in `replay_evicted` (zero unless the worker
writes more than `replay_limit / replay_window_s` events per second).

The worker's published config (`keys.PublishedWorkerConfig`) is written at start and again
with every stats write, so a restarted or emptied Redis gets it back within a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import msgspec
import redis
from redis.backoff import NoBackoff
from redis.cluster import RedisCluster
from redis.exceptions import RedisError, ResponseError
from redis.retry import Retry

from pipelines.realtime.keys import (
    ACTIVE_SYMBOLS_KEY,
    ALERTS_CHANNEL,
    ALERTS_STREAM,
    ALERTS_STREAM_MAXLEN,
    ALL_BARS_CHANNEL,
    COMPACTIONS,
    FIELDS,
    MINUTE_MS,
    UNKNOWN_LABEL,
    WORKER_CONFIG_KEY,
    WORKER_STATS_KEY,
    PublishedWorkerConfig,
    alert_series_key,
    last_value_key,
    series_key,
    series_labels,
    stats_key,
    stats_labels,
    symbol_channel,
)
from pipelines.realtime.messages import Aggregate
from pipelines.realtime.routing import ANY_NODE, cluster_client, is_cluster, send, slot_of
from pipelines.realtime.transport import (
    DISCONNECTED,
    NOT_A_SERIES,
    OTHER_REFUSAL,
    REFUSAL_REASONS,
    REPLY_OFF,
    REPLY_ON,
    RedisNotWritable,
    can_silence_replies,
    command_key,
    is_missing_key,
    is_transient,
    pack,
    refusal_reason,
)
from pipelines.realtime.velocity import Alert

log = logging.getLogger(__name__)

REFUSAL_LOG_INTERVAL_S = 60.0
# A key refused as "not a series" even after re-creating it is not re-created again for
# this long (its samples are counted as refused at once); after it, the sink tries again,
# so deleting the squatting key heals the series by itself.
NOT_A_SERIES_RETRY_S = 30.0


@dataclass(frozen=True)
class SinkConfig:
    """Flush triggers, retention (ms), the bound on events held while Redis is away, and the
    replay window: events acknowledged in the last `replay_window_s` seconds (at most
    `replay_limit`) are sent again when Redis comes back as a new process."""

    flush_events: int = 100
    flush_interval_s: float = 0.1
    retention_ms: int = 2 * 3_600_000
    retention_1m_ms: int = 7 * 24 * 3_600_000
    buffer_limit: int = 1_000_000
    max_batch_events: int = 20_000
    stats_retention_ms: int = 24 * 3_600_000
    replay_window_s: float = (
        5.0  # > the 1-2 s an `appendfsync everysec` server may not have on disk
    )
    replay_limit: int = 250_000  # 10 s at the worker's top ingest rate: the time bound decides


@dataclass
class SinkCounters:
    """What the sink has done since it started."""

    written: int = 0
    dropped: int = 0
    flushes: int = 0
    failed_flushes: int = 0
    alerts: int = 0
    redis_up: bool = False
    last_flush_ms: float = 0.0
    flush_ms_window: list[float] = field(default_factory=list)
    latest_end_ms: int = 0
    replayed: int = 0  # events sent again after Redis came back as a new process
    replays: int = 0  # how many times the replay window was sent again
    replay_evicted: int = 0  # events pushed out of the replay window by `replay_limit` early
    # Samples Redis refused, per reason (keys fixed up front: the writer thread updates
    # the values while the event loop reads them).
    refused: dict[str, int] = field(default_factory=lambda: dict.fromkeys(REFUSAL_REASONS, 0))

    @property
    def refused_total(self) -> int:
        """Every sample Redis refused (one event has six samples)."""
        return sum(self.refused.values())


class _SymbolKeys:
    __slots__ = ("channel", "last", "raw", "slot")

    def __init__(self, symbol: str) -> None:
        self.raw = tuple(series_key(symbol, f) for f in FIELDS)
        self.slot = slot_of(symbol)
        self.last = last_value_key(symbol)
        self.channel = symbol_channel(symbol)


_encode = msgspec.json.Encoder().encode
MADD_EVENTS = (
    500  # events per TS.MADD (3,000 samples): big enough to amortize, small enough to interleave
)


def _alert_commands(alert: Alert, publish: bool = True) -> list[tuple[int, bytes]]:
    """The commands that record one alert, with their hash slots: its series sample,
    stream entry and (with `publish`) its message on the alerts channel."""
    series = alert_series_key(alert.symbol)
    commands = [
        (
            slot_of(series),
            pack(
                (
                    "TS.ADD",
                    series,
                    str(alert.time_ms),
                    repr(alert.velocity_pct),
                    "ON_DUPLICATE",
                    "LAST",
                )
            ),
        ),
        (
            slot_of(ALERTS_STREAM),
            pack(
                (
                    "XADD",
                    ALERTS_STREAM,
                    "MAXLEN",
                    "~",
                    str(ALERTS_STREAM_MAXLEN),
                    "*",
                    "symbol",
                    alert.symbol,
                    "time_ms",
                    str(alert.time_ms),
                    "velocity_pct",
                    repr(alert.velocity_pct),
                    "price",
                    repr(alert.price),
                    "reference_price",
                    repr(alert.reference_price),
                )
            ),
        ),
    ]
    if publish:
        commands.append((ANY_NODE, pack(("PUBLISH", ALERTS_CHANNEL, _encode(alert)))))
    return commands


class RedisSink:
    """Batched Redis writer. Construct (opens nothing), `await start()`, `add(...)`,
    `await close()`.

    `add` and `add_alert` are called on the event loop; Redis IO runs on the writer thread.

    `labels` maps a symbol to (sector, cap bucket); unknown symbols get `unknown`.
    """

    def __init__(
        self,
        redis_url: str,
        config: SinkConfig | None = None,
        labels: dict[str, tuple[str, str]] | None = None,
    ) -> None:
        self.redis_url = redis_url
        self.config = config or SinkConfig()
        self.labels = labels or {}
        self.counters = SinkCounters()
        self._client: redis.Redis | RedisCluster | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._pending: list[tuple[Aggregate, float]] = []
        self._alerts: list[Alert] = []
        self._created: set[str] = set()
        self._keys: dict[str, _SymbolKeys] = {}
        self.last_update: dict[str, float] = {}  # symbol -> monotonic time of its last write
        self._wake = asyncio.Event()
        self._flush_lock = asyncio.Lock()
        self._cluster: bool | None = None
        self._quiet_replies = False
        self._not_series: dict[str, float] = {}  # key -> monotonic time it was last refused as such
        self._refusal_logged: dict[str, float] = {}  # key -> monotonic time of its last log line
        self._stats_created_names: set[str] = set()
        self._config_fields: dict[str, str] = {}  # the published config, as hash fields
        # The replay window: (monotonic time acknowledged, batch, alerts), oldest first.
        self._window: deque[tuple[float, list[tuple[Aggregate, float]], list[Alert]]] = deque()
        self._window_events = 0
        # Set when a connection was (re)opened or lost: the next flush asks who the server is.
        self._check_server = True
        self._server_id: str | None = None

    # --- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        """Create the Redis client and the writer thread (connections open at the first flush)."""
        self._client = redis.Redis.from_url(
            self.redis_url,
            socket_connect_timeout=1.0,
            socket_timeout=5.0,
            retry=Retry(NoBackoff(), 0),  # our flush loop retries; the client must not block
            health_check_interval=0,
            redis_connect_func=self._on_connect,
        )
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="redis-writer")

    def _on_connect(self, connection: redis.connection.AbstractConnection) -> None:
        """Run on every connection redis-py opens (writer thread): authenticate as usual, and
        have the next flush check whether this is a new server process."""
        connection.on_connect()
        self._check_server = True

    async def close(self) -> None:
        """Close the Redis client and the writer thread."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)
        if self._client is not None:
            with contextlib.suppress(RedisError, OSError):
                self._client.close()

    async def _on_writer(self, function, *args):
        if self._executor is None:
            raise RuntimeError("the sink is not started")
        return await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)

    @property
    def client(self) -> redis.Redis | RedisCluster:
        if self._client is None:
            raise RuntimeError("the sink is not started")
        return self._client

    # --- intake (hot path, synchronous) ----------------------------------------------

    def add(self, aggregate: Aggregate, velocity_pct: float) -> None:
        """Queue one aggregate and its symbol's current velocity (percent) for the next flush."""
        pending = self._pending
        pending.append((aggregate, velocity_pct))
        if len(pending) >= self.config.flush_events:
            self._wake.set()

    def add_alert(self, alert: Alert) -> None:
        """Queue a velocity alert for the next flush."""
        self._alerts.append(alert)
        self._wake.set()

    def wake(self) -> None:
        """Make the flush loop look at its queue (and its stop flag) now."""
        self._wake.set()

    @property
    def pending(self) -> int:
        """Events waiting for a flush (including those held while Redis is unreachable)."""
        return len(self._pending)

    # --- flushing --------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Flush every `flush_events` events or `flush_interval_s`, until `stop` is set.

        While Redis is unreachable, events stay queued (bounded by `buffer_limit`,
        oldest dropped first and counted) and the flush is retried with backoff.
        """
        backoff = 0.05
        while not stop.is_set():
            if len(self._pending) < self.config.flush_events and not self._alerts:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.config.flush_interval_s)
            self._wake.clear()
            if not self._pending and not self._alerts:
                continue
            if await self.flush():
                backoff = 0.05
            else:
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 1.0)

    async def flush(self) -> bool:
        """Write what is queued (up to `max_batch_events`); return False when Redis was
        unreachable."""
        async with self._flush_lock:
            batch = self._pending[: self.config.max_batch_events]
            del self._pending[: len(batch)]
            alerts, self._alerts = self._alerts, []
            started = time.perf_counter()
            try:
                written_symbols, latest_end, replayed = await self._on_writer(
                    self._write_flush, batch, alerts
                )
            except DISCONNECTED as exc:
                self._check_server = True  # it may come back as another process: ask then
                self._requeue(batch, alerts)
                self.counters.failed_flushes += 1
                if self.counters.redis_up or self.counters.failed_flushes == 1:
                    log.warning(
                        "Redis unreachable (%s); holding %d events", exc, len(self._pending)
                    )
                self.counters.redis_up = False
                self._created.clear()  # it may come back empty (restart): re-create series
                self._stats_created_names.clear()
                return False
            except (TypeError, ValueError, msgspec.EncodeError) as exc:
                # Values we could not encode: a bug upstream, never a reason to stop ingesting.
                self.counters.dropped += len(batch)
                log.error("could not encode a batch of %d events (%s); dropped it", len(batch), exc)
                return True
            except RedisError as exc:
                # A command Redis refuses would fail the same way again: drop the batch, say so.
                self.counters.dropped += len(batch)
                log.error("Redis refused a batch of %d events (%s); dropped it", len(batch), exc)
                return True
            if not self.counters.redis_up:
                log.info("Redis reachable; writing (%d events queued)", len(self._pending))
            self.counters.redis_up = True
            elapsed_ms = (time.perf_counter() - started) * 1000
            self.counters.flushes += 1
            self.counters.last_flush_ms = elapsed_ms
            self.counters.flush_ms_window.append(elapsed_ms)
            self.counters.written += len(batch)
            self.counters.alerts += len(alerts)
            self.counters.latest_end_ms = max(self.counters.latest_end_ms, latest_end)
            if replayed:
                self.counters.replayed += replayed
                self.counters.replays += 1
            now = time.monotonic()
            for symbol in written_symbols:
                self.last_update[symbol] = now
            self._remember(now, batch, alerts)
            return True

    def _remember(
        self, now: float, batch: list[tuple[Aggregate, float]], alerts: list[Alert]
    ) -> None:
        """Add an acknowledged batch to the replay window; let go of what is older than
        `replay_window_s`, and of the oldest beyond `replay_limit` events (counted).

        Trimmed only here, after a write went through: during an outage the window keeps
        exactly what was acknowledged just before it."""
        if self.config.replay_window_s <= 0:
            return  # replay turned off
        window = self._window
        window.append((now, batch, alerts))
        self._window_events += len(batch)
        horizon = now - self.config.replay_window_s
        while window and (window[0][0] < horizon or self._window_events > self.config.replay_limit):
            acknowledged, old, _ = window.popleft()
            self._window_events -= len(old)
            if acknowledged >= horizon:
                self.counters.replay_evicted += len(old)

    def _requeue(self, batch: list[tuple[Aggregate, float]], alerts: list[Alert]) -> None:
        self._pending[:0] = batch
        self._alerts[:0] = alerts
        overflow = len(self._pending) - self.config.buffer_limit
        if overflow > 0:
            del self._pending[:overflow]  # the oldest go first: the newest matter most live
            self.counters.dropped += overflow
            log.warning(
                "buffer full while Redis is unreachable: dropped %d oldest events", overflow
            )

    def _learn_topology(self) -> None:
        """On the first write (writer thread): a single server or a cluster? On a cluster
        the client becomes a `RedisCluster`, commands are routed to the node owning their
        slot, and every reply is read (`CLIENT REPLY` is per connection, and there are
        several)."""
        if self._cluster is not None:
            return
        if is_cluster(self.client):
            single, self._client = self.client, cluster_client(self.redis_url)
            single.close()
            self._cluster = True  # only once the cluster client exists (it may fail to)
        else:
            self._quiet_replies = can_silence_replies(self.client)
            self._cluster = False

    def _write_flush(
        self, batch: list[tuple[Aggregate, float]], alerts: list[Alert]
    ) -> tuple[list[str], int, int]:
        """One flush (on the writer thread): after a connection was (re)opened, first the
        replay (see the module docstring), then `batch`. Returns the symbols written, the
        latest window end (UTC ms) and how many events were sent again."""
        self._learn_topology()
        replayed = 0
        if self._check_server:
            replayed, alerts = self._replay_if_new_server(alerts)
            self._check_server = False
        symbols, latest_end = self._write(batch, alerts)
        if self._check_server:
            # The connection was re-opened while writing (the pool found the old one dead):
            # the batch went to a server not checked yet. Check it now; after a replay the
            # batch is sent once more, so the last-value hashes end at the newest bars.
            replayed, _ = self._replay_if_new_server([])
            self._check_server = False
            if replayed:
                self._write(batch, [], publish=False)
        return symbols, latest_end, replayed

    def _server_identity(self) -> str | None:
        """The server process's run_id, or None when it cannot be told (a cluster: several
        processes; an ACL or proxy refusing INFO)."""
        if self._cluster:
            return None
        try:
            run_id = self.client.info("server").get("run_id")
        except ResponseError:
            return None
        return str(run_id) if run_id else None

    def _replay_if_new_server(self, alerts: list[Alert]) -> tuple[int, list[Alert]]:
        """Send the replay window again unless the server is the very process that
        acknowledged it; return how many events were sent again and `alerts` less those the
        `alerts` stream already holds (an alert requeued after an outage may have got in)."""
        identity = self._server_identity()
        window = self._window
        window_alerts = [alert for _, _, held in window for alert in held]
        if alerts or window_alerts:
            stored = self._alerts_in_stream()
            alerts = [a for a in alerts if (a.symbol, a.time_ms) not in stored]
            window_alerts = [a for a in window_alerts if (a.symbol, a.time_ms) not in stored]
        replayed = 0
        new_server = identity is None or identity != self._server_id
        if new_server and (self._window_events or window_alerts):
            limit = self.config.max_batch_events
            part: list[tuple[Aggregate, float]] = []
            for _, batch, _ in window:
                part.extend(batch)
                if len(part) >= limit:
                    self._write(part, [], publish=False)
                    part = []
            if part or window_alerts:
                self._write(part, window_alerts, publish=False)
            replayed = self._window_events
            log.warning(
                "Redis is a new server process (restarted or failed over): sent again the "
                "%d events (%d alerts not in the stream) it acknowledged in the last %.0f s "
                "before the outage, which it may not have kept",
                replayed,
                len(window_alerts),
                self.config.replay_window_s,
            )
        self._server_id = identity  # only once the replay is through
        return replayed, alerts

    def _alerts_in_stream(self) -> set[tuple[str, int]]:
        """(symbol, window start ms) of the alerts the `alerts` stream holds (its newest
        `ALERTS_STREAM_MAXLEN` entries)."""
        entries = self.client.xrevrange(ALERTS_STREAM, count=ALERTS_STREAM_MAXLEN)
        held: set[tuple[str, int]] = set()
        for _, fields in entries or ():
            if fields is None:
                continue
            with contextlib.suppress(KeyError, ValueError):
                symbol = fields[b"symbol"]
                held.add(
                    (
                        symbol.decode() if isinstance(symbol, bytes) else symbol,
                        int(fields[b"time_ms"]),
                    )
                )
        return held

    def _write(
        self, batch: list[tuple[Aggregate, float]], alerts: list[Alert], publish: bool = True
    ) -> tuple[list[str], int]:
        """Send one batch (on the writer thread); return the symbols written and the latest
        window end (UTC ms). Samples Redis refuses are counted and logged, not raised; a
        reply meaning Redis cannot write now raises `RedisNotWritable` (hold the batch).
        `publish=False` (a replay) sends no bar or alert to the channels."""
        created = self._created
        new = {item[0].sym for item in batch}.difference(created)
        new.update(alert.symbol for alert in alerts if alert.symbol not in created)
        if new:
            self._create_symbols(sorted(new))
        keys_of = self._keys
        # One pass over the batch: the samples as TS.MADD arguments, numbers already as
        # their shortest text (hiredis packs a str several times faster than a float), and
        # each symbol's latest bar. Samples are grouped by hash slot so one TS.MADD never
        # spans slots on a cluster; on a single server the whole batch is one group.
        cluster = self._cluster
        args: list[str] = []
        owners: list[str] = []
        groups: dict[int, tuple[list[str], list[str]]] = {0: (args, owners)}
        latest: dict[str, tuple[Aggregate, float]] = {}
        for item in batch:
            aggregate = item[0]
            symbol = aggregate.sym
            keys = keys_of[symbol]
            if cluster:
                args, owners = groups.setdefault(keys.slot, ([], []))
            t = str(aggregate.s)
            ko, kh, kl, kc, kv, kw = keys.raw
            args.extend(
                (
                    ko,
                    t,
                    repr(aggregate.o),
                    kh,
                    t,
                    repr(aggregate.h),
                    kl,
                    t,
                    repr(aggregate.l),
                    kc,
                    t,
                    repr(aggregate.c),
                    kv,
                    t,
                    repr(aggregate.v),
                    kw,
                    t,
                    repr(aggregate.vw),
                )
            )
            owners.append(symbol)
            previous = latest.get(symbol)
            # The newest window wins; a revision of that same window (equal start) replaces it.
            if previous is None or aggregate.s >= previous[0].s:
                latest[symbol] = item
        # Samples first: once a subscriber hears of a bar, its samples are readable. Their
        # replies are read (a missing series is re-created); so are the alerts'.
        commands: list[bytes] = []
        slots: list[int] = []  # each command's hash slot (routes it on a cluster)
        madd_chunks: list[tuple[int, list[str], list[str]]] = []  # (slot, arguments, owners)
        per_event = len(FIELDS) * 3
        for slot, (args, owners) in groups.items():
            for first in range(0, len(owners), MADD_EVENTS):
                chunk = args[first * per_event : (first + MADD_EVENTS) * per_event]
                commands.append(pack(("TS.MADD", *chunk)))
                slots.append(slot)
                madd_chunks.append((slot, chunk, owners[first : first + MADD_EVENTS]))
        for alert in alerts:
            for slot, command in _alert_commands(alert, publish):
                commands.append(command)
                slots.append(slot)
        answered = len(commands)
        # Then per symbol one HSET and one PUBLISH of its latest bar only (coalesced: a
        # symbol with several events in this batch costs the same two commands). Their
        # replies (a field count, a subscriber count) carry nothing we act on, so the
        # server is asked not to send them: reading them cost more than building them.
        quiet = self._quiet_replies
        if quiet:
            commands.append(REPLY_OFF)
            slots.append(ANY_NODE)
        bars: list[bytes] = []
        latest_end = 0
        for symbol, (aggregate, velocity) in latest.items():
            keys = keys_of[symbol]
            commands.append(
                pack(
                    (
                        "HSET",
                        keys.last,
                        "open",
                        repr(aggregate.o),
                        "high",
                        repr(aggregate.h),
                        "low",
                        repr(aggregate.l),
                        "close",
                        repr(aggregate.c),
                        "volume",
                        repr(aggregate.v),
                        "vwap",
                        repr(aggregate.vw),
                        "start_ms",
                        str(aggregate.s),
                        "end_ms",
                        str(aggregate.e),
                        "velocity_pct",
                        repr(velocity),
                    )
                )
            )
            slots.append(keys.slot)
            if publish:
                bar = _encode(aggregate)
                commands.append(pack(("PUBLISH", keys.channel, bar)))
                slots.append(ANY_NODE)
                bars.append(bar)
            if aggregate.e > latest_end:
                latest_end = aggregate.e
        if bars:
            commands.append(pack(("PUBLISH", ALL_BARS_CHANNEL, b"[" + b",".join(bars) + b"]")))
            slots.append(ANY_NODE)
        if quiet:
            commands.append(REPLY_ON)
            slots.append(ANY_NODE)
        replies = self._send(commands, answered + 1 if quiet else len(commands), slots)
        self._settle_samples(replies[: len(madd_chunks)], madd_chunks)
        for reply in replies[len(madd_chunks) : answered]:
            if isinstance(reply, ResponseError):  # an alert's series, stream or channel
                if is_transient(reply):
                    raise RedisNotWritable(f"Redis cannot write now: {reply}")
                self._log_refusal(ALERTS_STREAM, reply, refusal_reason(reply), "an alert for")
        return list(latest), latest_end

    def _send(self, commands: list[bytes], replies_expected: int, slots: list[int]) -> list[object]:
        """Send packed commands to the node(s) owning their slots; return the replies in order
        (see `routing.send`)."""
        return send(self.client, commands, replies_expected, slots)

    def _settle_samples(
        self, replies: Sequence[object], chunks: list[tuple[int, list[str], list[str]]]
    ) -> None:
        """Judge the TS.MADD replies sample by sample (on the writer thread).

        A sample whose series is missing (the database was emptied) gets its symbol's
        series re-created and is sent again now, once; any other refusal, and a second
        "missing", is counted per reason and logged once per key per interval. The
        stored samples of the same batch are untouched. Raises `RedisNotWritable` when a
        reply says Redis cannot write at all right now (the flush loop holds the batch).
        """
        missing: list[tuple[int, str, str, str, str]] = []  # (slot, symbol, key, time, value)
        now = time.monotonic()
        squatted = self._not_series
        width = len(FIELDS)
        for reply, (slot, args, owners) in zip(replies, chunks, strict=True):
            if isinstance(reply, list) and all(type(item) is int for item in reply):
                continue  # the common case: every sample stored (the reply is its timestamps)
            if isinstance(reply, ResponseError) and is_transient(reply):
                raise RedisNotWritable(f"Redis cannot write now: {reply}")
            items = reply if isinstance(reply, list) else [reply] * (len(args) // 3)
            for index, item in enumerate(items):
                if not isinstance(item, ResponseError):
                    continue
                if is_transient(item):
                    raise RedisNotWritable(f"Redis cannot write now: {item}")
                key, t, value = args[3 * index : 3 * index + 3]
                if (
                    is_missing_key(item)
                    and now - squatted.get(key, -NOT_A_SERIES_RETRY_S) >= NOT_A_SERIES_RETRY_S
                ):
                    missing.append((slot, owners[index // width], key, t, value))
                else:
                    self._refuse(key, item)
        if missing:
            self._resend_missing(missing)

    def _resend_missing(self, missing: list[tuple[int, str, str, str, str]]) -> None:
        """Re-create the symbols of samples whose series were missing and send them once more."""
        symbols = sorted({symbol for _, symbol, _, _, _ in missing})
        for symbol in symbols:
            if symbol in self._created:
                log.info(
                    "re-creating the series of %s (missing: Redis emptied, or a key of "
                    "another type holds a name)",
                    symbol,
                )
        self._create_symbols(symbols)
        by_slot: dict[int, list[tuple[str, str, str]]] = {}
        for slot, _, key, t, value in missing:
            by_slot.setdefault(slot if self._cluster else 0, []).append((key, t, value))
        commands: list[bytes] = []
        slots: list[int] = []
        samples: list[list[tuple[str, str, str]]] = []
        for slot, items in by_slot.items():
            for first in range(0, len(items), MADD_EVENTS * len(FIELDS)):
                part = items[first : first + MADD_EVENTS * len(FIELDS)]
                commands.append(pack(("TS.MADD", *(arg for sample in part for arg in sample))))
                slots.append(slot)
                samples.append(part)
        now = time.monotonic()
        for reply, part in zip(self._send(commands, len(commands), slots), samples, strict=True):
            replies = reply if isinstance(reply, list) else [reply] * len(part)
            for (key, _, _), item in zip(part, replies, strict=True):
                if isinstance(item, ResponseError):
                    if is_transient(item):
                        raise RedisNotWritable(f"Redis cannot write now: {item}")
                    if is_missing_key(item):
                        self._not_series[key] = now  # still not a series: stop re-creating it
                    self._refuse(key, item)

    def _refuse(self, key: str, error: ResponseError) -> None:
        """Count one refused sample under its reason; log it once per key per interval."""
        reason = refusal_reason(error)
        self.counters.refused[reason] += 1
        self._log_refusal(key, error, reason)

    def _log_refusal(
        self, key: str, error: RedisError, reason: str, what: str = "samples of"
    ) -> None:
        """Log a refusal of `key` once per `REFUSAL_LOG_INTERVAL_S` (a bad key is refused at
        every flush; the counters say how often)."""
        now = time.monotonic()
        logged = self._refusal_logged
        if now - logged.get(key, -REFUSAL_LOG_INTERVAL_S) < REFUSAL_LOG_INTERVAL_S:
            return
        if len(logged) > 10_000:  # bounded: a flood of bad keys must not grow it forever
            logged.clear()
        logged[key] = now
        hint = (
            " (if a key of another type holds its name, delete it: the series is re-created)"
            if reason == NOT_A_SERIES
            else ""
        )
        log.warning(
            "Redis refused %s %s (%s)%s; the rest of the batch is stored; its samples "
            "are counted as refused_%s",
            what,
            key,
            error,
            hint,
            reason,
        )

    def _create_symbols(self, symbols: list[str]) -> None:
        """Create each symbol's series, compaction rules and alert series (once per symbol).

        About twenty commands per symbol, packed by hiredis and sent in one write: the
        first flush of a full market creates tens of thousands of series.
        """
        config = self.config
        commands: list[bytes] = []
        slots: list[int] = []
        active_slot = slot_of(ACTIVE_SYMBOLS_KEY)
        for symbol in symbols:
            first = len(commands)
            sector, cap_bucket = self.labels.get(symbol, (UNKNOWN_LABEL, UNKNOWN_LABEL))
            for name in FIELDS:
                raw, minute = series_key(symbol, name), series_key(symbol, name, "1m")
                commands.append(
                    pack(
                        (
                            "TS.CREATE",
                            raw,
                            "RETENTION",
                            str(config.retention_ms),
                            "DUPLICATE_POLICY",
                            "LAST",
                            "LABELS",
                            *series_labels(symbol, sector, cap_bucket, name, "1s"),
                        )
                    )
                )
                commands.append(
                    pack(
                        (
                            "TS.CREATE",
                            minute,
                            "RETENTION",
                            str(config.retention_1m_ms),
                            "DUPLICATE_POLICY",
                            "LAST",
                            "LABELS",
                            *series_labels(symbol, sector, cap_bucket, name, "1m"),
                        )
                    )
                )
                commands.append(
                    pack(
                        (
                            "TS.CREATERULE",
                            raw,
                            minute,
                            "AGGREGATION",
                            COMPACTIONS[name],
                            str(MINUTE_MS),
                        )
                    )
                )
            commands.append(
                pack(
                    (
                        "TS.CREATE",
                        alert_series_key(symbol),
                        "RETENTION",
                        str(config.retention_1m_ms),
                        "DUPLICATE_POLICY",
                        "LAST",
                        "LABELS",
                        *series_labels(symbol, sector, cap_bucket, "alert", "event"),
                    )
                )
            )
            commands.append(
                pack(
                    (
                        "HSET",
                        last_value_key(symbol),
                        "symbol",
                        symbol,
                        "sector",
                        sector,
                        "cap_bucket",
                        cap_bucket,
                    )
                )
            )
            slot = slot_of(symbol)  # every key of a symbol carries it as hash tag
            slots += [slot] * (len(commands) - first)
            commands.append(pack(("SADD", ACTIVE_SYMBOLS_KEY, symbol)))
            slots.append(active_slot)
        for command, result in zip(
            commands, self._send(commands, len(commands), slots), strict=True
        ):
            # "already exists" / "already has a rule" mean an earlier run made them: fine.
            # Anything else (a key of another type, a label Redis refuses) costs that series
            # only: its samples are refused and counted when they are written.
            if isinstance(result, ResponseError) and "already" not in str(result):
                if is_transient(result):
                    raise RedisNotWritable(f"Redis cannot write now: {result}")
                self._log_refusal(
                    command_key(command), result, refusal_reason(result), "setting up"
                )
        for symbol in symbols:
            self._created.add(symbol)
            if symbol not in self._keys:
                self._keys[symbol] = _SymbolKeys(symbol)

    # --- stats -----------------------------------------------------------------------

    async def publish_config(self, config: PublishedWorkerConfig) -> None:
        """Store `config` under `WORKER_CONFIG_KEY` now, and again with every stats write (so a
        restarted or emptied Redis gets it back within a stats interval).

        Does not wait for Redis: while it is unreachable, the stats writes keep trying.
        """
        self._config_fields = config.to_hash()
        await self._on_writer(self._write_config)

    def _write_config(self) -> None:
        try:
            self._learn_topology()
            self.client.execute_command("HSET", WORKER_CONFIG_KEY, *_flatten(self._config_fields))
        except DISCONNECTED:
            self._check_server = True
        except RedisError as exc:  # a key of another type holds the name: say so, go on
            self._log_refusal(WORKER_CONFIG_KEY, exc, OTHER_REFUSAL, "the config in")

    async def write_stats(self, values: dict[str, float], counters: dict[str, object]) -> None:
        """Append one sample per stats series (`values`, at now) and store `counters` in a hash.

        Does nothing while Redis is unreachable (the stats of that time are lost).
        """
        await self._on_writer(self._write_stats, values, counters)

    def _write_stats(self, values: dict[str, float], counters: dict[str, object]) -> None:
        now_ms = int(time.time() * 1000)
        try:
            self._learn_topology()
            created = self._stats_created_names
            new = [name for name in values if name not in created]
            if new:
                pipe = self.client.pipeline(transaction=False)
                for name in new:
                    pipe.execute_command(
                        "TS.CREATE",
                        stats_key(name),
                        "RETENTION",
                        self.config.stats_retention_ms,
                        "DUPLICATE_POLICY",
                        "LAST",
                        "LABELS",
                        *stats_labels(name),
                    )
                pipe.execute(raise_on_error=False)
                created.update(new)
            args: list[object] = []
            for name, value in values.items():
                args.extend((stats_key(name), now_ms, float(value)))
            pipe = self.client.pipeline(transaction=False)
            pipe.execute_command("TS.MADD", *args)
            flat: list[object] = []
            for key, count in counters.items():
                flat.extend((key, str(count)))
            pipe.execute_command("HSET", WORKER_STATS_KEY, *flat)
            if self._config_fields:
                pipe.execute_command("HSET", WORKER_CONFIG_KEY, *_flatten(self._config_fields))
            pipe.execute(raise_on_error=False)
        except DISCONNECTED:
            self._stats_created_names.clear()
            self._check_server = True
        except RedisError as exc:  # stats are the worker's diary, never a reason to stop it
            self._log_refusal(WORKER_STATS_KEY, exc, OTHER_REFUSAL, "the stats in")


def _flatten(fields: dict[str, str]) -> list[str]:
    """Return hash fields as the alternating names and values `HSET` takes."""
    return [item for pair in fields.items() for item in pair]
