"""audit_splits: duplicates, implausible ratios, splits the prices do not show, and
price moves that look like a split nobody reported."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from expectations import audit_splits
from tests.expectations.batches import clean_bars, clean_splits, with_split

pytestmark = pytest.mark.unit

SPLIT_DAY = date(2025, 11, 17)


def test_a_split_the_prices_show_has_no_findings() -> None:
    bars = with_split(clean_bars(), "AAA", SPLIT_DAY, 2.0)

    assert audit_splits(clean_splits(), bars).is_empty()


@pytest.mark.parametrize(
    ("splits", "bars", "issue", "ticker", "day"),
    [
        (
            pl.concat([clean_splits(), clean_splits()]),
            with_split(clean_bars(), "AAA", SPLIT_DAY, 2.0),
            "duplicate_split",
            "AAA",
            SPLIT_DAY,
        ),
        (
            clean_splits().with_columns(pl.lit(0.0).alias("split_from")),
            clean_bars(),
            "implausible_ratio",
            "AAA",
            SPLIT_DAY,
        ),
        (clean_splits(), clean_bars(), "split_without_move", "AAA", SPLIT_DAY),
        (
            clean_splits(),
            with_split(
                with_split(clean_bars(), "AAA", SPLIT_DAY, 2.0), "CCC", date(2025, 12, 1), 4.0
            ),
            "move_without_split",
            "CCC",
            date(2025, 12, 1),
        ),
    ],
    ids=["duplicate", "implausible-ratio", "split-without-move", "move-without-split"],
)
def test_findings(
    splits: pl.DataFrame, bars: pl.DataFrame, issue: str, ticker: str, day: date
) -> None:
    findings = audit_splits(splits, bars)

    assert findings.select("ticker", "date", "issue").rows() == [(ticker, day, issue)]


def test_reverse_split_matches_its_move() -> None:
    splits = clean_splits().with_columns(
        pl.lit(10.0).alias("split_from"), pl.lit(1.0).alias("split_to")
    )
    bars = with_split(clean_bars(), "AAA", SPLIT_DAY, 0.1)

    assert audit_splits(splits, bars).is_empty()


def test_split_beyond_the_bars_is_not_judged() -> None:
    future = clean_splits().with_columns(pl.lit(date(2026, 3, 2)).alias("execution_date"))

    assert audit_splits(future, clean_bars()).is_empty()
