"""Which sources a step reads from when its caller names none: the normal wiring
(`pipelines.sources.get_sources`), extending the synthetic market a demo lake was built
from (`meta/synthetic_market`) rather than starting another."""

from __future__ import annotations

from lake import tables
from lake.schemas import SYNTHETIC_MARKET
from pipelines.sources import Sources, SyntheticMarketConfig, get_sources


def synthetic_config(*, lake_uri: str) -> SyntheticMarketConfig | None:
    """Return the synthetic market the demo lake at `lake_uri` was built from, or None."""
    if not tables.exists(SYNTHETIC_MARKET, lake_uri=lake_uri):
        return None
    row = tables.read(SYNTHETIC_MARKET, lake_uri=lake_uri).row(0, named=True)
    return SyntheticMarketConfig(
        seed=row["seed"], n_tickers=row["n_tickers"], start=row["start"], end=row["end"]
    )


def step_sources(sources: Sources | None, *, lake_uri: str) -> Sources:
    """Return `sources`, or when None the normal wiring for the lake at `lake_uri`."""
    if sources is not None:
        return sources
    return get_sources(synthetic=synthetic_config(lake_uri=lake_uri))
