"""Split adjustment on hand-made forward and reverse splits."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from lake.adjustment import adjusted_bars
from lake.schemas import ADJUSTED_BARS, SPLITS
from tests.lake.frames import bars, weekdays

pytestmark = pytest.mark.unit

DAYS = weekdays(date(2024, 1, 2), 6)  # Jan 2, 3, 4, 5, 8, 9


def _splits(*rows: tuple[str, date, float, float]) -> pl.DataFrame:
    return SPLITS.conform(
        pl.DataFrame(
            rows, schema=["ticker", "execution_date", "split_from", "split_to"], orient="row"
        ).with_columns(source=pl.lit("massive"))
    )


@pytest.mark.parametrize(
    ("splits", "expected_factors"),
    [
        # no split: nothing changes
        ((), [1, 1, 1, 1, 1, 1]),
        # 2-for-1 forward split executed on Jan 5: bars before Jan 5 are halved
        ((("AAA", DAYS[3], 1.0, 2.0),), [2, 2, 2, 1, 1, 1]),
        # 1-for-10 reverse split executed on Jan 4: earlier prices x10, volumes /10
        ((("AAA", DAYS[2], 10.0, 1.0),), [0.1, 0.1, 1, 1, 1, 1]),
        # two splits compound: 3-for-1 on Jan 3, then 2-for-1 on Jan 8
        ((("AAA", DAYS[1], 1.0, 3.0), ("AAA", DAYS[4], 1.0, 2.0)), [6, 2, 2, 2, 1, 1]),
        # a split after the last bar still adjusts all of them (today's share basis)
        ((("AAA", date(2024, 2, 1), 1.0, 4.0),), [4, 4, 4, 4, 4, 4]),
        # another ticker's split changes nothing here
        ((("BBB", DAYS[3], 1.0, 2.0),), [1, 1, 1, 1, 1, 1]),
    ],
)
def test_prices_are_divided_and_volumes_multiplied_by_later_splits(
    splits: tuple, expected_factors: list[float]
) -> None:
    raw = bars(["AAA"], DAYS)

    adjusted = adjusted_bars(raw, _splits(*splits))

    assert adjusted.schema == ADJUSTED_BARS.schema
    assert adjusted["split_factor"].to_list() == pytest.approx(expected_factors)
    for price in ("open", "high", "low", "close", "vwap"):
        assert (adjusted[price] * adjusted["split_factor"]).to_list() == pytest.approx(
            raw[price].to_list()
        )
    assert (adjusted["volume"] / adjusted["split_factor"]).to_list() == pytest.approx(
        raw["volume"].to_list()
    )
    assert adjusted["transactions"].to_list() == raw["transactions"].to_list()


def test_adjustment_removes_the_raw_jump_at_a_split() -> None:
    # Raw prices halve on the execution date of a 2-for-1 split, as unadjusted data does.
    raw = bars(["AAA"], DAYS, close=100.0).with_columns(
        pl.when(pl.col("date") >= DAYS[3]).then(pl.col("close") / 2).otherwise(pl.col("close"))
    )

    adjusted = adjusted_bars(raw, _splits(("AAA", DAYS[3], 1.0, 2.0)))

    ratios = (adjusted["close"] / adjusted["close"].shift(1)).drop_nulls().to_list()
    assert ratios == pytest.approx([1.01] * 5)


def test_rows_come_back_sorted_by_ticker_and_date_for_many_tickers() -> None:
    raw = bars(["CCC", "AAA", "BBB"], DAYS).sample(fraction=1.0, shuffle=True, seed=3)

    adjusted = adjusted_bars(raw, _splits(("BBB", DAYS[2], 1.0, 5.0)))

    assert adjusted.select("ticker", "date").equals(
        adjusted.select("ticker", "date").sort("ticker", "date")
    )
    factors = adjusted.group_by("ticker").agg(pl.col("split_factor").max()).sort("ticker")
    assert factors["split_factor"].to_list() == [1.0, 5.0, 1.0]
