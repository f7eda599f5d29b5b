"""The `source` column through gold and through a MERGE.

Gold rows carry the source of the silver rows they derive from: adjusted bars and
daily returns their bar's, a month's segment its last bar's, an earnings reaction its
report's. A re-load of the same rows from another source updates `source`.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from lake import tables
from lake.adjustment import adjusted_bars
from lake.marts import daily_returns, earnings_reactions
from lake.schemas import DAILY_BARS, EARNINGS, SPLITS
from lake.segmentation import segments
from tests.lake.frames import bars, weekdays

pytestmark = pytest.mark.unit

DAYS = weekdays(date(2024, 1, 29), 10)  # Jan 29 .. Feb 9: two months


def _mixed_bars() -> pl.DataFrame:
    """AAA from the synthetic market until Feb 1, from Massive after; BBB from Massive."""
    frame = bars(["AAA", "BBB"], DAYS)
    from_massive = (pl.col("ticker") == "BBB") | (pl.col("date") > date(2024, 2, 1))
    return frame.with_columns(
        pl.when(from_massive).then(pl.lit("massive")).otherwise(pl.lit("synthetic")).alias("source")
    )


def test_adjusted_bars_and_returns_keep_each_bars_source() -> None:
    raw = _mixed_bars()
    splits = SPLITS.conform(
        pl.DataFrame(
            {
                "ticker": ["AAA"],
                "execution_date": [date(2024, 2, 5)],
                "split_from": [1.0],
                "split_to": [2.0],
                "source": ["massive"],
            }
        )
    )

    adjusted = adjusted_bars(raw, splits)
    returns = daily_returns(adjusted)

    expected = raw.select("ticker", "date", "source").sort("ticker", "date")
    assert adjusted.select("ticker", "date", "source").sort("ticker", "date").equals(expected)
    assert returns.select("ticker", "date", "source").sort("ticker", "date").equals(expected)


def test_a_months_segment_takes_its_last_bars_source() -> None:
    adjusted = adjusted_bars(_mixed_bars(), SPLITS.conform(pl.DataFrame(schema=SPLITS.schema)))
    info = pl.DataFrame({"ticker": ["AAA", "BBB"], "shares_outstanding": [1e6, 1e6]})

    result = segments(adjusted, info).sort("ticker", "month")

    # AAA's January ends on Jan 31 (synthetic); its February ends on Feb 9 (massive).
    assert result.select("ticker", "month", "source").rows() == [
        ("AAA", date(2024, 1, 1), "synthetic"),
        ("AAA", date(2024, 2, 1), "massive"),
        ("BBB", date(2024, 1, 1), "massive"),
        ("BBB", date(2024, 2, 1), "massive"),
    ]


def test_an_earnings_reaction_takes_its_reports_source() -> None:
    adjusted = adjusted_bars(_mixed_bars(), SPLITS.conform(pl.DataFrame(schema=SPLITS.schema)))
    report = EARNINGS.conform(
        pl.DataFrame(
            {
                "ticker": ["AAA"],
                "report_date": [date(2024, 1, 31)],
                "fiscal_quarter": [4],
                "fiscal_year": [2023],
                "hour": ["amc"],
                "eps_estimate": [1.0],
                "eps_actual": [1.1],
                "surprise_pct": [10.0],
                "revenue_estimate": [None],
                "revenue_actual": [None],
                "source": ["finnhub"],
            },
            schema_overrides={"revenue_estimate": pl.Float64, "revenue_actual": pl.Float64},
        )
    )

    reactions = earnings_reactions(report, adjusted)

    assert reactions.height == 8  # day 0 (Jan 31) .. day 7 (Feb 9)
    assert set(reactions["source"]) == {"finnhub"}


@pytest.mark.integration
def test_a_reload_from_another_source_updates_source(any_lake_uri: str) -> None:
    synthetic = bars(["AAA", "BBB"], DAYS[:3])
    tables.merge_upsert(DAILY_BARS, synthetic)
    real = synthetic.with_columns(pl.lit("massive").alias("source"))

    again = tables.merge_upsert(DAILY_BARS, synthetic)
    result = tables.merge_upsert(DAILY_BARS, real)

    assert not again.committed and again.unchanged == 6  # same rows, same source: no commit
    assert (result.inserted, result.updated, result.unchanged) == (0, 6, 0)
    stored = tables.read(DAILY_BARS)
    assert stored.height == 6  # rows duplicated: 0
    assert set(stored["source"]) == {"massive"}


# --- reading lineage back (what the app shows) -----------------------------------------


@pytest.mark.integration
def test_table_and_ticker_sources_name_what_the_rows_came_from(any_lake_uri: str) -> None:
    from lake import lineage
    from lake.schemas import ADJUSTED_BARS

    assert lineage.table_sources(ADJUSTED_BARS, lake_uri=any_lake_uri) == set()
    adjusted = adjusted_bars(_mixed_bars(), pl.DataFrame(schema=SPLITS.schema))
    unknown = adjusted.filter(pl.col("ticker") == "AAA").with_columns(
        pl.lit("CCC").alias("ticker"), pl.lit(None, pl.String).alias("source")
    )
    tables.write(
        ADJUSTED_BARS, pl.concat([adjusted, unknown]), mode="overwrite", lake_uri=any_lake_uri
    )

    assert lineage.table_sources(ADJUSTED_BARS, lake_uri=any_lake_uri) == {
        "massive",
        "synthetic",
        None,
    }
    assert lineage.ticker_sources(ADJUSTED_BARS, "AAA", lake_uri=any_lake_uri) == {
        "massive",
        "synthetic",
    }
    assert lineage.ticker_sources(ADJUSTED_BARS, "BBB", lake_uri=any_lake_uri) == {"massive"}
    assert lineage.ticker_sources(ADJUSTED_BARS, "ZZZ", lake_uri=any_lake_uri) == set()


def test_sources_are_described_for_an_analyst() -> None:
    from lake.lineage import describe_sources

    assert describe_sources({"synthetic"}) == "the synthetic demo market (not real prices)"
    assert describe_sources({"massive", None}) == (
        "Massive (Polygon), unknown (loaded before lineage was recorded)"
    )
    assert describe_sources(set()) == "no rows"
