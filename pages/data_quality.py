"""Data quality: the latest validation per table, quarantined batches and why, and the
indicator reconciliation agreement over time."""

from __future__ import annotations

import streamlit as st

from app import data, figures, panels

st.title("Data quality")
q = data.or_stop(data.quality_view, data.lake_uri())

st.subheader("Latest validation per table")
latest = q["latest"]
if latest.is_empty():
    st.info(
        "No validation has run yet: results appear after the first load (`tickerlake demo` or `make run`)."
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
if recon is None or recon.is_empty():
    st.info(
        "No reconciliation results yet: the daily reconciliation step (indicators vs TA-Lib and the provider) has not run on this lake."
    )
else:
    panels.chart(
        figures.line_figure(
            recon.pivot("indicator", index="date", values="agreement_pct").sort("date"),
            x="date",
            ys=[(c, c) for c in recon["indicator"].unique().sort()],
            title="Agreement with the reference, per indicator",
            y_suffix="%",
        ),
        recon,
        name="reconciliation",
        key="dq_recon",
    )
