"""Candlestick patterns (TA-Lib's CDL family) as boolean Polars expressions.

Each function takes the open, high, low and close columns of ONE series and returns a
boolean `pl.Expr` (apply `.over("ticker")` for many tickers). The rules follow TA-Lib's
CDL functions with its default candle settings: "short", "long", "doji" and "near" are
judged against the average of the same measure over the preceding candles (10 candles for
bodies and shadows, 5 for nearness), exactly as TA-Lib keeps its running totals. Rows
inside TA-Lib's lookback are False, where TA-Lib answers 0.

Notes: TA-Lib answers 80 instead of 100 for an engulfing whose open or close equals the
previous candle's; both count as engulfing here.
"""

from __future__ import annotations

import polars as pl

from lake.indicators.overlap import IntoExpr, as_expr

BODY_PERIOD = 10  # TA-Lib BodyLong / BodyShort / BodyDoji / ShadowVeryShort averaging
NEAR_PERIOD = 5  # TA-Lib Near averaging
STAR_PENETRATION = 0.3  # TA-Lib CDLMORNINGSTAR / CDLEVENINGSTAR default


class Candle:
    """The measures TA-Lib's candle rules use, built once from OHLC expressions."""

    def __init__(self, open_: IntoExpr, high: IntoExpr, low: IntoExpr, close: IntoExpr) -> None:
        self.open, self.high = as_expr(open_), as_expr(high)
        self.low, self.close = as_expr(low), as_expr(close)
        self.body = (self.close - self.open).abs()
        self.top = pl.max_horizontal(self.open, self.close)
        self.bottom = pl.min_horizontal(self.open, self.close)
        self.upper_shadow = self.high - self.top
        self.lower_shadow = self.bottom - self.low
        self.range = self.high - self.low
        self.white = self.close >= self.open

    @staticmethod
    def average_before(measure: pl.Expr, period: int, factor: float, lag: int = 0) -> pl.Expr:
        """factor × the mean of `measure` over the `period` candles before candle t-lag."""
        return factor * measure.shift(lag + 1).rolling_sum(period) / period


def _flag(condition: pl.Expr, lookback: int, reference: pl.Expr) -> pl.Expr:
    """False inside the lookback (where TA-Lib answers 0), the condition after it."""
    inside = reference.shift(lookback).is_null()
    return pl.when(inside).then(False).otherwise(condition.fill_null(False))


def doji(open_: IntoExpr, high: IntoExpr, low: IntoExpr, close: IntoExpr) -> pl.Expr:
    """Doji (TA-Lib CDLDOJI): real body ≤ 0.1 × the average high-low range of the 10
    previous candles."""
    c = Candle(open_, high, low, close)
    return _flag(c.body <= Candle.average_before(c.range, BODY_PERIOD, 0.1), 10, c.close)


def hammer(open_: IntoExpr, high: IntoExpr, low: IntoExpr, close: IntoExpr) -> pl.Expr:
    """Hammer (TA-Lib CDLHAMMER): small body, lower shadow longer than the body, almost no
    upper shadow, body at or near the previous candle's low."""
    c = Candle(open_, high, low, close)
    condition = (
        (c.body < Candle.average_before(c.body, BODY_PERIOD, 1.0))
        & (c.lower_shadow > c.body)
        & (c.upper_shadow < Candle.average_before(c.range, BODY_PERIOD, 0.1))
        & (c.bottom <= c.low.shift(1) + Candle.average_before(c.range, NEAR_PERIOD, 0.2, lag=1))
    )
    return _flag(condition, 11, c.close)


def shooting_star(open_: IntoExpr, high: IntoExpr, low: IntoExpr, close: IntoExpr) -> pl.Expr:
    """Shooting star (TA-Lib CDLSHOOTINGSTAR): small body gapping up from the previous
    body, upper shadow longer than the body, almost no lower shadow."""
    c = Candle(open_, high, low, close)
    condition = (
        (c.body < Candle.average_before(c.body, BODY_PERIOD, 1.0))
        & (c.upper_shadow > c.body)
        & (c.lower_shadow < Candle.average_before(c.range, BODY_PERIOD, 0.1))
        & (c.bottom > c.top.shift(1))
    )
    return _flag(condition, 11, c.close)


def _engulfing(c: Candle, bullish: bool) -> pl.Expr:
    o, cl = c.open, c.close
    o1, c1 = o.shift(1), cl.shift(1)
    if bullish:
        condition = (
            c.white & ~c.white.shift(1) & (((cl >= o1) & (o < c1)) | ((cl > o1) & (o <= c1)))
        )
    else:
        condition = (
            ~c.white & c.white.shift(1) & (((o >= c1) & (cl < o1)) | ((o > c1) & (cl <= o1)))
        )
    # TA-Lib reports nothing before row 2 (its lookback for CDLENGULFING is 2).
    return _flag(condition, 2, c.close)


def bullish_engulfing(open_: IntoExpr, high: IntoExpr, low: IntoExpr, close: IntoExpr) -> pl.Expr:
    """Bullish engulfing (TA-Lib CDLENGULFING = +100/+80): a white body engulfs the
    previous black body."""
    return _engulfing(Candle(open_, high, low, close), bullish=True)


def bearish_engulfing(open_: IntoExpr, high: IntoExpr, low: IntoExpr, close: IntoExpr) -> pl.Expr:
    """Bearish engulfing (TA-Lib CDLENGULFING = -100/-80): a black body engulfs the
    previous white body."""
    return _engulfing(Candle(open_, high, low, close), bullish=False)


def _star(c: Candle, morning: bool) -> pl.Expr:
    long_first = c.body.shift(2) > Candle.average_before(c.body, BODY_PERIOD, 1.0, lag=2)
    short_second = c.body.shift(1) <= Candle.average_before(c.body, BODY_PERIOD, 1.0, lag=1)
    not_short_third = c.body > Candle.average_before(c.body, BODY_PERIOD, 1.0)
    reach = c.body.shift(2) * STAR_PENETRATION
    if morning:
        shape = (
            ~c.white.shift(2)
            & (c.top.shift(1) < c.bottom.shift(2))
            & c.white
            & (c.close > c.close.shift(2) + reach)
        )
    else:
        shape = (
            c.white.shift(2)
            & (c.bottom.shift(1) > c.top.shift(2))
            & ~c.white
            & (c.close < c.close.shift(2) - reach)
        )
    return _flag(long_first & short_second & not_short_third & shape, 12, c.close)


def morning_star(open_: IntoExpr, high: IntoExpr, low: IntoExpr, close: IntoExpr) -> pl.Expr:
    """Morning star (TA-Lib CDLMORNINGSTAR, penetration 0.3): long black candle, short body
    gapping down, white candle closing well into the first body."""
    return _star(Candle(open_, high, low, close), morning=True)


def evening_star(open_: IntoExpr, high: IntoExpr, low: IntoExpr, close: IntoExpr) -> pl.Expr:
    """Evening star (TA-Lib CDLEVENINGSTAR, penetration 0.3): long white candle, short body
    gapping up, black candle closing well into the first body."""
    return _star(Candle(open_, high, low, close), morning=False)


PATTERNS = {
    "doji": doji,
    "hammer": hammer,
    "shooting_star": shooting_star,
    "bullish_engulfing": bullish_engulfing,
    "bearish_engulfing": bearish_engulfing,
    "morning_star": morning_star,
    "evening_star": evening_star,
}
