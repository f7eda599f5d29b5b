"""The synthetic market looks like the real one and serves the same day whatever range is asked."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from lake.calendar import trading_days
from lake.schemas import EARNINGS, cap_bucket
from pipelines.sources import transforms, wire
from pipelines.sources.base import SyntheticMarketConfig
from pipelines.sources.synthetic import SyntheticMarket
from pipelines.sources.synthetic.splits import split_events
from pipelines.sources.synthetic.universe import build_universe

pytestmark = pytest.mark.unit

YEAR = SyntheticMarketConfig(seed=4, n_tickers=800, start=date(2023, 1, 3), end=date(2023, 12, 29))


@pytest.fixture(scope="module")
def market() -> SyntheticMarket:
    return SyntheticMarket(YEAR)


@pytest.fixture(scope="module")
def bars(market: SyntheticMarket) -> pl.DataFrame:
    frame = transforms.daily_bars_frame(
        market.grouped_daily(YEAR.start, YEAR.end), source="synthetic"
    )
    return frame.sort("ticker", "date").with_columns(
        (pl.col("close") / pl.col("close").shift(1).over("ticker") - 1.0).alias("return")
    )


def _small(seed: int, end: date = date(2024, 12, 31)) -> SyntheticMarket:
    return SyntheticMarket(
        SyntheticMarketConfig(seed=seed, n_tickers=30, start=date(2024, 1, 2), end=end)
    )


def test_same_seed_same_market_and_another_seed_another() -> None:
    days = (date(2024, 3, 1), date(2024, 3, 8))

    first, again, other = _small(7), _small(7), _small(8)

    assert first.grouped_daily(*days).equals(again.grouped_daily(*days))
    assert first.earnings_calendar(date(2024, 1, 2), date(2024, 6, 30)).equals(
        again.earnings_calendar(date(2024, 1, 2), date(2024, 6, 30))
    )
    assert not first.grouped_daily(*days).equals(other.grouped_daily(*days))


@pytest.mark.parametrize("dataset", ["bars", "earnings", "splits", "news", "grades", "details"])
def test_a_day_does_not_depend_on_the_range_asked_for(dataset: str) -> None:
    short, long = _small(7, end=date(2024, 3, 28)), _small(7, end=date(2024, 12, 31))
    day = date(2024, 2, 14)
    fetch = {
        "bars": lambda m, a, b: m.grouped_daily(a, b).filter(
            pl.col("t") == m.grouped_daily(day, day)["t"][0]
        ),
        "earnings": lambda m, a, b: m.earnings_calendar(a, b).filter(
            pl.col("date") <= "2024-03-28"
        ),
        "splits": lambda m, a, b: m.splits(a, b),
        "news": lambda m, a, b: m.news(a, b).filter(pl.col("published_utc") < "2024-03-29"),
        "grades": lambda m, a, b: m.grades(m.universe["ticker"], a, b).filter(
            pl.col("date") <= "2024-03-28"
        ),
        "details": lambda m, a, b: m.ticker_details(day),
    }[dataset]

    narrow = fetch(short, date(2024, 2, 1), date(2024, 3, 28))
    wide = fetch(long, date(2024, 2, 1), date(2024, 12, 31))

    assert narrow.equals(wide)


def test_bars_are_consistent(bars: pl.DataFrame) -> None:
    checks = bars.select(
        (pl.col("low") <= pl.min_horizontal("open", "close")).all().alias("low"),
        (pl.col("high") >= pl.max_horizontal("open", "close")).all().alias("high"),
        pl.col("vwap").is_between(pl.col("low"), pl.col("high")).all().alias("vwap"),
        (pl.col("low") > 0).all().alias("positive"),
        (pl.col("volume") > 0).all().alias("volume"),
        (pl.col("transactions") > 0).all().alias("transactions"),
    )

    assert checks.row(0, named=True) == dict.fromkeys(checks.columns, True)
    assert bars.null_count().sum_horizontal().item() == bars["return"].null_count()


def test_bars_cover_exactly_the_nyse_sessions_for_every_ticker(
    market: SyntheticMarket, bars: pl.DataFrame
) -> None:
    days = set(bars["date"].unique().to_list())

    assert days == set(trading_days(YEAR.start, YEAR.end))
    assert date(2023, 7, 4) not in days and date(2023, 12, 25) not in days
    assert all(day.weekday() < 5 for day in days)
    assert bars.group_by("ticker").len()["len"].unique().to_list() == [len(days)]
    assert bars["ticker"].n_unique() == market.universe.height


def test_holidays_of_2024_are_absent() -> None:
    frame = transforms.daily_bars_frame(
        _small(7).grouped_daily(date(2024, 7, 1), date(2024, 12, 31)), source="synthetic"
    )

    assert date(2024, 7, 4) not in frame["date"].to_list()
    assert date(2024, 12, 25) not in frame["date"].to_list()
    assert date(2024, 7, 5) in frame["date"].to_list()


def test_default_universe_spans_sectors_and_caps() -> None:
    universe = build_universe(7, 2500, date(2022, 1, 3))

    buckets = universe.group_by(cap_bucket(pl.col("market_cap0")).alias("bucket")).len()
    counts = dict(buckets.iter_rows())
    assert universe["sector"].n_unique() >= 8
    assert universe["sic_code"].str.len_chars().unique().to_list() == [4]
    assert counts["mega"] >= 10
    assert set(counts) == {"mega", "large", "mid", "small", "micro"}
    assert universe["ticker"].n_unique() == 2500
    assert universe["cik"].n_unique() == 2500


def test_liquidity_spans_orders_of_magnitude(bars: pl.DataFrame) -> None:
    dollar_volume = bars.group_by("ticker").agg((pl.col("close") * pl.col("volume")).mean())[
        "close"
    ]

    assert dollar_volume.quantile(0.99) / dollar_volume.quantile(0.01) > 1_000


def test_volatility_clusters(bars: pl.DataFrame) -> None:
    # Under GARCH, today's squared return predicts tomorrow's; under i.i.d. noise it does not.
    squared = bars.drop_nulls("return").with_columns((pl.col("return") ** 2).alias("r2"))
    per_ticker = squared.group_by("ticker").agg(pl.corr("r2", pl.col("r2").shift(1)).alias("acf1"))

    assert per_ticker["acf1"].median() > 0.05


def test_default_market_splits_at_least_one_percent_forward_and_reverse() -> None:
    universe = build_universe(7, 2500, date(2022, 1, 3))

    splits = split_events(universe, 7, date(2022, 1, 3), date(2025, 12, 31))

    assert splits["ticker"].n_unique() >= 25
    assert (splits["split_to"] > splits["split_from"]).any()
    assert (splits["split_to"] < splits["split_from"]).any()


def test_raw_close_jumps_by_the_split_ratio_on_execution_day(
    market: SyntheticMarket, bars: pl.DataFrame
) -> None:
    splits = transforms.splits_frame(market.splits(YEAR.start, YEAR.end), source="synthetic")
    moves = splits.join(
        bars, left_on=["ticker", "execution_date"], right_on=["ticker", "date"]
    ).with_columns(
        ((1.0 + pl.col("return")).log() - (pl.col("split_from") / pl.col("split_to")).log())
        .abs()
        .alias("gap")
    )

    assert (splits["split_to"] > splits["split_from"]).any()
    assert (splits["split_to"] < splits["split_from"]).any()
    assert moves.height == splits.height
    assert (moves["gap"] < 0.36).all()  # at most one ordinary day's (clipped) move off the ratio


def _reaction_returns(market: SyntheticMarket, bars: pl.DataFrame, shift: int) -> pl.DataFrame:
    """Join each report to the return `shift` sessions after the one it should move."""
    sessions = bars.select("date").unique().sort("date").with_row_index("position")
    earnings = transforms.earnings_frame(
        market.earnings_calendar(YEAR.start, YEAR.end), source="synthetic"
    )
    splits = transforms.splits_frame(market.splits(YEAR.start, YEAR.end), source="synthetic")
    reaction = (
        earnings.join(sessions, left_on="report_date", right_on="date")
        .with_columns(
            (pl.col("position") + (pl.col("hour") == "amc").cast(pl.UInt32) + shift).alias("target")
        )
        .join(sessions.rename({"date": "reaction_date", "position": "target"}), on="target")
    )
    return (
        reaction.join(bars, left_on=["ticker", "reaction_date"], right_on=["ticker", "date"])
        .join(
            splits,
            left_on=["ticker", "reaction_date"],
            right_on=["ticker", "execution_date"],
            how="anti",
        )
        .drop_nulls(["surprise_pct", "return"])
    )


def test_post_announcement_returns_follow_the_surprise(
    market: SyntheticMarket, bars: pl.DataFrame
) -> None:
    on_day = _reaction_returns(market, bars, 0)
    day_before = _reaction_returns(market, bars, -1)

    pearson = on_day.select(pl.corr("surprise_pct", "return")).item()
    assert 0.25 <= pearson <= 0.6
    assert on_day.height > 2000
    # The reaction lands on the right session (bmo: report day, amc: next day), not before.
    assert abs(day_before.select(pl.corr("surprise_pct", "return")).item()) < 0.1
    for hour in ("bmo", "amc"):
        subset = on_day.filter(pl.col("hour") == hour)
        assert subset.select(pl.corr("surprise_pct", "return")).item() > 0.25


def test_every_ticker_reports_every_quarter(market: SyntheticMarket) -> None:
    earnings = transforms.earnings_frame(
        market.earnings_calendar(YEAR.start, YEAR.end), source="synthetic"
    )

    per_ticker = earnings.group_by("ticker").agg(pl.len(), pl.col("fiscal_quarter").n_unique())
    assert per_ticker.height == market.universe.height
    assert per_ticker["len"].min() >= 3
    assert set(earnings["hour"].unique().to_list()) == {"bmo", "amc"}


def test_eps_nulls_survive_the_transform(market: SyntheticMarket) -> None:
    raw = market.earnings_calendar(YEAR.start, YEAR.end)
    handmade = pl.DataFrame(
        {
            "date": ["2024-05-01", "2024-05-01", "2024-05-02"],
            "epsActual": [None, 1.2, 0.5],
            "epsEstimate": [1.0, None, 0.0],
            "hour": ["", "AMC", "bmo"],
            "quarter": [1, 1, 1],
            "year": [2024, 2024, 2024],
            "revenueActual": [None, None, 1e9],
            "revenueEstimate": [None, 2e9, 1e9],
            "symbol": ["AAA", "BBB", "CCC"],
        },
        schema=wire.EARNINGS_CALENDAR,
    )

    synthetic = transforms.earnings_frame(raw, source="synthetic")
    handled = transforms.earnings_frame(handmade, source="synthetic")

    assert raw["epsEstimate"].null_count() > 0
    assert synthetic.filter(pl.col("eps_estimate").is_null())["surprise_pct"].null_count() == (
        raw["epsEstimate"].null_count()
    )
    assert handled.schema == EARNINGS.schema
    assert handled["surprise_pct"].to_list() == [None, None, None]
    assert handled["hour"].to_list() == [None, "amc", "bmo"]


def test_grades_cover_about_the_hundred_largest(market: SyntheticMarket) -> None:
    everyone = market.universe["ticker"].to_list()

    grades = transforms.grades_frame(
        market.grades(everyone, YEAR.start, YEAR.end), source="synthetic"
    )

    largest = set(market.universe.filter(pl.col("cap_rank") <= 100)["ticker"].to_list())
    assert set(grades["ticker"].unique().to_list()) <= largest
    assert grades["ticker"].n_unique() >= 90
    assert set(grades["action"].unique().to_list()) == {
        "upgrade",
        "downgrade",
        "maintain",
        "initiate",
    }
    assert grades.select("ticker", "date", "firm").is_duplicated().sum() == 0


def test_news_headlines_sit_around_each_tickers_events(market: SyntheticMarket) -> None:
    news = transforms.news_frame(market.news(YEAR.start, YEAR.end), source="synthetic")
    earnings = transforms.earnings_frame(
        market.earnings_calendar(YEAR.start, YEAR.end), source="synthetic"
    )

    per_ticker = news.group_by("ticker").len()
    dated = news.with_columns(
        pl.col("published_utc").dt.convert_time_zone("America/New_York").dt.date().alias("day")
    )
    assert per_ticker.height == market.universe.height
    assert per_ticker["len"].min() >= 3
    assert news["id"].n_unique() == news.height
    assert earnings.join(
        dated, left_on=["ticker", "report_date"], right_on=["ticker", "day"], how="anti"
    ).is_empty()
    assert (dated["day"] <= YEAR.end + timedelta(days=1)).all()
