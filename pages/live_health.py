"""Pipeline health: active symbols, messages per second, lag, flush time, drops."""

from __future__ import annotations

import time

import streamlit as st

from app import guard, live_data, live_figures
from app.live_filters import REFRESH_S
from app.text import plain

st.title("Live pipeline health")
url = live_data.redis_url()


@st.fragment(run_every=REFRESH_S)
@guard.tile_errors  # an outage shows a message; the next refresh retries
def health_tile() -> None:
    frame, counters = live_data.health(url)
    if not counters:
        st.info(
            "The realtime worker has not reported yet: start it with `make run` "
            "or `tickerlake realtime worker`."
        )
        return
    age_s = max(0.0, time.time() - int(counters.get("updated_ms", 0)) / 1000)
    latest = frame.row(-1, named=True) if frame.height else {}
    cells = st.columns(5)
    cells[0].metric("Active symbols", int(latest.get("active_symbols") or 0))
    cells[1].metric("Messages/s", f"{latest.get('messages_per_s') or 0:,.0f}")
    cells[2].metric("Lag", f"{latest.get('lag_ms') or 0:,.0f} ms")
    cells[3].metric("Written", f"{int(counters.get('written', 0)):,}")
    cells[4].metric(
        "Dropped · malformed", f"{counters.get('dropped', 0)} · {counters.get('malformed', 0)}"
    )
    state = counters.get("feed_state", "?")
    redis_up = counters.get("redis_up") == "1"
    st.caption(
        f"Feed {plain(state)} · Redis {'reachable' if redis_up else 'UNREACHABLE'} · "
        f"{counters.get('queued', 0)} queued · last report {age_s:.1f} s ago"
    )
    if frame.height:
        left, right = st.columns(2)
        left.plotly_chart(
            live_figures.health_figure(frame, "messages_per_s", title="Messages/s", unit="msg/s"),
            key="h_rate",
        )
        right.plotly_chart(
            live_figures.health_figure(
                frame, "lag_ms", title="Lag (event end → written)", unit="ms"
            ),
            key="h_lag",
        )
        left.plotly_chart(
            live_figures.health_figure(
                frame, "flush_ms", title="Slowest flush per second", unit="ms"
            ),
            key="h_flush",
        )
        right.plotly_chart(
            live_figures.health_figure(
                frame, "active_symbols", title="Active symbols", unit="symbols"
            ),
            key="h_active",
        )


health_tile()
