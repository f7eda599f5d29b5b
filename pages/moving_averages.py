"""Moving averages: SMA/EMA/WMA at 10/20/50/100/200 with golden- and death-cross markers."""

from __future__ import annotations

import polars as pl
import streamlit as st

from app import data, figures, filters, panels
from lake.indicators.spec import Cross, Ema, Sma, Wma

view, ticker = filters.for_ticker_page()
st.title(f"{view.ticker_text} · moving averages")

PERIODS = [10, 20, 50, 100, 200]
KINDS = {"sma": "SMA", "ema": "EMA", "wma": "WMA"}
AVERAGES: dict[str, type[Sma | Ema | Wma]] = {"sma": Sma, "ema": Ema, "wma": Wma}
DASHES = {"sma": None, "ema": "dash", "wma": "dot"}

c1, c2, c3 = st.columns([2, 3, 2])
kinds = c1.segmented_control(
    "Averages",
    list(KINDS),
    default=["sma", "ema"],
    selection_mode="multi",
    format_func=KINDS.__getitem__,
    key="ma_kinds",
)
periods = c2.segmented_control(
    "Periods", PERIODS, default=[50, 200], selection_mode="multi", key="ma_periods"
)
short, long = c3.select_slider(
    "Cross pair (SMA)",
    options=PERIODS,
    value=(50, 200),
    key="ma_cross",
    help="Golden cross: the short SMA crosses above the long one; death cross: below.",
)
if short == long:
    st.info("Pick two different periods for the cross pair.")
    st.stop()

lines = [(kind, AVERAGES[kind](period)) for kind in kinds or [] for period in sorted(periods or [])]
cross = Cross(short, long)
frame = data.or_stop(
    data.price_view,
    data.lake_uri(),
    ticker,
    view.start,
    view.end,
    view.interval,
    (*(line.text for _, line in lines), cross.text),
)
crosses = frame.filter(pl.col(cross.column) != 0)
golden = crosses.filter(pl.col(cross.column) > 0)
death = crosses.filter(pl.col(cross.column) < 0)
chart = figures.PriceChart(
    frame=frame,
    title=(
        f"{ticker} with moving averages ({filters.INTERVAL_LABELS[view.interval]}), "
        f"{view.start} → {view.end}"
    ),
    interval=view.interval,
    candles=False,
    overlays=[
        figures.Line(
            line.column,
            f"{KINDS[kind]} {line.period}",
            color=figures.LINE_COLORS[line.period],
            dash=DASHES[kind],
        )
        for kind, line in lines
    ],
    markers=[
        figures.cross_markers(golden, "Golden cross", up=True),
        figures.cross_markers(death, "Death cross", up=False),
    ],
    panes=[figures.volume_pane(0.16)],
)
panels.chart(
    figures.price_figure(chart),
    frame,
    name=f"{ticker}_moving_averages_{view.interval}",
    key="moving_averages",
)
m1, m2 = st.columns(2)
m1.metric(f"Golden crosses ({short}/{long})", golden.height)
m2.metric(f"Death crosses ({short}/{long})", death.height)
if not lines:
    st.info("Pick at least one average and one period to draw the lines.")
