"""Live candles: the open minute, built from the raw seconds, matches them exactly."""

from __future__ import annotations

import asyncio

import numpy as np
import polars as pl
import pytest
import redis
from polars.testing import assert_frame_equal

from app.live_bars import aggregate_seconds, minute_bars, second_bars
from lake.indicators.overlap import sma
from lake.live_averages import with_moving_averages
from pipelines.realtime.messages import SecondAggregate
from pipelines.realtime.sink import RedisSink

pytestmark = pytest.mark.integration

START_MS = 1_767_225_600_000  # a minute boundary (2026-01-01 00:00 UTC)


def seconds(symbol: str, count: int, *, seed: int = 5) -> list[SecondAggregate]:
    rng = np.random.default_rng(seed)
    closes = 50 * np.exp(np.cumsum(rng.normal(0, 0.001, count)))
    bars = []
    closes_list = closes.tolist()
    for i, close in enumerate(closes_list):
        open_ = closes_list[i - 1] if i else close
        high, low = max(open_, close) * 1.0005, min(open_, close) * 0.9995
        start = START_MS + i * 1000
        bars.append(
            SecondAggregate(
                sym=symbol,
                o=round(open_, 4),
                h=round(high, 4),
                l=round(low, 4),
                c=round(close, 4),
                v=float(rng.integers(100, 900)),
                vw=round((high + low) / 2, 4),
                s=start,
                e=start + 1000,
            )
        )
    return bars


def write(redis_url: str, bars: list[SecondAggregate]) -> None:
    async def run() -> None:
        sink = RedisSink(redis_url, labels={})
        await sink.start()
        for bar in bars:
            sink.add(bar, 0.0)
        assert await sink.flush()
        await sink.close()

    asyncio.run(run())


def test_open_minute_matches_the_raw_seconds_and_history_is_compacted(
    redis_url: str, redis_client: redis.Redis
) -> None:
    write(redis_url, seconds("LIVE", 150))  # 2 closed minutes and 30 s of the third
    raw = redis.Redis.from_url(redis_url)
    per_second = second_bars(raw, "LIVE")
    minutes = minute_bars(raw, "LIVE")
    raw.close()

    assert per_second.height == 150
    assert minutes["time_ms"].to_list() == [START_MS, START_MS + 60_000, START_MS + 120_000]
    assert minutes["live"].to_list() == [False, False, True]  # only the open minute is built live
    expected = aggregate_seconds(per_second)
    assert_frame_equal(minutes.drop("live"), expected, check_exact=False, rel_tol=1e-12)
    open_minute = per_second.filter(pl.col("time_ms") >= START_MS + 120_000)
    last = minutes.row(-1, named=True)
    assert last["open"] == open_minute["open"][0]
    assert last["close"] == open_minute["close"][-1]
    assert last["high"] == open_minute["high"].max()
    assert last["low"] == open_minute["low"].min()
    assert last["volume"] == open_minute["volume"].sum()


def test_live_moving_averages_use_the_historical_definitions() -> None:
    frame = pl.DataFrame({"time_ms": np.arange(40) * 1000, "close": np.linspace(10, 14, 40)})
    result = with_moving_averages(frame, kind="sma", periods=[5, 20])
    assert_frame_equal(
        result.select("sma_5", "sma_20"),
        frame.select(sma("close", 5).alias("sma_5"), sma("close", 20).alias("sma_20")),
    )
    assert result["sma_20"].null_count() == 19
