"""Candlesticks: OHLC with a volume pane, optional moving-average overlays and pattern markers."""

from __future__ import annotations

import streamlit as st

from app import data, figures, filters, panels
from lake.indicators.spec import IndicatorSpec, Patterns, Sma

view, ticker = filters.for_ticker_page()
st.title(f"{view.ticker_text} · candlesticks")

left, right = st.columns([2, 3])
averages = left.multiselect(
    "Moving-average overlays (SMA)", [10, 20, 50, 100, 200], default=[20, 50], key="cs_ma"
)
# Doji fire often on quiet days; off by default so the rarer reversal patterns stand out.
shown_patterns = right.multiselect(
    "Candlestick patterns",
    list(figures.PATTERNS),
    default=[p for p in figures.PATTERNS if p != "doji"],
    format_func=lambda p: figures.PATTERNS[p][0],
    key="cs_patterns",
)
show_patterns = bool(shown_patterns)
lines = [Sma(p) for p in sorted(averages)]
specs: list[IndicatorSpec] = [*lines, Patterns()] if show_patterns else [*lines]
frame = data.or_stop(
    data.price_view,
    data.lake_uri(),
    ticker,
    view.start,
    view.end,
    view.interval,
    tuple(spec.text for spec in specs),
)
markers = figures.pattern_markers(frame, shown_patterns) if show_patterns else []
chart = figures.PriceChart(
    frame=frame,
    title=f"{ticker} {filters.INTERVAL_LABELS[view.interval]} bars, {view.start} → {view.end}",
    interval=view.interval,
    overlays=[
        figures.Line(line.column, f"SMA {line.period}", color=figures.LINE_COLORS[line.period])
        for line in lines
    ],
    markers=markers,
    panes=[figures.volume_pane()],
)
panels.chart(
    figures.price_figure(chart),
    frame,
    name=f"{ticker}_candlesticks_{view.interval}",
    key="candlesticks",
)
