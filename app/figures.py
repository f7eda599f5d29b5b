"""Plotly figure builders: Polars frames in, `go.Figure` out. No Streamlit, no IO.

Price charts share one layout: the price pane on top, indicator panes under it on the
same time axis (zooming one zooms all), hover showing every value of the day, a range
slider, and no gaps for weekends and holidays (daily bars get `rangebreaks` for the
weekdays without a session, taken from the bars themselves).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from app.text import chart_text

UP = "#26a69a"
DOWN = "#ef5350"
GRADE = "#8e24aa"  # the purple analyst-grade dots
NEUTRAL = "#78909c"
PALETTE = ("#1e88e5", "#fb8c00", "#43a047", "#e53935", "#6d4c41", "#00acc1", "#fdd835")
LINE_COLORS = {10: "#00acc1", 20: "#1e88e5", 50: "#fb8c00", 100: "#43a047", 200: "#e53935"}


@dataclass(frozen=True)
class Line:
    """A line drawn from `column` of the chart frame."""

    column: str
    name: str
    color: str | None = None
    dash: str | None = None
    width: float = 1.5
    fill_to_previous: bool = False  # shade the band between this line and the one before


@dataclass(frozen=True)
class Bars:
    """Bars drawn from `column`; coloured by sign, or by the candle's direction."""

    column: str
    name: str
    color_by: str = "sign"  # "sign" of the value, or "candle" (close >= open)
    opacity: float = 0.7


@dataclass(frozen=True)
class Markers:
    """Point markers at (`date`, `y`) with hover text; `customdata` travels to selections."""

    frame: pl.DataFrame  # columns: date, y, text (hover), and any `customdata` columns
    name: str
    symbol: str = "circle"
    color: str = GRADE
    size: int = 9
    customdata: tuple[str, ...] = ()


@dataclass(frozen=True)
class Pane:
    """One indicator pane under the price."""

    title: str
    traces: Sequence[Line | Bars | Markers] = ()
    hlines: Sequence[float] = ()
    y_range: tuple[float, float] | None = None
    height: float = 0.22  # share of the figure's height
    percent: bool = False


@dataclass(frozen=True)
class PriceChart:
    """Everything a price chart shows: frame `date, open, high, low, close, volume` + indicators."""

    frame: pl.DataFrame
    title: str
    interval: str = "day"
    candles: bool = True
    overlays: Sequence[Line] = ()
    markers: Sequence[Markers] = ()
    panes: Sequence[Pane] = field(default_factory=tuple)


def price_figure(chart: PriceChart) -> go.Figure:
    """Return the price pane (candles or close line, overlays, markers) with its panes under it."""
    frame = chart.frame.sort("date")
    rows = 1 + len(chart.panes)
    pane_share = sum(p.height for p in chart.panes)
    heights = [max(1.0 - pane_share, 0.35), *[p.height for p in chart.panes]]
    fig = make_subplots(
        rows=rows,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.03,
        row_heights=heights,
        subplot_titles=[None, *[p.title for p in chart.panes]],
    )
    dates = frame["date"].to_list()
    if chart.candles:
        fig.add_trace(
            go.Candlestick(
                x=_array(frame["date"]),
                open=_array(frame["open"]),
                high=_array(frame["high"]),
                low=_array(frame["low"]),
                close=_array(frame["close"]),
                name="Price",
                increasing_line_color=UP,
                decreasing_line_color=DOWN,
                showlegend=False,
            ),
            row=1,
            col=1,
        )
    else:
        fig.add_trace(
            go.Scatter(
                x=_array(frame["date"]),
                y=_array(frame["close"]),
                name="Close",
                line={"color": "#263238", "width": 1.6},
                hovertemplate="%{y:$,.2f}",
            ),
            row=1,
            col=1,
        )
    for i, line in enumerate(chart.overlays):
        _add_line(fig, frame, line, PALETTE[i % len(PALETTE)], row=1)
    for markers in chart.markers:
        _add_markers(fig, markers, row=1)
    for row, pane in enumerate(chart.panes, start=2):
        for i, trace in enumerate(pane.traces):
            if isinstance(trace, Line):
                _add_line(fig, frame, trace, PALETTE[i % len(PALETTE)], row=row)
            elif isinstance(trace, Bars):
                _add_bars(fig, frame, trace, row=row)
            else:
                _add_markers(fig, trace, row=row)
        for level in pane.hlines:
            fig.add_hline(
                y=level, line={"color": NEUTRAL, "width": 1, "dash": "dot"}, row=row, col=1
            )
        if pane.y_range is not None:
            fig.update_yaxes(range=list(pane.y_range), row=row, col=1)
        if pane.percent:
            fig.update_yaxes(ticksuffix="%", row=row, col=1)
    fig.update_yaxes(tickprefix="$", row=1, col=1)
    _time_axis(fig, dates, chart.interval, rows)
    # Title on top, the legend in its own band under it (left-aligned, wraps freely).
    fig.update_layout(
        title={"text": chart.title, "x": 0.01, "xanchor": "left", "y": 0.99, "yanchor": "top"},
        height=470 + 170 * len(chart.panes),
        hovermode="x unified",
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0, "xanchor": "left"},
        margin={"l": 10, "r": 10, "t": 95, "b": 10},
        dragmode="pan",
    )
    return fig


