"""On-demand reads for the app and the indicator engine.

Each function reads only what it is asked for (filters pushed down to Delta file and
Parquet row-group statistics, only the requested columns) through the cached table
handles of `lake.tables`. A missing lake raises `TickerlakeError` telling the user to
build it; an unknown ticker raises `TickerlakeError` naming it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import polars as pl

from lake import tables
from lake.errors import TickerlakeError
from lake.schemas import (
    ADJUSTED_BARS,
    DAILY_BARS,
    DAILY_RETURNS,
    EARNINGS,
    EARNINGS_REACTIONS,
    GRADES,
    NEWS,
    SEGMENTS,
    SPLITS,
    TICKERS,
    TableContract,
)

BUILD_HINT = "run `tickerlake demo` (or `make run`) to build the demo lake"


class UnknownTicker(TickerlakeError):
    """A requested ticker is not in the lake."""


def _as_list(tickers: str | Sequence[str] | None) -> list[str] | None:
    if tickers is None:
        return None
    if isinstance(tickers, str):
        return [tickers]
    return list(tickers)


def _check_range(start: date | None, end: date | None) -> None:
    if start is not None and end is not None and start > end:
        raise TickerlakeError(f"start {start} is after end {end}: pass start <= end")


def _date_filters(column: str, start: date | None, end: date | None) -> list[pl.Expr]:
    filters: list[pl.Expr] = []
    if start is not None:
        filters.append(pl.col(column) >= pl.lit(start))
    if end is not None:
        filters.append(pl.col(column) <= pl.lit(end))
    return filters


def _ticker_filter(names: list[str] | None) -> list[pl.Expr]:
    if names is None:
        return []
    if len(names) == 1:
        return [pl.col("ticker") == pl.lit(names[0])]
    return [pl.col("ticker").is_in(pl.Series(names, dtype=pl.String).implode())]


def _columns(required: Sequence[str], columns: Sequence[str] | None) -> list[str] | None:
    if columns is None:
        return None
    return list(dict.fromkeys([*required, *columns]))


def known_tickers(*, lake_uri: str | None = None) -> set[str]:
    """Return every ticker with bars in the gold `adjusted_bars` table."""
    _stats_or_raise(ADJUSTED_BARS, lake_uri)
    names = _read(ADJUSTED_BARS, [], ["ticker"], lake_uri)["ticker"]
    return set(names.unique().to_list())


def _raise_unknown(requested: list[str], found: pl.Series, *, lake_uri: str | None) -> None:
    missing = sorted(set(requested) - set(found.unique().to_list()))
    if not missing:
        return
    unknown = sorted(set(missing) - _ticker_names(lake_uri=lake_uri))
    if unknown:
        shown = ", ".join(unknown[:10]) + (" ..." if len(unknown) > 10 else "")
        raise UnknownTicker(
            f"unknown ticker{'s' if len(unknown) > 1 else ''}: {shown}; "
            "pick one listed by the app's ticker filter (`lake.queries.tickers()`)"
        )


def _ticker_names(*, lake_uri: str | None) -> set[str]:
    # The silver tickers table is small; fall back to the bars when it is missing.
    if tables.exists(TICKERS, lake_uri=lake_uri):
        return set(tables.read(TICKERS, columns=["ticker"], lake_uri=lake_uri)["ticker"].to_list())
    return known_tickers(lake_uri=lake_uri)


def adjusted_bars(
    tickers: str | Sequence[str] | None,
    start: date | None = None,
    end: date | None = None,
    *,
    columns: Sequence[str] | None = None,
    lake_uri: str | None = None,
) -> pl.DataFrame:
    """Return split-adjusted daily bars for `tickers` (None = all) in [start, end].

    Columns: `ticker`, `date`, then `columns` (default: all of `ADJUSTED_BARS`: open,
    high, low, close, vwap in dollars; volume in shares; transactions; split_factor).
    Sorted by (ticker, date). Raises `TickerlakeError` when the lake is missing or a
    ticker is unknown, and for start > end.
    """
    _check_range(start, end)
    names = _as_list(tickers)
    frame = _read(
        ADJUSTED_BARS,
        [*_ticker_filter(names), *_date_filters("date", start, end)],
        _columns(("ticker", "date"), columns),
        lake_uri,
        tickers=names,
    ).sort("ticker", "date")
    if names is not None:
        _raise_unknown(names, frame["ticker"], lake_uri=lake_uri)
    return frame


def raw_bars(
    tickers: str | Sequence[str] | None,
    start: date | None = None,
    end: date | None = None,
    *,
    columns: Sequence[str] | None = None,
    lake_uri: str | None = None,
) -> pl.DataFrame:
    """Return unadjusted silver daily bars (as traded) for `tickers` in [start, end]."""
    _check_range(start, end)
    names = _as_list(tickers)
    years = []
    if start is not None:
        years.append(pl.col("year") >= start.year)
    if end is not None:
        years.append(pl.col("year") <= end.year)
    frame = _read(
        DAILY_BARS,
        [*_ticker_filter(names), *years, *_date_filters("date", start, end)],
        _columns(("ticker", "date"), columns),
        lake_uri,
    ).sort("ticker", "date")
    if names is not None:
        _raise_unknown(names, frame["ticker"], lake_uri=lake_uri)
    return frame


def daily_returns(
    start: date | None = None,
    end: date | None = None,
    *,
    tickers: str | Sequence[str] | None = None,
    columns: Sequence[str] | None = None,
    lake_uri: str | None = None,
) -> pl.DataFrame:
    """Return the `daily_returns` mart (close, prev_close, pct_change in percent, volume,
    dollar_volume) for [start, end], sorted by (date, ticker); files are laid out by date,
    so a short range reads little."""
    _check_range(start, end)
    return _read(
        DAILY_RETURNS,
        [*_ticker_filter(_as_list(tickers)), *_date_filters("date", start, end)],
        _columns(("ticker", "date"), columns),
        lake_uri,
    ).sort("date", "ticker")


def daily_cross_section(day: date | None = None, *, lake_uri: str | None = None) -> pl.DataFrame:
    """Return every ticker's bar on `day` (default: the last loaded day) with its % change
    versus the previous close, name, sector, market-cap bucket and liquidity tier.

    Columns: ticker, date, close, prev_close, pct_change, volume, dollar_volume, name,
    sector, market_cap, cap_bucket, liquidity_tier. Raises `TickerlakeError` when the day
    has no bars.
    """
    when = last_load_date(lake_uri=lake_uri) if day is None else day
    frame = daily_returns(when, when, lake_uri=lake_uri)
    if frame.is_empty():
        raise TickerlakeError(
            f"no bars on {when} (not a trading day, or not loaded yet); "
            f"the last loaded day is {last_load_date(lake_uri=lake_uri)}"
        )
    info = tickers(lake_uri=lake_uri).select("ticker", "name", "sector")
    month = segments(when, lake_uri=lake_uri).select(
        "ticker", "market_cap", "cap_bucket", "liquidity_tier"
    )
    return frame.join(info, on="ticker", how="left").join(month, on="ticker", how="left")


cross_section = daily_cross_section


def tickers(*, active_only: bool = False, lake_uri: str | None = None) -> pl.DataFrame:
    """Return the silver `tickers` table (name, SIC code and sector, market cap in dollars,
    shares outstanding, listing date, active), sorted by ticker."""
    filters = [pl.col("active")] if active_only else []
    return _read(TICKERS, filters, None, lake_uri).sort("ticker")


def segments(
    month: date | None = None,
    *,
    tickers: str | Sequence[str] | None = None,
    lake_uri: str | None = None,
) -> pl.DataFrame:
    """Return monthly segments (market cap, cap bucket, average dollar volume, liquidity
    rank and tier) for the month containing `month` (default: the latest month; pass
    `month=None, tickers=...` for one ticker's whole history)."""
    filters = _ticker_filter(_as_list(tickers))
    if month is not None:
        filters.append(pl.col("month") == pl.lit(month.replace(day=1)))
    elif tickers is None:
        stats = tables.file_stats(SEGMENTS, lake_uri=lake_uri)
        if stats.is_empty():
            raise TickerlakeError(f"The lake has no segments yet: {BUILD_HINT}")
        filters.append(pl.col("month") == pl.lit(stats["max.month"].max()))
    return _read(SEGMENTS, filters, None, lake_uri).sort("month", "liquidity_rank")


def earnings(
    tickers: str | Sequence[str] | None = None,
    start: date | None = None,
    end: date | None = None,
    *,
    lake_uri: str | None = None,
) -> pl.DataFrame:
    """Return earnings reports (fiscal quarter/year, hour, EPS estimate and actual in
    dollars per share, surprise %, revenue) dated in [start, end], sorted by ticker, date."""
    _check_range(start, end)
    return _read(
        EARNINGS,
        [*_ticker_filter(_as_list(tickers)), *_date_filters("report_date", start, end)],
        None,
        lake_uri,
    ).sort("ticker", "report_date")


def earnings_reactions(
    tickers: str | Sequence[str] | None = None,
    start: date | None = None,
    end: date | None = None,
    *,
    max_day: int | None = None,
    lake_uri: str | None = None,
) -> pl.DataFrame:
    """Return the price path after each report dated in [start, end]: one row per report
    and trading day 0..10 (`path` = close / day-0 close, `return_pct` in percent)."""
    _check_range(start, end)
    filters = [*_ticker_filter(_as_list(tickers)), *_date_filters("report_date", start, end)]
    if max_day is not None:
        filters.append(pl.col("day") <= max_day)
    return _read(EARNINGS_REACTIONS, filters, None, lake_uri).sort("ticker", "report_date", "day")


def grades(
    ticker: str | Sequence[str] | None = None,
    start: date | None = None,
    end: date | None = None,
    *,
    lake_uri: str | None = None,
) -> pl.DataFrame:
    """Return analyst grade actions (firm, previous/new grade, action) dated in [start, end],
    newest first."""
    _check_range(start, end)
    return _read(
        GRADES,
        [*_ticker_filter(_as_list(ticker)), *_date_filters("date", start, end)],
        None,
        lake_uri,
    ).sort("date", "ticker", "firm", descending=[True, False, False])


def splits(
    ticker: str | Sequence[str] | None = None, *, lake_uri: str | None = None
) -> pl.DataFrame:
    """Return the splits table (split_from old shares became split_to new shares on
    execution_date), sorted by ticker and date."""
    return _read(SPLITS, _ticker_filter(_as_list(ticker)), None, lake_uri).sort(
        "ticker", "execution_date"
    )


def news(
    ticker: str | Sequence[str] | None = None,
    start: date | None = None,
    end: date | None = None,
    *,
    lake_uri: str | None = None,
) -> pl.DataFrame:
    """Return news headlines naming `ticker` published in [start, end] (UTC dates), newest first."""
    _check_range(start, end)
    filters = _ticker_filter(_as_list(ticker))
    if start is not None:
        filters.append(pl.col("published_utc").dt.date() >= pl.lit(start))
    if end is not None:
        filters.append(pl.col("published_utc").dt.date() <= pl.lit(end))
    return _read(NEWS, filters, None, lake_uri).sort("published_utc", descending=True)


def last_load_date(*, lake_uri: str | None = None) -> date:
    """Return the latest trading day with bars in silver `daily_bars`, from the Delta file
    statistics (no data file is read)."""
    stats = _stats_or_raise(DAILY_BARS, lake_uri)
    latest: date | None = stats.select(pl.col("max.date").max()).item()
    if latest is None:
        raise TickerlakeError(f"The lake has no bars yet: {BUILD_HINT}")
    return latest


def first_load_date(*, lake_uri: str | None = None) -> date:
    """Return the earliest trading day with bars in silver `daily_bars` (file statistics)."""
    stats = _stats_or_raise(DAILY_BARS, lake_uri)
    earliest: date | None = stats.select(pl.col("min.date").min()).item()
    if earliest is None:
        raise TickerlakeError(f"The lake has no bars yet: {BUILD_HINT}")
    return earliest


def reconciliation_history(
    *, reference: str | None = None, lake_uri: str | None = None
) -> pl.DataFrame:
    """Return indicator agreement over time, from the reconciliation step's table: one row
    per `date` (the run's as-of day), `indicator` and `reference` (talib, massive), summed
    over the sampled tickers of the latest run on that day and reference.

    Columns: date, indicator, reference, run_id, run_at, tickers, compared, agreed,
    agreement_pct (percent; null when nothing was compared), max_rel_diff. Sorted by date,
    reference, indicator. Only `reference`'s rows when given; without it, indicators of
    references other than TA-Lib are labelled `"<indicator> (<reference>)"` so that
    (date, indicator) is unique, as a chart of one line per indicator needs. Empty (same
    columns) until the step has run.
    """
    from lake.reconciliation import agreement_by_indicator
    from lake.schemas import INDICATOR_RECONCILIATION

    # Instances, not classes, so the mapping has one value type.
    columns = pl.Schema(
        {
            "date": pl.Date(),
            "indicator": pl.String(),
            "reference": pl.String(),
            "run_id": pl.String(),
            "run_at": pl.Datetime("ms", "UTC"),
            "tickers": pl.UInt32(),
            "compared": pl.Int64(),
            "agreed": pl.Int64(),
            "agreement_pct": pl.Float64(),
            "max_rel_diff": pl.Float64(),
        }
    )
    if not tables.exists(INDICATOR_RECONCILIATION, lake_uri=lake_uri):
        return pl.DataFrame(schema=columns)
    filters = [] if reference is None else [pl.col("reference") == pl.lit(reference)]
    rows = tables.read(INDICATOR_RECONCILIATION, filters=filters, lake_uri=lake_uri)
    latest = (
        rows.select("as_of", "reference", "run_at", "run_id")
        .unique()
        .sort("run_at", "run_id")
        .group_by("as_of", "reference")
        .last()
    )
    rows = rows.join(latest, on=["as_of", "reference", "run_at", "run_id"], how="semi")
    summary = agreement_by_indicator(rows, by=["as_of"]).join(
        latest, on=["as_of", "reference"], how="left"
    )
    if reference is None:
        summary = summary.with_columns(
            pl.when(pl.col("reference") == "talib")
            .then(pl.col("indicator"))
            .otherwise(pl.format("{} ({})", pl.col("indicator"), pl.col("reference")))
            .alias("indicator")
        )
    return (
        summary.rename({"as_of": "date"})
        .select(list(columns))
        .cast(columns)
        .sort("date", "reference", "indicator")
    )


# --- internals ---------------------------------------------------------------------


def _stats_or_raise(contract: TableContract, lake_uri: str | None) -> pl.DataFrame:
    try:
        stats = tables.file_stats(contract, lake_uri=lake_uri)
    except tables.TableMissing as exc:
        raise TickerlakeError(f"The lake has no {contract.path} table: {BUILD_HINT}") from exc
    if stats.is_empty():
        raise TickerlakeError(f"The lake's {contract.path} table is empty: {BUILD_HINT}")
    return stats


def _read(
    contract: TableContract,
    filters: list[pl.Expr],
    columns: list[str] | None,
    lake_uri: str | None,
    *,
    tickers: list[str] | None = None,
) -> pl.DataFrame:
    try:
        return tables.read(
            contract, filters=filters, columns=columns, lake_uri=lake_uri, tickers=tickers
        )
    except tables.TableMissing as exc:
        raise TickerlakeError(f"The lake has no {contract.path} table: {BUILD_HINT}") from exc
