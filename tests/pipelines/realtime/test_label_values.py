"""Sector names from the lake become valid TimeSeries label values."""

from __future__ import annotations

import pytest
import redis

from pipelines.realtime.keys import label_value

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    "sector",
    [
        "Finance, Insurance & Real Estate",
        "Agriculture, Forestry & Fishing",
        "Services (other)",
        "mega",
        "",
    ],
)
def test_lake_sector_names_are_accepted_as_labels(redis_client: redis.Redis, sector: str) -> None:
    value = label_value(sector)
    redis_client.execute_command("TS.CREATE", "ts:{X}:close", "LABELS", "sector", value)
    assert redis_client.ts().info("ts:{X}:close").labels == {"sector": value}
    found = redis_client.ts().queryindex([f"sector={value}"])
    assert found == ["ts:{X}:close"]
