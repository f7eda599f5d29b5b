"""Where the lake's rows came from: the `source` names a table or a ticker holds.

Every silver and gold row carries `source` (see `lake.schemas.SOURCES`); these readers
say which sources are behind what a page draws, so an analyst can always tell real data
from the demo market.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from lake import tables
from lake.schemas import SOURCE_COLUMN, TableContract

# How a source is named to an analyst.
SOURCE_LABELS: dict[str, str] = {
    "massive": "Massive (Polygon)",
    "finnhub": "Finnhub",
    "fmp": "Financial Modeling Prep",
    "synthetic": "the synthetic demo market (not real prices)",
    "live": "the live feed",
}


def table_sources(
    contract: TableContract, *, column: str = SOURCE_COLUMN, lake_uri: str | None = None
) -> set[str | None]:
    """Return the source names the table's file statistics show for `column`.

    None stands for rows without a source (or a table without the column); the set is
    empty for a missing or empty table. Decided from the Delta files' min/max/null-count
    statistics, so no data file is read: the min and max of a file name every source of
    a file holding one or two, and at least two of a file holding more.
    """
    if not tables.exists(contract, lake_uri=lake_uri):
        return set()
    stats = tables.file_stats(contract, lake_uri=lake_uri)
    if stats.is_empty() or stats["num_records"].sum() == 0:
        return set()
    low, high, nulls = f"min.{column}", f"max.{column}", f"null_count.{column}"
    if low not in stats.columns:
        return {None}
    names: set[str | None] = set(stats[low].to_list()) | set(stats[high].to_list())
    if stats[nulls].fill_null(1).sum() > 0:
        names.add(None)
    return names


def ticker_sources(
    contract: TableContract, ticker: str, *, lake_uri: str | None = None
) -> set[str | None]:
    """Return the sources of `ticker`'s rows in `contract` (a one-ticker read of one
    column; None for rows without a source; empty when the ticker has no rows)."""
    if not tables.exists(contract, lake_uri=lake_uri):
        return set()
    frame = tables.read(
        contract,
        filters=pl.col("ticker") == pl.lit(ticker),
        columns=[SOURCE_COLUMN],
        lake_uri=lake_uri,
        tickers=[ticker],
    )
    return set(frame[SOURCE_COLUMN].unique().to_list())


def describe_sources(names: Iterable[str | None]) -> str:
    """Return the sources as an analyst reads them, e.g. "Massive (Polygon), Finnhub";
    rows without a source are "unknown (loaded before lineage was recorded)"."""
    known = sorted(name for name in names if name is not None)
    parts = [SOURCE_LABELS.get(name, name) for name in known]
    if None in names:
        parts.append("unknown (loaded before lineage was recorded)")
    return ", ".join(parts) if parts else "no rows"
