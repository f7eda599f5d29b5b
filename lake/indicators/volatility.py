"""Volatility indicators (TA-Lib's family): true range and average true range.

Same conventions as `lake.indicators.overlap`.
"""

from __future__ import annotations

import polars as pl

from lake.indicators.momentum import wilder
from lake.indicators.overlap import IntoExpr, as_expr, check_period


def true_range(high: IntoExpr, low: IntoExpr, close: IntoExpr) -> pl.Expr:
    """Return the true range, in price units (TA-Lib TRANGE): the largest of high - low,
    |high - previous close| and |low - previous close|. Null on the first row."""
    h, lo = as_expr(high), as_expr(low)
    previous = as_expr(close).shift(1)
    return pl.when(previous.is_not_null()).then(
        pl.max_horizontal(h - lo, (h - previous).abs(), (lo - previous).abs())
    )


def atr(high: IntoExpr, low: IntoExpr, close: IntoExpr, period: int = 14) -> pl.Expr:
    """Return the average true range, in price units (TA-Lib ATR).

    Wilder's smoothing of the true range, seeded with the simple average of the true range
    over rows 1..period; the first value is at row `period`.
    """
    check_period("ATR period", period)
    return wilder(true_range(high, low, close), period)
