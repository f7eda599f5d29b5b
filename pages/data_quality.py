"""Data quality: the latest validation per table, quarantined batches and why, and the
indicator reconciliation agreement over time."""

from __future__ import annotations

from datetime import date

import polars as pl
import streamlit as st

from app import data, figures, panels

st.title("Data quality")
q = data.or_stop(data.quality_view, data.lake_uri())

st.subheader("Latest validation per table")
latest = q["latest"]
if latest.is_empty():
    st.info(
        "No validation has run yet: results appear after the first load "
        "(`tickerlake demo` or `make run`)."
    )
else:
    passed = int(latest["success"].sum())
    st.caption(f"{passed} of {latest.height} tables passed their latest validation.")
    panels.table(
        latest.select(
            "table",
            "success",
            "validated_at",
            "rows",
            "evaluated",
            "failed",
            "warnings",
            "failed_expectations",
            "warning_expectations",
            "batch_id",
        ),
        name="latest_validation",
        key="dq_latest",
        success=st.column_config.CheckboxColumn("passed"),
    )

st.subheader("Quarantined batches")
quarantined = q["quarantined"]
if quarantined.is_empty():
    st.success(
        "No batch has been quarantined: every load passed its checks.", icon=":material/verified:"
    )
else:
    panels.table(
        quarantined.select(
            "table",
            "batch_id",
            "validated_at",
            "rows",
            "failed",
            "failed_expectations",
            "quarantine_uri",
        ),
        name="quarantined_batches",
        key="dq_quarantine",
    )

st.subheader("Indicator reconciliation")
recon = q["reconciliation"]
if recon.is_empty():
    st.info(
        "No reconciliation results yet: the daily reconciliation step (our indicators vs "
        "TA-Lib, and vs the provider's indicator endpoints when a key is set) has not run "
        "on this lake. Run `tickerlake reconcile`."
    )
else:
    runs = recon["date"].n_unique()
    latest_day: date = recon.select(pl.col("date").max()).item()
    latest = recon.filter(pl.col("date") == latest_day)
    compared = int(latest["compared"].sum())  # Int64 counts
    overall = int(latest["agreed"].sum()) / max(compared, 1) * 100
    st.caption(
        f"{runs} run(s); latest as of {latest_day}: {overall:.2f}% of "
        f"{compared:,} compared values agree."
    )
    families = data.agreement_by_family(recon)
    wide = families.pivot("family", index="date", values="agreement_pct").sort("date")
    panels.chart(
        figures.line_figure(
            wide,
            x="date",
            ys=[(c, c.upper()) for c in wide.columns if c != "date"],
            title="Agreement with the reference over time, per indicator family",
            y_suffix="%",
            markers=True,
        ),
        families,
        name="reconciliation_history",
        key="dq_recon",
    )
    panels.table(
        latest.select(
            "indicator",
            "reference",
            "tickers",
            "compared",
            "agreed",
            "agreement_pct",
            "max_rel_diff",
        ),
        name="reconciliation_latest",
        key="dq_recon_latest",
        agreement_pct=st.column_config.NumberColumn("agreement", format="%.2f%%"),
        max_rel_diff=st.column_config.NumberColumn("max relative diff", format="%.1e"),
    )