def volume_pane(height: float = 0.18) -> Pane:
    """Return the volume pane: bars coloured by the candle's direction."""
    return Pane(
        "Volume", (Bars("volume", "Volume", color_by="candle", opacity=0.6),), height=height
    )


def _time_axis(fig: go.Figure, dates: list[date], interval: str, rows: int) -> None:
    breaks: list[dict] = []
    if interval == "day" and dates:
        traded = set(dates)
        holidays = [
            d.isoformat() for d in _days(dates[0], dates[-1]) if d.weekday() < 5 and d not in traded
        ]
        breaks = [{"bounds": ["sat", "mon"]}]
        if holidays:
            breaks.append({"values": holidays})
    fig.update_xaxes(rangebreaks=breaks, showspikes=True, spikemode="across", spikethickness=1)
    # The slider sits under the bottom pane and drives every pane (shared x axis).
    for row in range(1, rows + 1):
        fig.update_xaxes(rangeslider_visible=False, row=row, col=1)
    fig.update_xaxes(rangeslider={"visible": True, "thickness": 0.05}, row=rows, col=1)


def _array(column: pl.Series) -> np.ndarray:
    """`column` as a NumPy array: Plotly takes arrays as they are, where it validates a
    list item by item (building a year's candle chart from lists took ~100 ms)."""
    return column.to_numpy()


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _add_line(fig: go.Figure, frame: pl.DataFrame, line: Line, fallback: str, *, row: int) -> None:
    if line.column not in frame.columns:
        return
    fig.add_trace(
        go.Scatter(
            x=_array(frame["date"]),
            y=_array(frame[line.column]),
            name=line.name,
            mode="lines",
            line={"color": line.color or fallback, "width": line.width, "dash": line.dash},
            fill="tonexty" if line.fill_to_previous else None,
            fillcolor="rgba(30,136,229,0.08)" if line.fill_to_previous else None,
            hovertemplate="%{y:,.2f}",
            connectgaps=False,
        ),
        row=row,
        col=1,
    )


def _add_bars(fig: go.Figure, frame: pl.DataFrame, bars: Bars, *, row: int) -> None:
    if bars.column not in frame.columns:
        return
    values = frame[bars.column]
    if bars.color_by == "candle":
        rising = frame["close"] >= frame["open"]
    else:
        rising = values.fill_null(0) >= 0
    # One trace per colour: a colour per bar is validated item by item in Python, and a
    # 0/1 array on a colour scale draws (with its range-slider copy) ~300 ms slower.
    for up, color in ((True, UP), (False, DOWN)):
        part = frame.filter(rising.fill_null(True) == up)
        fig.add_trace(
            go.Bar(
                x=_array(part["date"]),
                y=_array(part[bars.column]),
                name=bars.name,
                marker={"color": color, "line": {"width": 0}},
                opacity=bars.opacity,
                showlegend=False,
                hovertemplate="%{y:,.4s}" if bars.color_by == "candle" else "%{y:,.3f}",
            ),
            row=row,
            col=1,
        )
    # Overlaid, not grouped (grouping would halve and offset them): one bar per date.
    fig.update_layout(barmode="overlay")


def _add_markers(fig: go.Figure, markers: Markers, *, row: int) -> None:
    frame = markers.frame
    if frame.is_empty():
        return
    custom = frame.select(markers.customdata).rows() if markers.customdata else None
    fig.add_trace(
        go.Scatter(
            x=_array(frame["date"]),
            y=_array(frame["y"]),
            name=markers.name,
            mode="markers",
            marker={
                "symbol": markers.symbol,
                "color": markers.color,
                "size": markers.size,
                "line": {"width": 1, "color": "white"},
            },
            text=frame["text"].to_list() if "text" in frame.columns else None,
            hovertemplate="%{text}<extra>" + markers.name + "</extra>",
            customdata=custom,
        ),
        row=row,
        col=1,
    )


