"""The synthetic market: a deterministic, seeded stand-in for every source (see `market`)."""

from __future__ import annotations

from pipelines.sources.synthetic.market import SyntheticMarket

__all__ = ["SyntheticMarket"]
