"""Momentum indicators (TA-Lib's family): MACD, RSI, Stochastic, and crossover events.

Same conventions as `lake.indicators.overlap`: one series in, `pl.Expr` out, apply
`.over("ticker")` for many tickers, null exactly where TA-Lib has NaN.
"""

from __future__ import annotations

import polars as pl

from lake.indicators.overlap import (
    TA_EPSILON,
    IntoExpr,
    as_expr,
    check_period,
    seeded_by_sma,
    seeded_ema,
    sma,
)


def macd(close: IntoExpr, fast: int = 12, slow: int = 26, signal: int = 9) -> pl.Expr:
    """Return MACD of `close` as a struct with fields `macd`, `signal`, `hist` (TA-Lib MACD).

    TA-Lib's seeding: both EMAs start at row slow-1 (the slow one with the SMA of rows
    0..slow-1, the fast one with the SMA of rows slow-fast..slow-1), the signal EMA starts
    with the SMA of the first `signal` MACD values, and all three outputs start at row
    slow + signal - 2 (33 for 12/26/9). Like TA-Lib, fast and slow are swapped when
    fast > slow.
    """
    check_period("MACD fast period", fast, minimum=2)
    check_period("MACD slow period", slow, minimum=2)
    check_period("MACD signal period", signal)
    fast, slow = min(fast, slow), max(fast, slow)
    x = as_expr(close)
    slow_seed = sma(x, slow)
    slow_ema = seeded_ema(x, 2.0 / (slow + 1), slow_seed, slow_seed)
    fast_ema = seeded_ema(x, 2.0 / (fast + 1), sma(x, fast), slow_seed)
    line = fast_ema - slow_ema
    signal_seed = sma(line, signal)
    signal_line = seeded_ema(line, 2.0 / (signal + 1), signal_seed, signal_seed)
    return pl.struct(
        pl.when(signal_line.is_not_null()).then(line).alias("macd"),
        signal_line.alias("signal"),
        (line - signal_line).alias("hist"),
    )


def wilder(values: pl.Expr, period: int) -> pl.Expr:
    """Return Wilder's smoothing of `values` (y = (y_prev * (n-1) + x) / n), seeded with
    the SMA of the first `period` non-null values — how TA-Lib's RSI and ATR smooth."""
    return seeded_by_sma(values, period).ewm_mean(alpha=1.0 / period, adjust=False, min_samples=1)


def rsi(close: IntoExpr, period: int = 14) -> pl.Expr:
    """Return the relative strength index of `close`, 0..100 (TA-Lib RSI).

    Gains and losses of row-to-row changes are smoothed with Wilder's method, seeded with
    their simple average over rows 1..period; the first value is at row `period`. When
    both averages are zero (a flat series) the RSI is 0, as in TA-Lib.
    """
    check_period("RSI period", period, minimum=2)
    change = as_expr(close).diff()
    gain = wilder(change.clip(lower_bound=0.0), period)
    loss = wilder((-change).clip(lower_bound=0.0), period)
    total = gain + loss
    return (
        pl.when(total != 0)
        .then(100.0 * (gain / total))
        .otherwise(pl.when(total.is_not_null()).then(0.0))
    )


def stoch(
    high: IntoExpr,
    low: IntoExpr,
    close: IntoExpr,
    fastk_period: int = 14,
    slowk_period: int = 3,
    slowd_period: int = 3,
) -> pl.Expr:
    """Return the slow stochastic as a struct with fields `k` and `d`, 0..100 (TA-Lib STOCH
    with SMA smoothing, its default).

    Fast %K = 100 × (close - lowest low) / (highest high - lowest low) over `fastk_period`
    rows, 0 when that range is zero within TA-Lib's scale-aware band; %K is its SMA over
    `slowk_period`, %D the SMA of %K over `slowd_period`. Both start at row
    fastk + slowk + slowd - 3 (17 for 14/3/3).
    """
    check_period("STOCH fast %K period", fastk_period)
    check_period("STOCH slow %K period", slowk_period)
    check_period("STOCH slow %D period", slowd_period)
    highest = as_expr(high).rolling_max(fastk_period)
    lowest = as_expr(low).rolling_min(fastk_period)
    spread = highest - lowest
    flat = spread.abs() <= TA_EPSILON * (highest.abs() + lowest.abs())
    fast_k = pl.when(flat).then(0.0).otherwise((as_expr(close) - lowest) / (spread / 100.0))
    slow_k = sma(fast_k, slowk_period)
    slow_d = sma(slow_k, slowd_period)
    return pl.struct(
        pl.when(slow_d.is_not_null()).then(slow_k).alias("k"),
        slow_d.alias("d"),
    )


def crossover_events(fast_line: IntoExpr, slow_line: IntoExpr) -> pl.Expr:
    """Return +1 where `fast_line` crosses above `slow_line`, -1 where it crosses below,
    0 otherwise, null while either line (today or yesterday) has no value.

    A cross is a change of the sign of (fast - slow) from the previous row; touching
    (equal lines) keeps the previous side, so a touch-and-return is not an event.
    """
    difference = as_expr(fast_line) - as_expr(slow_line)
    strict_side = pl.when(difference > 0).then(1).when(difference < 0).then(-1)
    # A tie takes the side of the previous non-tie row: forward-fill within the series.
    side = pl.when(difference.is_not_null()).then(strict_side.forward_fill())
    previous = side.shift(1)
    event = (
        pl.when((previous == -1) & (side == 1))
        .then(1)
        .when((previous == 1) & (side == -1))
        .then(-1)
        .otherwise(0)
    )
    return pl.when(difference.is_not_null() & difference.shift(1).is_not_null()).then(
        event.cast(pl.Int8)
    )


def macd_events(close: IntoExpr, fast: int = 12, slow: int = 26, signal: int = 9) -> pl.Expr:
    """Return MACD buy (+1) / sell (-1) events: the MACD line crossing its signal line."""
    lines = macd(close, fast, slow, signal)
    return crossover_events(lines.struct.field("macd"), lines.struct.field("signal"))


def golden_death_cross(close: IntoExpr, short: int = 50, long: int = 200) -> pl.Expr:
    """Return golden-cross (+1) / death-cross (-1) events: SMA(short) crossing SMA(long)."""
    return crossover_events(sma(close, short), sma(close, long))
