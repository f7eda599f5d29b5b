"""Market-data sources: real clients (Massive/Polygon, Finnhub, FMP) and the synthetic market.

`get_sources()` is the one wiring place. Each role (bars, earnings, grades) gets its
real client when that provider's API key is set. The synthetic market stands in only
when no key is set at all, or when asked for with `TICKERLAKE_SYNTHETIC=true`; with some
keys set, a role whose key is missing has no source (None) and its datasets are skipped
with a note, so no synthetic row reaches a lake of real data by accident.
"""

from __future__ import annotations

from lake.settings import Settings, get_settings
from pipelines.sources.base import (
    KEY_VARIABLES,
    BarsSource,
    EarningsSource,
    GradesSource,
    Progress,
    Sources,
    SyntheticMarketConfig,
)

__all__ = [
    "KEY_VARIABLES",
    "BarsSource",
    "EarningsSource",
    "GradesSource",
    "Progress",
    "Sources",
    "SyntheticMarketConfig",
    "get_sources",
    "synthetic_fills_gaps",
]


def synthetic_fills_gaps(settings: Settings) -> bool:
    """True when the synthetic market serves the roles without a key: `TICKERLAKE_SYNTHETIC`
    is true, or it is unset and no provider key is set at all (false: never)."""
    if settings.synthetic is not None:
        return settings.synthetic
    return (
        settings.massive_api_key is None
        and settings.finnhub_api_key is None
        and settings.fmp_api_key is None
    )


def get_sources(
    settings: Settings | None = None, *, synthetic: SyntheticMarketConfig | None = None
) -> Sources:
    """Return the sources to read from: a real client per role whose key is set; for a
    role without a key, the synthetic market (one shared instance, configured by
    `synthetic`, default `SyntheticMarketConfig()`) when `synthetic_fills_gaps`, else None."""
    settings = get_settings() if settings is None else settings
    market = None
    keys = (settings.massive_api_key, settings.finnhub_api_key, settings.fmp_api_key)
    if synthetic_fills_gaps(settings) and None in keys:
        from pipelines.sources.synthetic import SyntheticMarket

        market = SyntheticMarket(SyntheticMarketConfig() if synthetic is None else synthetic)

    bars: BarsSource | None = market
    if settings.massive_api_key is not None:
        from pipelines.sources.massive import MassiveClient

        bars = MassiveClient.from_settings(settings)
    earnings: EarningsSource | None = market
    if settings.finnhub_api_key is not None:
        from pipelines.sources.finnhub import FinnhubClient

        earnings = FinnhubClient.from_settings(settings)
    grades: GradesSource | None = market
    if settings.fmp_api_key is not None:
        from pipelines.sources.fmp import FmpClient

        grades = FmpClient.from_settings(settings)
    return Sources(bars=bars, earnings=earnings, grades=grades)
