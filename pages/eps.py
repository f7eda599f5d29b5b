"""Earnings (EPS): surprise % for the last 4 quarters, the normalized 10-day price path
after each announcement, and how surprises correlate with the returns that follow."""

from __future__ import annotations

import polars as pl
import streamlit as st

from app import data, figures, filters, panels

view = filters.for_page()
st.title("Earnings (EPS)")
uri = data.lake_uri()
members = data.or_stop(data.universe, uri)
if view.cap_buckets or view.liquidity_tiers:
    members = members.filter(
        (pl.col("cap_bucket").is_in(list(view.cap_buckets)) if view.cap_buckets else pl.lit(True))
        & (
            pl.col("liquidity_tier").is_in(list(view.liquidity_tiers))
            if view.liquidity_tiers
            else pl.lit(True)
        )
    )
if members.is_empty():
    st.info("No ticker matches the market-cap and liquidity filters; widen them in the sidebar.")
    st.stop()
ranked = members.sort("market_cap", descending=True, nulls_last=True)["ticker"].to_list()
default = list(dict.fromkeys([t for t in [view.ticker] if t in ranked] + ranked[:4]))

c1, c2, c3 = st.columns([3, 1, 1])
chosen = c1.multiselect(
    "Tickers (empty = every ticker in the filters)",
    ranked,
    default=default,
    key="eps_tickers",
    help="The sidebar's market-cap and liquidity filters narrow this list.",
)
quarters = c2.multiselect("Fiscal quarters", [1, 2, 3, 4], key="eps_quarters", placeholder="All")
years_known = data.or_stop(data.fiscal_years, uri)
years = c3.multiselect("Fiscal years", years_known, key="eps_years", placeholder="All")
# Nothing picked means every ticker in the filters (no ticker list at all when unfiltered).
filtered = bool(view.cap_buckets or view.liquidity_tiers)
scope = tuple(chosen) if chosen else tuple(ranked) if filtered else ()
eps = data.or_stop(data.eps_view, uri, scope, tuple(quarters), tuple(years))

VIEWS = ["Surprises", "Post-earnings path", "Surprise vs return"]
choice = st.segmented_control("View", VIEWS, default=VIEWS[0], key="eps_view", required=True)
if choice == "Surprises":
    surprises = eps["surprises"]
    if chosen:
        surprises = surprises.filter(pl.col("ticker").is_in(chosen))
    else:
        surprises = surprises.filter(pl.col("ticker").is_in(ranked[:10]))
        st.caption("No ticker picked: showing the 10 largest companies in the filters.")
    if surprises.is_empty():
        st.info("No reported earnings for these tickers yet.")
        st.stop()
    by = st.segmented_control(
        "Group by",
        ["ticker", "period"],
        default="ticker",
        format_func={"ticker": "Ticker", "period": "Quarter"}.__getitem__,
        key="eps_by",
        required=True,
    )
    panels.chart(
        figures.surprise_figure(surprises, by=by),
        surprises,
        name="eps_surprises",
        key="eps_surprises",
    )
else:
    paths = eps["paths"]
    if paths.is_empty():
        st.info("No earnings reactions match these filters; widen the tickers, quarters or years.")
        st.stop()
    events = paths.select("ticker", "report_date").unique().height
    if choice == "Post-earnings path":
        st.caption(
            f"{events:,} announcements · thin lines: one per announcement "
            "(green = beat, red = miss), first 60 shown; thick: mean of all."
        )
        panels.chart(
            figures.paths_figure(paths, eps["average"]),
            paths,
            name="eps_post_earnings_paths",
            key="eps_paths",
        )
    else:
        corr = eps["correlation"]
        period = st.slider("Return period (sessions after day 0)", 1, 10, 5, key="eps_period")
        points = paths.filter(
            (pl.col("day") == period) & pl.col("surprise_pct").is_not_null()
        ).select(
            "ticker", "report_date", "fiscal_year", "fiscal_quarter", "surprise_pct", "return_pct"
        )
        r = corr.filter(pl.col("period") == period)["correlation"]
        left, right = st.columns([3, 2])
        with left:
            panels.chart(
                figures.scatter_figure(
                    points, period=period, correlation=r[0] if r.len() else None
                ),
                points,
                name=f"eps_surprise_vs_{period}d_return",
                key="eps_scatter",
            )
        with right:
            corr_figure = figures.bar_figure(
                corr,
                x="period",
                y="correlation",
                title="Correlation (Pearson r) per return period",
                hover=("events",),
                percent=False,
            )
            corr_figure.update_xaxes(title="Sessions after day 0", dtick=1)
            panels.chart(
                corr_figure,
                corr,
                name="eps_correlation_by_period",
                key="eps_corr",
            )
