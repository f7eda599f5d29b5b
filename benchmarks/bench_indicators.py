"""Indicator engine speed, and candlestick agreement with TA-Lib.

(a) one ticker, 4 years, the default indicator set: read from the local lake and computed
    when the lake has bars, else computed on a synthetic ticker; median ms.
(b) the whole universe (2,500 tickers x 1,000 days) through the default set in one Polars
    pass, against TA-Lib (C) looped ticker by ticker over the same numpy arrays; both
    medians and the ratio Polars / TA-Lib, measured alternately in this run.
(c) candlestick flags against TA-Lib's CDL functions on a random-walk OHLC universe:
    agreement rate per pattern.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from datetime import date, timedelta

import numpy as np
import polars as pl
import talib

from lake.errors import TickerlakeError
from lake.indicators import apply_indicators, parse_spec
from lake.indicators.spec import DEFAULT_PERIODS, DEFAULT_SPEC

TICKERS, DAYS = 2_500, 1_000


def _median_ms(action: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def synthetic_universe(tickers: int, days: int, seed: int = 0) -> pl.DataFrame:
    """Random-walk daily OHLCV for `tickers` x `days`, sorted by (ticker, date)."""
    rng = np.random.default_rng(seed)
    level = rng.uniform(5, 500, (tickers, 1))
    close = level * np.exp(np.cumsum(rng.normal(0, 0.02, (tickers, days)), axis=1))
    open_ = np.concatenate([close[:, :1], close[:, :-1]], axis=1) * np.exp(
        rng.normal(0, 0.01, (tickers, days))
    )
    high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0, 0.01, (tickers, days))))
    low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0, 0.01, (tickers, days))))
    first = date(2021, 1, 4)
    dates = pl.Series([first + timedelta(days=i) for i in range(days)], dtype=pl.Date)
    return pl.DataFrame(
        {
            "ticker": np.repeat([f"T{i:04d}" for i in range(tickers)], days),
            "date": pl.concat([dates] * tickers),
            "open": open_.ravel(),
            "high": high.ravel(),
            "low": low.ravel(),
            "close": close.ravel(),
            "volume": rng.integers(1_000, 1_000_000, tickers * days).astype(float),
        }
    )


def _talib_default_set(close: np.ndarray, offsets: np.ndarray) -> None:
    for i in range(len(offsets) - 1):
        c = close[offsets[i] : offsets[i + 1]]
        for p in DEFAULT_PERIODS:
            talib.SMA(c, p)
            talib.EMA(c, p)
            talib.WMA(c, p)
        talib.MACD(c, 12, 26, 9)
        talib.BBANDS(c, 20, 2.0, 2.0, talib.MA_Type.SMA)
        talib.RSI(c, 14)


def one_ticker_lines(repeats: int = 15) -> list[str]:
    """(a): one ticker, 4 years, default set; from the lake when it has bars."""
    specs = parse_spec(DEFAULT_SPEC)
    try:
        from lake.indicator_query import indicators_for
        from lake.queries import adjusted_bars, known_tickers

        ticker = sorted(known_tickers())[0]
        last = adjusted_bars(ticker, None, None, columns=["close"])["date"].max()
        assert isinstance(last, date)  # the "date" column of a ticker the lake has bars for
        start = last - timedelta(days=4 * 365)

        def read_and_compute() -> object:
            return indicators_for(ticker, start, last, specs=specs)

        read_and_compute()  # warm: table handle, file listing
        ms = _median_ms(read_and_compute, repeats)
        return [
            f"one ticker ({ticker}), 4 years, default set, lake read + compute: {ms:.1f} ms median"
        ]
    except (ImportError, TickerlakeError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        frame = synthetic_universe(1, 4 * 252, seed=1)
        apply_indicators(frame, specs)
        ms = _median_ms(lambda: apply_indicators(frame, specs), repeats)
        return [
            f"one ticker, 4 years, default set, compute only (no lake: {reason}): "
            f"{ms:.1f} ms median"
        ]


def _wall_and_cpu_ms(action: Callable[[], object]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


def universe_lines(repeats: int = 5) -> list[str]:
    """(b): the universe in one Polars pass against TA-Lib looped per ticker.

    Both get the same float64 arrays (TA-Lib's loop includes slicing each ticker out);
    both medians of `repeats` runs measured alternately, after one warm-up each. Wall time
    depends on how many of the box's cores are free (Polars uses its thread pool, TA-Lib
    one core), so process CPU time (all threads summed) is printed too: it is the figure
    that load from other processes moves least.
    """
    frame = synthetic_universe(TICKERS, DAYS).select("ticker", "date", "close")
    close = frame["close"].to_numpy()
    offsets = np.arange(0, TICKERS * DAYS + 1, DAYS)
    specs = parse_spec(DEFAULT_SPEC)
    apply_indicators(frame, specs)  # warm-up: thread pool, allocator
    _talib_default_set(close, offsets)
    ours, reference = [], []
    for _ in range(repeats):  # alternate, so machine load hits both alike
        ours.append(_wall_and_cpu_ms(lambda: apply_indicators(frame, specs)))
        reference.append(_wall_and_cpu_ms(lambda: _talib_default_set(close, offsets)))
    wall, cpu = (statistics.median(t[0] for t in ours), statistics.median(t[1] for t in ours))
    ref_wall, ref_cpu = (
        statistics.median(t[0] for t in reference),
        statistics.median(t[1] for t in reference),
    )
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return [
        f"universe {TICKERS} x {DAYS} rows, default set (SMA/EMA/WMA x5, MACD, BBANDS, RSI); "
        f"{os.cpu_count()} cores, Polars pool {pl.thread_pool_size()} threads, load avg {load}:",
        f"  wall: Polars one pass {wall:.0f} ms median, TA-Lib loop {ref_wall:.0f} ms median, "
        f"ratio Polars/TA-Lib {wall / ref_wall:.2f}",
        f"  CPU:  Polars {cpu:.0f} ms median, TA-Lib {ref_cpu:.0f} ms median, "
        f"ratio {cpu / ref_cpu:.2f}",
    ]


TALIB_PATTERNS: dict[str, Callable[..., np.ndarray]] = {
    "doji": lambda o, h, lo, c: talib.CDLDOJI(o, h, lo, c) != 0,
    "hammer": lambda o, h, lo, c: talib.CDLHAMMER(o, h, lo, c) != 0,
    "shooting_star": lambda o, h, lo, c: talib.CDLSHOOTINGSTAR(o, h, lo, c) != 0,
    "bullish_engulfing": lambda o, h, lo, c: talib.CDLENGULFING(o, h, lo, c) > 0,
    "bearish_engulfing": lambda o, h, lo, c: talib.CDLENGULFING(o, h, lo, c) < 0,
    "morning_star": lambda o, h, lo, c: talib.CDLMORNINGSTAR(o, h, lo, c) != 0,
    "evening_star": lambda o, h, lo, c: talib.CDLEVENINGSTAR(o, h, lo, c) != 0,
}


def pattern_lines(tickers: int = 500) -> list[str]:
    """(c): candlestick flags against TA-Lib's CDL functions, ticker by ticker."""
    frame = synthetic_universe(tickers, DAYS, seed=7)
    ours = apply_indicators(frame, "patterns")
    lines = [f"candlestick agreement with TA-Lib CDL*, {tickers} tickers x {DAYS} days:"]
    for name, reference in TALIB_PATTERNS.items():
        agree = hits_ours = hits_talib = 0
        for (_,), rows in ours.group_by("ticker", maintain_order=True):
            arrays = [rows[c].to_numpy() for c in ("open", "high", "low", "close")]
            expected = reference(*arrays)
            mine = rows[name].to_numpy()
            agree += int((mine == expected).sum())
            hits_ours += int(mine.sum())
            hits_talib += int(expected.sum())
        rate = agree / ours.height
        lines.append(
            f"  {name:18s} agreement {rate:.4%}  (flags: ours {hits_ours}, TA-Lib {hits_talib})"
        )
    return lines


def run() -> list[str]:
    """Return the printed figures of (a), (b) and (c)."""
    return [*one_ticker_lines(), *universe_lines(), *pattern_lines()]


if __name__ == "__main__":
    for line in run():
        print(line)
