"""Velocity: % change over a rolling window, one alert per spike, the same numbers in Polars."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from pipelines.realtime.velocity import VelocityConfig, VelocityTracker, rolling_velocity

pytestmark = pytest.mark.unit


def feed(
    tracker: VelocityTracker, symbol: str, prices: list[float], *, step_ms: int = 1000
) -> list:
    return [
        a for i, p in enumerate(prices) if (a := tracker.update(symbol, i * step_ms, p)) is not None
    ]


def test_a_jump_that_holds_gives_exactly_one_alert() -> None:
    tracker = VelocityTracker()
    prices = [100.0] * 10 + [101.0] * 20  # +1% at t=10 s, then flat
    alerts = feed(tracker, "X", prices)
    assert len(alerts) == 1
    assert alerts[0].time_ms == 10_000
    assert alerts[0].velocity_pct == pytest.approx(1.0)
    assert alerts[0].reference_price == 100.0


def test_a_second_separate_move_alerts_again_after_re_arming() -> None:
    tracker = VelocityTracker()
    prices = [100.0] * 10 + [101.0] * 10 + [100.0] * 10  # up, hold, then down
    alerts = feed(tracker, "X", prices)
    assert [round(a.velocity_pct, 2) for a in alerts] == [1.0, -0.99]


def test_slow_drift_below_threshold_within_the_window_never_alerts() -> None:
    tracker = VelocityTracker()
    prices = [100.0 * (1.0008**i) for i in range(60)]  # 0.08%/s: 0.32% over the 5 s window
    assert feed(tracker, "X", prices) == []


@pytest.mark.parametrize(
    ("threshold", "window_ms", "expected"), [(0.5, 5000, 1), (2.0, 5000, 0), (0.5, 500, 1)]
)
def test_threshold_and_window_are_configurable(
    threshold: float, window_ms: int, expected: int
) -> None:
    tracker = VelocityTracker(VelocityConfig(window_ms=window_ms, threshold_pct=threshold))
    assert len(feed(tracker, "X", [50.0] * 5 + [50.5] * 5, step_ms=200)) == expected


def test_symbols_are_independent_and_late_samples_are_ignored() -> None:
    tracker = VelocityTracker()
    assert tracker.update("A", 1000, 10.0) is None
    assert tracker.update("B", 1000, 20.0) is None
    assert tracker.update("A", 2000, 10.1) is not None
    assert tracker.update("A", 1500, 5.0) is None  # older than the latest: ignored
    assert tracker.velocity["A"] == pytest.approx(1.0)
    assert tracker.velocity["B"] == 0.0


def test_streaming_tracker_and_polars_agree() -> None:
    rng = np.random.default_rng(3)
    times = np.cumsum(rng.integers(200, 1500, 300))
    closes = 100 * np.exp(np.cumsum(rng.normal(0, 0.002, 300)))
    tracker = VelocityTracker()
    streamed = []
    for t, c in zip(times.tolist(), closes.tolist(), strict=True):
        tracker.update("X", t, c)
        streamed.append(tracker.velocity["X"])
    frame = rolling_velocity(pl.DataFrame({"time_ms": times, "close": closes}))
    np.testing.assert_allclose(
        frame["velocity_pct"].to_numpy(), np.array(streamed), rtol=1e-12, atol=1e-12
    )
