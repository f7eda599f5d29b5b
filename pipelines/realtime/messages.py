"""The Massive/Polygon stocks WebSocket protocol as data: parse frames, build client messages.

Pure: bytes in, typed events out, nothing opened. Every frame is a JSON array of
events; `EVENT_TYPES` maps each event code (`ev`) to the struct that decodes it, and
msgspec builds one tagged union from that table, so a whole frame of a few hundred
aggregates decodes in one C call. A frame that fails as a whole (one bad event among
good ones) is decoded again event by event, so the good events survive and each bad
one is counted, never raised.

The parser checks the wire shape only (types, required fields); what the values mean
(positive prices, a plausible time, a ticker-like symbol) is checked by `screening`,
which names each refusal. Nothing a frame holds makes `parse_frame` raise: a frame
over `MAX_FRAME_BYTES` or `MAX_FRAME_EVENTS` is skipped whole before any work on it
(counted as oversized), and one that breaks the decoder itself (nesting deeper than
the interpreter's recursion limit, bytes that are not UTF-8) counts as malformed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import msgspec
import orjson

# Wire types only; `screening` checks the values (and names what is wrong with them).
Price = float
Volume = float
EpochMs = int

MAX_FRAME_BYTES = 8 * 2**20  # a full-market frame of thousands of aggregates is a few hundred KB
MAX_FRAME_EVENTS = 100_000  # a frame of more is skipped whole: decoding it event by event
# (when one of them is broken) would hold the event loop for seconds


class Status(msgspec.Struct, tag_field="ev", tag="status", frozen=True):
    """A status event: `connected`, `auth_success`, `auth_failed`, `success`, `error`…"""

    status: str
    message: str = ""


class Aggregate(msgspec.Struct, tag_field="ev", frozen=True):
    """One aggregate bar of one symbol (prices in dollars, times UTC epoch ms).

    Wire names kept as the protocol spells them: `o h l c` this window's prices, `v`
    volume, `vw` volume-weighted price, `s`/`e` window start/end, `av` today's volume,
    `op` today's official open, `a` today's VWAP, `z` average trade size.
    """

    sym: str
    o: Price
    h: Price
    l: Price  # noqa: E741 (the protocol's name)
    c: Price
    v: Volume
    vw: Price
    s: EpochMs
    e: EpochMs
    av: Volume = 0.0
    op: Price | None = None
    a: Price | None = None
    z: Volume = 0.0


class SecondAggregate(Aggregate, tag="A", frozen=True):
    """`A`: the per-second aggregate."""


class MinuteAggregate(Aggregate, tag="AM", frozen=True):
    """`AM`: the per-minute aggregate."""


# The dispatch table: event code -> struct. Add a channel here and the decoder knows it.
EVENT_TYPES: dict[str, type[msgspec.Struct]] = {
    "status": Status,
    "A": SecondAggregate,
    "AM": MinuteAggregate,
}

Event = Status | SecondAggregate | MinuteAggregate
_frame_decoder = msgspec.json.Decoder(list[Event])
_raw_frame_decoder = msgspec.json.Decoder(list[msgspec.Raw])
_event_decoder = msgspec.json.Decoder(Event)
_code_decoder = msgspec.json.Decoder(dict[str, Any])


@dataclass
class Frame:
    """What one frame held: aggregates and status events in order, and what was skipped."""

    aggregates: list[Aggregate] = field(default_factory=list)
    statuses: list[Status] = field(default_factory=list)
    malformed: int = 0
    unknown: int = 0
    oversized: int = 0


# Everything a decoder can raise on hostile input: a DecodeError for bad JSON or a wrong
# type, RecursionError for deep nesting, UnicodeDecodeError for bytes that are not UTF-8
# (msgspec checks strings lazily), MemoryError for a frame that expands beyond memory.
_UNDECODABLE = (msgspec.DecodeError, RecursionError, UnicodeError, ValueError, MemoryError)


def parse_frame(
    payload: bytes | str,
    max_bytes: int = MAX_FRAME_BYTES,
    max_events: int = MAX_FRAME_EVENTS,
) -> Frame:
    """Decode one WebSocket frame (a JSON array of events, text or binary) into a `Frame`.

    Never raises: a frame longer than `max_bytes` (counted in bytes for binary frames,
    characters for text) or holding more than `max_events` events counts as one oversized
    frame and is not decoded further; a frame that is not a JSON array (or too deeply
    nested, or not UTF-8) counts as one malformed event; an event of the wrong shape counts
    as malformed; an event with an unknown `ev` code (a channel we do not handle) counts
    as unknown.
    """
    frame = Frame()
    if len(payload) > max_bytes:
        frame.oversized += 1
        return frame
    try:
        events = _frame_decoder.decode(payload)
    except _UNDECODABLE:
        return _parse_each(payload, frame, max_events)
    except Exception:  # whatever else a frame can raise, the worker must not die
        frame.malformed += 1
        return frame
    if len(events) > max_events:
        frame.oversized += 1
        return frame
    for event in events:
        if isinstance(event, Status):
            frame.statuses.append(event)
        else:
            frame.aggregates.append(event)
    return frame


def _parse_each(payload: bytes | str, frame: Frame, max_events: int) -> Frame:
    try:
        raws = _raw_frame_decoder.decode(payload)
    except Exception:  # not an array, too deep, not UTF-8: one malformed frame
        frame.malformed += 1
        return frame
    if len(raws) > max_events:
        frame.oversized += 1
        return frame
    for raw in raws:
        try:
            event = _event_decoder.decode(raw)
        except Exception:  # this event only; its neighbours still count
            code = _event_code(raw)
            if isinstance(code, str) and code not in EVENT_TYPES:
                frame.unknown += 1  # a channel we do not handle, not a broken event
            else:
                frame.malformed += 1
            continue
        if isinstance(event, Status):
            frame.statuses.append(event)
        else:
            frame.aggregates.append(event)
    return frame


def _event_code(raw: msgspec.Raw) -> object:
    try:
        return _code_decoder.decode(raw).get("ev")
    except Exception:  # not an object (or too deep): no code
        return None


def encode_events(events: list[dict[str, Any]]) -> bytes:
    """Encode events (dicts with an `ev` code) as one protocol frame."""
    return orjson.dumps(events)


def status_frame(status: str, message: str) -> bytes:
    """Return a one-event status frame, as the server sends it."""
    return orjson.dumps([{"ev": "status", "status": status, "message": message}])


def auth_message(api_key: str) -> str:
    """Return the client's authentication message."""
    return orjson.dumps({"action": "auth", "params": api_key}).decode()


def subscription_message(action: str, params: list[str]) -> str:
    """Return a `subscribe`/`unsubscribe` message for channel params like `A.AAPL` or `A.*`."""
    if action not in ("subscribe", "unsubscribe"):
        raise ValueError(f"unknown action {action!r}")
    return orjson.dumps({"action": action, "params": ",".join(params)}).decode()


def parse_client_message(payload: bytes | str) -> tuple[str, list[str]] | None:
    """Decode a client message into (action, params); None when it is not one.

    `params` is the comma-separated list split into items (the API key for `auth`).
    """
    try:
        message = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(message, dict):
        return None
    action, params = message.get("action"), message.get("params")
    if not isinstance(action, str) or not isinstance(params, str):
        return None
    if action == "auth":
        return action, [params]
    return action, [p.strip() for p in params.split(",") if p.strip()]


SUBSCRIBED_PREFIX = "subscribed to: "
UNSUBSCRIBED_PREFIX = "unsubscribed to: "


def subscription_params(channel: str, symbols: list[str] | None) -> list[str]:
    """Return the params for `channel` (`A` or `AM`) on `symbols` (None = every symbol)."""
    if symbols is None:
        return [f"{channel}.*"]
    return [f"{channel}.{symbol}" for symbol in symbols]
