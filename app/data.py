"""Cached data access for the pages: one loader per view, lake APIs in, small frames out.

Loaders call `lake.queries`, the indicator engine and the analytics in `lake/`; they
never compute indicators or analytics themselves. Frames are cached with
`st.cache_data` (bounded by `ttl` and `max_entries`); every loader takes the lake URI
as its first argument so two lakes never share a cache entry. Loaders that can take a
while on a cache miss name what they do in a spinner (Streamlit shows it only when the
work outlasts half a second). A loader raises
`TickerlakeError` for anything the user can fix; pages turn it into a warning with
`or_stop`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, ParamSpec, TypeVar

import orjson
import polars as pl
import streamlit as st

from app import guard
from app.text import chart_text_expr
from lake import earnings_analytics, lineage, market_health, queries
from lake.bars import Interval
from lake.errors import TickerlakeError
from lake.grade_reactions import grade_reactions
from lake.indicator_query import indicators_for
from lake.schemas import ADJUSTED_BARS, EARNINGS, GRADES
from lake.settings import get_settings

P = ParamSpec("P")
T = TypeVar("T")
FRAME_TTL = 600  # seconds: the lake changes once a trading day
FRESH_TTL = 60  # seconds: for "last load" figures shown as freshness


def lake_uri() -> str:
    """Return the configured lake URI (the cache key every loader takes)."""
    return get_settings().lake_uri


def or_stop(loader: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Call `loader`; on a `TickerlakeError` show its message as a warning and stop the page."""
    try:
        return loader(*args, **kwargs)
    except TickerlakeError as exc:
        guard.show(exc)  # as plain text: the message may quote a ticker or a path
        st.stop()
        raise  # unreachable: st.stop() ends the run


def csv_bytes(frame: pl.DataFrame) -> bytes:
    """Return `frame` as CSV (UTF-8), for the download buttons."""
    return frame.write_csv().encode()


# --- lake overview --------------------------------------------------------------------


@dataclass(frozen=True)
class LakeOverview:
    """What the lake holds: its first and last trading day, and how many tickers."""

    first_day: date
    last_day: date
    tickers: int


@st.cache_data(ttl=FRESH_TTL, max_entries=4, show_spinner=False)
def overview(uri: str) -> LakeOverview:
    """Return the lake's date bounds and ticker count (raises when the lake is missing)."""
    return LakeOverview(
        first_day=queries.first_load_date(lake_uri=uri),
        last_day=queries.last_load_date(lake_uri=uri),
        tickers=queries.tickers(lake_uri=uri).height,
    )


@st.cache_data(ttl=FRAME_TTL, max_entries=4, show_spinner=False)
def universe(uri: str) -> pl.DataFrame:
    """Return `ticker, name, sector, market_cap, cap_bucket, liquidity_tier` (latest month)."""
    return market_health.universe_frame(
        queries.tickers(lake_uri=uri), queries.segments(lake_uri=uri)
    )


@st.cache_data(ttl=FRESH_TTL, max_entries=4, show_spinner=False)
def lake_sources(uri: str) -> str:
    """Return where the lake's prices, earnings and grades came from, as one line (from
    file statistics: no data file is read)."""
    parts = []
    for what, contract in (("prices", ADJUSTED_BARS), ("earnings", EARNINGS), ("grades", GRADES)):
        names = lineage.table_sources(contract, lake_uri=uri)
        if names:
            parts.append(f"{what}: {lineage.describe_sources(names)}")
    return "; ".join(parts)


@st.cache_data(ttl=FRAME_TTL, max_entries=64, show_spinner=False)
def ticker_sources(uri: str, ticker: str) -> str:
    """Return where `ticker`'s prices came from, as a phrase."""
    return lineage.describe_sources(lineage.ticker_sources(ADJUSTED_BARS, ticker, lake_uri=uri))


# --- price charts ---------------------------------------------------------------------

PRICE_COLUMNS = ("open", "high", "low", "close", "volume")


@st.cache_data(ttl=FRAME_TTL, max_entries=64, show_spinner="Computing indicators…")
def price_view(
    uri: str, ticker: str, start: date, end: date, interval: Interval, specs: tuple[str, ...]
) -> pl.DataFrame:
    """Return `date, open, high, low, close, volume` + the indicator columns of `specs`.

    `specs` use the CLI's spelling (`sma:20`, `ema:50`, `wma:10`, `macd:12:26:9`,
    `macd_events:12:26:9`, `bbands:20:2`, `rsi:14`, `cross:50:200`, `patterns`); bars are
    at `interval` (day/week/month) and indicator values do not depend on `start` (the
    engine reads the history it needs before it). Raises `TickerlakeError` for an unknown ticker or
    when the ticker has no bars in the range.
    """
    frame = _indicators(uri, ticker, start, end, interval, specs)
    if frame.is_empty():
        raise TickerlakeError(
            f"{ticker} has no bars between {start} and {end}; pick a longer range "
            "(the range presets are in the sidebar)"
        )
    return frame


