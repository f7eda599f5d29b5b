"""Plotly figures of the live pages: frames in (time_ms in UTC ms, prices in dollars), figures
out."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

TEMPLATE = "plotly_white"


def _times(frame: pl.DataFrame) -> list:
    return frame.select(pl.from_epoch("time_ms", time_unit="ms"))["time_ms"].to_list()


def velocity_figure(frame: pl.DataFrame, *, threshold_pct: float, limit: int = 40) -> go.Figure:
    """Bars of velocity (percent over the window) for the `limit` fastest-moving symbols."""
    top = frame.sort(pl.col("velocity_pct").abs(), descending=True).head(limit)
    colors = ["#2e7d32" if v >= 0 else "#c62828" for v in top["velocity_pct"].to_list()]
    fig = go.Figure(
        go.Bar(x=top["symbol"].to_list(), y=top["velocity_pct"].to_list(), marker_color=colors)
    )
    for level in (threshold_pct, -threshold_pct):
        fig.add_hline(y=level, line_dash="dot", line_color="#888")
    fig.update_layout(
        template=TEMPLATE,
        height=360,
        margin={"t": 30, "b": 40},
        yaxis_title="velocity, %",
        title="Fastest movers",
    )
    return fig


def candle_figure(frame: pl.DataFrame, *, title: str) -> go.Figure:
    """A candlestick of `frame` (time_ms, open, high, low, close); live buckets marked when
    present."""
    fig = go.Figure(
        go.Candlestick(
            x=_times(frame),
            open=frame["open"].to_list(),
            high=frame["high"].to_list(),
            low=frame["low"].to_list(),
            close=frame["close"].to_list(),
            name="price",
        )
    )
    fig.update_layout(
        template=TEMPLATE,
        height=420,
        title=title,
        xaxis_rangeslider_visible=False,
        margin={"t": 40, "b": 30},
        yaxis_title="$",
    )
    return fig


def moving_average_figure(frame: pl.DataFrame, columns: list[str], *, title: str) -> go.Figure:
    """Close and moving-average lines over time."""
    times = _times(frame)
    fig = go.Figure(
        go.Scatter(x=times, y=frame["close"].to_list(), name="close", line={"color": "#444"})
    )
    for column in columns:
        fig.add_trace(
            go.Scatter(x=times, y=frame[column].to_list(), name=column.upper().replace("_", " "))
        )
    fig.update_layout(
        template=TEMPLATE, height=420, title=title, margin={"t": 40, "b": 30}, yaxis_title="$"
    )
    return fig


def health_figure(frame: pl.DataFrame, column: str, *, title: str, unit: str) -> go.Figure:
    """One stats series over time."""
    fig = go.Figure(go.Scatter(x=frame["time"].to_list(), y=frame[column].to_list(), mode="lines"))
    fig.update_layout(
        template=TEMPLATE, height=240, title=title, margin={"t": 40, "b": 30}, yaxis_title=unit
    )
    return fig
