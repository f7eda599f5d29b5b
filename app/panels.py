"""How a chart sits on a page: the Plotly figure, then a CSV download of the data behind it."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from app.data import csv_bytes

PLOTLY_CONFIG = {"displaylogo": False, "scrollZoom": True}


def chart(
    figure: go.Figure,
    frame: pl.DataFrame,
    *,
    name: str,
    key: str,
    on_select: bool = False,
) -> Any:
    """Draw `figure` and a "Download CSV" button for `frame` (file `<name>.csv`).

    With `on_select`, point selections rerun the page and the selection state is
    returned (`.selection.points`); otherwise returns None.
    """
    if on_select:
        state = st.plotly_chart(
            figure,
            key=key,
            on_select="rerun",
            selection_mode="points",
            config=PLOTLY_CONFIG,
        )
    else:
        st.plotly_chart(figure, key=key, config=PLOTLY_CONFIG)
        state = None
    _download(frame, name=name, key=key)
    return state


def table(frame: pl.DataFrame, *, name: str, key: str, **column_config: Any) -> None:
    """Show `frame` as a table with its CSV download."""
    st.dataframe(frame, hide_index=True, column_config=column_config or None)
    _download(frame, name=name, key=key)


def _download(frame: pl.DataFrame, *, name: str, key: str) -> None:
    """The "Download CSV" button for the data behind a chart or table (`<name>.csv`)."""
    st.download_button(
        "Download CSV",
        csv_bytes(frame),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=f"{key}_csv",
        icon=":material/download:",
        on_click="ignore",
    )
