"""Client-side request pacing for one provider: the plan's request limits, kept by every
thread of one client together, plus a hold that pauses them all when the provider answers
`Retry-After`.

A limit is a sliding window ("no `period` ever holds more than `requests` requests"),
not a token bucket: a full bucket plus its refill lets up to twice the rate through in
one window, which is exactly what a provider counting per window answers with 429.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from lake.errors import TickerlakeError

PERIOD_SECONDS = {"second": 1.0, "minute": 60.0, "hour": 3600.0, "day": 86400.0}

# Per provider and plan, as the providers document them (see README, "Provider limits"):
# Massive/Polygon free: 5/min; paid: unlimited, "stay under 100 requests per second".
# Finnhub free: 60/min, and 30/s on top of every plan; paid per-minute caps vary by plan.
# FMP free: 250/day; Starter (the smallest paid plan): 300/min.
PLAN_LIMITS: dict[str, dict[str, str]] = {
    "massive": {"free": "5/minute", "paid": "100/second"},
    "finnhub": {"free": "60/minute,30/second", "paid": "300/minute,30/second"},
    "fmp": {"free": "250/day", "paid": "300/minute"},
}
UNLIMITED = "unlimited"
_ONE_RATE = re.compile(r"^([0-9]+)/(second|minute|hour|day)$")


@dataclass(frozen=True)
class Rate:
    """At most `requests` requests in any window of `seconds` seconds."""

    requests: int
    seconds: float


def parse_rates(spec: str, provider: str) -> tuple[Rate, ...]:
    """Return the rates `spec` names for `provider` (a key of `PLAN_LIMITS`).

    `spec` is `free` or `paid` (that plan's documented limits), `unlimited` (no limit),
    or `N/period[,N/period...]` with period one of second, minute, hour, day.
    """
    text = spec.strip().lower().replace(" ", "")
    if text == UNLIMITED:
        return ()
    text = PLAN_LIMITS[provider].get(text, text)
    rates = []
    for part in text.split(","):
        match = _ONE_RATE.match(part)
        if match is None or int(match.group(1)) < 1:
            raise TickerlakeError(
                f"{provider.upper()}_RATE_LIMIT={spec!r} is not a rate limit: use free, paid, "
                "unlimited, or N/second|minute|hour|day (several joined by commas)."
            )
        rates.append(Rate(int(match.group(1)), PERIOD_SECONDS[match.group(2)]))
    return tuple(rates)


class Slot:
    """One request's place in the windows: `at` is +inf while it is in flight, then the
    time its answer came back (the latest it can have reached the provider)."""

    __slots__ = ("at",)

    def __init__(self) -> None:
        self.at = math.inf


class RateLimiter:
    """Blocks each request until every rate allows it and any provider hold has passed.

    A request counts from when it is sent until one period after its answer came back,
    so however late it reaches the provider, the provider never sees more than the rate
    in one window. Thread-safe: one instance is shared by all requests of one client.
    `clock` is monotonic seconds.
    """

    def __init__(
        self, rates: tuple[Rate, ...] = (), *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rates = rates
        self._clock = clock
        self._sent: list[list[Slot]] = [[] for _ in rates]
        self._held_until = 0.0
        self._changed = threading.Condition()

    def acquire(self) -> Slot:
        """Wait until one more request is allowed and count it; pass the returned slot to
        `release` when its answer (or error) is in."""
        slot = Slot()
        with self._changed:
            while True:
                now = self._clock()
                wait = self._held_until - now
                for rate, sent in zip(self.rates, self._sent, strict=True):
                    sent[:] = [s for s in sent if s.at > now - rate.seconds]
                    if len(sent) >= rate.requests:
                        # inf while every counted request is in flight: wait for a release.
                        wait = max(wait, min(s.at for s in sent) + rate.seconds - now)
                if wait <= 0:
                    for sent in self._sent:
                        sent.append(slot)
                    return slot
                # Woken early by `release` or `hold`, which change the wait.
                self._changed.wait(timeout=None if math.isinf(wait) else wait)

    def release(self, slot: Slot) -> None:
        """Mark `slot`'s request answered (now)."""
        with self._changed:
            slot.at = self._clock()
            self._changed.notify_all()

    def seconds_for(self, requests: int) -> float:
        """Return the least time `requests` more requests take at these rates (seconds)."""
        return max((requests // r.requests * r.seconds for r in self.rates), default=0.0)

    def hold(self, seconds: float) -> None:
        """Let no request of this client start for `seconds` from now (a provider's
        `Retry-After`, or the backoff after a 429)."""
        with self._changed:
            self._held_until = max(self._held_until, self._clock() + seconds)
            self._changed.notify_all()
