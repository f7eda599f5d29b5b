"""Market-health analytics on small hand-made markets whose answers are known."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from lake import market_health as mh

pytestmark = pytest.mark.unit

DAYS = [date(2024, 1, 1) + timedelta(days=i) for i in range(5)]


def _bars(closes: dict[str, list[float]], days: list[date] = DAYS) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {"ticker": t, "date": d, "close": c}
            for t, series in closes.items()
            for d, c in zip(days, series, strict=True)
        ]
    )


UNIVERSE = pl.DataFrame(
    {
        "ticker": ["AAA", "BBB", "CCC", "DDD"],
        "name": ["Aaa Inc", "Bbb Corp", "Ccc Ltd", "Ddd Co"],
        "sector": ["Mining", "Mining", "Services", "Services"],
        "market_cap": [300e9, 100e9, 5e9, 1e9],
        "cap_bucket": ["mega", "large", "mid", "small"],
        "liquidity_tier": ["high", "high", "medium", "low"],
    }
)
BARS = _bars(
    {
        "AAA": [100, 101, 102, 103, 110],  # last day +6.796 %
        "BBB": [50, 50, 50, 50, 45],  # last day -10 %
        "CCC": [10, 11, 12, 13, 13],  # unchanged on the last day
        "DDD": [20, 20, 20, 20, 21],  # +5 %
    }
)


def test_latest_changes_is_versus_previous_close() -> None:
    changes = mh.latest_changes(BARS).sort("ticker")
    assert changes["date"].unique().to_list() == [DAYS[-1]]
    assert changes["prev_close"].to_list() == [103, 50, 13, 20]
    assert changes["change_pct"].to_list() == pytest.approx([700 / 103, -10.0, 0.0, 5.0])


def test_period_returns_use_the_close_before_the_period_as_base() -> None:
    returns = mh.period_returns(BARS, DAYS[2], DAYS[4]).sort("ticker")
    # base = close on DAYS[1] (the last close before the period)
    assert returns["base_close"].to_list() == [101, 50, 11, 20]
    assert returns["return_pct"].to_list() == pytest.approx([900 / 101, -10.0, 200 / 11, 5.0])


def test_period_returns_fall_back_to_the_first_close_in_the_period() -> None:
    returns = mh.period_returns(BARS, DAYS[0], DAYS[1]).sort("ticker")
    assert returns["base_close"].to_list() == [100, 50, 10, 20]
    assert returns["return_pct"].to_list() == pytest.approx([1.0, 0.0, 10.0, 0.0])


@pytest.mark.parametrize(
    ("caps", "tiers", "expected"),
    [
        (None, None, ["AAA", "BBB", "CCC", "DDD"]),
        (["mega", "small"], None, ["AAA", "DDD"]),
        (None, ["high"], ["AAA", "BBB"]),
        (["mid", "large"], ["medium"], ["CCC"]),
        ([], [], ["AAA", "BBB", "CCC", "DDD"]),
    ],
)
def test_filter_universe(caps, tiers, expected) -> None:
    got = mh.filter_universe(UNIVERSE, cap_buckets=caps, liquidity_tiers=tiers)
    assert got["ticker"].to_list() == expected


def test_group_performance_by_sector_is_cap_weighted_and_counts_advancers() -> None:
    changes = mh.latest_changes(BARS).rename({"change_pct": "return_pct"})
    sectors = mh.group_performance(changes, UNIVERSE, "sector")
    by_name = {row["sector"]: row for row in sectors.iter_rows(named=True)}
    mining = by_name["Mining"]
    assert mining["tickers"] == 2 and mining["advancers"] == 1 and mining["decliners"] == 1
    expected = (700 / 103 * 300e9 + -10.0 * 100e9) / 400e9
    assert mining["cap_weighted_return_pct"] == pytest.approx(expected)
    services = by_name["Services"]
    assert services["advancers"] == 1 and services["decliners"] == 0
    assert services["median_return_pct"] == pytest.approx(2.5)
    assert services["cap_weighted_return_pct"] == pytest.approx(5.0 * 1e9 / 6e9)
    assert sectors["sector"].to_list() == ["Mining", "Services"]  # best group first


@pytest.mark.parametrize(("worst", "expected"), [(False, ["AAA", "DDD"]), (True, ["BBB", "CCC"])])
def test_top_movers(worst: bool, expected: list[str]) -> None:
    movers = mh.top_movers(mh.latest_changes(BARS), UNIVERSE, n=2, worst=worst)
    assert movers["ticker"].to_list() == expected
    assert "name" in movers.columns


def test_mega_cap_leaders_are_sorted_by_market_cap() -> None:
    leaders = mh.mega_cap_leaders(mh.latest_changes(BARS), UNIVERSE, n=3)
    assert leaders["ticker"].to_list() == ["AAA", "BBB", "CCC"]


def test_breadth_counts_advancers_and_sma_shares() -> None:
    days = [date(2023, 1, 1) + timedelta(days=i) for i in range(210)]
    up = [float(i + 1) for i in range(210)]  # always above its averages
    down = [float(300 - i) for i in range(210)]  # always below
    bars = _bars({"UP": up, "DN": down, "NEW": [None] * 200 + [5.0] * 10}, days).drop_nulls()
    last = mh.breadth(bars)
    assert last["date"] == days[-1]
    assert (last["advancers"], last["decliners"], last["unchanged"]) == (1, 1, 1)
    # NEW has only 10 sessions: out of both SMA shares
    assert last["pct_above_sma50"] == pytest.approx(50.0)
    assert last["pct_above_sma200"] == pytest.approx(50.0)
    history = mh.breadth_history(bars)
    assert history["pct_above_sma200"][0] is None  # nobody has 200 sessions yet
    assert history["advance_decline_line"][-1] == 0


def test_market_index_compounds_equal_and_cap_weighted_returns() -> None:
    bars = _bars({"AAA": [100, 110, 121, 121, 121], "DDD": [10, 10, 10, 10, 10]})
    index = mh.market_index(bars, UNIVERSE)
    assert index["equal_weighted"].to_list() == pytest.approx([100, 105, 110.25, 110.25, 110.25])
    share = 300e9 / 301e9
    assert index["cap_weighted"][1] == pytest.approx(100 * (1 + 0.1 * share))
    assert index["tickers"].to_list() == [0, 2, 2, 2, 2]


def test_close_trend_returns_the_last_sessions_from_their_first_close() -> None:
    trend = mh.close_trend(BARS, "AAA", sessions=3)
    assert trend["date"].to_list() == DAYS[-3:]
    assert trend["change_pct"].to_list() == pytest.approx([0.0, 100 / 102, 800 / 102])
    assert mh.close_trend(BARS, "ZZZ").is_empty()


def test_market_map_drops_rows_that_cannot_be_drawn() -> None:
    universe = UNIVERSE.with_columns(
        pl.when(pl.col("ticker") == "CCC")
        .then(None)
        .otherwise(pl.col("market_cap"))
        .alias("market_cap")
    )
    changes = mh.latest_changes(BARS).rename({"change_pct": "return_pct"})
    rows = mh.market_map(changes, universe)
    assert rows["ticker"].to_list() == ["AAA", "BBB", "DDD"]
    assert rows.columns == ["sector", "ticker", "name", "market_cap", "return_pct"]


def test_map_tiles_draw_the_largest_and_keep_every_sector_area_true() -> None:
    rows = pl.DataFrame(
        {
            "sector": ["Tech", "Tech", "Tech", "Energy", "Energy"],
            "ticker": ["AAA", "BBB", "CCC", "DDD", "EEE"],
            "name": ["A Inc", "B Inc", None, "D Co", "E Co"],
            "market_cap": [500.0, 300.0, 100.0, 400.0, 50.0],
            "return_pct": [10.0, -10.0, 4.0, 1.0, -8.0],
        }
    )
    tiles = mh.map_tiles(rows, largest=3)
    by_id = {row["id"]: row for row in tiles.iter_rows(named=True)}
    assert [t["id"] for t in tiles.iter_rows(named=True) if t["parent"] == ""] == ["Energy", "Tech"]
    assert {"Tech/AAA", "Energy/DDD", "Tech/BBB"} <= set(by_id)  # the three largest
    assert by_id["Tech/other"]["label"] == "Other (1)" and by_id["Tech/other"]["market_cap"] == 100
    assert by_id["Energy/other"]["tickers"] == 1 and by_id["Energy/other"]["return_pct"] == -8.0
    # A sector holds all of its cap, coloured by its cap-weighted return.
    assert by_id["Tech"]["market_cap"] == 900.0 and by_id["Tech"]["tickers"] == 3
    assert by_id["Tech"]["return_pct"] == pytest.approx((5000 - 3000 + 400) / 900)
    children = tiles.filter(pl.col("parent") == "Tech")["market_cap"].sum()
    assert children == by_id["Tech"]["market_cap"]
    # Everything drawn one by one when the market is small: no "Other" tiles.
    assert not mh.map_tiles(rows, largest=10)["id"].str.ends_with("/other").any()


def test_universe_frame_prefers_the_segment_market_cap() -> None:
    tickers = UNIVERSE.select("ticker", "name", "sector", "market_cap")
    segments = pl.DataFrame(
        {
            "ticker": ["AAA"],
            "market_cap": [123.0],
            "cap_bucket": ["micro"],
            "liquidity_tier": ["low"],
        }
    )
    universe = mh.universe_frame(tickers, segments)
    aaa = universe.row(0, named=True)
    assert aaa["market_cap"] == 123.0 and aaa["cap_bucket"] == "micro"
    assert universe.filter(pl.col("ticker") == "BBB")["cap_bucket"][0] is None


def test_market_summary_restricts_to_the_universe_and_agrees_with_the_parts() -> None:
    members = mh.filter_universe(UNIVERSE, cap_buckets=["mega", "large", "mid"])
    summary = mh.market_summary(BARS, members, DAYS[2], DAYS[4])
    assert summary["last_day"] == DAYS[-1]
    assert sorted(summary["changes"]["ticker"].to_list()) == ["AAA", "BBB", "CCC"]
    assert summary["top"]["ticker"].to_list() == ["AAA", "CCC", "BBB"]
    assert summary["mega"]["ticker"][0] == "AAA"
    assert summary["sectors_period"].equals(
        mh.group_performance(mh.period_returns(BARS, DAYS[2], DAYS[4]), members, "sector")
    )
    assert summary["breadth_history"]["date"].to_list() == DAYS[2:]
    assert set(summary["by_tier"]["liquidity_tier"].to_list()) == {"high", "medium"}


def test_breadth_history_since_keeps_the_look_back_for_the_averages() -> None:
    days = [date(2023, 1, 1) + timedelta(days=i) for i in range(260)]
    bars = _bars({"UP": [float(i + 1) for i in range(260)]}, days)
    history = mh.breadth_history(bars, since=days[250])
    assert history["date"].to_list() == days[250:]
    assert history["pct_above_sma200"].to_list() == [100.0] * 10  # 200 sessions seen before
    assert history["advance_decline_line"].to_list() == list(range(1, 11))
