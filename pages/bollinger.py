"""Bollinger Bands: period and multiplier controls, %B pane, and a purple dot on each
analyst-grade day; selecting a dot opens the Analyst grades page."""

from __future__ import annotations

import streamlit as st

from app import data, figures, filters, panels, selection
from lake.indicators.spec import Bbands

view, ticker = filters.for_ticker_page()
st.title(f"{view.ticker_text} · Bollinger Bands")

c1, c2 = st.columns(2)
period = c1.slider("Period", min_value=5, max_value=100, value=20, step=1, key="bb_period")
multiplier = c2.slider(
    "Standard deviations", min_value=0.5, max_value=4.0, value=2.0, step=0.5, key="bb_k"
)
bands = Bbands(period, multiplier)
frame = data.or_stop(
    data.price_view,
    data.lake_uri(),
    ticker,
    view.start,
    view.end,
    view.interval,
    (bands.text,),
)
grades = data.or_stop(data.grade_days, data.lake_uri(), ticker, view.start, view.end)
chart = figures.PriceChart(
    frame=frame,
    title=(
        f"{ticker} Bollinger({period}, {multiplier:g}σ), "
        f"{filters.INTERVAL_LABELS[view.interval]}, {view.start} → {view.end}"
    ),
    interval=view.interval,
    overlays=[
        figures.Line(bands.upper, "Upper band", color="#90a4ae", width=1),
        figures.Line(bands.lower, "Lower band", color="#90a4ae", width=1, fill_to_previous=True),
        figures.Line(bands.middle, f"SMA {period}", color="#1e88e5", dash="dash"),
    ],
    markers=[figures.grade_markers(frame, grades)],
    panes=[
        figures.Pane(
            "%B (0 = lower band, 1 = upper band)",
            (figures.Line(bands.percent_b, "%B", color="#6d4c41"),),
            hlines=(0.0, 0.5, 1.0),
            height=0.22,
        ),
        figures.volume_pane(0.14),
    ],
)
picked = panels.chart(
    figures.price_figure(chart),
    frame,
    name=f"{ticker}_bollinger_{bands.suffix}_{view.interval}",
    key="bollinger_chart",
    on_select=True,
)
st.caption(f"{grades.height} analyst-grade days (purple dots: select one to open its grades)")
selection.open_grades_on_pick(picked, view)
