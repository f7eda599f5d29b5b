"""Monthly segments: market-cap bucket and liquidity rank per ticker and month.

Market cap at a month's last close = split-adjusted close × shares outstanding as the
tickers table reports them today. Adjusted prices are on today's share basis, so the
product stays right across splits (a raw close × today's share count would be off by
the split ratio before each split); changes in share count other than splits (buybacks,
issuance) are not modelled. Liquidity = average daily dollar volume over the month
(close × volume, which splits leave unchanged); rank 1 = most liquid that month, and the
ranks split into terciles: high, medium, low.
"""

from __future__ import annotations

import polars as pl

from lake.schemas import LIQUIDITY_TIERS, SEGMENTS, cap_bucket


def segments(adjusted_bars: pl.DataFrame, tickers: pl.DataFrame) -> pl.DataFrame:
    """Return `SEGMENTS` rows (one per ticker and calendar month present in the bars).

    `adjusted_bars`: ticker, date, close (dollars, split-adjusted), volume (shares),
    source. A month's `source` is its last bar's, the one whose close sets the market cap.
    `tickers`: ticker, shares_outstanding (today's count; null gives a null market cap
    and bucket).
    """
    monthly = (
        adjusted_bars.lazy()
        .select("ticker", "date", "close", "volume", "source")
        .with_columns(pl.col("date").dt.truncate("1mo").alias("month"))
        # Sorted first so the float sums, hence the output, depend only on the row set
        # (a MERGE then sees a reloaded month as unchanged).
        .sort("ticker", "date")
        .group_by("ticker", "month")
        .agg(
            pl.col("close").last().alias("month_close"),
            pl.col("source").last(),
            (pl.col("close") * pl.col("volume")).mean().alias("avg_dollar_volume"),
        )
        .join(
            tickers.lazy().select("ticker", "shares_outstanding"),
            on="ticker",
            how="left",
        )
        .with_columns((pl.col("month_close") * pl.col("shares_outstanding")).alias("market_cap"))
    )
    rank = (
        pl.col("avg_dollar_volume")
        .rank(method="ordinal", descending=True)
        .over("month")
        .cast(pl.Int32)
    )
    count = pl.len().over("month")
    high, medium, low = LIQUIDITY_TIERS
    ranked = monthly.with_columns(rank.alias("liquidity_rank")).with_columns(
        cap_bucket(pl.col("market_cap")).alias("cap_bucket"),
        pl.when(pl.col("liquidity_rank") * 3 <= count)
        .then(pl.lit(high))
        .when(pl.col("liquidity_rank") * 3 <= count * 2)
        .then(pl.lit(medium))
        .otherwise(pl.lit(low))
        .alias("liquidity_tier"),
    )
    return SEGMENTS.conform(ranked.sort("month", "ticker").collect())
