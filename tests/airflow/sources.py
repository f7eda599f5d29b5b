"""Sources the DAG tests run on (named through TICKERLAKE_SOURCES): a small synthetic
market, and the same market whose bars source corrupts one price."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from pipelines.sources import BarsSource, Progress, Sources, SyntheticMarketConfig

CONFIG = SyntheticMarketConfig(
    seed=11, n_tickers=30, start=date(2025, 9, 2), end=date(2025, 12, 31)
)


def _market():  # -> SyntheticMarket
    from pipelines.sources.synthetic import SyntheticMarket

    return SyntheticMarket(CONFIG)


def small_market() -> Sources:
    """Return the 30-ticker synthetic market for every dataset."""
    market = _market()
    return Sources(bars=market, earnings=market, grades=market)


def bars_only_market() -> Sources:
    """Return the small market for the bars datasets only: earnings and grades have no
    source, as when only MASSIVE_API_KEY is set (they are skipped, never faked)."""
    return Sources(bars=_market(), earnings=None, grades=None)


@dataclass
class NegativePriceBars:
    """A bars source that serves the synthetic market's bars with one close negated,
    as a broken provider response would; everything else passes through."""

    inner: BarsSource
    name: str = "synthetic"  # its rows are the synthetic market's, one price broken

    def grouped_daily(
        self, start: date, end: date, *, progress: Progress | None = None
    ) -> pl.DataFrame:
        wire = self.inner.grouped_daily(start, end, progress=progress)
        return wire.with_columns(
            pl.when(pl.int_range(pl.len()) == 0)
            .then(-pl.col("c"))
            .otherwise(pl.col("c"))
            .alias("c")
        )

    def ticker_details(self, as_of: date) -> pl.DataFrame:
        return self.inner.ticker_details(as_of)

    def splits(self, start: date, end: date) -> pl.DataFrame:
        return self.inner.splits(start, end)

    def news(self, start: date, end: date) -> pl.DataFrame:
        return self.inner.news(start, end)


def corrupted_market() -> Sources:
    """Return the small market whose daily bars carry one negative close."""
    market = _market()
    return Sources(bars=NegativePriceBars(market), earnings=market, grades=market)
