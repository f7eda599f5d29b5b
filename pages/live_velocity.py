"""Live velocity: % move over the rolling window per symbol, and the alert list.

The threshold drawn is the running worker's (published in Redis); with none published,
the defaults of a worker started without options, labelled as such.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from app import guard, live_data, live_figures
from app.live_filters import REFRESH_S, stop_when_empty, symbol_filter
from app.text import plain


def settings_note(threshold_pct: float, window_ms: int, *, is_default: bool) -> None:
    """Say which alert rule is drawn: the running worker's, or the defaults."""
    rule = f"±{threshold_pct:g}% within {window_ms / 1000:g} s"
    if is_default:
        st.info(
            "No realtime worker has published its settings to Redis yet; showing the "
            f"defaults: an alert at {rule}."
        )
    else:
        st.caption(f"Alert threshold {rule} (the running worker's settings).")


st.title("Live velocity")
url = live_data.redis_url()
symbols = live_data.last_values(url)
if symbols.is_empty():
    config = live_data.worker_config(url)
    settings_note(
        config.velocity.threshold_pct, config.velocity.window_ms, is_default=config.is_default
    )
stop_when_empty(symbols)
caps, _ = symbol_filter(symbols, need_ticker=False)


@st.fragment(run_every=REFRESH_S)
@guard.tile_errors  # an outage shows a message; the next refresh retries
def velocity_tile() -> None:
    config = live_data.worker_config(url)
    threshold = config.velocity.threshold_pct
    settings_note(threshold, config.velocity.window_ms, is_default=config.is_default)
    frame = live_data.last_values(url).filter(pl.col("cap_bucket").is_in(caps))
    fastest = frame.sort(pl.col("velocity_pct").abs(), descending=True).head(1)
    left, middle, right = st.columns(3)
    left.metric("Symbols live", frame.height)
    if fastest.height:
        row = fastest.row(0, named=True)
        middle.metric("Fastest mover", row["symbol"], f"{row['velocity_pct']:+.3f}%")
        right.metric(f"Last close of {plain(row['symbol'])}", f"${row['close']:,.4f}")
    st.plotly_chart(
        live_figures.velocity_figure(frame, threshold_pct=threshold), key="velocity_chart"
    )
    st.subheader("Alerts")
    recent = live_data.alerts(url)
    if recent.is_empty():
        st.caption(f"No alerts yet (a move of {threshold:g}% within the window raises one).")
    else:
        st.dataframe(
            recent.select("time", "symbol", "velocity_pct", "price", "reference_price"),
            hide_index=True,
        )


velocity_tile()