# --- market and earnings figures --------------------------------------------------------


def market_map_figure(tiles: pl.DataFrame, *, title: str) -> go.Figure:
    """Return the treemap: sector → company, area by market cap, colour by `return_pct`.

    In: `tiles` from `lake.market_health.map_tiles` (sectors, the largest companies, and
    one "Other (n)" tile per sector for the rest).
    """
    leaves = tiles.filter(pl.col("parent") != "")
    bound = (
        max(3.0, float(leaves["return_pct"].abs().quantile(0.9) or 0.0)) if leaves.height else 3.0
    )
    ids, labels, parents = (
        tiles["id"].to_list(),
        tiles["label"].to_list(),
        tiles["parent"].to_list(),
    )
    caps, colors, names = (tiles[c].to_list() for c in ("market_cap", "return_pct", "name"))
    # Company and sector names are provider text: shown literally, never as Plotly markup.
    labels, names = [chart_text(v) for v in labels], [chart_text(v) for v in names]
    # A sector's area is the sum of its tiles ("remainder" with no value of its own):
    # a float sum given as "total" can fall an ulp short and hide the sector.
    values = [0.0 if parent == "" else cap for parent, cap in zip(parents, caps, strict=True)]
    fig = go.Figure(
        go.Treemap(
            ids=ids,
            labels=labels,
            parents=parents,
            values=values,
            branchvalues="remainder",
            marker={
                "colors": colors,
                "colorscale": [[0, DOWN], [0.5, "#eceff1"], [1, UP]],
                "cmin": -bound,
                "cmid": 0,
                "cmax": bound,
                "colorbar": {"title": "%", "ticksuffix": "%"},
            },
            customdata=list(zip(names, colors, caps, strict=True)),
            texttemplate="<b>%{label}</b><br>%{customdata[1]:+.2f}%",
            hovertemplate="<b>%{label}</b> %{customdata[0]}<br>Market cap %{customdata[2]:$,.3s}"
            "<br>Change %{customdata[1]:+.2f}%<extra></extra>",
            tiling={"pad": 1},
        )
    )
    fig.update_layout(
        title={"text": title, "x": 0.01}, height=560, margin={"l": 5, "r": 5, "t": 50, "b": 5}
    )
    return fig


def bar_figure(
    frame: pl.DataFrame,
    *,
    x: str,
    y: str,
    title: str,
    horizontal: bool = False,
    hover: Sequence[str] = (),
    percent: bool = True,
) -> go.Figure:
    """Return a bar chart of `y` by `x`, bars green when positive and red when negative."""
    values = frame[y].to_list()
    colors = [UP if (v or 0) >= 0 else DOWN for v in values]
    custom = [tuple(map(chart_text, r)) for r in frame.select(hover).rows()] if hover else None
    extra = "".join(f"<br>{h}: %{{customdata[{i}]}}" for i, h in enumerate(hover))
    fmt = "%{value:+.2f}%" if percent else "%{value:,.2f}"
    bar = go.Bar(
        x=values if horizontal else frame[x].to_list(),
        y=frame[x].to_list() if horizontal else values,
        orientation="h" if horizontal else "v",
        marker_color=colors,
        customdata=custom,
        hovertemplate=f"<b>%{{{'y' if horizontal else 'x'}}}</b><br>{fmt}{extra}<extra></extra>",
        texttemplate="%{value:+.1f}%" if percent else "%{value:.2f}",
        textposition="auto",
        cliponaxis=False,
    )
    fig = go.Figure(bar)
    fig.update_layout(
        title={"text": title, "x": 0.01},
        height=max(320, 28 * frame.height + 110) if horizontal else 380,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
    )
    if horizontal:
        fig.update_yaxes(autorange="reversed")
        fig.update_xaxes(ticksuffix="%" if percent else None)
    else:
        fig.update_yaxes(ticksuffix="%" if percent else None)
    return fig


