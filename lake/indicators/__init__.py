"""The Polars indicator engine: TA-Lib-exact indicators as expressions, and a one-pass
engine for whole frames.

Expressions (one series in, `pl.Expr` out; apply `.over("ticker")` for many tickers):
`sma`, `ema`, `wma`, `bbands`, `macd`, `rsi`, `stoch`, `atr`, `true_range`, `obv`,
`crossover_events`, `macd_events`, `golden_death_cross`, and the candlestick patterns
in `PATTERNS`. Frames: `parse_spec` and `apply_indicators`.
"""

from lake.indicators.engine import apply_indicators
from lake.indicators.momentum import (
    crossover_events,
    golden_death_cross,
    macd,
    macd_events,
    rsi,
    stoch,
)
from lake.indicators.overlap import bbands, ema, sma, wma
from lake.indicators.patterns import (
    PATTERNS,
    bearish_engulfing,
    bullish_engulfing,
    doji,
    evening_star,
    hammer,
    morning_star,
    shooting_star,
)
from lake.indicators.spec import (
    DEFAULT_SPEC,
    IndicatorSpec,
    output_columns,
    parse_spec,
)
from lake.indicators.volatility import atr, true_range
from lake.indicators.volume import obv

__all__ = [
    "DEFAULT_SPEC",
    "PATTERNS",
    "IndicatorSpec",
    "apply_indicators",
    "atr",
    "bbands",
    "bearish_engulfing",
    "bullish_engulfing",
    "crossover_events",
    "doji",
    "ema",
    "evening_star",
    "golden_death_cross",
    "hammer",
    "macd",
    "macd_events",
    "morning_star",
    "obv",
    "output_columns",
    "parse_spec",
    "rsi",
    "shooting_star",
    "sma",
    "stoch",
    "true_range",
    "wma",
]
