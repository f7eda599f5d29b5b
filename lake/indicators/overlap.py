"""Overlap studies (TA-Lib's family): SMA, EMA, WMA and Bollinger Bands as Polars expressions.

Every function takes column names or expressions for ONE price series and returns a
`pl.Expr` (a `pl.struct` where there are several outputs). On a frame holding many
tickers, apply `.over("ticker")` to the result; the frame must be sorted by date
within each ticker. Inputs are expected without nulls: `lake.indicators.engine.apply_indicators`
handles leading and interior gaps the way TA-Lib does before it calls these.

Rows before TA-Lib's first output are null, so a null mask here equals TA-Lib's NaN mask.
"""

from __future__ import annotations

import polars as pl

# TA-Lib's scale-aware zero band (ta_utility.h, TA_IS_ZERO_SCALED): a difference of
# comparable magnitudes within 1e-14 of their size counts as zero.
TA_EPSILON = 1e-14

IntoExpr = str | pl.Expr


def as_expr(column: IntoExpr) -> pl.Expr:
    """Return `column` as an expression (a string names a column)."""
    return pl.col(column) if isinstance(column, str) else column


def check_period(name: str, period: int, minimum: int = 1) -> None:
    """Raise ValueError unless `period` is an int ≥ `minimum` (TA-Lib's own bounds)."""
    if isinstance(period, bool) or not isinstance(period, int) or period < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {period!r}")


def sma(close: IntoExpr, period: int) -> pl.Expr:
    """Return the simple moving average of `close` over `period` rows (TA-Lib SMA).

    Null for the first `period - 1` rows. The window sum is divided by `period`, the
    order of operations TA-Lib uses.
    """
    check_period("SMA period", period)
    return as_expr(close).rolling_sum(period) / period


def seeded_ema(values: pl.Expr, alpha: float, seed: pl.Expr, start: pl.Expr) -> pl.Expr:
    """Return the recursion y = y_prev + alpha * (x - y_prev), started at a given seed.

    `start` is null before the seed row and non-null from it on; the seed row is the
    first row where `start` is non-null and there `y` equals `seed`. Rows before it are
    null. This is how TA-Lib starts every EMA (with an SMA) and Wilder's smoothing.
    """
    started = start.shift(1).is_not_null()
    seeded = pl.when(started).then(values).when(start.is_not_null()).then(seed)
    return seeded.ewm_mean(alpha=alpha, adjust=False, min_samples=1)


def ema(close: IntoExpr, period: int) -> pl.Expr:
    """Return the exponential moving average of `close` (TA-Lib EMA, k = 2 / (period + 1)).

    Seeded with the SMA of the first `period` values, as TA-Lib does; the first value is at
    row `period - 1`.
    """
    check_period("EMA period", period)
    return seeded_by_sma(as_expr(close), period).ewm_mean(
        alpha=2.0 / (period + 1), adjust=False, min_samples=1
    )


def seeded_by_sma(values: pl.Expr, period: int) -> pl.Expr:
    """Return `values` with the SMA of its first `period` values in place of the last of
    them and null before: the input of a recursion TA-Lib starts with an SMA.

    `values` may start with nulls (a differenced series does); one window op only.
    """
    return pl.when(values.shift(period).is_not_null()).then(values).otherwise(sma(values, period))


def wma(close: IntoExpr, period: int) -> pl.Expr:
    """Return the linearly weighted moving average of `close` (TA-Lib WMA).

    Weights are 1..period, the newest row weighing most. Computed in O(n) like TA-Lib: the
    weighted sum moves by `period * x_t - (plain sum of the previous window)` each row, and
    the first window's weighted sum is accumulated directly.
    """
    check_period("WMA period", period)
    x = as_expr(close)
    position = pl.int_range(pl.len(), dtype=pl.Int64)
    window_sum = x.rolling_sum(period)
    step = (
        pl.when(position < period)
        .then((position + 1).cast(pl.Float64) * x)
        .otherwise(period * x - window_sum.shift(1))
    )
    weighted = step.cum_sum()
    return pl.when(position >= period - 1).then(weighted / (period * (period + 1) / 2))


def bbands(close: IntoExpr, period: int = 20, deviations: float = 2.0) -> pl.Expr:
    """Return Bollinger Bands of `close` as a struct (TA-Lib BBANDS with an SMA middle).

    Fields: `middle` (SMA), `upper`/`lower` (middle ± deviations × population standard
    deviation), `pctb` ((close - lower) / (upper - lower), null when the bands touch) and
    `width` ((upper - lower) / middle, null when the middle is 0).

    Notes: the variance is the windowed population variance computed without the
    E[x²] - mean² cancellation (TA-Lib's current releases are accurate there too, so a
    window of nearly equal prices gets its true, tiny width); a negative rounding residue
    counts as 0.
    """
    check_period("BBANDS period", period, minimum=2)
    x = as_expr(close)
    middle = sma(x, period)
    variance = x.rolling_var(period, ddof=0)
    std = pl.when(variance > 0).then(variance.sqrt()).otherwise(0.0)
    band = std * deviations
    upper = middle + band
    lower = middle - band
    spread = upper - lower
    return pl.struct(
        middle.alias("middle"),
        upper.alias("upper"),
        lower.alias("lower"),
        pl.when(spread != 0).then((x - lower) / spread).alias("pctb"),
        pl.when(middle != 0).then(spread / middle).alias("width"),
    )