def line_figure(
    frame: pl.DataFrame,
    *,
    x: str,
    ys: Sequence[tuple[str, str]],
    title: str,
    y_suffix: str = "",
    y_prefix: str = "",
    height: int = 360,
    hlines: Sequence[float] = (),
    markers: bool = False,
) -> go.Figure:
    """Return lines of the (`column`, `name`) pairs in `ys` against `x`."""
    fig = go.Figure()
    for i, (column, name) in enumerate(ys):
        fig.add_trace(
            go.Scatter(
                x=frame[x].to_list(),
                y=frame[column].to_list(),
                name=name,
                mode="lines+markers" if markers else "lines",
                line={"color": PALETTE[i % len(PALETTE)], "width": 2},
                hovertemplate=f"{y_prefix}%{{y:,.2f}}{y_suffix}",
            )
        )
    for level in hlines:
        fig.add_hline(y=level, line={"color": NEUTRAL, "width": 1, "dash": "dot"})
    fig.update_layout(
        title={"text": title, "x": 0.01},
        height=height,
        hovermode="x unified",
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right"},
    )
    fig.update_yaxes(ticksuffix=y_suffix, tickprefix=y_prefix)
    return fig


def surprise_figure(frame: pl.DataFrame, *, by: str) -> go.Figure:
    """Return grouped bars of EPS surprise %: by ticker (one bar per quarter) or by quarter.

    In: `frame` from `lake.earnings_analytics.surprise_by_quarter`; `by` is `ticker` or `period`.
    """
    other = "period" if by == "ticker" else "ticker"
    fig = go.Figure()
    for i, group in enumerate(frame[other].unique(maintain_order=True).sort().to_list()):
        part = frame.filter(pl.col(other) == group)
        fig.add_trace(
            go.Bar(
                x=part[by].to_list(),
                y=part["surprise_pct"].to_list(),
                name=str(group),
                marker_color=PALETTE[i % len(PALETTE)],
                customdata=part.select("report_date", "eps_estimate", "eps_actual").rows(),
                hovertemplate=f"<b>%{{x}}</b> {group}<br>Surprise %{{y:+.1f}}%"
                "<br>Reported %{customdata[0]}"
                "<br>EPS est. %{customdata[1]:.2f} · actual %{customdata[2]:.2f}"
                "<extra></extra>",
            )
        )
    fig.add_hline(y=0, line={"color": NEUTRAL, "width": 1})
    fig.update_layout(
        barmode="group",
        title={"text": f"EPS surprise % by {'ticker' if by == 'ticker' else 'quarter'}", "x": 0.01},
        height=420,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right"},
    )
    fig.update_yaxes(ticksuffix="%")
    return fig


def paths_figure(paths: pl.DataFrame, average: pl.DataFrame, *, max_lines: int = 60) -> go.Figure:
    """Return the normalized post-earnings paths (thin lines, coloured by surprise sign)
    under the mean path (thick), day 0 = last close before the news."""
    fig = go.Figure()
    events = paths.select("ticker", "report_date").unique(maintain_order=True).head(max_lines)
    for ticker, report_date in events.iter_rows():
        one = paths.filter((pl.col("ticker") == ticker) & (pl.col("report_date") == report_date))
        surprise = one["surprise_pct"][0]
        shown = surprise if surprise is not None else float("nan")
        fig.add_trace(
            go.Scatter(
                x=one["day"].to_list(),
                y=one["return_pct"].to_list(),
                mode="lines",
                line={"width": 1, "color": UP if (surprise or 0) >= 0 else DOWN},
                opacity=0.35,
                name=f"{ticker} {report_date}",
                showlegend=False,
                hovertemplate=f"{ticker} {report_date} (surprise {shown:+.1f}%)"
                "<br>day %{x}: %{y:+.2f}%<extra></extra>",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=average["day"].to_list(),
            y=average["mean_pct"].to_list(),
            mode="lines+markers",
            line={"width": 3, "color": "#263238"},
            name="Mean of all events",
            hovertemplate="day %{x}: mean %{y:+.2f}%<extra></extra>",
        )
    )
    fig.add_hline(y=0, line={"color": NEUTRAL, "width": 1, "dash": "dot"})
    fig.update_layout(
        title={
            "text": "Price path after the announcement (day 0 = last close before the news)",
            "x": 0.01,
        },
        height=440,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right"},
    )
    fig.update_xaxes(title="Trading days after day 0", dtick=1)
    fig.update_yaxes(ticksuffix="%", title="Return since day 0")
    return fig


