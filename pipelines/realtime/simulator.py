"""A local market that speaks the Massive/Polygon stocks WebSocket protocol.

The worker runs unchanged against it or against the real feed. It honours the
documented protocol (shared/reference/sources.md): a `connected` status on connect,
`auth_success`/`auth_failed`, one `success` status per subscribed or unsubscribed
channel, `A` (per second) and `AM` (per minute) aggregates with every documented
field, many events per frame. Prices continue from each ticker's last close in the
lake (or a synthetic universe).

One market clock produces events at the configured rate for every connection, so all
clients see the same market. Fault modes for tests: drop each connection every N
seconds (an abrupt TCP abort, as a network failure looks), a malformed frame after
every Nth frame, a revised duplicate of every Nth frame, and spikes on demand or on a
timer. Event windows end at send time (`e` = now, `s` = e − 1 s); when the rate is
higher than one event per ticker per second, one ticker's windows overlap (a stress
mode, not market realism). The malformed frames cycle through six kinds of garbage
(truncated JSON, an object, deep nesting, wrong types, impossible bars, symbols outside
the grammar, windows far ahead or behind, an unknown channel), counted per skip reason
in `SimulatorStats.skipped_sent`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections import deque
from dataclasses import dataclass, field

import numpy as np
import polars as pl
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from pipelines.realtime import messages
from pipelines.realtime.screening import (
    BAD_PRICE,
    BAD_SYMBOL,
    HIGH_BELOW_LOW,
    MALFORMED,
    TOO_FAR_AHEAD,
    TOO_OLD,
    UNKNOWN_EVENT,
)

log = logging.getLogger(__name__)

TICK_S = 0.02  # the market clock's step: events due since the last tick go out together
MAX_BURST_S = 0.5  # after a stall, catch up at most this much time; the rest is skipped
SIGMA_PER_SECOND = 0.0002  # log-return std per ticker-second: a 0.5% move in 5 s is ~11 sigma


@dataclass(frozen=True)
class SimulatorConfig:
    """How the simulated market behaves.

    `rate` is events per second over all tickers; `frame_events` caps events per
    frame; `api_key` None accepts any non-empty key. Fault modes are off when None.
    """

    host: str = "127.0.0.1"
    port: int = 0
    rate: float = 1_000.0
    frame_events: int = 500
    api_key: str | None = None
    seed: int = 1
    spike_every_s: float | None = None
    spike_pct: float = 2.0
    drop_every_s: float | None = None
    malformed_every: int | None = None
    duplicate_every: int | None = None


@dataclass
class ConnectionRecord:
    """What one client connection did (times in UTC epoch ms)."""

    opened_ms: int
    authenticated: bool = False
    subscriptions: set[str] = field(default_factory=set)
    subscribed_ms: int | None = None
    closed_ms: int | None = None
    dropped: bool = False


@dataclass
class SimulatorStats:
    """Counts of what the market sent, for tests and the bench."""

    events_sent: int = 0
    frames_sent: int = 0
    malformed_sent: int = 0  # every bad event or frame sent, whatever its reason
    # The same, per skip reason the worker should count it under (`screening.SKIP_REASONS`).
    skipped_sent: dict[str, int] = field(default_factory=dict)
    duplicates_sent: int = 0
    spikes: list[tuple[str, int]] = field(default_factory=list)
    # (symbol, window start ms) -> the close of the revision sent last, for "last value wins".
    revisions: dict[tuple[str, int], float] = field(default_factory=dict)


class _Client:
    """A connected client: its subscriptions and the frames waiting to be sent to it."""

    def __init__(self, ws: ServerConnection, record: ConnectionRecord) -> None:
        self.ws = ws
        self.record = record
        self.queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=64)
        self.all_seconds = False
        self.all_minutes = False
        self.seconds: set[str] = set()
        self.minutes: set[str] = set()

    def wants_seconds(self) -> bool:
        return self.all_seconds or bool(self.seconds)

    def wants_minutes(self) -> bool:
        return self.all_minutes or bool(self.minutes)


class MarketSimulator:
    """The WebSocket market server. Construct, then `await start()`; `await stop()` ends it."""

    def __init__(self, universe: pl.DataFrame, config: SimulatorConfig | None = None) -> None:
        self.config = config or SimulatorConfig()
        self.tickers: list[str] = universe["ticker"].to_list()
        if not self.tickers:
            raise ValueError("the simulator needs at least one ticker")
        self._prices = universe["last_close"].to_numpy().astype(np.float64).copy()
        self._day_open = self._prices.copy()
        self._day_volume = np.zeros(len(self.tickers))
        self._day_notional = np.zeros(len(self.tickers))
        self._last_end = np.zeros(len(self.tickers), dtype=np.int64)
        self._minute = _MinuteBars(len(self.tickers))
        self._rng = np.random.default_rng(self.config.seed)
        self._cursor = 0
        self._frame_count = 0
        self._pending_spikes: deque[tuple[int, float]] = deque()
        self.stats = SimulatorStats()
        self.connections: list[ConnectionRecord] = []
        self._clients: set[_Client] = set()
        self._server: Server | None = None
        self._clock: asyncio.Task[None] | None = None
        self._revision_order: deque[tuple[str, int]] = deque()
        self._end_minute = False
        self._paused = False
        # Per-event std so that a ticker's volatility per second does not depend on the rate.
        self._sigma = SIGMA_PER_SECOND * math.sqrt(max(len(self.tickers) / self.config.rate, 1e-6))

    # --- lifecycle ------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on the configured host and port and start the market clock."""
        self._server = await serve(
            self._serve_client,
            self.config.host,
            self.config.port,
            compression=None,
            max_size=2**20,
            write_limit=2**20,
        )
        self._clock = asyncio.create_task(self._run_clock(), name="market-clock")
        log.info(
            "market simulator on ws://%s:%d (%d tickers, %.0f events/s)",
            self.config.host,
            self.port,
            len(self.tickers),
            self.config.rate,
        )

    @property
    def port(self) -> int:
        """The TCP port the server listens on (after `start`)."""
        if self._server is None:
            raise RuntimeError("the simulator is not started")
        return self._server.sockets[0].getsockname()[1]

    @property
    def url(self) -> str:
        """The feed URL clients connect to."""
        return f"ws://{self.config.host}:{self.port}"

    async def stop(self) -> None:
        """Stop the clock, close every connection and the listening socket."""
        if self._clock is not None:
            self._clock.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._clock
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def inject_spike(self, ticker: str, pct: float | None = None) -> None:
        """Move `ticker` by `pct` percent (default: the configured spike) at its next event."""
        index = self.tickers.index(ticker)
        self._pending_spikes.append((index, self.config.spike_pct if pct is None else pct))

    def pause(self) -> None:
        """Stop producing events (connections stay open; queued frames still go out)."""
        self._paused = True

    def resume(self) -> None:
        """Produce events again (the market clock does not replay the paused time)."""
        self._paused = False

    def end_minute_now(self) -> None:
        """Close the running minute at the next tick: its `AM` bars go out then (for tests)."""
        self._end_minute = True

    # --- one client ------------------------------------------------------------------

    async def _serve_client(self, ws: ServerConnection) -> None:
        record = ConnectionRecord(opened_ms=_now_ms())
        self.connections.append(record)
        client = _Client(ws, record)
        await ws.send(messages.status_frame("connected", "Connected Successfully"), text=True)
        writer = asyncio.create_task(self._write_frames(client))
        dropper = None
        if self.config.drop_every_s is not None:
            dropper = asyncio.create_task(self._drop_later(client, self.config.drop_every_s))
        try:
            async for raw in ws:
                await self._handle_client_message(client, raw)
        except ConnectionClosed:
            pass
        finally:
            record.closed_ms = _now_ms()
            self._clients.discard(client)
            writer.cancel()
            if dropper is not None:
                dropper.cancel()

    async def _handle_client_message(self, client: _Client, raw: str | bytes) -> None:
        parsed = messages.parse_client_message(raw)
        ws = client.ws
        if parsed is None:
            await ws.send(messages.status_frame("error", "invalid message"), text=True)
            return
        action, params = parsed
        if action == "auth":
            key = params[0]
            expected = self.config.api_key
            if key and (expected is None or key == expected):
                client.record.authenticated = True
                self._clients.add(client)
                await ws.send(messages.status_frame("auth_success", "authenticated"), text=True)
            else:
                await ws.send(
                    messages.status_frame("auth_failed", "authentication failed"), text=True
                )
                await ws.close(1008, "authentication failed")
            return
        if not client.record.authenticated:
            await ws.send(messages.status_frame("error", "not authorized"), text=True)
            return
        if action not in ("subscribe", "unsubscribe"):
            await ws.send(messages.status_frame("error", f"unknown action: {action}"), text=True)
            return
        replies = [self._apply_subscription(client, action, param) for param in params]
        await ws.send(messages.encode_events(replies), text=True)

    def _apply_subscription(self, client: _Client, action: str, param: str) -> dict[str, str]:
        channel, _, symbol = param.partition(".")
        if channel not in ("A", "AM") or not symbol:
            return {"ev": "status", "status": "error", "message": f"invalid channel: {param}"}
        subscribe = action == "subscribe"
        if symbol == "*":
            setattr(client, "all_seconds" if channel == "A" else "all_minutes", subscribe)
        else:
            chosen = client.seconds if channel == "A" else client.minutes
            (chosen.add if subscribe else chosen.discard)(symbol)
        if subscribe:
            client.record.subscriptions.add(param)
            client.record.subscribed_ms = _now_ms()
            return {
                "ev": "status",
                "status": "success",
                "message": f"{messages.SUBSCRIBED_PREFIX}{param}",
            }
        client.record.subscriptions.discard(param)
        return {
            "ev": "status",
            "status": "success",
            "message": f"{messages.UNSUBSCRIBED_PREFIX}{param}",
        }

    async def _write_frames(self, client: _Client) -> None:
        with contextlib.suppress(ConnectionClosed):
            while True:
                frame = await client.queue.get()
                await client.ws.send(frame, text=True)

    async def _drop_later(self, client: _Client, after_s: float) -> None:
        await asyncio.sleep(after_s)
        client.record.dropped = True
        log.info("simulated drop of a connection after %.1f s", after_s)
        client.ws.transport.abort()

    # --- the market clock ------------------------------------------------------------

    async def _run_clock(self) -> None:
        started = time.monotonic()
        emitted = 0.0
        last_spike = started
        while True:
            await asyncio.sleep(TICK_S)
            now = time.monotonic()
            due = self.config.rate * (now - started) - emitted
            if due > self.config.rate * MAX_BURST_S:  # fell behind: skip, do not flood
                emitted += due - self.config.rate * MAX_BURST_S
                due = self.config.rate * MAX_BURST_S
            count = int(due)
            emitted += count
            spike_every = self.config.spike_every_s
            if spike_every is not None and now - last_spike >= spike_every:
                last_spike = now
                self._pending_spikes.append(
                    (len(self.stats.spikes) % len(self.tickers), self.config.spike_pct)
                )
            if not self._clients or self._paused:
                continue
            minute_events = self._minute.roll(_now_ms(), self.tickers, force=self._end_minute)
            self._end_minute = False
            if minute_events:
                await self._broadcast(minute_events, minutes=True)
            while count > 0:
                size = min(count, self.config.frame_events)
                count -= size
                await self._broadcast(self._next_events(size), minutes=False)

    def _next_events(self, count: int) -> list[dict[str, object]]:
        """Advance `count` tickers (round robin) by one per-second window each."""
        events: list[dict[str, object]] = []
        n = len(self.tickers)
        while count > 0:
            size = min(count, n)  # a chunk touches each ticker at most once
            count -= size
            index = (self._cursor + np.arange(size)) % n
            self._cursor = int((self._cursor + size) % n)
            events.extend(self._advance(index))
        return events

    def _advance(self, index: np.ndarray) -> list[dict[str, object]]:
        rng = self._rng
        size = len(index)
        opens = self._prices[index]
        closes = opens * np.exp(self._sigma * rng.standard_normal(size))
        while self._pending_spikes:
            ticker_index, pct = self._pending_spikes.popleft()
            hit = np.nonzero(index == ticker_index)[0]
            if hit.size == 0:  # not in this chunk: move it now, it shows at its next event
                self._prices[ticker_index] *= 1 + pct / 100
                opens = self._prices[index]
            else:
                closes[hit[0]] = opens[hit[0]] * (1 + pct / 100)
            self.stats.spikes.append((self.tickers[ticker_index], _now_ms()))
        closes = np.round(closes, 4)
        wiggle = np.abs(rng.standard_normal(size)) * self._sigma / 2
        highs = np.round(np.maximum(opens, closes) * (1 + wiggle), 4)
        lows = np.round(np.minimum(opens, closes) * (1 - wiggle), 4)
        volumes = rng.integers(100, 5_000, size).astype(np.float64)
        vwaps = np.round((opens + highs + lows + closes) / 4, 4)
        self._prices[index] = closes
        self._day_volume[index] += volumes
        self._day_notional[index] += volumes * vwaps
        self._minute.update(index, opens, highs, lows, closes, volumes, vwaps)
        day_vwap = np.round(self._day_notional[index] / self._day_volume[index], 4)
        # Each ticker's windows end strictly later than its previous one (one ms at least),
        # even when a catch-up burst gives it several events in the same millisecond.
        ends = np.maximum(_now_ms(), self._last_end[index] + 1)
        self._last_end[index] = ends
        tickers = self.tickers
        return [
            {
                "ev": "A",
                "sym": tickers[i],
                "v": v,
                "av": av,
                "op": op,
                "vw": vw,
                "o": o,
                "c": c,
                "h": h,
                "l": lo,
                "a": a,
                "z": 100,
                "s": end - 1_000,
                "e": end,
            }
            for i, v, av, op, vw, o, c, h, lo, a, end in zip(
                index.tolist(),
                volumes.tolist(),
                self._day_volume[index].tolist(),
                self._day_open[index].tolist(),
                vwaps.tolist(),
                opens.round(4).tolist(),
                closes.tolist(),
                highs.tolist(),
                lows.tolist(),
                day_vwap.tolist(),
                ends.tolist(),
                strict=True,
            )
        ]

    async def _broadcast(self, events: list[dict[str, object]], *, minutes: bool) -> None:
        encoded_all: bytes | None = None
        self._frame_count += 1
        for client in list(self._clients):
            if not (client.wants_minutes() if minutes else client.wants_seconds()):
                continue
            wants_all = client.all_minutes if minutes else client.all_seconds
            if wants_all:
                encoded_all = encoded_all or messages.encode_events(events)
                chosen, frame = events, encoded_all
            else:
                symbols = client.minutes if minutes else client.seconds
                chosen = [e for e in events if e["sym"] in symbols]
                if not chosen:
                    continue
                frame = messages.encode_events(chosen)
            await client.queue.put(frame)
            self.stats.events_sent += len(chosen)
            self.stats.frames_sent += 1
            if not minutes:
                await self._maybe_faults(client, chosen)

    async def _maybe_faults(self, client: _Client, events: list[dict[str, object]]) -> None:
        config = self.config
        if config.malformed_every and self._frame_count % config.malformed_every == 0:
            frame, bad, repeated = _malformed_frame(
                self._frame_count // config.malformed_every, events
            )
            await client.queue.put(frame)
            self.stats.malformed_sent += sum(bad.values())
            for reason, count in bad.items():
                self.stats.skipped_sent[reason] = self.stats.skipped_sent.get(reason, 0) + count
            self.stats.duplicates_sent += repeated
        # After the malformed frame (which may repeat originals), so the revision is last.
        if config.duplicate_every and self._frame_count % config.duplicate_every == 0:
            revised = [_revise(e) for e in events]
            await client.queue.put(messages.encode_events(revised))
            self.stats.duplicates_sent += len(revised)
            for event in revised:
                self._remember_revision(event)

    def _remember_revision(self, event: dict[str, object]) -> None:
        key = (str(event["sym"]), int(event["s"]))  # type: ignore[call-overload]
        if key not in self.stats.revisions:
            self._revision_order.append(key)
            if len(self._revision_order) > 100_000:  # bounded: tests look at recent ones
                self.stats.revisions.pop(self._revision_order.popleft(), None)
        self.stats.revisions[key] = float(event["c"])  # type: ignore[arg-type]


