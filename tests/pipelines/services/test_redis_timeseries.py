"""The embedded Redis answers with the TimeSeries module: a TS.CREATE/TS.ADD/TS.RANGE round trip."""

from __future__ import annotations

import pytest
import redis

pytestmark = pytest.mark.integration


def test_timeseries_module_is_loaded(redis_client: redis.Redis) -> None:
    names = {m["name"].lower() for m in redis_client.module_list()}
    assert "timeseries" in names


def test_create_add_range_round_trip(redis_client: redis.Redis) -> None:
    ts = redis_client.ts()
    ts.create(
        "ts:{TEST}:close",
        retention_msecs=60_000,
        duplicate_policy="last",
        labels={"symbol": "TEST", "field": "close"},
    )
    for i, price in enumerate([10.0, 10.5, 10.25, 11.0]):
        ts.add("ts:{TEST}:close", 1_700_000_000_000 + i * 1000, price)
    ts.add("ts:{TEST}:close", 1_700_000_001_000, 10.75)  # duplicate timestamp: last wins
    samples = ts.range("ts:{TEST}:close", "-", "+")
    assert samples == [
        (1_700_000_000_000, 10.0),
        (1_700_000_001_000, 10.75),
        (1_700_000_002_000, 10.25),
        (1_700_000_003_000, 11.0),
    ]
    info = ts.info("ts:{TEST}:close")
    assert info.labels == {"symbol": "TEST", "field": "close"}
    filtered = ts.mrange("-", "+", filters=["symbol=TEST"])
    assert len(filtered) == 1
