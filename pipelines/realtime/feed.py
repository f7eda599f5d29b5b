"""The feed: one WebSocket connection loop to a Massive/Polygon-protocol server.

It keeps the *desired* subscriptions (what the caller asked for) apart from the
*active* ones (what the server confirmed on this connection). Every new connection
starts with none active; after authentication the feed subscribes to everything
desired, so a reconnect makes the two agree again. Connection failures back off
exponentially with jitter (tenacity); a connection that streamed and then dropped is
retried at once (after a few ms of jitter), since the server was healthy a moment ago.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, wait_exponential_jitter
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from pipelines.realtime import messages
from pipelines.realtime.messages import Frame

log = logging.getLogger(__name__)

HANDSHAKE_TIMEOUT_S = 10.0
# The transport's own cap, above the parser's (`messages.MAX_FRAME_BYTES`): a frame between
# the two is received and skipped (counted), a bigger one closes the connection (code 1009,
# counted as oversized too) rather than filling memory; the feed then reconnects.
TRANSPORT_MAX_BYTES = 64 * 2**20
MESSAGE_TOO_BIG = 1009
# Statuses after which the server closes the connection and a quick reconnect would be
# refused the same way: the next connection waits for the backoff.
REFUSING_STATUSES = frozenset({"auth_failed", "max_connections"})
STATUS_LOG_INTERVAL_S = 60.0


class FeedAuthFailed(ConnectionError):
    """The server answered `auth_failed` (a wrong or missing API key)."""


class FeedProtocolError(ConnectionError):
    """The server did not follow the protocol (no `connected` status, no auth reply)."""


class FeedRefused(ConnectionError):
    """The server refused this connection mid-stream (`auth_failed`, `max_connections`)."""


@dataclass(frozen=True)
class FeedConfig:
    """Where to connect and how to retry (seconds)."""

    url: str
    api_key: str
    backoff_initial_s: float = 0.1
    backoff_max_s: float = 10.0
    backoff_jitter_s: float = 0.1
    healthy_reconnect_jitter_s: float = 0.05
    max_frame_bytes: int = messages.MAX_FRAME_BYTES
    max_frame_events: int = messages.MAX_FRAME_EVENTS
    transport_max_bytes: int | None = (
        None  # None: TRANSPORT_MAX_BYTES, at least twice the frame cap
    )


@dataclass
class FeedCounters:
    """What the feed has done since it started."""

    connects: int = 0
    failures: int = 0
    frames: int = 0
    state: str = "idle"
    refusals: int = 0  # statuses refusing the connection (auth_failed, max_connections)
    status_errors: int = 0  # `error` statuses (a bad subscription, say)
    handler_errors: int = 0  # frames whose handling raised (a bug; logged, never fatal)


class Feed:
    """The connection loop. Construct (opens nothing), `subscribe(...)`, then `await run()`.

    `on_frame` is called with every parsed frame (aggregates, statuses, counts of
    skipped events) on the event loop; it must not block.
    """

    def __init__(self, config: FeedConfig, on_frame: Callable[[Frame], None]) -> None:
        self.config = config
        self.on_frame = on_frame
        self.desired: set[str] = set()
        self.active: set[str] = set()
        self.counters = FeedCounters()
        self._ws: ClientConnection | None = None
        self._stopping = asyncio.Event()
        self._authenticated = False
        self._refused: str | None = None
        self._status_logged: dict[str, float] = {}

    # --- subscriptions ---------------------------------------------------------------

    async def subscribe(self, params: list[str]) -> None:
        """Add channel params (`A.AAPL`, `A.*`) to the desired set; send now if connected."""
        self.desired.update(params)
        await self._send_subscription("subscribe", params)

    async def unsubscribe(self, params: list[str]) -> None:
        """Remove channel params from the desired set; send now if connected."""
        self.desired.difference_update(params)
        await self._send_subscription("unsubscribe", params)

    async def _send_subscription(self, action: str, params: list[str]) -> None:
        if self._ws is None or not self._authenticated or not params:
            return  # sent on the next connection, after auth
        with contextlib.suppress(ConnectionClosed):
            await self._ws.send(messages.subscription_message(action, sorted(params)))

    # --- the loop --------------------------------------------------------------------

    def stop(self) -> None:
        """Ask the loop to end: close the connection and do not reconnect."""
        self._stopping.set()
        if self._ws is not None:
            asyncio.get_running_loop().create_task(self._ws.close())

    async def run(self) -> None:
        """Connect, authenticate, subscribe and stream until `stop()`, reconnecting forever."""
        while not self._stopping.is_set():
            retrying = AsyncRetrying(
                retry=retry_if_exception_type(
                    (OSError, ConnectionClosed, InvalidHandshake, TimeoutError)
                ),
                wait=wait_exponential_jitter(
                    initial=self.config.backoff_initial_s,
                    max=self.config.backoff_max_s,
                    jitter=self.config.backoff_jitter_s,
                ),
                before_sleep=self._log_retry,
                reraise=True,
            )
            try:
                async for attempt in retrying:
                    with attempt:
                        if self._stopping.is_set():
                            return
                        await self._session()
            except InvalidURI:
                raise
            if not self._stopping.is_set():
                # The session streamed and ended: reconnect almost at once.
                await asyncio.sleep(random.uniform(0, self.config.healthy_reconnect_jitter_s))

    def _log_retry(self, state: RetryCallState) -> None:
        self.counters.failures += 1
        outcome = state.outcome
        error = outcome.exception() if outcome is not None else None
        wait = state.next_action.sleep if state.next_action is not None else 0.0
        if isinstance(error, FeedAuthFailed) or (
            isinstance(error, FeedRefused) and "auth_failed" in str(error)
        ):
            log.error(
                "feed authentication failed (check MASSIVE_API_KEY); retrying in %.1f s", wait
            )
        elif isinstance(error, FeedRefused):
            log.error(
                "feed refused the connection (%s): another client may use the same key "
                "(Massive allows one connection per key and cluster); retrying in %.1f s",
                error,
                wait,
            )
        else:
            log.warning("feed connection failed (%s); retrying in %.2f s", error or "unknown", wait)

    async def _session(self) -> None:
        """One connection: handshake, subscribe, stream. Returns when a streaming connection
        ends."""
        self.counters.state = "connecting"
        self.active.clear()
        self._authenticated = False
        self._refused = None
        config = self.config
        async with connect(
            self.config.url,
            compression=None,  # deflate would cost more CPU than the loopback bytes it saves
            max_size=config.transport_max_bytes
            or max(TRANSPORT_MAX_BYTES, 2 * config.max_frame_bytes),
            max_queue=64,
            open_timeout=HANDSHAKE_TIMEOUT_S,
            close_timeout=2,
            proxy=None,
        ) as ws:
            self._ws = ws
            streamed = False
            try:
                await asyncio.wait_for(self._handshake(ws), HANDSHAKE_TIMEOUT_S)
                streamed = True
                self.counters.connects += 1
                self.counters.state = "streaming"
                log.info(
                    "feed connected to %s (connection %d); subscribing to %s",
                    _redact_url(self.config.url),
                    self.counters.connects,
                    _describe(self.desired),
                )
                if self.desired:
                    await ws.send(messages.subscription_message("subscribe", sorted(self.desired)))
                async for payload in ws:
                    self.counters.frames += 1
                    frame = messages.parse_frame(
                        payload, config.max_frame_bytes, config.max_frame_events
                    )
                    if frame.statuses:
                        self._track_statuses(frame)
                    self._deliver(frame)
                if self._refused is not None and not self._stopping.is_set():
                    raise FeedRefused(self._refused)  # closed cleanly after refusing us: back off
            except ConnectionClosed as exc:
                if self._stopping.is_set():
                    return
                if exc.sent is not None and exc.sent.code == MESSAGE_TOO_BIG:
                    # Too big for the transport even to hold: skipped like a smaller oversized one.
                    self._deliver(Frame(oversized=1))
                if not streamed:
                    raise  # closed during the handshake: back off before the next try
                if self._refused is not None:
                    raise FeedRefused(
                        self._refused
                    ) from exc  # back off: a retry now is refused too
                log.warning("feed connection closed (%s); reconnecting", exc)
            finally:
                self._ws = None
                self.active.clear()
                self.counters.state = "disconnected"

    async def _handshake(self, ws: ClientConnection) -> None:
        first = messages.parse_frame(await ws.recv())
        if not any(s.status == "connected" for s in first.statuses):
            raise FeedProtocolError(f"expected a 'connected' status, got {first.statuses!r}")
        await ws.send(messages.auth_message(self.config.api_key))
        while True:
            frame = messages.parse_frame(await ws.recv())
            for status in frame.statuses:
                if status.status == "auth_success":
                    self._authenticated = True
                    return
                if status.status == "auth_failed":
                    raise FeedAuthFailed(status.message or "auth_failed")
                if status.status in REFUSING_STATUSES:
                    self.counters.refusals += 1
                    raise FeedRefused(f"{status.status}: {status.message[:200]}")

    def _track_statuses(self, frame: Frame) -> None:
        for status in frame.statuses:
            text = status.message
            if status.status != "success":
                if status.status in REFUSING_STATUSES:
                    self.counters.refusals += 1
                    self._refused = f"{status.status}: {text[:200]}"
                    self._log_status(status.status, text)
                elif status.status == "error":
                    self.counters.status_errors += 1
                    self._log_status(status.status, text)
                continue
            if text.startswith(messages.SUBSCRIBED_PREFIX):
                self.active.update(_split_params(text[len(messages.SUBSCRIBED_PREFIX) :]))
            elif text.startswith(messages.UNSUBSCRIBED_PREFIX):
                self.active.difference_update(
                    _split_params(text[len(messages.UNSUBSCRIBED_PREFIX) :])
                )

    def _deliver(self, frame: Frame) -> None:
        """Hand a frame to `on_frame`; a failure there is a bug, logged (once per interval) and
        counted, never a reason to drop the connection or stop the worker."""
        try:
            self.on_frame(frame)
        except Exception:
            self.counters.handler_errors += 1
            now = time.monotonic()
            if (
                now - self._status_logged.get("handler", -STATUS_LOG_INTERVAL_S)
                >= STATUS_LOG_INTERVAL_S
            ):
                self._status_logged["handler"] = now
                log.exception(
                    "handling a frame failed (%d so far); the feed goes on",
                    self.counters.handler_errors,
                )

    def _log_status(self, status: str, text: str) -> None:
        """Log a server status once per kind per `STATUS_LOG_INTERVAL_S` (a server repeating it
        must not flood the log)."""
        now = time.monotonic()
        if now - self._status_logged.get(status, -STATUS_LOG_INTERVAL_S) >= STATUS_LOG_INTERVAL_S:
            self._status_logged[status] = now
            log.warning("feed status %s: %s", status, text[:200])

    def in_sync(self) -> bool:
        """True when the server confirmed every desired subscription on this connection."""
        return self.counters.state == "streaming" and self.desired <= self.active


def _split_params(text: str) -> list[str]:
    return [p.strip() for p in text.split(",") if p.strip()]


def _describe(params: set[str]) -> str:
    if len(params) <= 5:
        return ", ".join(sorted(params)) or "nothing yet"
    return f"{len(params)} channels"


def _redact_url(url: str) -> str:
    """Drop any query string (a key could ride in it) before the URL goes into a log line."""
    return url.split("?", 1)[0]
