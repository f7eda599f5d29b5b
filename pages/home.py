"""Home: the market at a glance (an index-like average, breadth, the last load and its
freshness) and a link to every dashboard."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import streamlit as st

from app import data, figures, filters, panels

PAGES = Path(__file__).resolve().parent
LINKS = [
    ("candlesticks.py", "Candlesticks", "OHLC, volume, MA overlays, patterns"),
    ("moving_averages.py", "Moving averages", "SMA/EMA/WMA, golden & death crosses"),
    ("macd.py", "MACD", "line, signal, histogram, buy/sell"),
    ("bollinger.py", "Bollinger Bands", "bands, %B, analyst-grade dots"),
    ("market_health.py", "Market health", "map, sectors, movers, breadth"),
    ("eps.py", "Earnings (EPS)", "surprises, post-earnings paths"),
    ("analyst_grades.py", "Analyst grades", "actions and price reactions"),
    ("data_quality.py", "Data quality", "validations, quarantine"),
]

st.title("Tickerlake · market at a glance")
view = filters.for_page()
lake = data.or_stop(data.overview, data.lake_uri())
home = data.or_stop(
    data.home_view, data.lake_uri(), view.cap_buckets, view.liquidity_tiers, view.start, view.end
)

age = (date.today() - lake.last_day).days
freshness = "today" if age == 0 else "1 day ago" if age == 1 else f"{age} days ago"
index = home["index"]
change = (
    (index["equal_weighted"][-1] / index["equal_weighted"][0] - 1) * 100 if index.height else 0.0
)
b = home["breadth"]
c1, c2, c3, c4, c5 = st.columns(5)
c1.metric("Last load", str(lake.last_day), freshness, delta_color="off")
c2.metric("Tickers", f"{home['tickers']:,}", f"of {lake.tickers:,} in the lake", delta_color="off")
c3.metric(
    "Equal-weighted average", f"{index['equal_weighted'][-1]:.1f}", f"{change:+.2f}% over the range"
)
c4.metric(
    "Advancers / decliners",
    f"{b.get('advancers', 0):,} / {b.get('decliners', 0):,}",
    f"last session {b.get('date', '')}",
    delta_color="off",
)
c5.metric(
    "Above 200-day SMA",
    f"{b.get('pct_above_sma200') or 0:.0f}%",
    f"{b.get('pct_above_sma50') or 0:.0f}% above 50-day",
    delta_color="off",
)

panels.chart(
    figures.line_figure(
        index,
        x="date",
        ys=[("equal_weighted", "Equal-weighted"), ("cap_weighted", "Cap-weighted")],
        title=f"Market average, rebased to 100 on {view.start} ({home['tickers']:,} tickers)",
        hlines=(100,),
    ),
    index,
    name="market_average",
    key="home_index",
)
st.subheader("Dashboards")
cols = st.columns(4)
for i, (file, title, blurb) in enumerate(LINKS):
    with cols[i % 4].container(border=True):
        st.page_link(PAGES / file, label=title, query_params=view.query_params())
        st.caption(blurb)
