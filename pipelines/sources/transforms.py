"""Pure wire → contract transforms: a provider's frame in, a `lake.schemas` contract frame out.

Each function is a declarative map from wire names to ours plus parsing of dates and
time zones; none does IO. Every output has exactly its contract's schema, so
`CONTRACT.schema == frame.schema` holds whatever the source. Each takes the `source`
that served the frame (one of `lake.schemas.SOURCES`, as bronze records it in `_source`)
and stamps it on every row: the lineage column.
"""

from __future__ import annotations

import polars as pl

from lake.schemas import (
    DAILY_BARS,
    EARNINGS,
    GRADES,
    NEWS,
    SOURCE_COLUMN,
    SPLITS,
    TICKERS,
    sic_sector,
)

EXCHANGE_TZ = "America/New_York"

# FMP spells actions in several ways ("Upgrade", "init", "initialise", "hold" ...).
_ACTION_ALIASES = {
    "init": "initiate",
    "initiated": "initiate",
    "initialise": "initiate",
    "initialize": "initiate",
    "initiation": "initiate",
    "upgraded": "upgrade",
    "up": "upgrade",
    "downgraded": "downgrade",
    "down": "downgrade",
    "maintained": "maintain",
    "reiterate": "maintain",
    "reiterated": "maintain",
    "hold": "maintain",
}


def _lineage(source: str) -> pl.Expr:
    return pl.lit(source, dtype=pl.String).alias(SOURCE_COLUMN)


def _iso_date(column: str) -> pl.Expr:
    # Providers send YYYY-MM-DD; some add a time part, which we drop.
    return pl.col(column).str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)


def daily_bars_frame(wire: pl.DataFrame, *, source: str) -> pl.DataFrame:
    """Return `DAILY_BARS` rows from grouped-daily wire rows (`T,o,h,l,c,v,vw,n,t`).

    `date` is the New York date of `t` (UTC ms); prices in dollars, volume in shares.
    """
    exchange_date = (
        pl.from_epoch(pl.col("t"), time_unit="ms")
        .dt.replace_time_zone("UTC")
        .dt.convert_time_zone(EXCHANGE_TZ)
        .dt.date()
    )
    frame = wire.select(
        pl.col("T").alias("ticker"),
        exchange_date.alias("date"),
        pl.col("o").alias("open"),
        pl.col("h").alias("high"),
        pl.col("l").alias("low"),
        pl.col("c").alias("close"),
        pl.col("v").alias("volume"),
        pl.col("vw").alias("vwap"),
        pl.col("n").alias("transactions"),
        _lineage(source),
    ).with_columns(pl.col("date").dt.year().alias("year"))
    return DAILY_BARS.conform(frame)


def tickers_frame(wire: pl.DataFrame, *, source: str) -> pl.DataFrame:
    """Return `TICKERS` rows from ticker-details wire rows; `sector` is the SIC division."""
    frame = wire.select(
        "ticker",
        "name",
        "cik",
        "composite_figi",
        "primary_exchange",
        "type",
        "sic_code",
        "sic_description",
        sic_sector(pl.col("sic_code")).alias("sector"),
        "market_cap",
        pl.coalesce("share_class_shares_outstanding", "weighted_shares_outstanding").alias(
            "shares_outstanding"
        ),
        _iso_date("list_date").alias("list_date"),
        pl.col("active").fill_null(True),
        _lineage(source),
    )
    return TICKERS.conform(frame)


def splits_frame(wire: pl.DataFrame, *, source: str) -> pl.DataFrame:
    """Return `SPLITS` rows: `split_from` old shares become `split_to` new shares on
    `execution_date`."""
    frame = wire.select(
        "ticker",
        _iso_date("execution_date").alias("execution_date"),
        "split_from",
        "split_to",
        _lineage(source),
    )
    return SPLITS.conform(frame)


def earnings_frame(wire: pl.DataFrame, *, source: str) -> pl.DataFrame:
    """Return `EARNINGS` rows from Finnhub calendar rows.

    `surprise_pct` = (actual − estimate) / |estimate| × 100; null when either EPS is null
    or the estimate is zero (nulls are kept, never dropped). An empty `hour` becomes null.
    """
    actual, estimate = pl.col("epsActual"), pl.col("epsEstimate")
    surprise = (
        pl.when(estimate.is_null() | actual.is_null() | (estimate == 0))
        .then(pl.lit(None, dtype=pl.Float64))
        .otherwise((actual - estimate) / estimate.abs() * 100.0)
    )
    hour = pl.col("hour").str.to_lowercase().str.strip_chars()
    frame = wire.select(
        pl.col("symbol").alias("ticker"),
        _iso_date("date").alias("report_date"),
        pl.col("quarter").alias("fiscal_quarter"),
        pl.col("year").alias("fiscal_year"),
        pl.when(hour == "").then(None).otherwise(hour).alias("hour"),
        estimate.alias("eps_estimate"),
        actual.alias("eps_actual"),
        surprise.alias("surprise_pct"),
        pl.col("revenueEstimate").alias("revenue_estimate"),
        pl.col("revenueActual").alias("revenue_actual"),
        _lineage(source),
    )
    return EARNINGS.conform(frame)


def grades_frame(wire: pl.DataFrame, *, source: str) -> pl.DataFrame:
    """Return `GRADES` rows from FMP grade rows; `action` lower-cased and normalised to
    upgrade, downgrade, maintain or initiate; an empty previous grade becomes null."""
    action = pl.col("action").str.to_lowercase().str.strip_chars()
    frame = wire.select(
        pl.col("symbol").alias("ticker"),
        _iso_date("date").alias("date"),
        pl.col("gradingCompany").alias("firm"),
        # An initiation has no previous grade; FMP sends "" for it.
        pl.when(pl.col("previousGrade").str.strip_chars() == "")
        .then(None)
        .otherwise(pl.col("previousGrade"))
        .alias("previous_grade"),
        pl.col("newGrade").alias("new_grade"),
        action.replace(_ACTION_ALIASES).alias("action"),
        _lineage(source),
    )
    return GRADES.conform(frame)


def news_frame(wire: pl.DataFrame, *, source: str) -> pl.DataFrame:
    """Return `NEWS` rows, one per (article, ticker).

    The contract's key is `id`, and one article may name several tickers, so `id` is the
    provider's article id joined to the ticker as `<article id>:<ticker>`.
    `published_utc` is parsed from ISO 8601 to a UTC datetime (ms).
    """
    published = pl.col("published_utc").str.to_datetime(
        time_zone="UTC", time_unit="ms", strict=False
    )
    frame = wire.select(
        pl.concat_str(pl.col("id"), pl.lit(":"), pl.col("tickers")).alias("id"),
        pl.col("tickers").alias("ticker"),
        published.alias("published_utc"),
        "title",
        pl.col("publisher.name").alias("publisher"),
        "article_url",
        _lineage(source),
    )
    return NEWS.conform(frame)
