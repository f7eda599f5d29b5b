"""Market-data sources: real clients (Massive/Polygon, Finnhub, FMP) and the synthetic market.

`get_sources()` is the one wiring place: each dataset gets its real client when that
provider's API key is set, and the synthetic market otherwise.
"""

from __future__ import annotations

from lake.settings import Settings, get_settings
from pipelines.sources.base import (
    BarsSource,
    EarningsSource,
    GradesSource,
    Progress,
    Sources,
    SyntheticMarketConfig,
)

__all__ = [
    "BarsSource",
    "EarningsSource",
    "GradesSource",
    "Progress",
    "Sources",
    "SyntheticMarketConfig",
    "get_sources",
]


def get_sources(
    settings: Settings | None = None, *, synthetic: SyntheticMarketConfig | None = None
) -> Sources:
    """Return the sources to read from: a real client per dataset whose key is set, else the
    synthetic market (one shared instance, configured by `synthetic`, default
    `SyntheticMarketConfig()`)."""
    settings = get_settings() if settings is None else settings
    market = None
    if (
        settings.massive_api_key is None
        or settings.finnhub_api_key is None
        or settings.fmp_api_key is None
    ):
        from pipelines.sources.synthetic import SyntheticMarket

        market = SyntheticMarket(SyntheticMarketConfig() if synthetic is None else synthetic)

    if settings.massive_api_key is not None:
        from pipelines.sources.massive import MassiveClient

        bars: BarsSource = MassiveClient.from_settings(settings)
    else:
        bars = market
    if settings.finnhub_api_key is not None:
        from pipelines.sources.finnhub import FinnhubClient

        earnings: EarningsSource = FinnhubClient.from_settings(settings)
    else:
        earnings = market
    if settings.fmp_api_key is not None:
        from pipelines.sources.fmp import FmpClient

        grades: GradesSource = FmpClient.from_settings(settings)
    else:
        grades = market
    return Sources(bars=bars, earnings=earnings, grades=grades)
