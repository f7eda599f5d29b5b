"""Split adjustment: raw daily bars + splits → `ADJUSTED_BARS` on today's share basis.

A bar on date d is divided by the product of `split_to / split_from` over the ticker's
splits executed AFTER d (a 2-for-1 split on execution date E halves every price
before E and doubles every volume before E; bars on or after E are untouched).
"""

from __future__ import annotations

import polars as pl

from lake.schemas import ADJUSTED_BARS


def split_factors(splits: pl.DataFrame) -> pl.DataFrame:
    """Return one row per (ticker, execution_date) with `factor_from_here`: the product of
    `split_to / split_from` over that split and every later split of the ticker.

    Several splits of a ticker on one date multiply together.
    """
    per_day = (
        splits.lazy()
        .filter(pl.col("split_from") > 0, pl.col("split_to") > 0)
        .group_by("ticker", "execution_date")
        .agg((pl.col("split_to") / pl.col("split_from")).product().alias("ratio"))
        .sort("ticker", "execution_date", descending=[False, True])
        .with_columns(pl.col("ratio").cum_prod().over("ticker").alias("factor_from_here"))
        .select("ticker", "execution_date", "factor_from_here")
        .sort("ticker", "execution_date")
    )
    return per_day.collect()


def adjusted_bars(bars: pl.DataFrame, splits: pl.DataFrame) -> pl.DataFrame:
    """Return `ADJUSTED_BARS` rows for silver `bars` (unadjusted, any tickers and dates).

    Prices (open, high, low, close, vwap, dollars) are divided and volume (shares)
    multiplied by `split_factor`, the cumulative ratio of the splits executed after the
    bar's date (1.0 when none). Each row keeps its bar's `source` (lineage follows the
    prices; the splits only scale them). Rows come back sorted by (ticker, date).
    """
    factors = split_factors(splits).with_columns(pl.col("execution_date").alias("date"))
    split_tickers = pl.col("ticker").is_in(factors["ticker"].unique().implode())
    # Only a few percent of tickers ever split: the as-of join runs on those alone.
    with_splits = (
        bars.lazy()
        .filter(split_tickers)
        .sort("date")
        .join_asof(
            factors.lazy().sort("date"),
            on="date",
            by="ticker",
            strategy="forward",
            allow_exact_matches=False,  # a split executed ON the bar's date is already in it
            check_sortedness=False,  # sorted by date just above; `by` makes polars unsure
        )
        .with_columns(pl.col("factor_from_here").fill_null(1.0).alias("split_factor"))
        .drop("factor_from_here", "execution_date")
    )
    without_splits = (
        bars.lazy().filter(~split_tickers).with_columns(pl.lit(1.0).alias("split_factor"))
    )
    factor = pl.col("split_factor")
    adjusted = (
        pl.concat([without_splits, with_splits], how="diagonal_relaxed")
        .with_columns(
            *[
                (pl.col(name) / factor).alias(name)
                for name in ("open", "high", "low", "close", "vwap")
            ],
            (pl.col("volume") * factor).alias("volume"),
        )
        .sort("ticker", "date")
    )
    return ADJUSTED_BARS.conform(adjusted.collect())
