"""Reconciliation of our indicators with reference implementations: TA-Lib, and a
provider's own indicator values (Massive's `/v1/indicators/...`).

Pure logic: frames in, agreement frames out. A reference is given in long form
(`ticker`, `date`, `indicator`, `value`: one row per date the reference covers, value
null where it has none), so every indicator is compared over exactly the dates its
reference reports; our engine's frame is wide (one column per indicator output).

Agreement, per ticker and indicator, over our rows dated inside the reference's date
span for that ticker and indicator:

- `compared`: rows where ours or the reference has a value. A value on one side only
  (a warm-up mismatch) is compared and counts as a disagreement: comparing values alone
  would skip exactly the rows where an implementation's conventions differ.
- `agreed`: rows where both have a value and |ours - ref| <= tolerance x (|ref| + scale).
- `max_rel_diff`: the largest |ours - ref| / (|ref| + scale) over rows with both values.
- `agreement_pct`: 100 x agreed / compared (null when nothing was compared).

`scale` is 0 except for MACD's three lines, which are differences of two EMAs: near a
zero crossing their own magnitude says nothing about the rounding they carry, so the
ticker's price level (median |close|) is the scale, as in the TA-Lib conformance tests.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl
import talib
from talib import MA_Type

from lake.indicators.spec import Atr, Bbands, Ema, IndicatorSpec, Macd, Obv, Rsi, Sma, Stoch, Wma

TALIB_TOLERANCE = 1e-9
"""Relative tolerance against TA-Lib: the same input arrays, so floating-point precision."""

MASSIVE_TOLERANCE = 1e-4
"""Relative tolerance against Massive's indicator endpoints. Massive computes on its own
split-adjusted aggregates (its own rounding of prices and adjustment factors, and its own
start of history for EMA-type seeding), so exact agreement is not expected; 1e-4 of the
value (a hundredth of a cent on a $100 SMA) still catches a wrong formula, period, seed
or a misaligned date."""

TOLERANCES: dict[str, float] = {"talib": TALIB_TOLERANCE, "massive": MASSIVE_TOLERANCE}

REFERENCE_COLUMNS = ("ticker", "date", "indicator", "value")
AGREEMENT_SCHEMA = pl.Schema(
    {
        "ticker": pl.String,
        "indicator": pl.String,
        "compared": pl.Int64,
        "agreed": pl.Int64,
        "max_rel_diff": pl.Float64,
        "agreement_pct": pl.Float64,
    }
)


def talib_columns(specs: Sequence[IndicatorSpec]) -> list[str]:
    """The output columns of `specs` that TA-Lib computes too (Bollinger %B and bandwidth,
    derived from the bands, and event/pattern columns have no TA-Lib counterpart)."""
    columns: list[str] = []
    for spec in specs:
        if isinstance(spec, Bbands):
            columns.extend(spec.columns[:3])
        elif isinstance(spec, Sma | Ema | Wma | Macd | Rsi | Atr | Stoch | Obv):
            columns.extend(spec.columns)
    return columns


def _talib_outputs(spec: IndicatorSpec, a: dict[str, np.ndarray]) -> list[np.ndarray]:
    """TA-Lib's arrays for one spec, in the order of `spec.columns`."""
    if isinstance(spec, Sma):
        return [talib.SMA(a["close"], spec.period)]
    if isinstance(spec, Ema):
        return [talib.EMA(a["close"], spec.period)]
    if isinstance(spec, Wma):
        return [talib.WMA(a["close"], spec.period)]
    if isinstance(spec, Macd):
        return list(talib.MACD(a["close"], spec.fast, spec.slow, spec.signal))
    if isinstance(spec, Bbands):
        k = spec.deviations
        upper, middle, lower = talib.BBANDS(a["close"], spec.period, k, k, MA_Type.SMA)
        return [middle, upper, lower]
    if isinstance(spec, Rsi):
        return [talib.RSI(a["close"], spec.period)]
    if isinstance(spec, Atr):
        return [talib.ATR(a["high"], a["low"], a["close"], spec.period)]
    if isinstance(spec, Stoch):
        return list(
            talib.STOCH(
                a["high"],
                a["low"],
                a["close"],
                spec.fastk,
                spec.slowk,
                MA_Type.SMA,
                spec.slowd,
                MA_Type.SMA,
            )
        )
    if isinstance(spec, Obv):
        return [talib.OBV(a["close"], a["volume"])]
    return []


def talib_reference(bars: pl.DataFrame, specs: Sequence[IndicatorSpec]) -> pl.DataFrame:
    """Return TA-Lib's values of `specs` for each ticker of `bars`, in long form.

    `bars`: `ticker`, `date` and the OHLCV columns the specs read (dollars, shares),
    sorted by (ticker, date). TA-Lib runs ticker by ticker on the very arrays the engine
    reads. One row per bar and TA-Lib output column (`talib_columns(specs)`); TA-Lib's
    NaN warm-up rows are null values.
    """
    frames: list[pl.DataFrame] = []
    for (ticker,), rows in bars.partition_by("ticker", as_dict=True, maintain_order=True).items():
        arrays: dict[str, np.ndarray] = {
            name: rows[name].cast(pl.Float64).to_numpy()
            for name in ("open", "high", "low", "close", "volume")
            if name in rows.columns
        }
        wide: dict[str, np.ndarray] = {}
        for spec in specs:
            outputs = _talib_outputs(spec, arrays)
            wide.update(zip(spec.columns[: len(outputs)], outputs, strict=True))
        if not wide:
            continue
        frame = pl.DataFrame({"date": rows["date"], **wide}).with_columns(
            pl.lit(ticker).alias("ticker")
        )
        frames.append(long_indicators(frame, list(wide)))
    if not frames:
        return empty_reference()
    return pl.concat(frames)


