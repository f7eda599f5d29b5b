"""The providers' wire shapes: one Polars schema per fetched dataset, named as in their JSON.

Real clients build their frames with these schemas and the synthetic market emits the
same, so a fetch from any source has identical column names and dtypes. Dates stay as
the provider's strings here; the transforms parse them.
"""

from __future__ import annotations

import polars as pl

# Massive/Polygon GET /v2/aggs/grouped/locale/us/market/stocks/{date}?adjusted=false
GROUPED_DAILY = pl.Schema(
    {
        "T": pl.String,
        "o": pl.Float64,
        "h": pl.Float64,
        "l": pl.Float64,
        "c": pl.Float64,
        "v": pl.Float64,
        "vw": pl.Float64,
        "n": pl.Int64,
        "t": pl.Int64,  # UTC ms of the session's end
    }
)

# Massive/Polygon GET /v3/reference/tickers/{ticker} -> results
TICKER_DETAILS = pl.Schema(
    {
        "ticker": pl.String,
        "name": pl.String,
        "market_cap": pl.Float64,
        "sic_code": pl.String,
        "sic_description": pl.String,
        "share_class_shares_outstanding": pl.Float64,
        "weighted_shares_outstanding": pl.Float64,
        "primary_exchange": pl.String,
        "type": pl.String,
        "active": pl.Boolean,
        "list_date": pl.String,  # YYYY-MM-DD
        "cik": pl.String,
        "composite_figi": pl.String,
    }
)

# Massive/Polygon GET /v3/reference/splits -> results
SPLITS = pl.Schema(
    {
        "ticker": pl.String,
        "execution_date": pl.String,  # YYYY-MM-DD
        "split_from": pl.Float64,
        "split_to": pl.Float64,
        "id": pl.String,
    }
)

# Massive/Polygon GET /v2/reference/news -> results, `publisher` flattened and `tickers`
# exploded: one row per (article, ticker).
NEWS = pl.Schema(
    {
        "id": pl.String,
        "publisher.name": pl.String,
        "title": pl.String,
        "author": pl.String,
        "published_utc": pl.String,  # ISO 8601, e.g. 2024-06-24T18:33:53Z
        "article_url": pl.String,
        "description": pl.String,
        "tickers": pl.String,  # one ticker of the article's `tickers` list
    }
)

# Finnhub GET /calendar/earnings -> earningsCalendar
EARNINGS_CALENDAR = pl.Schema(
    {
        "date": pl.String,  # YYYY-MM-DD
        "epsActual": pl.Float64,
        "epsEstimate": pl.Float64,
        "hour": pl.String,  # bmo | amc | dmh | ""
        "quarter": pl.Int64,
        "year": pl.Int64,
        "revenueActual": pl.Float64,
        "revenueEstimate": pl.Float64,
        "symbol": pl.String,
    }
)

# Finnhub GET /stock/earnings (surprises per fiscal period)
EARNINGS_SURPRISES = pl.Schema(
    {
        "actual": pl.Float64,
        "estimate": pl.Float64,
        "period": pl.String,  # fiscal period end, YYYY-MM-DD
        "quarter": pl.Int64,
        "year": pl.Int64,
        "surprise": pl.Float64,
        "surprisePercent": pl.Float64,
        "symbol": pl.String,
    }
)

# FMP GET /stable/grades
GRADES = pl.Schema(
    {
        "symbol": pl.String,
        "date": pl.String,  # YYYY-MM-DD
        "gradingCompany": pl.String,
        "previousGrade": pl.String,
        "newGrade": pl.String,
        "action": pl.String,  # upgrade | downgrade | maintain | initiate, case varies
    }
)


def wire_frame(records: list[dict], schema: pl.Schema) -> pl.DataFrame:
    """Return JSON records as a frame with exactly `schema` (missing fields null, extra dropped)."""
    columns = {name: [record.get(name) for record in records] for name in schema.names()}
    return pl.DataFrame(
        {
            name: pl.Series(name, values, dtype=dtype, strict=False)
            for (name, dtype), values in zip(schema.items(), columns.values(), strict=True)
        },
        schema=schema,
    )