def _revise(event: dict[str, object]) -> dict[str, object]:
    """Return a late correction of `event`: same symbol and window, close up one cent."""
    close = round(float(event["c"]) + 0.01, 4)  # type: ignore[arg-type]
    return {**event, "c": close, "h": max(float(event["h"]), close)}  # type: ignore[arg-type]


MALFORMED_KINDS = 6


def _malformed_frame(
    turn: int, events: list[dict[str, object]]
) -> tuple[bytes, dict[str, int], int]:
    """Return a broken frame (`MALFORMED_KINDS` kinds in turn), what the worker should skip
    in it per reason, and how many good events (repeats of this frame's first two) it holds."""
    kind = turn % MALFORMED_KINDS
    if kind == 0:
        return b'[{"ev":"A","sym":"BROKEN","o":', {MALFORMED: 1}, 0  # truncated JSON
    if kind == 2:
        return b'{"ev":"A","sym":"NOTANARRAY"}', {MALFORMED: 1}, 0
    if kind == 4:
        return b"[" * 100_000, {MALFORMED: 1}, 0  # nesting deeper than any decoder's stack
    good = events[:2]
    template = {**(good[0] if good else {"s": _now_ms() - 1_000, "e": _now_ms()}), "ev": "A"}
    if kind == 1:  # a wrong type, and an impossible bar
        bad = [
            {**template, "sym": "BROKEN", "o": "n/a"},
            {**template, "sym": "BROKEN", "h": 1.0, "l": 2.0, "o": 1.5, "c": 1.5, "vw": 1.5},
        ]
        reasons = {MALFORMED: 1, HIGH_BELOW_LOW: 1}
    elif kind == 3:  # outside the ticker grammar, and a negative price
        bad = [{**template, "sym": "not a ticker"}, {**template, "sym": "BROKEN", "c": -1.0}]
        reasons = {BAD_SYMBOL: 1, BAD_PRICE: 1}
    else:  # a window in nanoseconds (far ahead), one from 1970 (far behind), an unknown channel
        bad = [
            {**template, "sym": "BROKEN", "s": _now_ms() * 1_000_000, "e": _now_ms() * 1_000_000},
            {**template, "sym": "BROKEN", "s": 1_000, "e": 2_000},
            {"ev": "XT", "sym": "BROKEN"},
        ]
        reasons = {TOO_FAR_AHEAD: 1, TOO_OLD: 1, UNKNOWN_EVENT: 1}
    return messages.encode_events([*good, *bad]), reasons, len(good)