@st.cache_data(ttl=FRAME_TTL, max_entries=64, show_spinner=False)
def grade_days(uri: str, ticker: str, start: date, end: date) -> pl.DataFrame:
    """Return one row per day with analyst grade actions: `date, actions, text` (hover)."""
    grades = queries.grades(ticker, start, end, lake_uri=uri)
    return (
        grades.sort("date", "firm")
        .group_by("date", maintain_order=True)
        .agg(
            pl.len().alias("actions"),
            pl.format(  # provider text in Plotly hover: escaped, so tags show literally
                "{}: {} → {} ({})",
                chart_text_expr("firm"),
                chart_text_expr("previous_grade").fill_null("—"),
                chart_text_expr("new_grade"),
                chart_text_expr("action"),
            )
            .str.join("<br>")
            .alias("text"),
        )
        .sort("date")
    )


@st.cache_data(ttl=FRAME_TTL, max_entries=32, show_spinner="Reading analyst grades…")
def grades_view(uri: str, ticker: str, start: date, end: date) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Return (`date, close` bars of the range, grade actions with `return_1d/5d/10d`)."""
    bars = queries.adjusted_bars(
        ticker, start, end + timedelta(days=20), columns=["close"], lake_uri=uri
    )
    actions = queries.grades(ticker, start, end, lake_uri=uri)
    reactions = grade_reactions(actions, bars, days=(1, 5, 10))
    return bars.filter(pl.col("date") <= end).select("date", "close"), reactions


# --- market health and home -----------------------------------------------------------

SMA_LOOKBACK_DAYS = 300  # calendar days: 200 sessions for the 200-day SMA breadth


# Shared by the home and market-health loaders (same window, one read of the lake). A
# resource, not data: a million-row frame is handed out as is instead of copied per hit
# (Polars frames are never changed in place).
@st.cache_resource(ttl=FRAME_TTL, max_entries=4, show_spinner="Reading closes from the lake…")
def _closes(uri: str, start: date, end: date, tickers: tuple[str, ...] | None) -> pl.DataFrame:
    first = start - timedelta(days=SMA_LOOKBACK_DAYS)
    return (
        queries.daily_returns(
            first,
            end,
            tickers=None if tickers is None else list(tickers),
            columns=["close"],
            lake_uri=uri,
        )
        .select("ticker", "date", "close")
        .sort("ticker", "date")  # once here: sorting sorted rows again is ~10x cheaper
    )


def _member_closes(uri: str, members: pl.DataFrame, start: date, end: date) -> pl.DataFrame:
    """`ticker, date, close` of `members` from 300 days before `start` to `end`."""
    subset = _subset(members, uri)
    closes = _closes(uri, start, end, None if subset is None else tuple(subset))
    if subset is None and members.height < universe(uri).height:
        closes = closes.filter(pl.col("ticker").is_in(members["ticker"].implode()))
    return closes


def _universe(uri: str, caps: Sequence[str], tiers: Sequence[str]) -> pl.DataFrame:
    members = market_health.filter_universe(universe(uri), cap_buckets=caps, liquidity_tiers=tiers)
    if members.is_empty():
        raise TickerlakeError("no ticker matches the market-cap and liquidity filters; widen them")
    return members


@st.cache_data(ttl=FRAME_TTL, max_entries=16, show_spinner="Computing market breadth…")
def _breadth(
    uri: str, caps: tuple[str, ...], tiers: tuple[str, ...], start: date, end: date
) -> pl.DataFrame:
    """Breadth over [start, end] for the filtered universe (shared by home and market health)."""
    closes = _member_closes(uri, _universe(uri, caps, tiers), start, end)
    return market_health.breadth_history(closes.filter(pl.col("date") <= end), since=start)


@st.cache_data(ttl=FRAME_TTL, max_entries=16, show_spinner="Computing the market average…")
def home_view(
    uri: str, caps: tuple[str, ...], tiers: tuple[str, ...], start: date, end: date
) -> dict[str, Any]:
    """Return the home page's figures: `index` (equal/cap-weighted average over the range),
    `breadth` (last day), `breadth_history` (over the range), `tickers` in the filter."""
    members = _universe(uri, caps, tiers)
    closes = _member_closes(uri, members, start, end)
    in_range = closes.filter(pl.col("date").is_between(start, end))
    if in_range.is_empty():
        raise TickerlakeError(f"no bars between {start} and {end}; pick another range")
    history = _breadth(uri, caps, tiers, start, end)
    return {
        "index": market_health.market_index(in_range, members),
        "breadth": history.row(-1, named=True) if history.height else {},
        "breadth_history": history,
        "tickers": members.height,
    }


@st.cache_data(ttl=FRAME_TTL, max_entries=16, show_spinner="Computing market health…")
def market_view(
    uri: str,
    caps: tuple[str, ...],
    tiers: tuple[str, ...],
    start: date,
    end: date,
    ticker: str | None,
) -> dict[str, Any]:
    """Return every market-health frame for the filtered universe and [start, end]."""
    members = _universe(uri, caps, tiers)
    closes = _member_closes(uri, members, start, end)
    if closes.filter(pl.col("date").is_between(start, end)).is_empty():
        raise TickerlakeError(f"no bars between {start} and {end}; pick another range")
    summary = market_health.market_summary(
        closes, members, start, end, breadth=_breadth(uri, caps, tiers, start, end)
    )
    trend = pl.DataFrame(schema={"date": pl.Date, "close": pl.Float64, "change_pct": pl.Float64})
    if ticker is not None:
        last_day = summary["last_day"]
        recent = queries.adjusted_bars(
            ticker, last_day - timedelta(days=60), last_day, columns=["close"], lake_uri=uri
        )
        trend = market_health.close_trend(recent, ticker, sessions=30)
    return {**summary, "members": members, "trend": trend}


def _subset(members: pl.DataFrame, uri: str) -> list[str] | None:
    # Reading everything and joining is cheaper than a long IN list when most tickers are in.
    return None if members.height >= 0.5 * universe(uri).height else members["ticker"].to_list()


# --- earnings ---------------------------------------------------------------------------


@st.cache_data(ttl=FRAME_TTL, max_entries=16, show_spinner="Computing earnings analytics…")
def eps_view(
    uri: str,
    tickers: tuple[str, ...],
    quarters: tuple[int, ...],
    years: tuple[int, ...],
    periods: tuple[int, ...] = tuple(range(1, 11)),
) -> dict[str, pl.DataFrame]:
    """Return the EPS page's frames for `tickers` (all when empty): `surprises` (last 4
    quarters per ticker), `paths` (reaction paths filtered by fiscal quarter and year),
    `average` (mean path), `correlation` (per period)."""
    chosen = list(tickers) or None
    reports = queries.earnings(chosen, lake_uri=uri)
    surprises = earnings_analytics.surprise_by_quarter(reports, tickers=chosen, quarters=4)
    reactions = queries.earnings_reactions(chosen, lake_uri=uri)
    paths = earnings_analytics.filter_events(
        reactions, tickers=chosen, quarters=list(quarters), years=list(years)
    )
    return {
        "surprises": surprises,
        "paths": paths,
        "average": earnings_analytics.average_path(paths),
        "correlation": earnings_analytics.surprise_return_correlation(paths, periods),
    }


@st.cache_data(ttl=FRAME_TTL, max_entries=4, show_spinner=False)
def fiscal_years(uri: str) -> list[int]:
    """Return the fiscal years with reported earnings, newest first."""
    years = queries.earnings(lake_uri=uri)["fiscal_year"].drop_nulls().unique()
    return sorted(years.to_list(), reverse=True)


# --- data quality -----------------------------------------------------------------------


@st.cache_data(ttl=FRESH_TTL, max_entries=4, show_spinner="Reading validation results…")
def quality_view(uri: str) -> dict[str, pl.DataFrame]:
    """Return `latest` validation per table, `quarantined` batches and `reconciliation`
    (agreement per date and indicator, `lake.queries.reconciliation_history`; empty until
    the reconciliation step has run)."""
    from lake.quality import latest_results, quarantined_batches

    readable = [
        pl.col(c).map_elements(expectation_list, return_dtype=pl.String)
        for c in ("failed_expectations", "warning_expectations")
    ]
    return {
        "latest": latest_results(lake_uri=uri).with_columns(readable),
        "quarantined": quarantined_batches(lake_uri=uri).with_columns(readable),
        "reconciliation": queries.reconciliation_history(lake_uri=uri),
    }


def expectation_list(stored: str | None) -> str:
    """Return a stored `{"<expectation>(<column>)": unexpected rows or null}` JSON object
    as one readable line (`expect_…(close): 3 rows; …`), or "—" when there is none."""
    try:
        items = orjson.loads(stored or "{}")
    except orjson.JSONDecodeError:
        return stored or "—"
    if not isinstance(items, dict) or not items:
        return "—"
    return "; ".join(
        name if count is None else f"{name}: {count:,} row{'s' if count != 1 else ''}"
        for name, count in items.items()
    )


def agreement_by_family(history: pl.DataFrame) -> pl.DataFrame:
    """Return reconciliation agreement per date and indicator family (`sma`, `ema`, `macd`,
    `bb`, …, with ` (massive)` for the provider's reference): `date, family, compared,
    agreed, agreement_pct` — one line per family reads better than one per column."""
    family = pl.col("indicator").str.extract(r"^([a-z]+)", 1)
    suffix = pl.col("indicator").str.extract(r"( \([a-z]+\))$", 1).fill_null("")
    return (
        history.with_columns((family + suffix).alias("family"))
        .group_by("date", "family")
        .agg(pl.col("compared").sum(), pl.col("agreed").sum())
        .with_columns(
            pl.when(pl.col("compared") > 0)
            .then(pl.col("agreed") / pl.col("compared") * 100)
            .alias("agreement_pct")
        )
        .sort("date", "family")
    )


def _indicators(
    uri: str, ticker: str, start: date, end: date, interval: Interval, specs: Sequence[str]
) -> pl.DataFrame:
    frame = indicators_for(
        ticker, start, end, interval=interval, specs=",".join(specs) or "sma:20", lake_uri=uri
    )
    return frame.drop("ticker")
