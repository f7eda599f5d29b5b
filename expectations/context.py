"""What cross-row checks need to know beyond the batch itself: which tickers should
trade, the splits, and the closes just before the batch (the trading calendar is
`lake.calendar`).

A `ValidationContext` is a plain value: the lake-backed constructor lives in
`expectations.lake_context`, tests build one by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import polars as pl


@dataclass(frozen=True)
class ValidationContext:
    """Facts about the world around a batch that its cross-row checks use.

    - `start`, `end`: the range the batch was asked for (None: the batch's own min/max
      date). A trading day in the range with no bar for an expected ticker is a gap.
    - `previous_closes`: `ticker, close` (dollars) on the trading day before `start`;
      these tickers were trading and are expected on every trading day of the range.
    - `inactive_tickers`: tickers known to be delisted; never expected after their
      last bar.
    - `splits`: `ticker, execution_date, split_from, split_to` known for the range
      (a big move on a split day is expected).
    - `bars`: `ticker, date, open, close` raw bars around the splits being audited
      (for the splits suite's "matching move" check).
    - `max_untraded_share`: None when the source sends a bar for every ticker every
      session (the synthetic market): a missing (ticker, day) is a gap and fails. A
      share (0-1) when the source sends no bar for a day a ticker did not trade
      (Massive's grouped daily): a missing (ticker, day) is then a warning, and the
      batch fails only when a session lacks more than that share of the expected
      tickers (a truncated download).
    """

    start: date | None = None
    end: date | None = None
    previous_closes: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(schema={"ticker": pl.String, "close": pl.Float64})
    )
    inactive_tickers: frozenset[str] = frozenset()
    splits: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(
            schema={
                "ticker": pl.String,
                "execution_date": pl.Date,
                "split_from": pl.Float64,
                "split_to": pl.Float64,
            }
        )
    )
    bars: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(
            schema={"ticker": pl.String, "date": pl.Date, "open": pl.Float64, "close": pl.Float64}
        )
    )
    max_untraded_share: float | None = None