def scatter_figure(points: pl.DataFrame, *, period: int, correlation: float | None) -> go.Figure:
    """Return surprise % (x) against the return after `period` days (y), with a fitted line."""
    fig = go.Figure(
        go.Scatter(
            x=points["surprise_pct"].to_list(),
            y=points["return_pct"].to_list(),
            mode="markers",
            marker={"size": 7, "color": "#1e88e5", "opacity": 0.6},
            customdata=points.select("ticker", "report_date").rows(),
            hovertemplate="<b>%{customdata[0]}</b> %{customdata[1]}<br>surprise %{x:+.1f}%"
            "<br>return %{y:+.2f}%<extra></extra>",
            name="Reports",
        )
    )
    if points.height >= 2:
        fit = points.select(
            slope=pl.cov("surprise_pct", "return_pct") / pl.col("surprise_pct").var(),
            mx=pl.col("surprise_pct").mean(),
            my=pl.col("return_pct").mean(),
            lo=pl.col("surprise_pct").min(),
            hi=pl.col("surprise_pct").max(),
        ).row(0, named=True)
        if fit["slope"] is not None and fit["slope"] == fit["slope"]:
            xs = [fit["lo"], fit["hi"]]
            ys = [fit["my"] + fit["slope"] * (x - fit["mx"]) for x in xs]
            fig.add_trace(
                go.Scatter(
                    x=xs,
                    y=ys,
                    mode="lines",
                    line={"color": DOWN, "width": 2},
                    name="Least-squares fit",
                )
            )
    corr = "n/a" if correlation is None else f"{correlation:+.2f}"
    fig.update_layout(
        title={
            "text": f"Surprise vs {period}-day return · r = {corr} · n = {points.height}",
            "x": 0.01,
        },
        height=420,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right"},
    )
    fig.update_xaxes(title="EPS surprise", ticksuffix="%")
    fig.update_yaxes(title=f"Return after {period} days", ticksuffix="%")
    return fig


def grades_timeline_figure(
    bars: pl.DataFrame, grades: pl.DataFrame, *, title: str, focus: date | None = None
) -> go.Figure:
    """Return the close line with one marker per grade action (triangle up for upgrades,
    down for downgrades, circle otherwise); `focus` draws a vertical line on that day."""
    fig = go.Figure(
        go.Scatter(
            x=bars["date"].to_list(),
            y=bars["close"].to_list(),
            mode="lines",
            name="Close",
            line={"color": "#263238", "width": 1.5},
            hovertemplate="%{y:$,.2f}",
        )
    )
    styles = {
        "upgrade": ("triangle-up", UP),
        "downgrade": ("triangle-down", DOWN),
        "initiate": ("star", "#1e88e5"),
        "maintain": ("circle", GRADE),
    }
    if not grades.is_empty():
        placed = grades.join(bars.select("date", "close"), on="date", how="left")
        for action, (symbol, color) in styles.items():
            part = placed.filter(pl.col("action") == action)
            if part.is_empty():
                continue
            fig.add_trace(
                go.Scatter(
                    x=part["date"].to_list(),
                    y=part["close"].to_list(),
                    mode="markers",
                    name=chart_text(action.capitalize()),
                    marker={
                        "symbol": symbol,
                        "size": 12,
                        "color": color,
                        "line": {"width": 1, "color": "white"},
                    },
                    customdata=[
                        tuple(map(chart_text, r))
                        for r in part.select("firm", "previous_grade", "new_grade").rows()
                    ],
                    hovertemplate="%{customdata[0]}: %{customdata[1]} → %{customdata[2]}<extra>"
                    + str(chart_text(action))
                    + "</extra>",
                )
            )
    if focus is not None:
        fig.add_vline(x=focus.isoformat(), line={"color": GRADE, "width": 2, "dash": "dash"})
    fig.update_layout(
        title={"text": title, "x": 0.01},
        height=420,
        hovermode="closest",
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right"},
    )
    fig.update_yaxes(tickprefix="$")
    fig.update_xaxes(
        rangebreaks=[{"bounds": ["sat", "mon"]}], rangeslider={"visible": True, "thickness": 0.05}
    )
    return fig


# --- markers ----------------------------------------------------------------------------


def _price_spread(frame: pl.DataFrame) -> float:
    """Return max(`high`) - min(`low`) of `frame` in price units; 0.0 for an empty frame."""
    if frame.is_empty():
        return 0.0
    return float(frame.select(pl.col("high").max() - pl.col("low").min()).item())


