"""Market health: market map, sector performance, movers, mega caps, cap buckets and
liquidity tiers, breadth, and a 30-day close trend for the chosen ticker."""

from __future__ import annotations

import streamlit as st

from app import data, figures, filters, panels

view = filters.for_page()
st.title("Market health")
m = data.or_stop(
    data.market_view,
    data.lake_uri(),
    view.cap_buckets,
    view.liquidity_tiers,
    view.start,
    view.end,
    view.ticker,
)
scope = ", ".join(view.cap_buckets) or "all caps"
tiers = ", ".join(view.liquidity_tiers) or "all liquidity tiers"
st.caption(
    f"{m['members'].height:,} tickers ({scope}; {tiers}) · period {view.start} → {view.end}"
    f" · last session {m['last_day']}"
)

last = m["breadth_history"].row(-1, named=True) if m["breadth_history"].height else {}
c1, c2, c3, c4 = st.columns(4)
c1.metric("Advancers", f"{last.get('advancers', 0):,}")
c2.metric("Decliners", f"{last.get('decliners', 0):,}")
c3.metric("Above 50-day SMA", f"{last.get('pct_above_sma50') or 0:.0f}%")
c4.metric("Above 200-day SMA", f"{last.get('pct_above_sma200') or 0:.0f}%")

VIEWS = ["Market map", "Sectors", "Movers", "Cap & liquidity", "Breadth", "Ticker trend"]
choice = st.segmented_control("View", VIEWS, default=VIEWS[0], key="mh_view", required=True)

if choice == "Market map":
    panels.chart(
        figures.market_map_figure(
            m["map_tiles"],
            title="Market map: sector → company, area = market cap, "
            f"colour = % change {view.start} → {view.end}",
        ),
        m["map"],
        name="market_map",
        key="mh_map",
    )
elif choice == "Sectors":
    basis = st.segmented_control(
        "Over",
        ["Last session", "Month to date", "Chosen period"],
        default="Chosen period",
        key="mh_sector_basis",
        required=True,
    )
    frame = {
        "Last session": m["sectors_day"],
        "Month to date": m["sectors_month"],
        "Chosen period": m["sectors_period"],
    }[basis]
    panels.chart(
        figures.bar_figure(
            frame,
            x="sector",
            y="cap_weighted_return_pct",
            horizontal=True,
            title=f"Sector performance ({basis.lower()}), cap-weighted",
            hover=("tickers", "advancers", "decliners"),
        ),
        frame,
        name=f"sector_performance_{basis.replace(' ', '_').lower()}",
        key="mh_sectors",
    )
elif choice == "Movers":
    for column, which in zip(st.columns(2), ("top", "worst"), strict=True):
        with column:
            panels.chart(
                figures.bar_figure(
                    m[which],
                    x="ticker",
                    y="change_pct",
                    horizontal=True,
                    title=f"{which.capitalize()} performers vs previous close ({m['last_day']})",
                    hover=("name", "close"),
                ),
                m[which],
                name=f"{which}_performers",
                key=f"mh_{which}",
            )
    st.subheader("Mega-cap leaders")
    panels.chart(
        figures.bar_figure(
            m["mega"],
            x="ticker",
            y="change_pct",
            title=f"Largest companies, change vs previous close ({m['last_day']})",
            hover=("name", "market_cap"),
        ),
        m["mega"],
        name="mega_cap_leaders",
        key="mh_mega",
    )
elif choice == "Cap & liquidity":
    left, right = st.columns(2)
    with left:
        panels.chart(
            figures.bar_figure(
                m["by_cap"],
                x="cap_bucket",
                y="cap_weighted_return_pct",
                title="By market-cap bucket (period, cap-weighted)",
                hover=("tickers", "median_return_pct"),
            ),
            m["by_cap"],
            name="performance_by_cap_bucket",
            key="mh_cap",
        )
    with right:
        panels.chart(
            figures.bar_figure(
                m["by_tier"],
                x="liquidity_tier",
                y="cap_weighted_return_pct",
                title="By liquidity tier (period, cap-weighted)",
                hover=("tickers", "median_return_pct"),
            ),
            m["by_tier"],
            name="performance_by_liquidity_tier",
            key="mh_tier",
        )
elif choice == "Breadth":
    history = m["breadth_history"]
    panels.chart(
        figures.line_figure(
            history,
            x="date",
            ys=[
                ("pct_above_sma50", "% above 50-day SMA"),
                ("pct_above_sma200", "% above 200-day SMA"),
            ],
            title="Share of tickers above their moving averages",
            y_suffix="%",
            hlines=(50,),
        ),
        history,
        name="breadth",
        key="mh_breadth",
    )
    panels.chart(
        figures.line_figure(
            history,
            x="date",
            ys=[("advance_decline_line", "Advance-decline line")],
            title="Advance-decline line (cumulative advancers − decliners)",
        ),
        history.select("date", "advancers", "decliners", "advance_decline_line"),
        name="advance_decline",
        key="mh_ad",
    )
else:
    trend = m["trend"]
    if view.ticker is None or trend.is_empty():
        st.info("Pick a ticker in the sidebar to see its 30-session close trend.")
    else:
        change = trend["change_pct"][-1]
        st.metric(
            f"{view.ticker_text} over 30 sessions", f"${trend['close'][-1]:,.2f}", f"{change:+.2f}%"
        )
        panels.chart(
            figures.line_figure(
                trend,
                x="date",
                ys=[("close", "Close")],
                title=f"{view.ticker}: last 30 sessions' closes",
                y_prefix="$",
                markers=True,
            ),
            trend,
            name=f"{view.ticker}_30d_trend",
            key="mh_trend",
        )
