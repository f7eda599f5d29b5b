"""Protocol parsing is pure: frames of many events in, typed events and counts out."""

from __future__ import annotations

import orjson
import pytest

from pipelines.realtime import messages
from pipelines.realtime.messages import MinuteAggregate, SecondAggregate, Status, parse_frame

pytestmark = pytest.mark.unit


def aggregate(**overrides: object) -> dict[str, object]:
    event: dict[str, object] = {
        "ev": "A",
        "sym": "AAPL",
        "v": 4110,
        "av": 9470157,
        "op": 0.4372,
        "vw": 0.4488,
        "o": 0.4488,
        "c": 0.4486,
        "h": 0.4489,
        "l": 0.4486,
        "a": 0.4352,
        "z": 685,
        "s": 1610144640000,
        "e": 1610144641000,
    }
    event.update(overrides)
    return event


def test_a_frame_of_many_events_decodes_every_documented_field() -> None:
    payload = orjson.dumps([aggregate(sym=f"S{i}", c=1.0 + i / 100, h=2.0) for i in range(300)])
    frame = parse_frame(payload)
    assert len(frame.aggregates) == 300
    first = frame.aggregates[0]
    assert isinstance(first, SecondAggregate)
    assert (
        first.sym,
        first.v,
        first.av,
        first.op,
        first.vw,
        first.o,
        first.h,
        first.l,
        first.a,
        first.z,
    ) == (
        "S0",
        4110,
        9470157,
        0.4372,
        0.4488,
        0.4488,
        2.0,
        0.4486,
        0.4352,
        685,
    )
    assert (first.s, first.e) == (1610144640000, 1610144641000)
    assert (frame.malformed, frame.unknown) == (0, 0)


def test_event_codes_dispatch_through_the_table() -> None:
    payload = orjson.dumps(
        [
            {"ev": "status", "status": "connected", "message": "Connected Successfully"},
            aggregate(ev="A"),
            aggregate(ev="AM"),
        ]
    )
    frame = parse_frame(payload)
    assert frame.statuses == [Status(status="connected", message="Connected Successfully")]
    assert [type(a) for a in frame.aggregates] == [SecondAggregate, MinuteAggregate]
    assert set(messages.EVENT_TYPES) == {"status", "A", "AM"}


