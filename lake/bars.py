"""Daily bars resampled to weeks and months, for one ticker or many.

Pure functions of frames with columns `ticker` (optional), `date`, `open`, `high`, `low`,
`close`, `volume` and optionally `vwap` (prices in dollars, volume in shares).
"""

from __future__ import annotations

from typing import Literal

import polars as pl

from lake.errors import TickerlakeError

Interval = Literal["day", "week", "month"]
INTERVALS: tuple[Interval, ...] = ("day", "week", "month")
_PERIOD = {"week": "1w", "month": "1mo"}


def resample_bars(frame: pl.DataFrame, interval: Interval) -> pl.DataFrame:
    """Return `frame`'s daily bars aggregated to `interval`, sorted by (ticker, date).

    Per ticker and calendar week (Monday to Sunday) or month: open of the first bar, high
    max, low min, close of the last bar, volume summed, VWAP weighted by volume (over bars
    that have one). Each period is labelled with its last actual bar date, so a week
    ends on its last trading day. `interval="day"` returns the frame sorted, unchanged.
    Columns other than these are dropped for week and month.
    """
    if interval not in INTERVALS:
        raise TickerlakeError(f"unknown interval {interval!r}; use one of {', '.join(INTERVALS)}")
    keys = ["ticker"] if "ticker" in frame.columns else []
    ordered = frame.sort([*keys, "date"])
    if interval == "day":
        return ordered
    aggregations = [
        pl.col("date").last(),
        pl.col("open").first(),
        pl.col("high").max(),
        pl.col("low").min(),
        pl.col("close").last(),
        pl.col("volume").sum(),
    ]
    if "vwap" in frame.columns:
        weighted = pl.col("vwap").is_not_null() & pl.col("volume").is_not_null()
        weight = pl.col("volume").filter(weighted).sum()
        aggregations.append(
            pl.when(weight > 0)
            .then((pl.col("vwap") * pl.col("volume")).filter(weighted).sum() / weight)
            .alias("vwap")
        )
    period = pl.col("date").dt.truncate(_PERIOD[interval]).alias("__period")
    return (
        ordered.group_by([*keys, period], maintain_order=True)
        .agg(aggregations)
        .drop("__period")
        .sort([*keys, "date"])
    )
