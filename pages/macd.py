"""MACD: line, signal and histogram under the price, buy/sell markers at crossovers, and a
purple dot on each analyst-grade day; selecting a dot opens the Analyst grades page."""

from __future__ import annotations

import polars as pl
import streamlit as st

from app import data, figures, filters, panels, selection
from lake.indicators.spec import Macd, MacdEvents

view, ticker = filters.for_ticker_page()
st.title(f"{view.ticker_text} · MACD")

c1, c2, c3 = st.columns(3)
fast = c1.number_input("Fast EMA", min_value=2, max_value=100, value=12, step=1, key="macd_fast")
slow = c2.number_input("Slow EMA", min_value=3, max_value=200, value=26, step=1, key="macd_slow")
signal = c3.number_input(
    "Signal EMA", min_value=1, max_value=100, value=9, step=1, key="macd_signal"
)
if fast >= slow:
    st.info("The fast EMA must be shorter than the slow one.")
    st.stop()

lines, crossings = Macd(fast, slow, signal), MacdEvents(fast, slow, signal)
frame = data.or_stop(
    data.price_view,
    data.lake_uri(),
    ticker,
    view.start,
    view.end,
    view.interval,
    (lines.text, crossings.text),
)
grades = data.or_stop(data.grade_days, data.lake_uri(), ticker, view.start, view.end)
events = frame.filter(pl.col(crossings.column) != 0)
buys = events.filter(pl.col(crossings.column) > 0)
sells = events.filter(pl.col(crossings.column) < 0)
chart = figures.PriceChart(
    frame=frame,
    title=(
        f"{ticker} MACD({fast},{slow},{signal}), "
        f"{filters.INTERVAL_LABELS[view.interval]}, {view.start} → {view.end}"
    ),
    interval=view.interval,
    markers=[
        figures.grade_markers(frame, grades),
        figures.signal_markers(buys, "Buy (MACD crosses above signal)", up=True),
        figures.signal_markers(sells, "Sell (MACD crosses below signal)", up=False),
    ],
    panes=[
        figures.Pane(
            f"MACD({fast},{slow},{signal})",
            (
                figures.Bars(lines.histogram, "Histogram"),
                figures.Line(lines.line, "MACD", color="#1e88e5"),
                figures.Line(lines.signal_line, "Signal", color="#fb8c00"),
            ),
            hlines=(0.0,),
            height=0.3,
        ),
        figures.volume_pane(0.14),
    ],
)
picked = panels.chart(
    figures.price_figure(chart),
    frame,
    name=f"{ticker}_macd_{lines.suffix}_{view.interval}",
    key="macd_chart",
    on_select=True,
)
st.caption(
    f"{buys.height} buy and {sells.height} sell signals · "
    f"{grades.height} analyst-grade days (purple dots: select one to open its grades)"
)
selection.open_grades_on_pick(picked, view)