@pytest.mark.parametrize(
    ("payload", "good", "malformed", "unknown"),
    [
        (b'[{"ev":"A","sym":', 0, 1, 0),  # truncated JSON
        (b'{"ev":"A"}', 0, 1, 0),  # an object, not an array
        (orjson.dumps([aggregate(), aggregate(o="n/a"), aggregate()]), 2, 1, 0),  # bad type
        (orjson.dumps([aggregate(s="1")]), 0, 1, 0),  # a time as text
        (orjson.dumps([aggregate(sym=None)]), 0, 1, 0),  # a null symbol
        (
            orjson.dumps([{k: v for k, v in aggregate().items() if k != "sym"}]),
            0,
            1,
            0,
        ),  # no symbol
        (
            orjson.dumps([aggregate(), {"ev": "T", "sym": "AAPL", "p": 1.0}]),
            1,
            0,
            1,
        ),  # trades channel
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


GOOD = orjson.dumps([aggregate(sym="AAPL"), aggregate(sym="MSFT")])


@pytest.mark.parametrize(
    ("name", "payload", "malformed", "unknown", "oversized"),
    [
        ("deeply nested array", b"[" * 100_000, 1, 0, 0),
        ("deeply nested and closed", b"[" * 100_000 + b"]" * 100_000, 1, 0, 0),
        (
            "deep nesting inside an event",
            b'[{"ev":"A","x":' + b"[" * 100_000 + b"]" * 100_000 + b"}]",
            1,
            0,
            0,
        ),
        ("a number beyond float", b'[{"ev":"A","sym":"AAPL","o":1e400}]', 1, 0, 0),
        ("a NaN literal", b'[{"ev":"A","sym":"AAPL","o":NaN}]', 1, 0, 0),
        ("an Infinity literal", b'[{"ev":"A","sym":"AAPL","o":Infinity}]', 1, 0, 0),
        (
            "bytes that are not UTF-8",
            orjson.dumps([aggregate(sym="ZZZZ")]).replace(b"ZZZZ", b"\xff\xfe"),
            1,
            0,
            0,
        ),
        (
            "a lone surrogate escape",
            orjson.dumps([aggregate(sym="ZZZZ")]).replace(b"ZZZZ", b"\\ud800"),
            1,
            0,
            0,
        ),
        ("an object, not an array", orjson.dumps(aggregate()), 1, 0, 0),
        ("an empty frame", b"", 1, 0, 0),
        ("an empty array", b"[]", 0, 0, 0),
        ("a bare string", b'"hello"', 1, 0, 0),
        ("an event code of another type", b'[{"ev":5},{"ev":null},{"ev":["A"]}]', 3, 0, 0),
        ("an unknown event code", b'[{"ev":"XQ","sym":"AAPL"},{"ev":"T"}]', 0, 2, 0),
        ("a status of the wrong type", b'[{"ev":"status","status":5}]', 1, 0, 0),
        ("over the byte cap", b"[" + b" " * (messages.MAX_FRAME_BYTES) + b"]", 0, 0, 1),
        (
            "over the event cap",
            b"[" + b",".join([b"1"] * (messages.MAX_FRAME_EVENTS + 1)) + b"]",
            0,
            0,
            1,
        ),
        (
            "over the event cap, all valid",
            orjson.dumps([aggregate()] * (messages.MAX_FRAME_EVENTS + 1)),
            0,
            0,
            1,
        ),
    ],
)
def test_hostile_frames_are_counted_never_raised(
    name: str, payload: bytes, malformed: int, unknown: int, oversized: int
) -> None:
    for variant in (payload, payload.decode("utf-8", errors="surrogateescape")):
        frame = parse_frame(variant)
        assert (frame.aggregates, frame.malformed, frame.unknown, frame.oversized) == (
            [],
            malformed,
            unknown,
            oversized,
        ), name


def test_good_events_beside_hostile_ones_in_the_same_frame_survive() -> None:
    good = [aggregate(sym="AAPL"), aggregate(sym="MSFT")]
    hostile = [b"[" * 50 + b"]" * 50, b'{"ev":"A","o":1e400}', b"42", b'{"ev":"T"}']
    payload = b"[" + b",".join([orjson.dumps(good[0]), *hostile, orjson.dumps(good[1])]) + b"]"
    frame = parse_frame(payload)
    assert [a.sym for a in frame.aggregates] == ["AAPL", "MSFT"]
    assert (frame.malformed, frame.unknown) == (3, 1)
    # Nesting deeper than the decoder's recursion limit cannot be stepped over: that frame
    # is one malformed event (the next frame is parsed as ever).
    deep = b"[" + b",".join([orjson.dumps(good[0]), b"[" * 5_000 + b"]" * 5_000]) + b"]"
    assert (parse_frame(deep).aggregates, parse_frame(deep).malformed) == ([], 1)


def test_caps_are_settable_and_a_string_of_ten_megabytes_is_refused_before_parsing() -> None:
    huge = orjson.dumps([aggregate(sym="A" * 10 * 2**20)])
    assert parse_frame(huge).oversized == 1
    small = orjson.dumps([aggregate()] * 3)
    assert parse_frame(small, max_bytes=len(small) - 1).oversized == 1
    assert parse_frame(small, max_events=2).oversized == 1
    assert len(parse_frame(small, max_bytes=len(small), max_events=3).aggregates) == 3


def test_a_huge_integer_decodes_and_is_left_to_screening() -> None:
    (event,) = parse_frame(
        orjson.dumps([aggregate(s=2**70 // 10**3)]).replace(
            b"1180591620717411303", str(2**70).encode()
        )
    ).aggregates
    assert event.s == 2**70
