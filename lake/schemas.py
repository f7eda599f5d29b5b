"""Table contracts: the columns, dtypes and keys every source and every layer agrees on.

Every source (Massive/Polygon, Finnhub, FMP, the synthetic market) turns its raw
records into frames with exactly these schemas, so the rest of the pipeline runs
one code path. Prices are in dollars, volumes in shares, dates are exchange-local
trading dates, timestamps are UTC.

Every silver and gold row says where it came from in `source` (see `SOURCES`): silver
rows take their bronze batch's source, gold rows the source of the silver rows they
derive from (each contract's comment says which).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from polars._typing import PolarsDataType
    from polars.expr.whenthen import ChainedThen, Then

# Lineage: every silver and gold row says where it came from in a `source` column.
SOURCE_COLUMN = "source"
SOURCES: tuple[str, ...] = ("massive", "finnhub", "fmp", "synthetic", "live")
"""The values `source` takes: `massive` (Massive/Polygon REST: bars, tickers, splits,
news), `finnhub` (earnings), `fmp` (analyst grades), `synthetic` (the seeded demo
market, never real), `live` (bars archived from the realtime feed)."""


@dataclass(frozen=True)
class TableContract:
    """A table's name, layer, key columns and Polars schema."""

    name: str
    layer: str
    key: tuple[str, ...]
    schema: pl.Schema
    partition_by: tuple[str, ...] = ()

    @property
    def path(self) -> str:
        """Relative location of the table inside the lake, e.g. `silver/daily_bars`."""
        return f"{self.layer}/{self.name}"

    def conform(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Return `frame` with exactly this contract's columns, in order, cast to its dtypes.

        Missing columns raise `pl.exceptions.ColumnNotFoundError`; extra columns are dropped.
        """
        return frame.select(
            [pl.col(name).cast(dtype, strict=True) for name, dtype in self.schema.items()]
        )


def column_schema(columns: Mapping[str, PolarsDataType]) -> pl.Schema:
    """Return a Polars schema of `columns`, typed so that classes (`pl.String`) and
    instances (`pl.Datetime("ms", "UTC")`) mix in one literal."""
    return pl.Schema(columns)


DAILY_BARS = TableContract(
    name="daily_bars",
    layer="silver",
    key=("ticker", "date"),
    schema=pl.Schema(
        {
            "ticker": pl.String,
            "date": pl.Date,
            "open": pl.Float64,
            "high": pl.Float64,
            "low": pl.Float64,
            "close": pl.Float64,
            "volume": pl.Float64,
            "vwap": pl.Float64,
            "transactions": pl.Int64,
            "source": pl.String,  # see SOURCES
            "year": pl.Int32,
        }
    ),
    partition_by=("year",),
)

TICKERS = TableContract(
    name="tickers",
    layer="silver",
    key=("ticker",),
    schema=pl.Schema(
        {
            "ticker": pl.String,
            "name": pl.String,
            "cik": pl.String,
            "composite_figi": pl.String,
            "primary_exchange": pl.String,
            "type": pl.String,
            "sic_code": pl.String,
            "sic_description": pl.String,
            "sector": pl.String,
            "market_cap": pl.Float64,
            "shares_outstanding": pl.Float64,
            "list_date": pl.Date,
            "active": pl.Boolean,
            "source": pl.String,  # see SOURCES
        }
    ),
)

SPLITS = TableContract(
    name="splits",
    layer="silver",
    key=("ticker", "execution_date"),
    schema=pl.Schema(
        {
            "ticker": pl.String,
            "execution_date": pl.Date,
            "split_from": pl.Float64,
            "split_to": pl.Float64,
            "source": pl.String,  # see SOURCES
        }
    ),
)

EARNINGS = TableContract(
    name="earnings",
    layer="silver",
    key=("ticker", "report_date"),
    schema=pl.Schema(
        {
            "ticker": pl.String,
            "report_date": pl.Date,
            "fiscal_quarter": pl.Int32,
            "fiscal_year": pl.Int32,
            "hour": pl.String,  # bmo (before open), amc (after close), dmh (during hours)
            "eps_estimate": pl.Float64,  # may be null in real responses
            "eps_actual": pl.Float64,  # null until reported
            "surprise_pct": pl.Float64,
            "revenue_estimate": pl.Float64,
            "revenue_actual": pl.Float64,
            "source": pl.String,  # see SOURCES
        }
    ),
)

GRADES = TableContract(
    name="grades",
    layer="silver",
    key=("ticker", "date", "firm"),
    schema=pl.Schema(
        {
            "ticker": pl.String,
            "date": pl.Date,
            "firm": pl.String,
            "previous_grade": pl.String,
            "new_grade": pl.String,
            "action": pl.String,  # upgrade, downgrade, maintain, initiate (lower case)
            "source": pl.String,  # see SOURCES
        }
    ),
)

NEWS = TableContract(
    name="news",
    layer="silver",
    key=("id",),
    schema=column_schema(
        {
            "id": pl.String,
            "ticker": pl.String,
            "published_utc": pl.Datetime("ms", "UTC"),
            "title": pl.String,
            "publisher": pl.String,
            "article_url": pl.String,
            "source": pl.String,  # see SOURCES
        }
    ),
)

ADJUSTED_BARS = TableContract(
    name="adjusted_bars",
    layer="gold",
    key=("ticker", "date"),
    schema=pl.Schema(
        {
            "ticker": pl.String,
            "date": pl.Date,
            "open": pl.Float64,
            "high": pl.Float64,
            "low": pl.Float64,
            "close": pl.Float64,
            "volume": pl.Float64,
            "vwap": pl.Float64,
            "transactions": pl.Int64,
            "split_factor": pl.Float64,  # raw price / adjusted price on this date
            "source": pl.String,  # the silver bar's
        }
    ),
)

SEGMENTS = TableContract(
    name="segments",
    layer="gold",
    key=("ticker", "month"),
    schema=pl.Schema(
        {
            "ticker": pl.String,
            "month": pl.Date,  # first calendar day of the month
            "market_cap": pl.Float64,  # dollars, at the month's last close
            "cap_bucket": pl.String,  # mega, large, mid, small, micro
            "avg_dollar_volume": pl.Float64,  # dollars per day over the month
            "liquidity_rank": pl.Int32,  # 1 = most liquid that month
            "liquidity_tier": pl.String,  # high, medium, low
            "source": pl.String,  # the month's last bar's
        }
    ),
)

DAILY_RETURNS = TableContract(
    name="daily_returns",
    layer="gold",
    key=("ticker", "date"),
    schema=pl.Schema(
        {
            "ticker": pl.String,
            "date": pl.Date,
            "close": pl.Float64,  # split-adjusted, dollars
            "prev_close": pl.Float64,  # the ticker's previous trading day, adjusted
            "pct_change": pl.Float64,  # percent versus prev_close
            "volume": pl.Float64,  # split-adjusted shares
            "dollar_volume": pl.Float64,  # close x volume, dollars
            "source": pl.String,  # the adjusted bar's
        }
    ),
)

EARNINGS_REACTIONS = TableContract(
    name="earnings_reactions",
    layer="gold",
    key=("ticker", "report_date", "day"),
    schema=pl.Schema(
        {
            "ticker": pl.String,
            "report_date": pl.Date,
            "hour": pl.String,
            "fiscal_year": pl.Int32,
            "fiscal_quarter": pl.Int32,
            "eps_estimate": pl.Float64,
            "eps_actual": pl.Float64,
            "surprise_pct": pl.Float64,
            "day": pl.Int32,  # trading days after day 0 (the last close before the news)
            "date": pl.Date,
            "close": pl.Float64,  # split-adjusted, dollars
            "path": pl.Float64,  # close / day-0 close
            "return_pct": pl.Float64,  # (path - 1) x 100
            "source": pl.String,  # the earnings report's
        }
    ),
)

# One row per reconciliation run, ticker, indicator and reference (lake/reconciliation.py).
INDICATOR_RECONCILIATION = TableContract(
    name="indicator_reconciliation",
    layer="quality",
    key=("run_id", "ticker", "indicator", "reference"),
    schema=column_schema(
        {
            "run_id": pl.String,
            "run_at": pl.Datetime("ms", "UTC"),
            "as_of": pl.Date,  # last bar date the run compared
            "ticker": pl.String,
            "indicator": pl.String,  # engine output column, e.g. sma_20, macd_signal_12_26_9
            "reference": pl.String,  # talib | massive
            "compared": pl.Int64,  # rows where ours or the reference has a value
            "agreed": pl.Int64,  # rows where both have a value within tolerance
            "max_rel_diff": pl.Float64,  # max |ours - ref| / (|ref| + scale); null: none compared
            "agreement_pct": pl.Float64,  # 100 x agreed / compared; null when compared = 0
        }
    ),
)

# Every validation, passed or failed: one row per batch (expectations/quarantine.py writes
# it, lake/quality.py reads it for the Data quality page).
VALIDATION_RESULTS = TableContract(
    name="validation_results",
    layer="quality",
    key=("table", "batch_id", "validated_at"),
    schema=column_schema(
        {
            "table": pl.String,
            "batch_id": pl.String,
            "validated_at": pl.Datetime("ms", "UTC"),
            "success": pl.Boolean,
            "rows": pl.Int64,
            "evaluated": pl.Int64,
            "failed": pl.Int64,
            "warnings": pl.Int64,
            # {"<expectation>(<column>)": unexpected count or null, ...}
            "failed_expectations": pl.String,
            "warning_expectations": pl.String,
            "quarantine_uri": pl.String,
        }
    ),
)

# What has been loaded, so a backfill resumes where it stopped (pipelines/historical/runs.py).
LOAD_LOG = TableContract(
    name="load_log",
    layer="meta",
    key=("run", "start", "end", "finished_at"),
    schema=column_schema(
        {
            "run": pl.String,  # demo | backfill | day
            "start": pl.Date,
            "end": pl.Date,
            "batch_ids": pl.String,  # JSON object dataset -> batch id
            "rows": pl.Int64,  # silver daily_bars rows in the batch
            "finished_at": pl.Datetime("ms", "UTC"),
        }
    ),
)

# The synthetic market the demo was built from, so later loads extend the same market.
SYNTHETIC_MARKET = TableContract(
    name="synthetic_market",
    layer="meta",
    key=("seed",),
    schema=pl.Schema({"seed": pl.Int64, "n_tickers": pl.Int64, "start": pl.Date, "end": pl.Date}),
)

SILVER_TABLES: tuple[TableContract, ...] = (DAILY_BARS, TICKERS, SPLITS, EARNINGS, GRADES, NEWS)
GOLD_TABLES: tuple[TableContract, ...] = (
    ADJUSTED_BARS,
    SEGMENTS,
    DAILY_RETURNS,
    EARNINGS_REACTIONS,
)

# Market definitions shared by every layer (see shared/reference/sources.md).
CAP_BUCKETS: tuple[tuple[str, float], ...] = (
    ("mega", 200e9),
    ("large", 10e9),
    ("mid", 2e9),
    ("small", 300e6),
    ("micro", 0.0),
)
LIQUIDITY_TIERS: tuple[str, ...] = ("high", "medium", "low")


def cap_bucket(market_cap: pl.Expr) -> pl.Expr:
    """Return the market-cap bucket name for a market cap in dollars."""
    expr: Then | ChainedThen = pl.when(market_cap.is_null()).then(pl.lit(None, dtype=pl.String))
    for name, floor in CAP_BUCKETS:
        expr = expr.when(market_cap >= floor).then(pl.lit(name))
    return expr.otherwise(pl.lit("micro"))


SIC_DIVISIONS: tuple[tuple[int, int, str], ...] = (
    (1, 9, "Agriculture, Forestry & Fishing"),
    (10, 14, "Mining"),
    (15, 17, "Construction"),
    (20, 39, "Manufacturing"),
    (40, 49, "Transportation & Utilities"),
    (50, 51, "Wholesale Trade"),
    (52, 59, "Retail Trade"),
    (60, 67, "Finance, Insurance & Real Estate"),
    (70, 89, "Services"),
    (91, 99, "Public Administration"),
)


def sic_sector(sic_code: pl.Expr) -> pl.Expr:
    """Return the SIC division name for a four-digit SIC code given as a string."""
    major = sic_code.str.slice(0, 2).cast(pl.Int32, strict=False)
    expr: Then | ChainedThen = pl.when(major.is_null()).then(pl.lit(None, dtype=pl.String))
    for low, high, name in SIC_DIVISIONS:
        expr = expr.when(major.is_between(low, high)).then(pl.lit(name))
    return expr.otherwise(pl.lit("Nonclassifiable"))
