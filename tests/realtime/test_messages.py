"""Protocol parsing is pure: frames of many events in, typed events and counts out."""

from __future__ import annotations

import orjson
import pytest

from pipelines.realtime import messages
from pipelines.realtime.messages import MinuteAggregate, SecondAggregate, Status, parse_frame

pytestmark = pytest.mark.unit


def aggregate(**overrides: object) -> dict[str, object]:
    event: dict[str, object] = {
        "ev": "A", "sym": "AAPL", "v": 4110, "av": 9470157, "op": 0.4372, "vw": 0.4488,
        "o": 0.4488, "c": 0.4486, "h": 0.4489, "l": 0.4486, "a": 0.4352, "z": 685,
        "s": 1610144640000, "e": 1610144641000,
    }  # fmt: skip
    event.update(overrides)
    return event


def test_a_frame_of_many_events_decodes_every_documented_field() -> None:
    payload = orjson.dumps([aggregate(sym=f"S{i}", c=1.0 + i / 100, h=2.0) for i in range(300)])
    frame = parse_frame(payload)
    assert len(frame.aggregates) == 300
    first = frame.aggregates[0]
    assert isinstance(first, SecondAggregate)
    assert (first.sym, first.v, first.av, first.op, first.vw, first.o, first.h, first.l, first.a, first.z) == (
        "S0", 4110, 9470157, 0.4372, 0.4488, 0.4488, 2.0, 0.4486, 0.4352, 685,
    )
    assert (first.s, first.e) == (1610144640000, 1610144641000)
    assert (frame.malformed, frame.unknown) == (0, 0)


def test_event_codes_dispatch_through_the_table() -> None:
    payload = orjson.dumps([
        {"ev": "status", "status": "connected", "message": "Connected Successfully"},
        aggregate(ev="A"),
        aggregate(ev="AM"),
    ])  # fmt: skip
    frame = parse_frame(payload)
    assert frame.statuses == [Status(status="connected", message="Connected Successfully")]
    assert [type(a) for a in frame.aggregates] == [SecondAggregate, MinuteAggregate]
    assert set(messages.EVENT_TYPES) == {"status", "A", "AM"}


@pytest.mark.parametrize(
    ("payload", "good", "malformed", "unknown"),
    [
        (b"[{\"ev\":\"A\",\"sym\":", 0, 1, 0),  # truncated JSON
        (b"{\"ev\":\"A\"}", 0, 1, 0),  # an object, not an array
        (orjson.dumps([aggregate(), aggregate(o="n/a"), aggregate()]), 2, 1, 0),  # bad type
        (orjson.dumps([aggregate(h=0.1, l=0.5)]), 0, 1, 0),  # high below low
        (orjson.dumps([aggregate(c=-1.0)]), 0, 1, 0),  # negative price
        (orjson.dumps([{k: v for k, v in aggregate().items() if k != "sym"}]), 0, 1, 0),  # no symbol
        (orjson.dumps([aggregate(), {"ev": "T", "sym": "AAPL", "p": 1.0}]), 1, 0, 1),  # trades channel
        (orjson.dumps([aggregate(), 42, "x"]), 1, 2, 0),  # not objects
    ],
)
def test_bad_events_are_counted_and_good_ones_survive(
    payload: bytes, good: int, malformed: int, unknown: int
) -> None:
    frame = parse_frame(payload)
    assert (len(frame.aggregates), frame.malformed, frame.unknown) == (good, malformed, unknown)


def test_optional_daily_fields_may_be_absent() -> None:
    event = {k: v for k, v in aggregate().items() if k not in ("av", "op", "a", "z")}
    (parsed,) = parse_frame(orjson.dumps([event])).aggregates
    assert (parsed.av, parsed.op, parsed.a, parsed.z) == (0.0, None, None, 0.0)


def test_client_messages_round_trip() -> None:
    assert orjson.loads(messages.auth_message("KEY")) == {"action": "auth", "params": "KEY"}
    subscribe = messages.subscription_message("subscribe", ["A.AAPL", "A.MSFT"])
    assert orjson.loads(subscribe) == {"action": "subscribe", "params": "A.AAPL,A.MSFT"}
    assert messages.parse_client_message(subscribe) == ("subscribe", ["A.AAPL", "A.MSFT"])
    assert messages.parse_client_message(messages.auth_message("a,b")) == ("auth", ["a,b"])
    assert messages.parse_client_message(b"not json") is None
    assert messages.subscription_params("A", None) == ["A.*"]
    assert messages.subscription_params("AM", ["X", "Y"]) == ["AM.X", "AM.Y"]