def grade_markers(frame: pl.DataFrame, grade_days: pl.DataFrame) -> Markers:
    """Return the purple analyst-grade dots, placed just under each grade day's low.

    In: the chart frame (`date, low, close`) and `grade_days` (`date, actions, text`).
    Days without a bar in the chart (e.g. inside a weekly bar) snap to the next bar.
    `customdata` = ("grade", ISO date) so a selection can open that day's grades.
    """
    if grade_days.is_empty() or frame.is_empty():
        return Markers(pl.DataFrame(schema={"date": pl.Date, "y": pl.Float64}), "Analyst grade")
    bars = frame.select("date", "low").sort("date")
    placed = (
        grade_days.sort("date")
        .rename({"date": "grade_date"})
        .join_asof(bars, left_on="grade_date", right_on="date", strategy="forward")
        .filter(pl.col("date").is_not_null())
        .group_by("date", maintain_order=True)
        .agg(
            pl.col("low").first(),
            pl.col("grade_date").first().cast(pl.String).alias("iso"),
            pl.col("text").str.join("<br>"),
        )
    )
    spread = _price_spread(frame) if "high" in frame.columns else 0.0
    placed = placed.with_columns(
        (pl.col("low") - 0.03 * spread).alias("y"), pl.lit("grade").alias("tag")
    )
    return Markers(
        placed, "Analyst grade", symbol="circle", color=GRADE, size=10, customdata=("tag", "iso")
    )


def signal_markers(events: pl.DataFrame, name: str, *, up: bool) -> Markers:
    """Return buy (green triangle under the low) or sell (red triangle over the high) markers."""
    if events.is_empty():
        return Markers(pl.DataFrame(schema={"date": pl.Date, "y": pl.Float64}), name)
    y = pl.col("low") * 0.985 if up else pl.col("high") * 1.015
    frame = events.select(
        "date",
        y.alias("y"),
        pl.format(
            "{} at close ${}", pl.lit("Buy" if up else "Sell"), pl.col("close").round(2)
        ).alias("text"),
    )
    return Markers(
        frame,
        name,
        symbol="triangle-up" if up else "triangle-down",
        color=UP if up else DOWN,
        size=12,
    )


def cross_markers(events: pl.DataFrame, name: str, *, up: bool) -> Markers:
    """Return golden-cross (gold star) or death-cross (black x) markers at the close."""
    if events.is_empty():
        return Markers(pl.DataFrame(schema={"date": pl.Date, "y": pl.Float64}), name)
    frame = events.select(
        "date",
        pl.col("close").alias("y"),
        pl.format("{} · close ${}", pl.lit(name), pl.col("close").round(2)).alias("text"),
    )
    return Markers(
        frame,
        name,
        symbol="star" if up else "x",
        color="#f9a825" if up else "#212121",
        size=16 if up else 13,
    )


PATTERNS = {
    # column (engine's pattern flag) -> (label, bullish?)
    "doji": ("Doji", None),
    "hammer": ("Hammer", True),
    "shooting_star": ("Shooting star", False),
    "bullish_engulfing": ("Bullish engulfing", True),
    "bearish_engulfing": ("Bearish engulfing", False),
    "morning_star": ("Morning star", True),
    "evening_star": ("Evening star", False),
}


def pattern_markers(frame: pl.DataFrame, shown: Sequence[str] | None = None) -> list[Markers]:
    """Return one marker set per candlestick pattern flagged in `frame` (bool columns
    named as in `PATTERNS`; only those in `shown` when given): bullish under the low,
    bearish over the high, doji over the high."""
    out = []
    spread = _price_spread(frame)
    for column, (label, bullish) in PATTERNS.items():
        if column not in frame.columns or (shown is not None and column not in shown):
            continue
        hits = frame.filter(pl.col(column).fill_null(False).cast(pl.Boolean))
        if hits.is_empty():
            continue
        if bullish is None:
            y, symbol, color = pl.col("high") + 0.02 * spread, "diamond", "#5c6bc0"
        elif bullish:
            y, symbol, color = pl.col("low") - 0.02 * spread, "triangle-up", "#2e7d32"
        else:
            y, symbol, color = pl.col("high") + 0.02 * spread, "triangle-down", "#c62828"
        out.append(
            Markers(
                hits.select("date", y.alias("y"), pl.lit(label).alias("text")),
                label,
                symbol=symbol,
                color=color,
                size=8,
            )
        )
    return out
