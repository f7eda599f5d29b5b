"""Screening decoded aggregates: which events the live path may store, and why not the others.

Pure: decoded events and the current time in, the events to keep and a count of the
skipped ones per reason out. The parser (`messages`) only checks the wire types; the
checks of meaning live here so each refusal has a name an operator can read in the
worker's stats.

The documented caps (defaults of `EventLimits`, all settable):

- a symbol must match the exchange ticker grammar `SYMBOL_GRAMMAR`: a root of one
  capital letter and up to nine more letters or digits, then an optional class or
  series suffix after `.`, `-` or `/` of one to four capitals or digits. That takes
  `AAPL`, `BRK.B`, `BF-B`, `PBR/A`, `AAC.WS`, Massive's preferred form `BACpB`, and
  the simulator's synthetic `SYN0001`; it refuses empty, spaced, lower-case-led or
  over-long symbols and anything holding `{}`, `:` or control characters (which
  would break the `ts:{SYM}:…` key layout and its cluster hash tag);
- a window (start `s` to end `e`) lies wholly between `max_age_ms` before now and
  `max_ahead_ms` after it: at most 1 day ahead (room for a wrong clock, none for a
  timestamp in seconds or nanoseconds) and at most 7 days back (the retention of the
  one-minute candles: an older bar could not be kept; a replay of last week's sessions
  still passes);
- prices (`o h l c vw`, and `op a` when sent) are finite and positive, `h >= l`, the
  window does not end before it starts, volumes (`v av z`) are not negative.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from pipelines.realtime.messages import Aggregate

SYMBOL_GRAMMAR = r"[A-Z][A-Za-z0-9]{0,9}(?:[.\-/][A-Z0-9]{1,4})?"
DAY_MS = 86_400_000
KNOWN_SYMBOLS_CAP = 200_000  # symbols remembered as matching the grammar (a cache)

# Why an event was skipped. The parser's reasons come first (a frame too big, an event
# that is not valid JSON of a known shape, an event code we do not handle), then ours.
MALFORMED = "malformed"
UNKNOWN_EVENT = "unknown_event"
OVERSIZED = "oversized"
BAD_SYMBOL = "bad_symbol"
TOO_FAR_AHEAD = "too_far_ahead"
TOO_OLD = "too_old"
BAD_PRICE = "bad_price"
HIGH_BELOW_LOW = "high_below_low"
NEGATIVE_VOLUME = "negative_volume"
END_BEFORE_START = "end_before_start"
SKIP_REASONS: tuple[str, ...] = (
    MALFORMED,
    UNKNOWN_EVENT,
    OVERSIZED,
    BAD_SYMBOL,
    TOO_FAR_AHEAD,
    TOO_OLD,
    BAD_PRICE,
    HIGH_BELOW_LOW,
    NEGATIVE_VOLUME,
    END_BEFORE_START,
)


@dataclass(frozen=True)
class EventLimits:
    """How far from now a window may lie (ms) and which symbols pass (a regex, full match)."""

    max_ahead_ms: int = DAY_MS
    max_age_ms: int = 7 * DAY_MS
    symbol_grammar: str = SYMBOL_GRAMMAR


@dataclass
class Screened:
    """The events to keep, in their order, and the skipped ones counted per reason."""

    kept: list[Aggregate] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)


class Screen:
    """`screen(events, now_ms)` with the limits compiled once and good symbols remembered
    (a feed repeats the same few thousand symbols; each is matched once)."""

    def __init__(self, limits: EventLimits | None = None) -> None:
        self.limits = limits or EventLimits()
        self._grammar = re.compile(self.limits.symbol_grammar)
        self._good_symbols: set[str] = set()

    def __call__(self, events: Iterable[Aggregate], now_ms: int) -> Screened:
        return screen(events, now_ms, self.limits, self._grammar, self._good_symbols)


def screen(
    events: Iterable[Aggregate],
    now_ms: int,
    limits: EventLimits | None = None,
    grammar: re.Pattern[str] | None = None,
    good_symbols: set[str] | None = None,
) -> Screened:
    """Split `events` into those to store and counts of the skipped ones per reason.

    `now_ms` is the current UTC time in epoch ms. `grammar` (compiled from
    `limits.symbol_grammar` when None) and `good_symbols` (symbols already matched; grown
    here) only save work.
    """
    limits = limits or EventLimits()
    if grammar is None:
        grammar = re.compile(limits.symbol_grammar)
    known = good_symbols if good_symbols is not None else set()
    latest = now_ms + limits.max_ahead_ms
    earliest = now_ms - limits.max_age_ms
    result = Screened()
    kept, skipped = result.kept, result.skipped
    inf = math.inf
    for event in events:
        # The common case in one chain of comparisons (NaN fails every one of them).
        if (
            event.sym in known
            and 0 < event.l <= event.h < inf
            and 0 < event.o < inf
            and 0 < event.c < inf
            and 0 < event.vw < inf
            and 0 <= event.v < inf
            and 0 <= event.av < inf
            and 0 <= event.z < inf
            and (event.op is None or 0 < event.op < inf)
            and (event.a is None or 0 < event.a < inf)
            and earliest <= event.s <= event.e <= latest
        ) or (reason := _reason(event, grammar, known, latest, earliest)) is None:
            kept.append(event)
        else:
            skipped[reason] = skipped.get(reason, 0) + 1
    return result


def _reason(
    event: Aggregate, grammar: re.Pattern[str], known: set[str], latest: int, earliest: int
) -> str | None:
    """Why `event` must be skipped (one of `SKIP_REASONS`), or None when it is fine."""
    symbol = event.sym
    if symbol not in known:
        if not grammar.fullmatch(symbol):
            return BAD_SYMBOL
        if len(known) >= KNOWN_SYMBOLS_CAP:  # a flood of made-up symbols must not grow it forever
            known.clear()
        known.add(symbol)
    if event.e > latest:
        return TOO_FAR_AHEAD
    if event.s < earliest:
        return TOO_OLD
    if event.e < event.s:
        return END_BEFORE_START
    prices = (event.o, event.h, event.l, event.c, event.vw)
    optional = tuple(p for p in (event.op, event.a) if p is not None)
    if not all(0 < p < math.inf for p in prices + optional):
        return BAD_PRICE
    if event.h < event.l:
        return HIGH_BELOW_LOW
    if not all(0 <= v < math.inf for v in (event.v, event.av, event.z)):
        return NEGATIVE_VOLUME
    return None
