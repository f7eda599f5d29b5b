"""Screening is pure: decoded aggregates and now in, the events to keep and named skips out."""

from __future__ import annotations

import math
from datetime import date

import pytest

from pipelines.realtime import screening
from pipelines.realtime.messages import SecondAggregate
from pipelines.realtime.screening import DAY_MS, EventLimits, Screen, screen
from pipelines.realtime.universe import synthetic_universe
from pipelines.sources.synthetic.universe import build_universe

pytestmark = pytest.mark.unit

NOW = 1_760_000_000_000  # 2025-10-09 UTC, in ms
NOW_DATE = date(2025, 10, 9)


def bar(**overrides: object) -> SecondAggregate:
    fields: dict[str, object] = {
        "sym": "AAPL",
        "o": 10.0,
        "h": 10.5,
        "l": 9.5,
        "c": 10.2,
        "v": 100.0,
        "vw": 10.1,
        "s": NOW - 1_000,
        "e": NOW,
        "av": 1_000.0,
        "op": 9.9,
        "a": 10.0,
        "z": 50.0,
    }
    fields.update(overrides)
    return SecondAggregate(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "symbol",
    ["A", "AAPL", "GOOGL", "BRK.B", "BF-B", "PBR/A", "AAC.WS", "BACpB", "SYN0001", "ABCDEFGHIJ"],
)
def test_symbols_of_the_ticker_grammar_pass(symbol: str) -> None:
    assert screen([bar(sym=symbol)], NOW).kept == [bar(sym=symbol)]


@pytest.mark.parametrize(
    "symbol",
    [
        "",
        "aapl",
        "1AB",
        "AA PL",
        "A{B}",
        "A:B",
        "BRK.",
        "BRK.BBBBB",
        "ABCDEFGHIJK",
        "A\nB",
        "ÄPFEL",
        "A" * 10 * 2**20,
        "*",
        "BRK..B",
    ],
)
def test_symbols_outside_the_grammar_are_skipped(symbol: str) -> None:
    result = screen([bar(sym=symbol)], NOW)
    assert (result.kept, result.skipped) == ([], {screening.BAD_SYMBOL: 1})


def test_every_simulator_and_synthetic_market_ticker_passes() -> None:
    live = synthetic_universe(2_000)["ticker"].to_list()
    market = build_universe(7, 3_000, NOW_DATE)["ticker"].to_list()
    events = [bar(sym=s) for s in live + market]
    assert len(screen(events, NOW).kept) == len(events)


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"s": NOW + DAY_MS + 1, "e": NOW + DAY_MS + 1_001}, screening.TOO_FAR_AHEAD),
        ({"s": NOW - 1_000, "e": 2**70}, screening.TOO_FAR_AHEAD),
        ({"s": -(2**70), "e": NOW}, screening.TOO_OLD),
        ({"s": 2**70, "e": 2**70 + 1_000}, screening.TOO_FAR_AHEAD),
        ({"s": NOW * 1_000_000, "e": NOW * 1_000_000}, screening.TOO_FAR_AHEAD),  # nanoseconds
        ({"s": NOW // 1_000 - 1, "e": NOW // 1_000}, screening.TOO_OLD),  # seconds, not ms
        ({"s": NOW - 7 * DAY_MS - 1, "e": NOW - 7 * DAY_MS + 999}, screening.TOO_OLD),
        ({"s": -5, "e": -1}, screening.TOO_OLD),
        ({"s": NOW, "e": NOW - 1_000}, screening.END_BEFORE_START),
        ({"c": 0.0}, screening.BAD_PRICE),
        ({"o": -1.0}, screening.BAD_PRICE),
        ({"vw": math.nan}, screening.BAD_PRICE),
        ({"h": math.inf}, screening.BAD_PRICE),
        ({"op": -2.0}, screening.BAD_PRICE),
        ({"a": math.nan}, screening.BAD_PRICE),
        ({"h": 9.0, "l": 9.5}, screening.HIGH_BELOW_LOW),
        ({"v": -1.0}, screening.NEGATIVE_VOLUME),
        ({"av": -1.0}, screening.NEGATIVE_VOLUME),
        ({"z": math.nan}, screening.NEGATIVE_VOLUME),
    ],
)
def test_impossible_events_are_skipped_with_their_reason(
    overrides: dict[str, object], reason: str
) -> None:
    result = screen([bar(sym="AAPL"), bar(sym="MSFT", **overrides), bar(sym="IBM")], NOW)
    assert [e.sym for e in result.kept] == ["AAPL", "IBM"]
    assert result.skipped == {reason: 1}


def test_edges_of_the_tolerance_pass_and_limits_are_settable() -> None:
    edge = [
        bar(s=NOW + DAY_MS - 1_000, e=NOW + DAY_MS),
        bar(s=NOW - 7 * DAY_MS, e=NOW - 7 * DAY_MS + 1_000),
    ]
    assert len(screen(edge, NOW).kept) == 2
    tight = EventLimits(max_ahead_ms=60_000, max_age_ms=3_600_000, symbol_grammar=r"SYN\d{4}")
    moved = [bar(sym="SYN0002", s=e.s, e=e.e) for e in edge]
    result = screen([*moved, bar(sym="SYN0001"), bar(sym="AAPL")], NOW, tight)
    assert [e.sym for e in result.kept] == ["SYN0001"]
    assert result.skipped == {
        screening.TOO_FAR_AHEAD: 1,
        screening.TOO_OLD: 1,
        screening.BAD_SYMBOL: 1,
    }


def test_optional_fields_absent_pass_and_a_screen_remembers_good_symbols() -> None:
    check = Screen()
    plain = bar(op=None, a=None)
    assert check([plain, plain], NOW).kept == [plain, plain]
    assert check([bar(sym="bad")], NOW).skipped == {screening.BAD_SYMBOL: 1}
    # A remembered symbol still has its values checked.
    assert check([bar(c=-1.0)], NOW).skipped == {screening.BAD_PRICE: 1}
