"""MACD: line, signal and histogram under the price, buy/sell markers at crossovers, and a
purple dot on each analyst-grade day; selecting a dot opens the Analyst grades page."""

from __future__ import annotations

import polars as pl
import streamlit as st

from app import data, figures, filters, panels, selection

view = filters.for_page(need_ticker=True)
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

suffix = f"{fast}_{slow}_{signal}"
frame = data.or_stop(
    data.price_view,
    data.lake_uri(),
    view.ticker,
    view.start,
    view.end,
    view.interval,
    (f"macd:{fast}:{slow}:{signal}", f"macd_events:{fast}:{slow}:{signal}"),
)
grades = data.or_stop(data.grade_days, data.lake_uri(), view.ticker, view.start, view.end)
events = frame.filter(pl.col(f"macd_event_{suffix}") != 0)
buys = events.filter(pl.col(f"macd_event_{suffix}") > 0)
sells = events.filter(pl.col(f"macd_event_{suffix}") < 0)
chart = figures.PriceChart(
    frame=frame,
    title=f"{view.ticker} MACD({fast},{slow},{signal}), {filters.INTERVAL_LABELS[view.interval]}, {view.start} → {view.end}",
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
                figures.Bars(f"macd_hist_{suffix}", "Histogram"),
                figures.Line(f"macd_{suffix}", "MACD", color="#1e88e5"),
                figures.Line(f"macd_signal_{suffix}", "Signal", color="#fb8c00"),
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
    name=f"{view.ticker}_macd_{suffix}_{view.interval}",
    key="macd_chart",
    on_select=True,
)
st.caption(
    f"{buys.height} buy and {sells.height} sell signals · "
    f"{grades.height} analyst-grade days (purple dots: select one to open its grades)"
)
selection.open_grades_on_pick(picked, view)
