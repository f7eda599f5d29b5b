"""The one-pass engine behind `apply_indicators`: every indicator of a spec list, for every
ticker of a frame, in a handful of Polars stages.

Why not just `expr.over("ticker")` for each indicator: Polars does not share common
sub-expressions inside window expressions, and a rolling window evaluated per group costs
more than one over the whole column. So windows run over the flat column, sorted by
(ticker, date), and a row whose window would reach into the previous ticker is masked by its
position within the ticker; only the recursions (EMA, Wilder, the WMA running sum) run per
ticker, on sorted group keys. Each intermediate is computed once, as a temporary column.
The results equal the per-series expressions in `lake.indicators.*`, which the tests hold
to TA-Lib.

Gaps: leading nulls (or NaN) of a ticker are skipped, as TA-Lib skips leading NaN; from an
interior null on, every output of that ticker is null (TA-Lib's running sums turn NaN for
most indicators there; the few it carries on through a NaN are not meaningful either).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from lake.errors import TickerlakeError
from lake.indicators import momentum, patterns, volatility, volume
from lake.indicators.spec import (
    Atr,
    Bbands,
    Cross,
    Ema,
    IndicatorSpec,
    Macd,
    MacdEvents,
    Obv,
    Patterns,
    Rsi,
    Sma,
    Stoch,
    Wma,
    required_inputs,
)

GROUP = "__group"
POSITION = "__position"
SCALE = "__scale"  # per ticker: the power of two nearest below its first |close|
SCALED = "__scaled"  # close / scale


class _Stages:
    """Ordered stages of named temporary or output columns; a name is computed once."""

    def __init__(self, count: int) -> None:
        self.stages: list[dict[str, pl.Expr]] = [{} for _ in range(count)]

    def add(self, stage: int, name: str, expr: pl.Expr) -> pl.Expr:
        if not any(name in s for s in self.stages):
            self.stages[stage][name] = expr
        return pl.col(name)


def _per_ticker(expr: pl.Expr) -> pl.Expr:
    return expr.over(GROUP)


def _plan(specs: Sequence[IndicatorSpec]) -> tuple[_Stages, list[str]]:
    """Build the stages that compute `specs` from a frame with GROUP and POSITION."""
    st = _Stages(8)
    pos = pl.col(POSITION)
    close = pl.col("close")

    scale, scaled = pl.col(SCALE), pl.col(SCALED)

    def flat_sum(n: int) -> pl.Expr:
        # Sums of the last n scaled closes over the whole column (fewer at its very start).
        # Scaled by a power of two per ticker, every ticker's prices are near 1, so no
        # ticker's rounding carries into the next one's windows.
        return st.add(0, f"__flat_sum_{n}", scaled.rolling_sum(n, min_samples=1))

    def window_sum(n: int) -> pl.Expr:
        # The ticker's own window; rows whose window reaches into the previous ticker are
        # masked. Multiplying back by a power of two is exact.
        return pl.when(pos >= n - 1).then(flat_sum(n) * scale)

    def seeded_recursion(stage: int, name: str, seeded: pl.Expr, alpha: float) -> pl.Expr:
        st.add(stage, f"{name}_in", seeded)
        return st.add(
            stage + 1,
            name,
            _per_ticker(pl.col(f"{name}_in").ewm_mean(alpha=alpha, adjust=False, min_samples=1)),
        )

    def ema_of_close(n: int) -> pl.Expr:
        seeded = pl.when(pos >= n).then(close).otherwise(window_sum(n) / n)
        return seeded_recursion(1, f"__ema_{n}", seeded, 2.0 / (n + 1))

    def macd_lines(spec: Macd | MacdEvents) -> tuple[pl.Expr, pl.Expr]:
        fast, slow = min(spec.fast, spec.slow), max(spec.fast, spec.slow)
        tag = f"{fast}_{slow}_{spec.signal}"
        slow_seeded = pl.when(pos >= slow).then(close).otherwise(window_sum(slow) / slow)
        fast_seeded = (
            pl.when(pos >= slow).then(close).when(pos == slow - 1).then(window_sum(fast) / fast)
        )
        slow_ema = seeded_recursion(1, f"__macd_slow_{slow}", slow_seeded, 2.0 / (slow + 1))
        fast_ema = seeded_recursion(1, f"__macd_fast_{fast}_{slow}", fast_seeded, 2.0 / (fast + 1))
        line = st.add(3, f"__macd_line_{fast}_{slow}", fast_ema - slow_ema)
        first = slow + spec.signal - 2
        signal_seeded = (
            pl.when(pos > first).then(line).otherwise(line.rolling_sum(spec.signal) / spec.signal)
        )
        signal = seeded_recursion(4, f"__macd_signal_{tag}", signal_seeded, 2.0 / (spec.signal + 1))
        shown = st.add(6, f"__macd_shown_{tag}", pl.when(signal.is_not_null()).then(line))
        return shown, signal

    outputs: list[str] = []
    for spec in specs:
        outputs.extend(spec.columns)
        if isinstance(spec, Sma):
            st.add(1, spec.columns[0], window_sum(spec.period) / spec.period)
        elif isinstance(spec, Ema):
            st.add(3, spec.columns[0], ema_of_close(spec.period))
        elif isinstance(spec, Wma):
            n = spec.period
            # TA-Lib's O(n) update of the weighted sum, N_t = N_(t-1) + n x_t - S_(t-1), run
            # over the whole column: its running total is the weighted sum of the last n
            # rows wherever they lie, so no reset per ticker is needed, and rows whose
            # window reaches into the previous ticker are masked.
            step = n * scaled - flat_sum(n).shift(1).fill_null(0.0)
            st.add(1, f"__wma_step_{n}", step)
            running = st.add(2, f"__wma_run_{n}", pl.col(f"__wma_step_{n}").cum_sum())
            weights = n * (n + 1) / 2
            st.add(3, spec.columns[0], pl.when(pos >= n - 1).then(running * scale / weights))
        elif isinstance(spec, Bbands):
            n, k = spec.period, spec.deviations
            # Prices span 15 orders of magnitude across a universe, enough for a flat
            # rolling variance to carry rounding from one ticker into the next; scaled by a
            # power of two per ticker (exact), they are all near 1.
            variance = st.add(
                0,
                f"__var_{n}",
                pl.when(pos >= n - 1).then(scaled.rolling_var(n, ddof=0)) * (scale * scale),
            )
            middle = window_sum(n) / n
            std = pl.when(variance > 0).then(variance.sqrt())
            band = st.add(1, f"__bb_band_{n}_{k}", std.otherwise(0.0) * k)
            mid_c, up_c, lo_c, pctb_c, width_c = spec.columns
            st.add(1, mid_c, middle)
            st.add(2, up_c, pl.col(mid_c) + band)
            st.add(2, lo_c, pl.col(mid_c) - band)
            spread = pl.col(up_c) - pl.col(lo_c)
            st.add(3, pctb_c, pl.when(spread != 0).then((close - pl.col(lo_c)) / spread))
            st.add(3, width_c, pl.when(pl.col(mid_c) != 0).then(spread / pl.col(mid_c)))
        elif isinstance(spec, Macd):
            shown, signal = macd_lines(spec)
            macd_c, signal_c, hist_c = spec.columns
            st.add(7, macd_c, shown)
            st.add(7, signal_c, signal)
            st.add(7, hist_c, shown - signal)
        elif isinstance(spec, MacdEvents):
            shown, signal = macd_lines(spec)
            st.add(7, spec.columns[0], _per_ticker(momentum.crossover_events(shown, signal)))
        elif isinstance(spec, Rsi):
            n = spec.period
            change = pl.when(pos >= 1).then(close - close.shift(1))
            averages = []
            for side, moved in (("gain", change), ("loss", -change)):
                part = st.add(0, f"__rsi_{side}", moved.clip(lower_bound=0.0))
                seeded = pl.when(pos > n).then(part).otherwise(part.rolling_sum(n) / n)
                averages.append(seeded_recursion(1, f"__rsi_{side}_{n}", seeded, 1.0 / n))
            gain, loss = averages
            total = gain + loss
            st.add(
                3,
                spec.columns[0],
                pl.when(total != 0)
                .then(100.0 * (gain / total))
                .otherwise(pl.when(total.is_not_null()).then(0.0)),
            )
        elif isinstance(spec, Atr):
            st.add(
                7, spec.columns[0], _per_ticker(volatility.atr("high", "low", "close", spec.period))
            )
        elif isinstance(spec, Stoch):
            lines = momentum.stoch("high", "low", "close", spec.fastk, spec.slowk, spec.slowd)
            k_c, d_c = spec.columns
            name = f"__stoch_{spec.fastk}_{spec.slowk}_{spec.slowd}"
            st.add(6, name, _per_ticker(lines))
            st.add(7, k_c, pl.col(name).struct.field("k"))
            st.add(7, d_c, pl.col(name).struct.field("d"))
        elif isinstance(spec, Obv):
            st.add(7, "obv", _per_ticker(volume.obv("close", "volume")))
        elif isinstance(spec, Cross):
            short, long = window_sum(spec.short) / spec.short, window_sum(spec.long) / spec.long
            st.add(7, spec.columns[0], _per_ticker(momentum.crossover_events(short, long)))
        elif isinstance(spec, Patterns):
            for name, pattern in patterns.PATTERNS.items():
                st.add(7, name, _per_ticker(pattern("open", "high", "low", "close")))
        else:  # pragma: no cover - every spec type is handled above
            raise TypeError(f"no engine rule for {spec!r}")
    return st, outputs


def compute(
    frame: pl.DataFrame, specs: Sequence[IndicatorSpec], *, by: str | None = "ticker"
) -> pl.DataFrame:
    """Return `frame` with the output columns of `specs` appended (see module docstring)."""
    inputs = required_inputs(specs)
    missing = [c for c in inputs if c not in frame.columns]
    if missing:
        raise TickerlakeError(
            f"the bars lack column(s) {', '.join(missing)} needed by the requested indicators; "
            "provide date, open, high, low, close, volume"
        )
    if not specs:
        return frame
    grouped = by is not None and by in frame.columns
    group = pl.col(by).rle_id() if grouped else pl.lit(0, dtype=pl.UInt32)
    base = frame.with_columns(
        group.cast(pl.UInt32).set_sorted().alias(GROUP),
        *[pl.col(c).cast(pl.Float64).fill_nan(None) for c in inputs],
    )
    if any(base[c].null_count() for c in inputs):
        results = _compute_with_gaps(base, specs, inputs)
    else:
        results = _compute_dense(base, specs)
    return frame.with_columns(results.get_columns())


def _compute_dense(base: pl.DataFrame, specs: Sequence[IndicatorSpec]) -> pl.DataFrame:
    """Return only the output columns, row-aligned with `base` (which has no gaps)."""
    stages, outputs = _plan(specs)
    # Per-ticker facts from the run lengths of the (contiguous) group ids: each row's
    # position within its ticker, and its ticker's scale; gathered from 1 row per ticker.
    lengths = base[GROUP].rle().struct.field("len").cast(pl.Int64)
    starts = (lengths.cum_sum() - lengths).cast(pl.Int32)
    columns = [
        (pl.int_range(pl.len(), dtype=pl.Int32) - pl.lit(starts).gather(pl.col(GROUP))).alias(
            POSITION
        )
    ]
    if "close" in base.columns:
        first = base["close"].gather(starts).abs()
        power = pl.Series(np.exp2(np.floor(np.log2(np.where(first > 0, first, 1.0)))))
        scale = pl.lit(power).gather(pl.col(GROUP))
        columns += [scale.alias(SCALE), (pl.col("close") / scale).alias(SCALED)]
    # Stage by stage, eagerly: each stage's columns run in parallel and are materialized
    # once; a lazy plan would let the optimizer inline them back into later stages.
    frame = base.with_columns(columns)
    for stage in stages.stages:
        if stage:
            frame = frame.with_columns(expr.alias(name) for name, expr in stage.items())
    return frame.select(outputs)


def _compute_with_gaps(
    base: pl.DataFrame, specs: Sequence[IndicatorSpec], inputs: list[str]
) -> pl.DataFrame:
    """Compute on each ticker's usable run (after leading gaps, before the first interior
    gap) and leave every other row's outputs null."""
    row = "__row"
    valid = pl.all_horizontal(pl.col(c).is_not_null() for c in inputs)
    started = valid.cast(pl.Int8).cum_max().over(GROUP) == 1
    broken = ((~valid) & started).cast(pl.Int8).cum_max().over(GROUP) == 1
    marked = base.with_row_index(row).with_columns((valid & ~broken).alias("__usable"))
    usable = marked.filter(pl.col("__usable")).with_columns(
        # Tickers with no usable row leave holes in the ids; number the runs afresh.
        pl.col(GROUP).rle_id().cast(pl.UInt32).set_sorted()
    )
    computed = _compute_dense(usable, specs).with_columns(usable[row])
    joined = marked.select(row).join(computed, on=row, how="left", maintain_order="left")
    return joined.drop(row)
