"""Volume indicators (TA-Lib's family): on-balance volume.

Same conventions as `lake.indicators.overlap`.
"""

from __future__ import annotations

import polars as pl

from lake.indicators.overlap import IntoExpr, as_expr


def obv(close: IntoExpr, volume: IntoExpr) -> pl.Expr:
    """Return on-balance volume, in shares (TA-Lib OBV).

    Starts at the first row's volume; each later row adds its volume when the close rose,
    subtracts it when the close fell, and carries the total when the close is unchanged.
    """
    c, v = as_expr(close), as_expr(volume)
    previous = c.shift(1)
    step = (
        pl.when(previous.is_null())
        .then(v)
        .when(c > previous)
        .then(v)
        .when(c < previous)
        .then(-v)
        .otherwise(0.0)
    )
    return step.cast(pl.Float64).cum_sum()
