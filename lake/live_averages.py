"""Moving averages over live per-second bars, with the historical engine's definitions.

Pure: a frame of bars in (`time_ms` UTC epoch ms, `close` dollars), the same frame with
one column per average out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import polars as pl

from lake.indicators.overlap import ema, sma, wma

MOVING_AVERAGES: dict[str, Callable[[pl.Expr, int], pl.Expr]] = {
    "sma": sma,
    "ema": ema,
    "wma": wma,
}


def with_moving_averages(frame: pl.DataFrame, *, kind: str, periods: Sequence[int]) -> pl.DataFrame:
    """Add `<kind>_<period>` columns over `close`, in points (rows), with the historical
    engine's definitions (`lake.indicators.overlap`: TA-Lib's SMA/EMA/WMA)."""
    function = MOVING_AVERAGES[kind]
    return frame.sort("time_ms").with_columns(
        function(pl.col("close"), period).alias(f"{kind}_{period}") for period in periods
    )
