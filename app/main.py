"""Tickerlake's Streamlit entry point: page config, navigation, the shared filters.

`streamlit run app/main.py` (what `make run` does). The pages are listed here
explicitly (with `st.navigation`, Streamlit no longer discovers `pages/` by itself);
the live pages are added under "Live" when their files exist.
"""

from __future__ import annotations

from pathlib import Path

# `st.dataframe` imports pandas (~0.4 s) the first time a table is shown; imported here,
# that happens in the server's first run instead of on the first page with a table.
import pandas  # noqa: F401
import streamlit as st

from app import data, filters, guard
from app.text import plain

PAGES_DIR = Path(__file__).resolve().parent.parent / "pages"

# (file, title, icon) per section; the order is the sidebar's.
SECTIONS: dict[str, list[tuple[str, str, str]]] = {
    "Overview": [("home.py", "Market at a glance", ":material/dashboard:")],
    "Charts": [
        ("candlesticks.py", "Candlesticks", ":material/candlestick_chart:"),
        ("moving_averages.py", "Moving averages", ":material/show_chart:"),
        ("macd.py", "MACD", ":material/stacked_line_chart:"),
        ("bollinger.py", "Bollinger Bands", ":material/ssid_chart:"),
    ],
    "Market": [
        ("market_health.py", "Market health", ":material/monitor_heart:"),
        ("eps.py", "Earnings (EPS)", ":material/request_quote:"),
        ("analyst_grades.py", "Analyst grades", ":material/grade:"),
    ],
    "Data": [("data_quality.py", "Data quality", ":material/fact_check:")],
}
# Engineer D's real-time pages, by name; any other pages/live_*.py is listed after them.
LIVE_PAGES: list[tuple[str, str, str]] = [
    ("live_velocity.py", "Live velocity & alerts", ":material/speed:"),
    ("live_candles.py", "Live candlesticks", ":material/candlestick_chart:"),
    ("live_moving_averages.py", "Live moving averages", ":material/show_chart:"),
    ("live_health.py", "Pipeline health", ":material/monitor_heart:"),
]


def live_pages() -> list[tuple[str, str, str]]:
    """Return the live pages whose files exist (known names first, then any other live_*.py)."""
    known = [page for page in LIVE_PAGES if (PAGES_DIR / page[0]).is_file()]
    named = {file for file, _, _ in LIVE_PAGES}
    extra = [
        (
            path.name,
            path.stem.removeprefix("live_").replace("_", " ").capitalize(),
            ":material/bolt:",
        )
        for path in sorted(PAGES_DIR.glob("live_*.py"))
        if path.name not in named
    ]
    return known + extra


def navigation() -> dict[str, list[st.Page]]:
    """Return the sections of `st.Page`s for `st.navigation`."""
    sections = {**SECTIONS}
    live = live_pages()
    if live:
        sections["Live"] = live
    return {
        section: [
            st.Page(PAGES_DIR / file, title=title, icon=icon, default=file == "home.py")
            for file, title, icon in pages
        ]
        for section, pages in sections.items()
    }


st.set_page_config(page_title="Tickerlake", page_icon=":material/waves:", layout="wide")
page = st.navigation(navigation(), expanded=True)
# The live pages filter the stream with their own widgets; the lake's date range and
# interval mean nothing there, so the historical filters are not drawn for them.
if not page.url_path.startswith("live_"):
    try:
        lake = data.overview(data.lake_uri())
        filters.sidebar(data.universe(data.lake_uri()), lake.first_day, lake.last_day)
        st.sidebar.caption(f"Lake: {lake.tickers:,} tickers · {lake.first_day} → {lake.last_day}")
        # Lineage: an analyst always sees whether the charts hold real data or the demo.
        st.sidebar.caption(plain(f"Sources: {data.lake_sources(data.lake_uri())}", limit=400))
        chosen = filters.current()
        if chosen is not None and chosen.ticker is not None:
            origin = data.ticker_sources(data.lake_uri(), chosen.ticker)
            st.sidebar.caption(plain(f"{chosen.ticker} prices: {origin}", limit=400))
    except Exception as exc:  # a missing, empty or unreachable lake
        # The pages show the reason (build the lake, check the endpoint); the sidebar
        # just stays empty.
        guard.log_unless_users(exc)
        filters.no_data(guard.message_for(exc)[1])
    filters.show_url_notices()
with guard.page_errors():
    page.run()
