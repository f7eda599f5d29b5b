"""Analyst grades: timeline of actions over the close, the table of firm, previous → new
grade and action, and the price reaction after each action. `?date=YYYY-MM-DD` (set when
a purple dot is picked on the MACD or Bollinger chart) highlights that day."""

from __future__ import annotations

import polars as pl
import streamlit as st

from app import data, figures, filters, panels
from app.text import plain

view, ticker = filters.for_ticker_page()
st.title(f"{view.ticker_text} · analyst grades")

focus = filters.linked_day("date")
start = min(view.start, focus) if focus else view.start
end = max(view.end, focus) if focus else view.end

bars, actions = data.or_stop(data.grades_view, data.lake_uri(), ticker, start, end)
if actions.is_empty():
    st.info(
        f"No analyst grade actions on {view.ticker_text} between {start} and {end}. "
        "Try a longer range."
    )
    st.stop()

counts = actions.group_by("action").len().sort("len", descending=True)
cols = st.columns(max(counts.height, 1) + 1)
cols[0].metric("Actions", actions.height)
for col, (action, n) in zip(cols[1:], counts.iter_rows(), strict=True):
    col.metric(plain(action.capitalize()), n)

if focus is not None:
    on_day = actions.filter(pl.col("date") == focus)
    if on_day.is_empty():
        st.info(f"No grade action on {view.ticker_text} on {focus}.")
    else:
        # Firm and grade names are provider text: shown literally, never as Markdown.
        lines = "\n".join(
            f"- **{plain(r['firm'])}**: {plain(r['previous_grade'] or '—')} → "
            f"{plain(r['new_grade'])} ({plain(r['action'])})"
            for r in on_day.iter_rows(named=True)
        )
        st.success(f"**{focus}** — {on_day.height} action(s):\n{lines}", icon=":material/grade:")

panels.chart(
    figures.grades_timeline_figure(
        bars,
        actions,
        title=f"{ticker} close with analyst actions, {start} → {end}",
        focus=focus,
    ),
    actions,
    name=f"{ticker}_grades",
    key="grades_timeline",
)
st.subheader("Actions and the price reaction after them")
st.caption("Returns from the last close before the action to the close 1, 5 and 10 sessions later.")
shown = actions.select(
    "date",
    "firm",
    "previous_grade",
    "new_grade",
    "action",
    "base_close",
    "return_1d",
    "return_5d",
    "return_10d",
)
panels.table(
    shown,
    name=f"{ticker}_grade_reactions",
    key="grades_table",
    date=st.column_config.DateColumn("date", format="YYYY-MM-DD"),
    previous_grade="previous grade",
    new_grade="new grade",
    base_close=st.column_config.NumberColumn("close before", format="$%.2f"),
    return_1d=st.column_config.NumberColumn("1 session", format="%+.2f%%"),
    return_5d=st.column_config.NumberColumn("5 sessions", format="%+.2f%%"),
    return_10d=st.column_config.NumberColumn("10 sessions", format="%+.2f%%"),
)
mean = (
    actions.group_by("action")
    .agg(
        pl.len().alias("actions"),
        *(pl.col(f"return_{k}d").mean().alias(f"mean_return_{k}d") for k in (1, 5, 10)),
    )
    .sort("action")
)
panels.chart(
    figures.bar_figure(
        mean,
        x="action",
        y="mean_return_5d",
        title="Mean 5-session return after each kind of action",
    ),
    mean,
    name=f"{ticker}_grade_mean_reaction",
    key="grades_mean",
)
