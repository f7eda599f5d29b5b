"""Every page rendered by Streamlit's AppTest against a small demo lake."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app.filters import preset_range
from app.selection import picked_grade_day
from tests.app.conftest import MAIN, PAGES

pytestmark = pytest.mark.integration

CHART_PAGES = ["candlesticks", "moving_averages", "macd", "bollinger"]
ALL_PAGES = ["home", *CHART_PAGES, "market_health", "eps", "analyst_grades", "data_quality"]


def _open(page: str, **params: str) -> AppTest:
    at = AppTest.from_file(str(MAIN), default_timeout=120)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    if page != "home":
        at.switch_page(str(PAGES / f"{page}.py"))
        at.run()
    return at


def _specs(at: AppTest) -> list[str]:
    return [chart.proto.spec for chart in at.get("plotly_chart")]


def _no_errors(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


@pytest.mark.parametrize("page", ALL_PAGES)
def test_page_renders_with_the_demo_lake(app_lake: str, page: str) -> None:
    at = _open(page)
    _no_errors(at)
    assert not at.warning, [w.value for w in at.warning]
    assert at.title, "every page has a title"
    if page == "data_quality":
        assert at.dataframe, "the demo load's validation results are listed"
        assert _specs(at), "the reconciliation runs are charted"
    else:
        assert _specs(at), "the page draws at least one chart"
        assert at.download_button, "every chart has a CSV download"


@pytest.mark.parametrize("page", CHART_PAGES)
def test_interval_filter_changes_the_chart(app_lake: str, page: str) -> None:
    at = _open(page)
    daily = _specs(at)
    at.segmented_control(key="f_interval").set_value("week").run()
    _no_errors(at)
    weekly = _specs(at)
    assert weekly and weekly != daily
    assert at.query_params["interval"] == "week"


@pytest.mark.parametrize("page", ["home", "market_health", "eps"])
def test_market_cap_filter_changes_the_output(app_lake: str, page: str) -> None:
    at = _open(page)
    if page == "eps":  # no ticker picked: the page covers every ticker in the filters
        at.multiselect(key="eps_tickers").set_value([]).run()
        at.segmented_control(key="eps_view").set_value("Post-earnings path").run()
    before = (_specs(at), [c.value for c in at.caption], [m.value for m in at.metric])
    at.multiselect(key="f_cap").set_value(["mega", "large"]).run()
    _no_errors(at)
    after = (_specs(at), [c.value for c in at.caption], [m.value for m in at.metric])
    assert after != before
    assert at.query_params["cap"] == "mega,large"


def test_range_preset_changes_the_grades_page(app_lake: str) -> None:
    at = _open("analyst_grades")
    before = _specs(at)
    at.segmented_control(key="f_range").set_value("3M").run()
    _no_errors(at)
    assert _specs(at) != before


def test_ticker_filter_changes_the_page_and_the_url(app_lake: str) -> None:
    at = _open("candlesticks")
    box = at.selectbox(key="f_ticker")
    other = next(t for t in box.options if not t.startswith(box.value + " "))
    ticker = other.split(" ")[0]
    box.set_value(ticker).run()
    _no_errors(at)
    assert ticker in at.title[0].value
    assert at.query_params["ticker"] == ticker


def test_a_link_reproduces_the_view(app_lake: str) -> None:
    first = _open("candlesticks")
    ticker = first.selectbox(key="f_ticker").options[-1].split(" ")[0]
    at = _open("macd", ticker=ticker, interval="month", range="Max", cap="mid")
    _no_errors(at)
    assert at.selectbox(key="f_ticker").value == ticker
    assert at.segmented_control(key="f_interval").value == "month"
    assert at.segmented_control(key="f_range").value == "Max"
    assert at.multiselect(key="f_cap").value == ["mid"]
    assert ticker in at.title[0].value


@pytest.mark.parametrize("page", [*CHART_PAGES, "analyst_grades"])
def test_unknown_ticker_in_the_link_is_a_warning(app_lake: str, page: str) -> None:
    at = _open(page, ticker="NOPE")
    _no_errors(at)
    assert any("NOPE" in w.value for w in at.warning)
    assert not _specs(at)


def test_empty_custom_range_is_a_warning(app_lake: str) -> None:
    at = _open("candlesticks", range="Custom")
    first, last = at.date_input(key="f_start").value, at.date_input(key="f_end").value
    at.date_input(key="f_start").set_value(last).run()
    at.date_input(key="f_end").set_value(first).run()
    _no_errors(at)
    assert any("empty" in w.value for w in at.warning)


def test_a_range_with_no_bars_is_a_warning(app_lake: str) -> None:
    at = _open("candlesticks", range="Custom")
    first = at.date_input(key="f_start").value
    at.date_input(key="f_start").set_value(first).run()
    at.date_input(key="f_end").set_value(first).run()
    at.segmented_control(key="f_interval").set_value("day").run()
    _no_errors(at)
    # one session (or none): either a one-candle chart or a plain message, never a traceback
    assert _specs(at) or at.warning


@pytest.mark.parametrize("state", ["missing", "empty"])
@pytest.mark.parametrize("page", ALL_PAGES)
def test_missing_or_empty_lake_says_how_to_build_it(
    page: str, state: str, tmp_path: Path, monkeypatch
) -> None:
    import polars as pl

    from lake import tables
    from lake.schemas import GOLD_TABLES, SILVER_TABLES
    from lake.settings import get_settings

    monkeypatch.setenv("LAKE_URI", str(tmp_path / "lake"))
    get_settings.cache_clear()
    if state == "empty":  # every table there, no rows (a first load that never finished)
        for contract in (*SILVER_TABLES, *GOLD_TABLES):
            tables.write(contract, pl.DataFrame(schema=contract.schema), mode="overwrite")
    at = _open(page)
    _no_errors(at)
    messages = " ".join(m.value for m in [*at.warning, *at.info])
    if page == "data_quality":
        assert "tickerlake demo" in messages or "No validation" in messages
    else:
        assert "tickerlake demo" in messages


def test_grades_page_highlights_the_linked_day(app_lake: str) -> None:
    at = _open("analyst_grades", range="Max")
    table = at.dataframe[0].value
    day = str(table["date"].iloc[0])[:10]
    focused = _open("analyst_grades", range="Max", date=str(day))
    _no_errors(focused)
    assert any(day in s.value for s in focused.success)


@pytest.mark.unit
@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (None, None),
        ({"selection": {"points": []}}, None),
        ({"selection": {"points": [{"customdata": ["grade", "2024-05-03"]}]}}, date(2024, 5, 3)),
        (
            {
                "selection": {
                    "points": [{"x": "2024-05-03"}, {"customdata": ["grade", "2024-06-01"]}]
                }
            },
            date(2024, 6, 1),
        ),
        ({"selection": {"points": [{"customdata": ["buy", "2024-05-03"]}]}}, None),
    ],
)
def test_picked_grade_day(state, expected) -> None:
    assert picked_grade_day(state) == expected


@pytest.mark.unit
@pytest.mark.parametrize(
    ("preset", "expected_start"),
    [
        ("1M", date(2024, 2, 16)),
        ("3M", date(2023, 12, 16)),
        ("YTD", date(2024, 1, 1)),
        ("1Y", date(2023, 3, 16)),
        ("3Y", date(2022, 6, 1)),  # clamped to the first loaded day
        ("Max", date(2022, 6, 1)),
    ],
)
def test_preset_range(preset: str, expected_start: date) -> None:
    assert preset_range(preset, date(2022, 6, 1), date(2024, 3, 15)) == (
        expected_start,
        date(2024, 3, 15),
    )


@pytest.mark.parametrize(
    ("page", "key", "views"),
    [
        (
            "market_health",
            "mh_view",
            ["Sectors", "Movers", "Cap & liquidity", "Breadth", "Ticker trend"],
        ),
        ("eps", "eps_view", ["Post-earnings path", "Surprise vs return"]),
    ],
)
def test_every_view_of_the_heavy_pages_renders(
    app_lake: str, page: str, key: str, views: list[str]
) -> None:
    at = _open(page)
    seen = {tuple(_specs(at))}
    for view in views:
        at.segmented_control(key=key).set_value(view).run()
        _no_errors(at)
        assert _specs(at), view
        seen.add(tuple(_specs(at)))
    assert len(seen) == len(views) + 1  # each view draws something different


@pytest.mark.unit
def test_agreement_by_family_sums_before_dividing() -> None:
    import polars as pl

    from app.data import agreement_by_family

    history = pl.DataFrame(
        {
            "date": [date(2024, 1, 2)] * 4,
            "indicator": ["sma_20", "sma_50", "macd_signal_12_26_9", "sma_20 (massive)"],
            "compared": [10, 30, 5, 4],
            "agreed": [10, 27, 5, 2],
        }
    )
    got = {
        r["family"]: r["agreement_pct"] for r in agreement_by_family(history).iter_rows(named=True)
    }
    assert got == {"macd": 100.0, "sma": pytest.approx(92.5), "sma (massive)": 50.0}


def test_the_sidebar_says_where_the_data_came_from(app_lake: str) -> None:
    at = _open("candlesticks")
    _no_errors(at)
    ticker = at.selectbox(key="f_ticker").value.split(" ")[0]
    captions = [caption.value for caption in at.sidebar.caption]
    demo = "the synthetic demo market \\(not real prices\\)"  # escaped: plain text
    assert any(c.startswith("Sources\\: prices\\: " + demo) for c in captions), captions
    assert any(c.endswith(f"prices\\: {demo}") and ticker in c for c in captions), captions
