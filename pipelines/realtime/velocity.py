"""Price velocity: the % change of a symbol's close over a rolling window, and alerts.

Pure: numbers in, numbers and alerts out. Definitions (one place, used by the
worker's streaming tracker and by `rolling_velocity` for charts):

- The window at time t holds the samples with time in (t − window, t].
- velocity(t) = (close(t) / reference − 1) × 100, where the reference is the earliest
  close in the window (the previous close within the window).
- An alert fires when |velocity| reaches `threshold_pct`.
- Re-arm rule (exactly one alert per spike): after an alert a symbol is disarmed
  until its |velocity| falls below `threshold_pct × rearm_fraction` — which happens
  once the pre-spike prices have left the window. A jump that holds gives one alert;
  a later, separate move gives another.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class VelocityConfig:
    """Window in ms, alert threshold in percent, re-arm level as a fraction of the threshold."""

    window_ms: int = 5_000
    threshold_pct: float = 0.5
    rearm_fraction: float = 0.5


@dataclass(frozen=True)
class Alert:
    """One velocity alert: `velocity_pct` of `symbol` at `time_ms`, price and reference in
    dollars."""

    symbol: str
    time_ms: int
    velocity_pct: float
    price: float
    reference_price: float


class _SymbolWindow:
    __slots__ = ("armed", "samples")

    def __init__(self) -> None:
        self.samples: deque[tuple[int, float]] = deque()
        self.armed = True


class VelocityTracker:
    """Streaming velocity per symbol; `update` is O(1) amortized per sample."""

    def __init__(self, config: VelocityConfig | None = None) -> None:
        self.config = config or VelocityConfig()
        self._windows: dict[str, _SymbolWindow] = {}
        self.velocity: dict[str, float] = {}

    def update(self, symbol: str, time_ms: int, price: float) -> Alert | None:
        """Add a close (dollars) at `time_ms`; return an alert when this sample triggers one.

        Samples older than the symbol's latest are ignored (a late revision does not
        move velocity); a sample at the latest time replaces it.
        """
        window = self._windows.get(symbol)
        if window is None:
            window = self._windows[symbol] = _SymbolWindow()
        samples = window.samples
        if samples:
            last_time = samples[-1][0]
            if time_ms < last_time:
                return None
            if time_ms == last_time:
                samples.pop()
        samples.append((time_ms, price))
        horizon = time_ms - self.config.window_ms
        while samples[0][0] <= horizon:
            samples.popleft()
        reference = samples[0][1]
        velocity = (price / reference - 1.0) * 100.0
        self.velocity[symbol] = velocity
        size = abs(velocity)
        if window.armed:
            if size >= self.config.threshold_pct:
                window.armed = False
                return Alert(symbol, time_ms, velocity, price, reference)
        elif size < self.config.threshold_pct * self.config.rearm_fraction:
            window.armed = True
        return None


def rolling_velocity(frame: pl.DataFrame, *, window_ms: int = 5_000) -> pl.DataFrame:
    """Return `frame` (columns time_ms: epoch ms, close: dollars) with `velocity_pct` added.

    The same definition as `VelocityTracker`: close over the earliest close in
    (t − window, t], minus one, in percent. Rows must be one symbol's, any order.
    """
    ordered = frame.sort("time_ms").with_columns(time=pl.from_epoch("time_ms", time_unit="ms"))
    reference = ordered.rolling("time", period=f"{window_ms}ms", closed="right").agg(
        pl.col("close").first().alias("reference")
    )
    return ordered.with_columns(
        velocity_pct=(pl.col("close") / reference["reference"] - 1.0) * 100.0
    ).drop("time")
