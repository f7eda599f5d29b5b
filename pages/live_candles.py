"""Live candlesticks: per second, or per minute with the still-open minute built from the
seconds."""

from __future__ import annotations

import streamlit as st

from app import guard, live_data, live_figures
from app.live_filters import REFRESH_S, live_ticker
from app.text import plain

st.title("Live candles")
url = live_data.redis_url()
symbols = live_data.last_values(url)
ticker = live_ticker(symbols)
resolution = (
    st.segmented_control("Resolution", ["1s", "1m"], default="1s", key="live_resolution") or "1s"
)
minutes = st.slider("Minutes shown", 1, 120, 5 if resolution == "1s" else 60, key="live_minutes")


@st.fragment(run_every=REFRESH_S)
@guard.tile_errors  # an outage shows a message; the next refresh retries
def candle_tile() -> None:
    if resolution == "1s":
        frame = live_data.second_bars(url, ticker, minutes)
    else:
        frame = live_data.minute_bars(url, ticker, minutes)
    if frame.is_empty():
        st.caption("No bars in this window yet.")
        return
    last = frame.row(-1, named=True)
    left, right = st.columns(2)
    left.metric(f"{plain(ticker)} last close", f"${last['close']:,.4f}")
    right.metric("Bars", frame.height)
    title = f"{ticker} · {resolution} candles" + (
        " (last minute still open)" if resolution == "1m" else ""
    )
    st.plotly_chart(live_figures.candle_figure(frame, title=title), key="candle_chart")


candle_tile()
