"""The price reaction after each analyst grade action, as a pure function of Polars frames."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl


def grade_reactions(
    grades: pl.DataFrame, bars: pl.DataFrame, *, days: Sequence[int] = (1, 5, 10)
) -> pl.DataFrame:
    """Return `grades` with `base_close` and `return_<k>d` (percent) for each k in `days`.

    In: `grades` (silver GRADES: `ticker, date, firm, previous_grade, new_grade,
    action`), `bars` (`ticker, date, close`, split-adjusted dollars, one row per session).
    Day 0 is the last close strictly before the action's date (actions are published
    before or during the session); day k is the k-th session after it. A return is
    null when that session is not in `bars` yet.
    """
    indexed = (
        bars.select("ticker", "date", "close")
        .sort("ticker", "date")
        .with_columns(pl.int_range(pl.len()).over("ticker").alias("session"))
    )
    anchors = indexed.select(
        "ticker", pl.col("date").alias("base_date"), "session", pl.col("close").alias("base_close")
    ).sort("base_date")
    based = grades.sort("date").join_asof(
        anchors,
        left_on="date",
        right_on="base_date",
        by="ticker",
        strategy="backward",
        allow_exact_matches=False,
        check_sortedness=False,
    )
    for k in days:
        later = indexed.select(
            "ticker", (pl.col("session") - k).alias("session"), pl.col("close").alias(f"close_{k}")
        )
        based = based.join(later, on=["ticker", "session"], how="left").with_columns(
            ((pl.col(f"close_{k}") / pl.col("base_close") - 1) * 100).alias(f"return_{k}d")
        )
    return based.select(*grades.columns, "base_close", *(f"return_{k}d" for k in days)).sort(
        "date", "ticker", descending=[True, False]
    )