class _MinuteBars:
    """Per-ticker running bars of the current minute, emitted as `AM` events at rollover."""

    def __init__(self, size: int) -> None:
        self.minute_start: int | None = None
        self.open = np.full(size, np.nan)
        self.high = np.full(size, np.nan)
        self.low = np.full(size, np.nan)
        self.close = np.full(size, np.nan)
        self.volume = np.zeros(size)
        self.notional = np.zeros(size)

    def update(self, index, opens, highs, lows, closes, volumes, vwaps) -> None:
        fresh = np.isnan(self.open[index])
        self.open[index[fresh]] = opens[fresh]
        self.high[index] = np.fmax(self.high[index], highs)
        self.low[index] = np.fmin(self.low[index], lows)
        self.close[index] = closes
        self.volume[index] += volumes
        self.notional[index] += volumes * vwaps

    def roll(
        self, now_ms: int, tickers: list[str], *, force: bool = False
    ) -> list[dict[str, object]]:
        """Return `AM` events for the minute that just ended (empty inside a minute).

        `force` closes the running minute now (its bar still spans the whole minute).
        """
        minute = now_ms - now_ms % 60_000
        if self.minute_start is None:
            self.minute_start = minute
            return []
        if minute == self.minute_start and not force:
            return []
        start = self.minute_start
        traded = np.nonzero(self.volume > 0)[0]
        events = [
            {
                "ev": "AM",
                "sym": tickers[i],
                "v": float(self.volume[i]),
                "av": 0.0,
                "op": float(self.open[i]),
                "vw": round(float(self.notional[i] / self.volume[i]), 4),
                "o": float(self.open[i]),
                "c": float(self.close[i]),
                "h": float(self.high[i]),
                "l": float(self.low[i]),
                "a": round(float(self.notional[i] / self.volume[i]), 4),
                "z": 100,
                "s": start,
                "e": start + 60_000,
            }
            for i in traded.tolist()
        ]
        self.minute_start = minute
        self.open[:] = np.nan
        self.high[:] = np.nan
        self.low[:] = np.nan
        self.close[:] = np.nan
        self.volume[:] = 0
        self.notional[:] = 0
        return events


