"""The split audit: providers' split data is a known source of errors, so splits are
checked against each other and against the raw prices they should explain."""

from __future__ import annotations

import polars as pl

from expectations.flags import log_move, looks_like_split, split_flags

FINDINGS_SCHEMA = pl.Schema(
    {
        "ticker": pl.String,
        "date": pl.Date,
        "issue": pl.String,
        "split_ratio": pl.Float64,
        "observed_move": pl.Float64,
    }
)
"""One row per finding. `issue` is one of ISSUES; `split_ratio` is new shares per old
share (null for a move without a split); `observed_move` is the raw close over the
previous close on that date (null when no bars cover it)."""

ISSUES: tuple[str, ...] = (
    "duplicate_split",
    "implausible_ratio",
    "split_without_move",
    "move_without_split",
)


def audit_splits(splits: pl.DataFrame, bars: pl.DataFrame) -> pl.DataFrame:
    """Return the split audit's findings (FINDINGS_SCHEMA), sorted by date and ticker.

    `splits`: `ticker, execution_date, split_from, split_to`; `bars`: raw (unadjusted)
    `ticker, date, close` covering the splits' execution dates and the day before.

    - duplicate_split: more than one split for a ticker on one execution date;
    - implausible_ratio: a side not positive, a 1:1 ratio or one beyond 1000:1;
    - split_without_move: the raw close on the execution date did not move the way the
      ratio says (closer to no move than to the split's); splits the bars do not cover
      are not judged;
    - move_without_split: a raw close-to-close move that matches a common split ratio
      on a day with no split for that ticker.
    """
    flagged = split_flags(splits, bars)
    duplicates = flagged.filter(pl.struct("ticker", "execution_date").is_duplicated())
    findings = [
        _finding(duplicates.unique(["ticker", "execution_date"]), "duplicate_split"),
        _finding(flagged.filter(~pl.col("ratio_is_plausible")), "implausible_ratio"),
        _finding(
            flagged.filter(pl.col("move_matches_ratio").not_()).unique(
                ["ticker", "execution_date"]
            ),
            "split_without_move",
        ),
        _moves_without_split(splits, bars),
    ]
    return pl.concat(findings, how="vertical").sort("date", "ticker", "issue")


def _finding(rows: pl.DataFrame, issue: str) -> pl.DataFrame:
    return rows.select(
        pl.col("ticker"),
        pl.col("execution_date").alias("date"),
        pl.lit(issue).alias("issue"),
        pl.col("split_ratio"),
        pl.col("observed_move"),
    ).cast(dict(FINDINGS_SCHEMA))  # type: ignore[arg-type]


def _moves_without_split(splits: pl.DataFrame, bars: pl.DataFrame) -> pl.DataFrame:
    if bars.is_empty():
        return pl.DataFrame(schema=FINDINGS_SCHEMA)
    move = log_move(pl.col("close"), pl.col("close").shift(1).over("ticker", order_by="date"))
    split_days = splits.select("ticker", pl.col("execution_date").alias("date")).unique()
    return (
        bars.select("ticker", "date", "close")
        .with_columns(move.alias("_move"))
        .filter(looks_like_split(pl.col("_move")).fill_null(False))
        .join(split_days, on=["ticker", "date"], how="anti")
        .select(
            "ticker",
            "date",
            pl.lit("move_without_split").alias("issue"),
            pl.lit(None, dtype=pl.Float64).alias("split_ratio"),
            pl.col("_move").exp().alias("observed_move"),
        )
        .cast(dict(FINDINGS_SCHEMA))  # type: ignore[arg-type]
    )
