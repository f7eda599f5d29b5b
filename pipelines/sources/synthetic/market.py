"""Placeholder: the synthetic market is being built (engineer B)."""

from __future__ import annotations

from pipelines.sources.base import SyntheticMarketConfig


class SyntheticMarket:
    name = "synthetic"

    def __init__(self, config: SyntheticMarketConfig) -> None:
        self.config = config