def _now_ms() -> int:
    return math.floor(time.time() * 1000)


async def run_simulator(
    config: SimulatorConfig, universe: pl.DataFrame, stop: asyncio.Event
) -> SimulatorStats:
    """Serve the market until `stop` is set; return what was sent."""
    simulator = MarketSimulator(universe, config)
    await simulator.start()
    try:
        await stop.wait()
    finally:
        await simulator.stop()
    return simulator.stats


def serve_simulator(
    config: SimulatorConfig, *, tickers: int | None = None, fallback_tickers: int = 500
) -> int:
    """Run the simulator until SIGTERM/SIGINT (the `tickerlake realtime simulate` command).

    Uses the first `tickers` of the lake's universe (all when None), or a synthetic
    universe when the lake has none. Returns the exit code (0).
    """
    from pipelines.realtime.runtime import run_until_signal
    from pipelines.realtime.universe import load_universe

    universe = load_universe(fallback_count=tickers or fallback_tickers)
    if tickers is not None:
        universe = universe.head(tickers)

    async def main(stop: asyncio.Event) -> None:
        stats = await run_simulator(config, universe, stop)
        log.info(
            "simulator stopped: sent %d events in %d frames", stats.events_sent, stats.frames_sent
        )
        print(f"events_sent={stats.events_sent}", flush=True)  # the bench reads this line

    run_until_signal(main)
    return 0
