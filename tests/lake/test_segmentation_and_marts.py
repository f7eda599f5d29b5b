"""Monthly segments and the gold marts, on hand-made frames."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from lake.adjustment import adjusted_bars
from lake.marts import daily_returns, earnings_reactions
from lake.schemas import DAILY_RETURNS, EARNINGS, EARNINGS_REACTIONS, SEGMENTS, SPLITS
from lake.segmentation import segments
from tests.lake.frames import bars, weekdays

pytestmark = pytest.mark.unit


def test_segments_bucket_market_caps_and_rank_liquidity_in_terciles() -> None:
    tickers = ["T1", "T2", "T3", "T4", "T5", "T6"]
    days = weekdays(date(2024, 1, 2), 40)  # January and February
    adjusted = adjusted_bars(
        bars(tickers, days), SPLITS.conform(pl.DataFrame(schema=SPLITS.schema))
    )
    # shares chosen so that month-end caps land in different buckets
    shares = [1e6, 5e7, 2e8, 1e9, 2e9, 1e10]
    info = pl.DataFrame({"ticker": tickers, "shares_outstanding": shares})

    result = segments(adjusted, info)

    assert result.schema == SEGMENTS.schema
    assert result["month"].unique().sort().to_list() == [date(2024, 1, 1), date(2024, 2, 1)]
    january = result.filter(pl.col("month") == date(2024, 1, 1)).sort("ticker")
    last_close = adjusted.filter(pl.col("date") == date(2024, 1, 31)).sort("ticker")["close"]
    assert january["market_cap"].to_list() == pytest.approx(
        (last_close * pl.Series(shares)).to_list()
    )
    assert january["cap_bucket"].to_list() == ["micro", "small", "mid", "large", "large", "mega"]
    # dollar volume grows with the ticker index (price and volume both scale with it)
    assert january["liquidity_rank"].to_list() == [6, 5, 4, 3, 2, 1]
    assert january["liquidity_tier"].to_list() == ["low", "low", "medium", "medium", "high", "high"]


def test_segment_market_cap_uses_adjusted_close_across_a_split() -> None:
    days = weekdays(date(2024, 1, 2), 40)
    raw = bars(["AAA"], days, close=100.0).with_columns(
        pl.when(pl.col("date") >= date(2024, 2, 1))
        .then(pl.col(c) / 2)
        .otherwise(pl.col(c))
        .alias(c)
        for c in ("open", "high", "low", "close", "vwap")
    )
    splits = SPLITS.conform(
        pl.DataFrame(
            {
                "ticker": ["AAA"],
                "execution_date": [date(2024, 2, 1)],
                "split_from": [1.0],
                "split_to": [2.0],
                "source": ["massive"],
            }
        )
    )

    result = segments(
        adjusted_bars(raw, splits), pl.DataFrame({"ticker": ["AAA"], "shares_outstanding": [2e6]})
    )

    caps = result.sort("month")["market_cap"].to_list()
    # without a split the close rises 1% a day; the cap must not halve at the split
    assert caps[1] / caps[0] == pytest.approx(1.01 ** (len(days) - 1 - 21), rel=1e-9)


def test_daily_returns_are_percent_changes_versus_the_previous_bar() -> None:
    days = weekdays(date(2024, 1, 2), 4)
    adjusted = adjusted_bars(
        bars(["AAA", "BBB"], days), SPLITS.conform(pl.DataFrame(schema=SPLITS.schema))
    )

    returns = daily_returns(adjusted)

    assert returns.schema == DAILY_RETURNS.schema
    assert returns.select("date", "ticker").equals(
        returns.select("date", "ticker").sort("date", "ticker")
    )
    aaa = returns.filter(pl.col("ticker") == "AAA")
    assert aaa["pct_change"].to_list()[0] is None
    assert aaa["pct_change"].to_list()[1:] == pytest.approx([1.0, 1.0, 1.0])
    assert aaa["dollar_volume"].to_list() == pytest.approx((aaa["close"] * aaa["volume"]).to_list())


@pytest.mark.parametrize(
    ("hour", "day0"),
    [
        ("amc", date(2024, 1, 10)),  # after the close: that day's close is the last before the news
        ("bmo", date(2024, 1, 9)),  # before the open: the previous day's close
        ("dmh", date(2024, 1, 9)),
        (None, date(2024, 1, 9)),
    ],
)
def test_earnings_reactions_start_at_the_last_close_before_the_news(
    hour: str | None, day0: date
) -> None:
    days = weekdays(date(2024, 1, 2), 25)
    adjusted = adjusted_bars(
        bars(["AAA"], days), SPLITS.conform(pl.DataFrame(schema=SPLITS.schema))
    )
    report = EARNINGS.conform(
        pl.DataFrame(
            {
                "ticker": ["AAA"],
                "report_date": [date(2024, 1, 10)],
                "fiscal_quarter": [4],
                "fiscal_year": [2023],
                "hour": [hour],
                "eps_estimate": [1.0],
                "eps_actual": [1.2],
                "surprise_pct": [20.0],
                "revenue_estimate": [None],
                "revenue_actual": [None],
                "source": ["finnhub"],
            },
            schema_overrides={
                "hour": pl.String,
                "revenue_estimate": pl.Float64,
                "revenue_actual": pl.Float64,
            },
        )
    )

    reactions = earnings_reactions(report, adjusted)

    assert reactions.schema == EARNINGS_REACTIONS.schema
    assert reactions["day"].to_list() == list(range(11))
    assert reactions["date"][0] == day0
    assert reactions["path"][0] == pytest.approx(1.0)
    assert reactions["return_pct"].to_list() == pytest.approx(
        [(1.01**k - 1) * 100 for k in range(11)]
    )
    assert reactions["date"][1] > date(2024, 1, 10) - timedelta(days=1)


def test_reports_without_enough_history_keep_only_the_days_traded() -> None:
    days = weekdays(date(2024, 1, 2), 5)
    adjusted = adjusted_bars(
        bars(["AAA"], days), SPLITS.conform(pl.DataFrame(schema=SPLITS.schema))
    )
    reports = EARNINGS.conform(
        pl.DataFrame(
            {
                "ticker": ["AAA", "AAA"],
                "report_date": [date(2023, 12, 1), date(2024, 1, 4)],
                "fiscal_quarter": [3, 4],
                "fiscal_year": [2023, 2023],
                "hour": ["amc", "amc"],
                "eps_estimate": [1.0, None],
                "eps_actual": [1.0, None],
                "surprise_pct": [0.0, None],
                "revenue_estimate": [None, None],
                "revenue_actual": [None, None],
                "source": ["finnhub", "finnhub"],
            },
            schema_overrides={"revenue_estimate": pl.Float64, "revenue_actual": pl.Float64},
        )
    )

    reactions = earnings_reactions(reports, adjusted)

    assert reactions["report_date"].unique().to_list() == [date(2024, 1, 4)]
    assert reactions["day"].to_list() == [0, 1, 2]
