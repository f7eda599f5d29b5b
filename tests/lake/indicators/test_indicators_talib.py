"""Conformance of the Polars indicators with TA-Lib, the reference implementation.

Every output is compared with TA-Lib on seeded random and edge-case series: the values
within 1e-9 relative from TA-Lib's first output row on, AND the null mask identical to
TA-Lib's NaN mask (a mismatch in the warm-up rows fails, it is not skipped).

Tolerance: |ours - talib| <= 1e-9 * (|talib| + scale). `scale` is 0 for everything
except MACD's three lines, which are differences of two EMAs: near a zero crossing their
own magnitude says nothing about the rounding they carry, so the price level is the scale.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import polars as pl
import pytest
import talib

from lake.indicators import (
    PATTERNS,
    apply_indicators,
    atr,
    bbands,
    crossover_events,
    ema,
    golden_death_cross,
    macd,
    obv,
    rsi,
    sma,
    stoch,
    wma,
)
from lake.indicators.spec import parse_spec

pytestmark = pytest.mark.unit

RTOL = 1e-9


def _ohlcv(close: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = len(close)
    spread = np.abs(close) * rng.uniform(0.0, 0.02, n)
    high = close + spread * rng.uniform(0, 1, n)
    low = close - spread * rng.uniform(0, 1, n)
    open_ = low + (high - low) * rng.uniform(0, 1, n)
    volume = rng.integers(100, 1_000_000, n).astype(float)
    return {"open": open_, "high": high, "low": low, "close": close, "volume": volume}


def _walk(n: int, level: float, seed: int, vol: float = 0.02) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return level * np.exp(np.cumsum(rng.normal(0.0, vol, n)))


def _jumps(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    steps = rng.normal(0.0, 0.01, n) + np.where(
        rng.uniform(size=n) < 0.03, rng.normal(0, 0.3, n), 0
    )
    return 40.0 * np.exp(np.cumsum(steps))


def _ticks(n: int, seed: int) -> np.ndarray:
    """Whole-cent prices that often repeat: flat windows, zero changes, ties."""
    rng = np.random.default_rng(seed)
    return np.round(20.0 + np.cumsum(rng.choice([-0.01, 0.0, 0.0, 0.01], n)), 2)


SERIES: dict[str, dict[str, np.ndarray]] = {
    "walk_100": _ohlcv(_walk(600, 100.0, 1), 1),
    "walk_huge_1e9_long": _ohlcv(_walk(10_000, 1e9, 2, vol=0.01), 2),
    "walk_tiny_1e-6": _ohlcv(_walk(600, 1e-6, 3), 3),
    "walk_penny_0.05": _ohlcv(_walk(400, 0.05, 4, vol=0.05), 4),
    "gaps_and_jumps": _ohlcv(_jumps(800, 5), 5),
    "whole_cent_ticks": _ohlcv(_ticks(500, 6), 6),
    "constant_0.3": _ohlcv(np.full(120, 0.3), 7),
    "constant_1.1": _ohlcv(np.full(120, 1.1), 8),
    "constant_100": {
        k: np.full(120, v)
        for k, v in {
            "open": 100.0,
            "high": 100.0,
            "low": 100.0,
            "close": 100.0,
            "volume": 5.0,
        }.items()
    },
    "short_3_rows": _ohlcv(_walk(3, 50.0, 9), 9),
    "short_30_rows": _ohlcv(_walk(30, 50.0, 10), 10),
    "single_row": _ohlcv(_walk(1, 50.0, 11), 11),
}

Ours = Callable[[], pl.Expr]
Reference = Callable[[dict[str, np.ndarray]], np.ndarray]

# name -> (our expression, TA-Lib reference, field of a struct output or None, scale is price)
CASES: dict[str, tuple[pl.Expr, Reference, bool]] = {}


def _case(name: str, expr: pl.Expr, ref: Reference, price_scaled: bool = False) -> None:
    CASES[name] = (expr, ref, price_scaled)


for p in (1, 2, 5, 10, 20, 50, 200):
    _case(f"sma_{p}", sma("close", p), lambda a, p=p: talib.SMA(a["close"], p))
    _case(f"ema_{p}", ema("close", p), lambda a, p=p: talib.EMA(a["close"], p))
    _case(f"wma_{p}", wma("close", p), lambda a, p=p: talib.WMA(a["close"], p))
for fast, slow, signal in ((12, 26, 9), (5, 35, 5), (26, 12, 9), (3, 6, 1), (8, 8, 3)):
    lines = macd("close", fast, slow, signal)
    for i, field in enumerate(("macd", "signal", "hist")):
        _case(
            f"macd_{field}_{fast}_{slow}_{signal}",
            lines.struct.field(field),
            lambda a, f=fast, s=slow, g=signal, i=i: talib.MACD(a["close"], f, s, g)[i],
            price_scaled=True,
        )
for p, k in ((20, 2.0), (5, 1.5), (2, 3.0)):
    bands = bbands("close", p, k)
    for i, field in enumerate(("upper", "middle", "lower")):
        _case(
            f"bbands_{field}_{p}_{k}",
            bands.struct.field(field),
            lambda a, p=p, k=k, i=i: talib.BBANDS(a["close"], p, k, k, 0)[i],
        )
for p in (2, 7, 14, 30):
    _case(f"rsi_{p}", rsi("close", p), lambda a, p=p: talib.RSI(a["close"], p))
for p in (1, 2, 14, 30):
    _case(
        f"atr_{p}",
        atr("high", "low", "close", p),
        lambda a, p=p: talib.ATR(a["high"], a["low"], a["close"], p),
    )
for k, sk, sd in ((14, 3, 3), (5, 3, 2), (9, 1, 1)):
    lines = stoch("high", "low", "close", k, sk, sd)
    for i, field in enumerate(("k", "d")):
        _case(
            f"stoch_{field}_{k}_{sk}_{sd}",
            lines.struct.field(field),
            lambda a, k=k, sk=sk, sd=sd, i=i: talib.STOCH(
                a["high"], a["low"], a["close"], k, sk, 0, sd, 0
            )[i],
        )
_case("obv", obv("close", "volume"), lambda a: talib.OBV(a["close"], a["volume"]))


def assert_matches_talib(ours: np.ndarray, reference: np.ndarray, scale: float, label: str) -> None:
    """Identical NaN masks, then values within RTOL relative (plus RTOL * scale)."""
    ours_nan, ref_nan = np.isnan(ours), np.isnan(reference)
    mismatch = np.flatnonzero(ours_nan != ref_nan)
    assert mismatch.size == 0, (
        f"{label}: null mask differs from TA-Lib at rows {mismatch[:10].tolist()} "
        f"(ours null: {ours_nan[mismatch[:10]].tolist()})"
    )
    valid = ~ref_nan
    error = np.abs(ours[valid] - reference[valid])
    allowed = RTOL * (np.abs(reference[valid]) + scale)
    worst = int(np.argmax(error - allowed)) if valid.any() else 0
    assert np.all(error <= allowed), (
        f"{label}: row {np.flatnonzero(valid)[worst]} ours {ours[valid][worst]!r} "
        f"talib {reference[valid][worst]!r}"
    )


def _to_numpy(series: pl.Series) -> np.ndarray:
    return series.cast(pl.Float64).fill_null(np.nan).to_numpy()


@pytest.mark.parametrize("series_name", SERIES)
@pytest.mark.parametrize("case_name", CASES)
def test_expression_matches_talib(case_name: str, series_name: str) -> None:
    arrays = SERIES[series_name]
    expr, reference, price_scaled = CASES[case_name]
    frame = pl.DataFrame(arrays)

    ours = _to_numpy(frame.select(expr.alias("out"))["out"])
    expected = reference(arrays)

    scale = float(np.median(np.abs(arrays["close"]))) if price_scaled else 0.0
    assert_matches_talib(ours, expected, scale, f"{case_name} on {series_name}")


def _talib_outputs(a: dict[str, np.ndarray]) -> dict[str, tuple[np.ndarray, bool]]:
    c, h, lo, v = a["close"], a["high"], a["low"], a["volume"]
    out: dict[str, tuple[np.ndarray, bool]] = {}
    for p in (10, 20, 50, 100, 200):
        out[f"sma_{p}"] = (talib.SMA(c, p), False)
        out[f"ema_{p}"] = (talib.EMA(c, p), False)
        out[f"wma_{p}"] = (talib.WMA(c, p), False)
    m = talib.MACD(c, 12, 26, 9)
    out |= {
        "macd_12_26_9": (m[0], True),
        "macd_signal_12_26_9": (m[1], True),
        "macd_hist_12_26_9": (m[2], True),
    }
    u, mid, low = talib.BBANDS(c, 20, 2.0, 2.0, 0)
    out |= {"bb_upper_20_2": (u, False), "bb_mid_20_2": (mid, False), "bb_lower_20_2": (low, False)}
    out["rsi_14"] = (talib.RSI(c, 14), False)
    out["atr_14"] = (talib.ATR(h, lo, c, 14), False)
    k, d = talib.STOCH(h, lo, c, 14, 3, 0, 3, 0)
    out |= {"stoch_k_14_3_3": (k, False), "stoch_d_14_3_3": (d, False)}
    out["obv"] = (talib.OBV(c, v), False)
    return out


ENGINE_SPEC = (
    "sma:10,sma:20,sma:50,sma:100,sma:200,ema:10,ema:20,ema:50,ema:100,ema:200,"
    "wma:10,wma:20,wma:50,wma:100,wma:200,macd:12:26:9,bbands:20:2,rsi:14,atr:14,stoch:14:3:3,obv"
)


def _universe(order: list[str]) -> pl.DataFrame:
    return pl.concat(pl.DataFrame({"ticker": name, **SERIES[name]}) for name in order)


@pytest.mark.parametrize("seed", [0, 1])
def test_engine_on_a_mixed_universe_matches_talib_per_ticker(seed: int) -> None:
    # Tickers of 1e9 and 1e-6 dollars next to each other, in a shuffled order: the flat
    # windows must not carry anything from one ticker into the next.
    order = list(SERIES)
    np.random.default_rng(seed).shuffle(order)
    frame = _universe(order)

    result = apply_indicators(frame, ENGINE_SPEC)

    for name in order:
        rows = result.filter(pl.col("ticker") == name)
        arrays = SERIES[name]
        scale = float(np.median(np.abs(arrays["close"])))
        for column, (expected, price_scaled) in _talib_outputs(arrays).items():
            assert_matches_talib(
                _to_numpy(rows[column]),
                expected,
                scale if price_scaled else 0.0,
                f"{column} of {name} in a universe",
            )


def test_expressions_over_ticker_equal_one_ticker_at_a_time() -> None:
    names = ["walk_100", "walk_tiny_1e-6", "short_30_rows", "gaps_and_jumps"]
    frame = _universe(names)
    exprs = {name: expr for name, (expr, _, _) in CASES.items()}

    together = frame.select(
        pl.col("ticker"), *[e.over("ticker").alias(n) for n, e in exprs.items()]
    )

    for name in names:
        alone = pl.DataFrame(SERIES[name]).select(*[e.alias(n) for n, e in exprs.items()])
        mine = together.filter(pl.col("ticker") == name).drop("ticker")
        assert mine.equals(alone), name


def test_leading_gaps_are_skipped_like_talib() -> None:
    arrays = {k: v.copy() for k, v in SERIES["walk_100"].items()}
    for column in ("open", "high", "low", "close", "volume"):
        arrays[column][:7] = np.nan
    empty = pl.DataFrame({"ticker": "E", **{k: np.full(5, np.nan) for k in arrays}})
    frame = pl.concat([empty, pl.DataFrame({"ticker": "X", **arrays})])

    result = apply_indicators(frame, ENGINE_SPEC)

    assert result.filter(pl.col("ticker") == "E").select(
        list(_talib_outputs(arrays))
    ).null_count().sum_horizontal().item() == 5 * len(_talib_outputs(arrays))
    rows = result.filter(pl.col("ticker") == "X")
    for column, (expected, price_scaled) in _talib_outputs(arrays).items():
        assert_matches_talib(
            _to_numpy(rows[column]),
            expected,
            100.0 if price_scaled else 0.0,
            f"{column} after leading NaN",
        )


def test_an_interior_gap_ends_the_ticker_outputs() -> None:
    # TA-Lib turns most outputs NaN from an interior NaN on (its running sums are NaN);
    # the engine nulls every output from the gap on, and matches TA-Lib before it.
    arrays = {k: v.copy() for k, v in SERIES["walk_100"].items()}
    gap = 300
    arrays["close"][gap] = np.nan
    other = pl.DataFrame({"ticker": "B", **SERIES["walk_penny_0.05"]})
    frame = pl.concat([pl.DataFrame({"ticker": "A", **arrays}), other])

    result = apply_indicators(frame, ENGINE_SPEC)

    rows = result.filter(pl.col("ticker") == "A")
    before = {k: v[:gap] for k, v in arrays.items()}
    for column, (expected, price_scaled) in _talib_outputs(before).items():
        values = _to_numpy(rows[column])
        assert_matches_talib(values[:gap], expected, 100.0 if price_scaled else 0.0, column)
        assert np.isnan(values[gap:]).all(), f"{column} has values after the gap"
    unaffected = result.filter(pl.col("ticker") == "B")
    for column, (expected, price_scaled) in _talib_outputs(SERIES["walk_penny_0.05"]).items():
        assert_matches_talib(
            _to_numpy(unaffected[column]),
            expected,
            0.05 if price_scaled else 0.0,
            f"{column} of the other ticker",
        )


def test_nan_inputs_count_as_gaps() -> None:
    arrays = SERIES["walk_100"]
    with_nan = pl.DataFrame(arrays).with_columns(
        pl.when(pl.int_range(pl.len()) < 5)
        .then(float("nan"))
        .otherwise(pl.col("close"))
        .alias("close")
    )
    with_null = with_nan.with_columns(pl.col("close").fill_nan(None))

    assert apply_indicators(with_nan, "ema:10,rsi:14").equals(
        apply_indicators(with_null, "ema:10,rsi:14").with_columns(with_nan["close"])
    )


def test_engine_equals_the_expressions() -> None:
    frame = _universe(["walk_100", "whole_cent_ticks", "short_3_rows"])
    specs = parse_spec("ema:20,wma:10,macd:12:26:9,rsi:14,bbands:20:2")

    result = apply_indicators(frame, specs)

    m = macd("close").over("ticker")
    b = bbands("close", 20, 2.0).over("ticker")
    expected = frame.select(
        ema("close", 20).over("ticker").alias("ema_20"),
        wma("close", 10).over("ticker").alias("wma_10"),
        m.struct.field("macd").alias("macd_12_26_9"),
        rsi("close", 14).over("ticker").alias("rsi_14"),
        b.struct.field("pctb").alias("bb_pctb_20_2"),
        b.struct.field("width").alias("bb_width_20_2"),
    )
    for column in expected.columns:
        assert_matches_talib(_to_numpy(result[column]), _to_numpy(expected[column]), 1.0, column)


def test_bollinger_percent_b_and_bandwidth() -> None:
    frame = pl.DataFrame({"close": [1.0, 2.0, 3.0, 4.0, 3.0]})

    out = frame.select(bbands("close", 3, 2.0).alias("b")).unnest("b")

    # Window [2, 3, 4]: mean 3, population std sqrt(2/3); close 4.
    std = np.sqrt(2.0 / 3.0)
    assert out["pctb"][3] == pytest.approx((4.0 - (3.0 - 2 * std)) / (4 * std))
    assert out["width"][3] == pytest.approx(4 * std / 3.0)
    assert out["pctb"][:2].is_null().all()


def _ohlc_universe(n: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, n)))
    open_ = np.r_[close[0], close[:-1]] * np.exp(rng.normal(0, 0.01, n))
    high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0, 0.01, n)))
    low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0, 0.01, n)))
    # Some dojis and equal opens/closes, where the rules have their edges.
    flat = rng.uniform(size=n) < 0.05
    close = np.where(flat, open_, close)
    return {
        "open": open_,
        "high": np.maximum(high, close),
        "low": np.minimum(low, close),
        "close": close,
    }


TALIB_PATTERNS = {
    "doji": lambda a: talib.CDLDOJI(a["open"], a["high"], a["low"], a["close"]) != 0,
    "hammer": lambda a: talib.CDLHAMMER(a["open"], a["high"], a["low"], a["close"]) != 0,
    "shooting_star": lambda a: (
        talib.CDLSHOOTINGSTAR(a["open"], a["high"], a["low"], a["close"]) != 0
    ),
    "bullish_engulfing": lambda a: (
        talib.CDLENGULFING(a["open"], a["high"], a["low"], a["close"]) > 0
    ),
    "bearish_engulfing": lambda a: (
        talib.CDLENGULFING(a["open"], a["high"], a["low"], a["close"]) < 0
    ),
    "morning_star": lambda a: talib.CDLMORNINGSTAR(a["open"], a["high"], a["low"], a["close"]) != 0,
    "evening_star": lambda a: talib.CDLEVENINGSTAR(a["open"], a["high"], a["low"], a["close"]) != 0,
}


@pytest.mark.parametrize("pattern", PATTERNS)
def test_candlestick_pattern_matches_talib(pattern: str) -> None:
    arrays = _ohlc_universe(6000, seed=42)
    frame = pl.DataFrame(arrays)

    ours = frame.select(PATTERNS[pattern]("open", "high", "low", "close"))[:, 0].to_numpy()
    expected = TALIB_PATTERNS[pattern](arrays)

    assert expected.sum() > 5, "the sample must contain the pattern"
    assert np.array_equal(ours, expected), np.flatnonzero(ours != expected)[:10]


def test_crossover_events_mark_the_crossing_rows_only() -> None:
    frame = pl.DataFrame(
        {
            "fast": [None, 1.0, 2.0, 3.0, 3.0, 2.0, 1.0, 1.0, 2.0],
            "slow": [None, 2.0, 2.0, 2.0, 3.0, 3.0, 2.0, 1.0, 1.5],
        }
    )

    events = frame.select(crossover_events("fast", "slow"))[:, 0].to_list()

    # row 3 crosses above; row 4 touches (no event); row 5 crosses below (side was +1);
    # row 7 touches; row 8 back above (previous non-tie side -1): +1.
    assert events == [None, None, 0, 1, 0, -1, 0, 0, 1]


def test_golden_and_death_cross_events() -> None:
    closes = np.r_[np.linspace(100, 50, 60), np.linspace(50, 150, 80), np.linspace(150, 40, 80)]
    frame = pl.DataFrame({"close": closes})

    events = frame.select(golden_death_cross("close", 5, 20))[:, 0]

    assert events.to_list().count(1) == 1
    assert events.to_list().count(-1) == 1
    assert events.arg_max() < events.arg_min()
