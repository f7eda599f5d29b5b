"""When a provider's ticker details are fetched again: on a slower schedule than daily bars.

Ticker details cost one request per ticker (thousands a day on Massive), so a load
refetches them only when the lake's newest fetch from that source is
`TICKER_DETAILS_MAX_AGE_DAYS` (default 7) days old or more, or there is none. Bars,
splits and news are fetched on every load as before. The synthetic market costs no
provider call and is always due.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import polars as pl

from lake import tables
from lake.schemas import TableContract
from lake.settings import get_settings

log = logging.getLogger(__name__)

FREE_SOURCE = "synthetic"


def ticker_details_due(
    bronze_tickers: TableContract, source: str, *, lake_uri: str, now: datetime | None = None
) -> bool:
    """True when `source`'s ticker details should be fetched: `bronze_tickers` (the bronze
    table of fetched details, with `_source` and `_loaded_at`) holds none from `source`,
    or its newest is at least `ticker_details_max_age_days` old at `now` (UTC, default
    the current time), in the lake at `lake_uri`."""
    max_age = timedelta(days=get_settings().ticker_details_max_age_days)
    if source == FREE_SOURCE or not max_age or not tables.exists(bronze_tickers, lake_uri=lake_uri):
        return True
    last = (
        tables.scan(bronze_tickers, lake_uri=lake_uri)
        .filter(pl.col("_source") == source)
        .select(pl.col("_loaded_at").max())
        .collect()
        .item()
    )
    if last is None:
        return True
    age = (now or datetime.now(UTC)) - last
    if age >= max_age:
        return True
    log.info(
        "ticker details from %s are %.1f days old (TICKER_DETAILS_MAX_AGE_DAYS=%d): kept",
        source,
        age.total_seconds() / 86400,
        max_age.days,
    )
    return False