def empty_reference() -> pl.DataFrame:
    """A long reference frame with no rows."""
    return pl.DataFrame(
        schema={"ticker": pl.String, "date": pl.Date, "indicator": pl.String, "value": pl.Float64}
    )


def long_indicators(frame: pl.DataFrame, indicators: Sequence[str]) -> pl.DataFrame:
    """Return the `indicators` columns of a wide frame (`ticker`, `date`, one column per
    indicator) as long rows `ticker`, `date`, `indicator`, `value` (NaN becomes null)."""
    if not indicators:
        return empty_reference()
    return (
        frame.unpivot(
            on=list(indicators),
            index=["ticker", "date"],
            variable_name="indicator",
            value_name="value",
        )
        .with_columns(pl.col("value").cast(pl.Float64).fill_nan(None))
        .select(REFERENCE_COLUMNS)
    )


def compare_indicators(
    ours: pl.DataFrame, reference: pl.DataFrame, *, tolerance: float
) -> pl.DataFrame:
    """Return the agreement of `ours` with `reference`, one row per ticker and indicator.

    `ours`: wide engine output with `ticker`, `date`, `close` (dollars; the price scale of
    MACD lines) and the indicator columns. `reference`: long rows (`REFERENCE_COLUMNS`).
    Each (ticker, indicator) of the reference is compared over our rows dated within the
    reference's first..last date for it; an indicator we did not compute counts every
    reference value as a disagreement. Columns: `AGREEMENT_SCHEMA` (see module docstring),
    sorted by ticker, indicator.
    """
    if reference.is_empty():
        return pl.DataFrame(schema=AGREEMENT_SCHEMA)
    indicators = reference["indicator"].unique().sort().to_list()
    present = [name for name in indicators if name in ours.columns]
    scales = ours.group_by("ticker").agg(
        pl.col("close").abs().median().alias("price_scale"),
        pl.col("date").min().alias("_start"),
        pl.col("date").max().alias("_end"),
    )
    # Reference dates outside our history (before our first bar, after our last) say
    # nothing about our engine: only the span both cover is compared.
    reference = (
        reference.join(scales, on="ticker", how="inner")
        .filter(pl.col("date").is_between(pl.col("_start"), pl.col("_end")))
        .select(REFERENCE_COLUMNS)
    )
    spans = reference.group_by("ticker", "indicator").agg(
        pl.col("date").min().alias("first"), pl.col("date").max().alias("last")
    )
    mine = (
        ours.select("ticker", "date", *present)
        .pipe(long_indicators, present)
        .rename({"value": "ours"})
    )
    rows = (
        spans.join(mine, on=["ticker", "indicator"], how="left")
        .filter(pl.col("date").is_between(pl.col("first"), pl.col("last")))
        .join(
            reference.rename({"value": "ref"}),
            on=["ticker", "date", "indicator"],
            how="full",
            coalesce=True,
        )
        .join(scales.select("ticker", "price_scale"), on="ticker", how="left")
    )
    on_price_scale = pl.col("indicator").str.starts_with("macd_") & ~pl.col(
        "indicator"
    ).str.starts_with("macd_event")
    scale = pl.when(on_price_scale).then(pl.col("price_scale").fill_null(0.0)).otherwise(0.0)
    denominator = pl.col("ref").abs() + scale
    difference = (pl.col("ours") - pl.col("ref")).abs()
    both = pl.col("ours").is_not_null() & pl.col("ref").is_not_null()
    relative = (
        pl.when(difference == 0)
        .then(0.0)
        .when(denominator == 0)
        .then(float("inf"))
        .otherwise(difference / denominator)
    )
    return (
        rows.with_columns(
            (pl.col("ours").is_not_null() | pl.col("ref").is_not_null()).alias("_any"),
            (both & (difference <= tolerance * denominator)).fill_null(False).alias("_agree"),
            pl.when(both).then(relative).alias("_rel"),
        )
        .group_by("ticker", "indicator")
        .agg(
            pl.col("_any").sum().cast(pl.Int64).alias("compared"),
            pl.col("_agree").sum().cast(pl.Int64).alias("agreed"),
            pl.col("_rel").max().alias("max_rel_diff"),
        )
        .with_columns(_percent("agreed", "compared").alias("agreement_pct"))
        .select(AGREEMENT_SCHEMA.names())
        .sort("ticker", "indicator")
    )


def agreement_by_indicator(rows: pl.DataFrame, *, by: Sequence[str] = ()) -> pl.DataFrame:
    """Sum per-ticker agreement rows (`INDICATOR_RECONCILIATION` rows, or
    `compare_indicators` output with a `reference` column) into one row per `by` columns,
    reference and indicator: those columns, then `tickers`, `compared`, `agreed`,
    `agreement_pct` (percent) and `max_rel_diff`, sorted by them."""
    keys = [*by, "reference", "indicator"]
    return (
        rows.group_by(keys)
        .agg(
            pl.col("ticker").n_unique().alias("tickers"),
            pl.col("compared").sum(),
            pl.col("agreed").sum(),
            pl.col("max_rel_diff").max(),
        )
        .with_columns(_percent("agreed", "compared").alias("agreement_pct"))
        .select(*keys, "tickers", "compared", "agreed", "agreement_pct", "max_rel_diff")
        .sort(keys)
    )


def _percent(part: str, whole: str) -> pl.Expr:
    return pl.when(pl.col(whole) > 0).then(100.0 * pl.col(part) / pl.col(whole))
