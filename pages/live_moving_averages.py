"""Real-time moving averages over the per-second closes, with the historical engine's
definitions (`lake.live_averages`)."""

from __future__ import annotations

import streamlit as st

from app import guard, live_data, live_figures
from app.live_filters import REFRESH_S, live_ticker
from app.text import plain
from lake.live_averages import MOVING_AVERAGES, with_moving_averages

st.title("Live moving averages")
url = live_data.redis_url()
symbols = live_data.last_values(url)
ticker = live_ticker(symbols)
left, middle, right = st.columns(3)
kind = (
    left.segmented_control("Average", list(MOVING_AVERAGES), default="sma", key="live_ma_kind")
    or "sma"
)
short = middle.number_input("Short lookback (points)", 2, 600, 10, key="live_ma_short")
long = right.number_input("Long lookback (points)", 2, 3600, 30, key="live_ma_long")


@st.fragment(run_every=REFRESH_S)
@guard.tile_errors  # an outage shows a message; the next refresh retries
def moving_average_tile() -> None:
    minutes = max(2, int(long) // 60 * 3 + 2)  # enough seconds to warm up the long average
    frame = live_data.second_bars(url, ticker, minutes)
    if frame.is_empty():
        st.caption("No bars in this window yet.")
        return
    periods = sorted({int(short), int(long)})
    frame = with_moving_averages(frame, kind=kind, periods=periods)
    columns = [f"{kind}_{p}" for p in periods]
    last = frame.row(-1, named=True)
    cells = st.columns(len(columns) + 1)
    cells[0].metric(f"{plain(ticker)} close", f"${last['close']:,.4f}")
    for cell, column in zip(cells[1:], columns, strict=True):
        value = last[column]
        cell.metric(
            column.upper().replace("_", " "), "warming up" if value is None else f"${value:,.4f}"
        )
    st.plotly_chart(
        live_figures.moving_average_figure(frame, columns, title=f"{ticker} · per-second close"),
        key="ma_chart",
    )


moving_average_tile()
