"""The pure comparison of our indicator frame with a reference (lake/reconciliation.py)."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from lake.reconciliation import (
    MASSIVE_TOLERANCE,
    TALIB_TOLERANCE,
    agreement_by_indicator,
    compare_indicators,
    long_indicators,
)

pytestmark = pytest.mark.unit

DAYS = [date(2024, 1, 1) + timedelta(days=i) for i in range(6)]
SMA = [None, None, 10.0, 11.0, 12.0, 13.0]


def _ours(
    values: list[float | None], *, column: str = "sma_3", close: float = 100.0
) -> pl.DataFrame:
    return pl.DataFrame(
        {"ticker": "AAA", "date": DAYS, "close": [close] * len(DAYS), column: values},
        schema_overrides={column: pl.Float64},
    )


def _reference(
    values: list[float | None], *, column: str = "sma_3", days: list[date] = DAYS
) -> pl.DataFrame:
    wide = pl.DataFrame(
        {"ticker": "AAA", "date": days, column: values}, schema_overrides={column: pl.Float64}
    )
    return long_indicators(wide, [column])


def _one(ours: pl.DataFrame, reference: pl.DataFrame, tolerance: float = TALIB_TOLERANCE) -> dict:
    result = compare_indicators(ours, reference, tolerance=tolerance)
    assert result.height == 1
    return result.row(0, named=True)


def test_identical_values_agree_everywhere() -> None:
    row = _one(_ours(SMA), _reference(SMA))

    assert row["compared"] == 4  # warm-up rows where neither side has a value are not compared
    assert row["agreed"] == 4
    assert row["agreement_pct"] == 100.0
    assert row["max_rel_diff"] == 0.0


@pytest.mark.parametrize(
    ("tolerance", "agreed"),
    [(TALIB_TOLERANCE, 3), (MASSIVE_TOLERANCE, 4)],
    ids=["talib", "massive"],
)
def test_a_value_off_by_1e_6_relative(tolerance: float, agreed: int) -> None:
    off = [None, None, 10.0, 11.0 * (1 + 1e-6), 12.0, 13.0]

    row = _one(_ours(off), _reference(SMA), tolerance)

    assert row["compared"] == 4
    assert row["agreed"] == agreed
    assert row["agreement_pct"] == pytest.approx(100.0 * agreed / 4)
    assert row["max_rel_diff"] == pytest.approx(1e-6, rel=1e-6)


@pytest.mark.parametrize(
    ("ours", "reference"),
    [
        ([None, 9.0, 10.0, 11.0, 12.0, 13.0], SMA),  # a value where the reference has none
        (SMA, [None, 9.0, 10.0, 11.0, 12.0, 13.0]),  # none where the reference has one
        ([None, None, 10.0, None, 12.0, 13.0], [None, None, 10.0, 11.0, 12.0, None]),
    ],
    ids=["ours_extra", "ours_missing", "both_ways"],
)
def test_null_mask_mismatches_count_as_disagreement(ours: list, reference: list) -> None:
    row = _one(_ours(ours), _reference(reference))

    mismatches = sum((a is None) != (b is None) for a, b in zip(ours, reference, strict=True))
    assert mismatches > 0
    assert row["compared"] == sum(
        a is not None or b is not None for a, b in zip(ours, reference, strict=True)
    )
    assert row["agreed"] == row["compared"] - mismatches
    assert row["agreement_pct"] < 100.0


def test_only_dates_the_reference_covers_are_compared() -> None:
    # A provider returns only its newest values: older rows of ours are not its concern.
    row = _one(_ours(SMA), _reference([12.0, 13.0], days=DAYS[-2:]))

    assert (row["compared"], row["agreed"]) == (2, 2)


def test_a_date_missing_inside_the_reference_span_is_a_disagreement() -> None:
    row = _one(_ours(SMA), _reference([11.0, 13.0], days=[DAYS[3], DAYS[5]]))

    assert (row["compared"], row["agreed"]) == (3, 2)


def test_an_indicator_we_did_not_compute_disagrees_on_every_reference_value() -> None:
    row = _one(_ours(SMA), _reference(SMA, column="ema_3"))

    assert row["indicator"] == "ema_3"
    assert (row["compared"], row["agreed"]) == (4, 0)
    assert row["agreement_pct"] == 0.0


def test_macd_lines_are_compared_on_the_price_scale() -> None:
    # Near a zero crossing a MACD value's own size says nothing about its rounding.
    ours = _ours([None, 1e-9, -2e-9, 0.5, 0.25, 0.0], column="macd_12_26_9", close=50.0)
    reference = _reference([None, 1.1e-9, -2e-9, 0.5, 0.25, 1e-12], column="macd_12_26_9")

    row = _one(ours, reference)

    assert (row["compared"], row["agreed"]) == (5, 5)
    assert row["max_rel_diff"] == pytest.approx(1e-10 / 50.0, rel=1e-3)


def test_agreement_sums_over_tickers_per_reference_and_indicator() -> None:
    rows = pl.DataFrame(
        {
            "ticker": ["A", "B", "A", "B"],
            "indicator": ["sma_3", "sma_3", "rsi_14", "rsi_14"],
            "reference": "talib",
            "compared": [4, 6, 0, 0],
            "agreed": [4, 5, 0, 0],
            "max_rel_diff": [0.0, 0.5, None, None],
        }
    )

    summary = agreement_by_indicator(rows)

    assert summary.select("indicator", "tickers", "compared", "agreed").rows() == [
        ("rsi_14", 2, 0, 0),
        ("sma_3", 2, 10, 9),
    ]
    assert summary["agreement_pct"].to_list() == [None, 90.0]
    assert summary["max_rel_diff"].to_list() == [None, 0.5]
