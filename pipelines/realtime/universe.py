"""The symbols the live path knows: ticker, sector, market-cap bucket and last close.

Read from the lake (the last loaded day's cross-section) when it has one; otherwise a
deterministic synthetic universe, so the simulator and the worker agree on labels
without talking to each other. Falling back is logged, never silent.
"""

from __future__ import annotations

import logging

import numpy as np
import polars as pl

from lake.errors import TickerlakeError
from lake.schemas import CAP_BUCKETS

log = logging.getLogger(__name__)

UNIVERSE_SCHEMA = pl.Schema(
    {"ticker": pl.String, "sector": pl.String, "cap_bucket": pl.String, "last_close": pl.Float64}
)
SYNTHETIC_SECTORS = (
    "manufacturing",
    "finance",
    "services",
    "retail",
    "transportation and utilities",
    "mining",
    "wholesale",
    "construction",
)
UNKNOWN = "unknown"


def synthetic_universe(count: int) -> pl.DataFrame:
    """Return `count` made-up tickers (SYN0000…) with sectors, cap buckets and closes in dollars.

    Each ticker's attributes depend only on its index (multiplicative hashing), so a
    universe of 20 is the first 20 of a universe of 5,000: a simulator and a worker
    started with different sizes still agree on every shared ticker.
    """
    index = np.arange(count, dtype=np.uint64)
    spread_a = ((index * np.uint64(2654435761)) % np.uint64(2**32)) / 2**32
    spread_b = ((index * np.uint64(40503) + np.uint64(12345)) % np.uint64(65536)) / 65536
    buckets = [name for name, _ in CAP_BUCKETS]
    return pl.DataFrame(
        {
            "ticker": [f"SYN{i:04d}" for i in range(count)],
            "sector": [SYNTHETIC_SECTORS[i % len(SYNTHETIC_SECTORS)] for i in range(count)],
            "cap_bucket": [buckets[int(u * len(buckets))] for u in spread_a],
            "last_close": np.round(np.exp(1.5 + 4.0 * spread_b), 2),  # about $4.5 to $245
        },
        schema=UNIVERSE_SCHEMA,
    )


def lake_universe(*, lake_uri: str | None = None) -> pl.DataFrame:
    """Return every ticker of the lake's last loaded day with sector, cap bucket and close.

    Raises `TickerlakeError` when the lake has no bars (or `lake.queries` is not there).
    """
    try:
        from lake import queries
    except ImportError as exc:  # the lake's query layer not installed in this checkout
        raise TickerlakeError(f"lake.queries is unavailable ({exc})") from exc
    frame = queries.daily_cross_section(lake_uri=lake_uri)
    return (
        frame.select(
            pl.col("ticker"),
            pl.col("sector").fill_null(UNKNOWN),
            pl.col("cap_bucket").fill_null(UNKNOWN),
            pl.col("close").alias("last_close"),
        )
        .filter(pl.col("last_close") > 0)
        .sort("ticker")
        .cast(UNIVERSE_SCHEMA)
    )


def load_universe(*, fallback_count: int = 500, lake_uri: str | None = None) -> pl.DataFrame:
    """Return the lake's universe, or a synthetic one of `fallback_count` tickers (logged)."""
    try:
        universe = lake_universe(lake_uri=lake_uri)
    except (TickerlakeError, OSError) as exc:
        log.warning(
            "lake has no daily bars to continue from (%s); "
            "using a synthetic universe of %d tickers",
            exc,
            fallback_count,
        )
        return synthetic_universe(fallback_count)
    if universe.is_empty():
        log.warning(
            "lake universe is empty; using a synthetic universe of %d tickers", fallback_count
        )
        return synthetic_universe(fallback_count)
    log.info("universe: %d tickers from the lake's last loaded day", universe.height)
    return universe
