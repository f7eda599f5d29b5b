"""Hostile links on every page (Streamlit AppTest, demo lake): absurd dates, Markdown and
HTML, 100 kB values, unknown tickers and bad choices in the URL. Each gets a plain-text
notice naming the parameter, the page still renders, and no attacker text reaches an
element that renders Markdown."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from app.text import plain
from tests.app.conftest import MAIN, PAGES

pytestmark = pytest.mark.integration

ALL_PAGES = [
    "home",
    "candlesticks",
    "moving_averages",
    "macd",
    "bollinger",
    "market_health",
    "eps",
    "analyst_grades",
    "data_quality",
]
LINK = "[x](http://evil.example)"
SCRIPT = "<script>alert(1)</script>"
BOLD = "**bold**"
HUGE = "A" * 100_000
MARKUP = (LINK, SCRIPT, BOLD, HUGE, ":red[red] $x^2$")
# (parameter, hostile values); `start`/`end` are read with range=Custom.
FILTER_PARAMS: dict[str, tuple[str, ...]] = {
    "ticker": (*MARKUP, "nope!"),
    "range": (*MARKUP, "10Y"),
    "interval": (*MARKUP, "hour"),
    "cap": (*MARKUP, "giant", "mega,giant"),
    "liq": (*MARKUP, "ultra"),
    "start": (*MARKUP, "2024-13-45", "9999-12-31", "0001-01-01", "2024-1-5"),
    "end": (*MARKUP, "2024-13-45", "9999-12-31", "0001-01-01"),
}
DATES = (*MARKUP, "9999-12-31", "0001-01-01", "2024-13-45", "20240105")


def _page(page: str) -> AppTest:
    at = AppTest.from_file(str(MAIN), default_timeout=120)
    at.run()
    if page != "home":
        at.switch_page(str(PAGES / f"{page}.py"))
        at.run()
    return at


def _markdown_texts(at: AppTest) -> list[str]:
    """Every text the page renders as Markdown (and the metric labels, which may hold it)."""
    kinds = (
        "markdown",
        "caption",
        "title",
        "header",
        "subheader",
        "warning",
        "error",
        "info",
        "success",
        "toast",
    )
    texts = [str(e.value) for kind in kinds for e in at.get(kind)]
    return texts + [str(m.label) for m in at.metric]


def _assert_safe(at: AppTest, value: str) -> None:
    assert not at.exception, [e.value for e in at.exception]
    texts = [text.lower() for text in _markdown_texts(at)]  # tickers are upper-cased
    raw = value[:1000].lower()
    assert not any(raw in text for text in texts), f"{raw[:40]!r} rendered as Markdown"
    for danger in ("](http", "<script", "**bold**", ":red[", "$x^2$"):
        if danger in value:
            assert not any(danger in text for text in texts), danger


def _notices(at: AppTest, param: str) -> list[str]:
    return [w.value for w in at.warning if f"`{param}`" in w.value]


@pytest.mark.parametrize("page", ALL_PAGES)
def test_hostile_filter_values_get_a_notice_and_render_nothing(app_lake: str, page: str) -> None:
    at = _page(page)
    checked = 0
    for param, values in FILTER_PARAMS.items():
        for value in values:
            if param in ("start", "end"):
                at.query_params["range"] = "Custom"
            at.query_params[param] = value
            at.run()
            _assert_safe(at, value)
            assert _notices(at, param), (param, value[:40], [w.value for w in at.warning])
            checked += 1
    assert checked == sum(len(v) for v in FILTER_PARAMS.values())


@pytest.mark.parametrize("page", ALL_PAGES)
def test_an_unknown_ticker_is_named_and_nothing_breaks(app_lake: str, page: str) -> None:
    at = _page(page)
    at.query_params["ticker"] = "NOPE.X"
    at.run()
    _assert_safe(at, "NOPE.X")
    if page != "data_quality":  # the one page that shows no ticker
        assert any("NOPE" in w.value for w in at.warning), [w.value for w in at.warning]


def test_hostile_dates_on_the_grades_page_fall_back_with_a_notice(app_lake: str) -> None:
    at = _page("analyst_grades")
    at.query_params["range"] = "Max"
    at.run()
    charts = len(at.get("plotly_chart"))
    assert charts, "the page draws its charts before any hostile date"
    for value in DATES:
        at.query_params["date"] = value
        at.run()
        _assert_safe(at, value)
        assert _notices(at, "date"), value[:40]
        assert len(at.get("plotly_chart")) == charts, "the page renders as without the date"
        assert not at.success, "no day is highlighted for an invalid date"


@pytest.mark.unit
@pytest.mark.parametrize("text", [LINK, SCRIPT, BOLD, ":red[x]", "$x$", "www.evil.com", "a\\b"])
def test_plain_escapes_every_markdown_special(text: str) -> None:
    escaped = plain(text)
    # every punctuation character is preceded by a backslash: Markdown shows it literally
    specials = [i for i, c in enumerate(escaped) if not c.isalnum() and c not in " \\…"]
    assert all(escaped[i - 1] == "\\" for i in specials), escaped
    assert escaped.replace("\\", "") == text.replace("\\", "")


@pytest.mark.unit
def test_plain_cuts_long_text() -> None:
    assert len(plain(HUGE)) == 80
    assert plain("a \n b") == "a b"


EVIL_FIRM = "[Evil](http://evil.example) <a href='http://evil.example'>Evil</a> **Firm**"


@pytest.fixture
def lake_with_hostile_firms(demo_lake_uri: str, tmp_path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A copy of the demo lake whose analyst firms are all named with Markdown and HTML."""
    import shutil

    import polars as pl

    from lake import queries, tables
    from lake.schemas import GRADES
    from lake.settings import get_settings

    uri = str(tmp_path / "lake")
    shutil.copytree(demo_lake_uri, uri)
    grades = queries.grades(lake_uri=uri).with_columns(firm=pl.lit(EVIL_FIRM))
    tables.write(GRADES, grades.select(GRADES.schema.names()), mode="overwrite", lake_uri=uri)
    monkeypatch.setenv("LAKE_URI", uri)
    get_settings.cache_clear()
    return uri


def test_provider_text_with_markup_is_shown_literally(lake_with_hostile_firms: str) -> None:
    at = _page("analyst_grades")
    at.query_params["range"] = "Max"
    at.run()
    day = str(at.dataframe[0].value["date"].iloc[0])[:10]
    at.query_params["date"] = day
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.success, "the linked day's actions are listed"
    texts = _markdown_texts(at)
    assert any("Evil" in text for text in texts), "the firm is named"
    for danger in ("](http", "**Firm**"):
        assert not any(danger in text for text in texts), danger
    # a tag only when its "<" is not backslash-escaped
    assert not any(re.search(r"(?<!\\)<a", text) for text in texts), texts
    specs = " ".join(chart.proto.spec for chart in at.get("plotly_chart"))
    assert "Evil" in specs and "<a href" not in specs, "chart hover text is escaped"
