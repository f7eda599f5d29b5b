"""The live pages' symbol filter (market-cap bucket, then ticker), kept in the URL."""

from __future__ import annotations

import os

import polars as pl
import streamlit as st

from app.filters import parse_ticker
from lake.schemas import CAP_BUCKETS

CAP_NAMES: list[str] = [name for name, _ in CAP_BUCKETS]
REFRESH_S = float(os.environ.get("TICKERLAKE_LIVE_REFRESH_S", "1"))


def symbol_filter(symbols: pl.DataFrame, *, need_ticker: bool) -> tuple[list[str], str | None]:
    """Draw cap-bucket and ticker pickers over `symbols` (symbol, cap_bucket).

    Returns the chosen cap buckets and the chosen ticker (None when not needed or none
    is live). Choices live in `st.query_params` (`cap`, `ticker`) so a link reproduces them.
    """
    present = [c for c in CAP_NAMES if c in set(symbols["cap_bucket"].to_list())] or CAP_NAMES
    asked = [c for value in st.query_params.get_all("cap") for c in value.split(",") if c]
    if any(c not in CAP_NAMES for c in asked):
        _notice("cap", f"it must list market-cap buckets among {', '.join(CAP_NAMES)}.")
    from_url = [c for c in asked if c in present]
    left, right = st.columns([3, 2])
    caps = left.multiselect("Market cap", present, default=from_url or present, key="live_cap")
    st.query_params["cap"] = caps
    if not need_ticker:
        return caps, None
    options = symbols.filter(pl.col("cap_bucket").is_in(caps))["symbol"].sort().to_list()
    if not options:
        return caps, None
    raw = st.query_params.get("ticker")
    wanted = parse_ticker(raw) if raw else None
    if raw and wanted is None:
        _notice("ticker", "it must be a ticker symbol such as AAPL or BRK.B.")
    elif wanted and wanted not in options:
        _notice("ticker", f"{wanted} is not live in these market-cap buckets.")
    index = options.index(wanted) if wanted in options else 0
    ticker = right.selectbox("Ticker", options, index=index, key="live_ticker")
    st.query_params["ticker"] = ticker
    return caps, ticker


def stop_when_empty(frame: pl.DataFrame) -> None:
    """End the page with a friendly note when nothing is live yet."""
    if frame.is_empty():
        st.info(
            "No live data yet: start the live path with `make run` "
            "(or `tickerlake realtime simulate` and `tickerlake realtime worker`)."
        )
        st.stop()


def live_ticker(symbols: pl.DataFrame) -> str:
    """Draw the filters for a one-symbol live page and return its symbol; end the page
    with a note when nothing is live, or no live symbol is in the chosen buckets."""
    stop_when_empty(symbols)
    _, ticker = symbol_filter(symbols, need_ticker=True)
    if ticker is None:
        st.info("No live symbol in these market-cap buckets.")
        st.stop()
    return ticker


def _notice(param: str, text: str) -> None:
    # Fixed text plus a validated symbol: nothing from the URL reaches Markdown as is.
    st.warning(f"Ignoring `{param}` in the link: {text}", icon=":material/link_off:")
