"""Every page in headless Debian chromium (Playwright) against a real Streamlit server.

One server per module on a free loopback port, serving the default demo lake (what
`make run` serves). Each page is opened, must show its charts and no exception element,
and is screenshotted under `test-output/screenshots/`. Render times are measured and
printed in the terminal summary (never asserted):

- a page's first render on the warm server: the app is open (the server has imported
  everything and read the universe; the tab has Streamlit's and Plotly's JavaScript
  loaded), the analyst clicks the page in the sidebar, and its data is read and its
  charts drawn for the first time; then the same clicks again (data cached);
- each page in a fresh tab, beside the same figure for a reference page (a title and
  one three-point Plotly line, from its own server) measured in the same run: the part
  of a fresh tab that is Streamlit's and Plotly's JavaScript starting, not our page.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.app.browser_harness import SCREENSHOTS, chromium, streamlit_server
from tests.app.conftest import MAIN
from tests.conftest import MEASURED

# The module's first test also builds the default demo lake (about a minute).
pytestmark = [pytest.mark.browser, pytest.mark.timeout(900)]

REFERENCE_PAGE = Path(__file__).with_name("reference_page.py")
# url path -> (page title shown, charts expected at least)
PAGES = {
    "": ("market at a glance", 1),
    "candlesticks": ("candlesticks", 1),
    "moving_averages": ("moving averages", 1),
    "macd": ("MACD", 1),
    "bollinger": ("Bollinger Bands", 1),
    "market_health": ("Market health", 1),
    "eps": ("Earnings (EPS)", 1),
    "analyst_grades": ("analyst grades", 1),
    "data_quality": ("Data quality", 1),
}
# sidebar link -> (url path, page heading in lower case)
NAV_LINKS = {
    "Candlesticks": ("candlesticks", "candlesticks"),
    "Moving averages": ("moving_averages", "moving averages"),
    "MACD": ("macd", "macd"),
    "Bollinger Bands": ("bollinger", "bollinger"),
    "Market health": ("market_health", "market health"),
    "Earnings (EPS)": ("eps", "earnings"),
    "Analyst grades": ("analyst_grades", "analyst grades"),
    "Data quality": ("data_quality", "data quality"),
    "Market at a glance": ("", "market at a glance"),
}
NAV_ROUNDS = 3  # the first is each page's first render; the rest read cached data
FRESH_REFERENCE_RUNS = 3
# Seconds, per url path: a list per kind of render.
FIRST_RENDER: dict[str, float] = {}
CACHED_RENDERS: dict[str, list[float]] = {}
FRESH_TAB: dict[str, float] = {}
REFERENCE_FRESH_TAB: list[float] = []


@pytest.fixture(scope="module")
def server(default_demo_lake_uri: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`streamlit run app/main.py` on a free loopback port, serving the default demo lake."""
    env = dict(os.environ, LAKE_URI=default_demo_lake_uri)
    log = tmp_path_factory.mktemp("streamlit") / "streamlit.log"
    with streamlit_server(MAIN, env, log) as base:
        yield base
    _report_render_times()


@pytest.fixture(scope="module")
def reference_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The reference page (`reference_page.py`) on its own Streamlit server."""
    log = tmp_path_factory.mktemp("streamlit_reference") / "streamlit.log"
    with streamlit_server(REFERENCE_PAGE, dict(os.environ), log) as base:
        yield base


def _report_render_times() -> None:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    lines = [f"seconds, default demo lake, load average {load}", ""]
    lines.append(f"{'page':16s} {'first render':>13s} {'again':>7s} {'fresh tab':>10s}")
    for path, (_title, _charts) in PAGES.items():
        again = CACHED_RENDERS.get(path)
        cells = [
            f"{FIRST_RENDER[path]:13.2f}" if path in FIRST_RENDER else f"{'-':>13s}",
            f"{statistics.median(again):7.2f}" if again else f"{'-':>7s}",
            f"{FRESH_TAB[path]:10.2f}" if path in FRESH_TAB else f"{'-':>10s}",
        ]
        lines.append(f"{path or 'home':16s} {' '.join(cells)}")
    if FIRST_RENDER:
        lines.append(f"{'median':16s} {statistics.median(FIRST_RENDER.values()):13.2f}")
    if REFERENCE_FRESH_TAB and FRESH_TAB:
        reference = statistics.median(REFERENCE_FRESH_TAB)
        ours = statistics.median(FRESH_TAB.values())
        lines += [
            "",
            f"first render: after a sidebar click in the open app, the page's data read for "
            f"the first time; again: median of {NAV_ROUNDS - 1} more clicks (data cached)",
            f"fresh tab, reference page (a title and one 3-point Plotly line): "
            f"{reference:.2f} (median of {len(REFERENCE_FRESH_TAB)})",
            f"fresh tab, our pages: median {ours:.2f} = {ours / reference:.2f} x the reference "
            f"(+{ours - reference:.2f} s)",
        ]
    MEASURED.setdefault("browser render times", []).extend(lines)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def context(browser) -> Iterator[object]:
    """One browser context for the module: its HTTP cache holds the app's static files,
    as an analyst's browser would after the first visit."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 1500})
    yield ctx
    ctx.close()


@pytest.fixture(scope="module")
def warm(server: str, context) -> str:
    """Open the home page once: the server has imported everything and read the universe,
    and the browser holds the app's static files."""
    page = context.new_page()
    page.goto(server)
    _wait_rendered(page)
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
    page.close()
    return server


def _wait_rendered(page) -> None:
    """Wait until the app's script run has finished (no 'running' status widget)."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=60_000)
    page.wait_for_function(
        """() => {
            const app = document.querySelector('[data-testid="stApp"]');
            return app && app.getAttribute('data-test-script-state') === 'notRunning'
                && document.querySelector('[data-testid="stHeading"], [data-testid="stAlert"]');
        }""",
        timeout=60_000,
    )


def _wait_page_drawn(page, heading: str) -> None:
    """Wait for the page titled `heading` to have finished its run and drawn a chart."""
    page.wait_for_function(
        """(heading) => {
            const app = document.querySelector('[data-testid="stApp"]');
            const h1 = document.querySelector('h1');
            return app && app.getAttribute('data-test-script-state') === 'notRunning'
                && h1 && h1.innerText.toLowerCase().includes(heading)
                && document.querySelector('.js-plotly-plot .main-svg');
        }""",
        arg=heading,
        timeout=60_000,
    )


def test_moving_between_dashboards_in_one_tab(warm: str, context) -> None:
    """Runs first: each page's data is read for the first time on its first click."""
    page = context.new_page()
    page.goto(warm)
    _wait_rendered(page)
    page.wait_for_selector(".js-plotly-plot", timeout=30_000)
    for round_ in range(NAV_ROUNDS):
        for link, (path, heading) in NAV_LINKS.items():
            started = time.perf_counter()
            page.locator('[data-testid="stSidebarNav"] a', has_text=link).first.click()
            _wait_page_drawn(page, heading)
            seconds = time.perf_counter() - started
            if round_ == 0 and path:  # home's data was read by `warm`
                FIRST_RENDER[path] = seconds
            else:
                CACHED_RENDERS.setdefault(path, []).append(seconds)
            assert page.locator('[data-testid="stException"]').count() == 0, link
            assert page.locator(".js-plotly-plot").count() >= 1, link
    page.close()


@pytest.mark.parametrize("path", list(PAGES))
def test_page_in_the_browser(warm: str, context, path: str) -> None:
    title, charts = PAGES[path]
    page = context.new_page()
    started = time.perf_counter()
    page.goto(f"{warm}/{path}")
    _wait_rendered(page)
    if charts:
        page.wait_for_selector(".js-plotly-plot .main-svg", timeout=30_000)
    FRESH_TAB[path] = time.perf_counter() - started
    page.wait_for_timeout(600)  # let Plotly finish its transitions before the screenshot
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{path or 'home'}.png"), full_page=True)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert title in page.locator("h1").first.inner_text()
    assert page.locator('[data-testid="stPlotlyChart"]').count() >= charts
    assert page.locator(".js-plotly-plot").count() >= charts
    page.close()


def test_filters_travel_in_the_url_across_pages(warm: str, context) -> None:
    page = context.new_page()
    page.goto(f"{warm}/macd?interval=week&range=Max")
    _wait_rendered(page)
    page.wait_for_selector(".js-plotly-plot", timeout=30_000)
    # Navigate with the sidebar: the filters must stay in the URL on the next page.
    page.locator('[data-testid="stSidebarNav"] a', has_text="Bollinger Bands").click()
    page.wait_for_url("**/bollinger**", timeout=30_000)
    _wait_rendered(page)
    page.wait_for_function("() => location.search.includes('interval=week')", timeout=30_000)
    assert "range=Max" in page.url
    assert page.locator('[data-testid="stException"]').count() == 0
    page.close()


def test_picking_a_grade_dot_opens_the_grades_page(warm: str, context) -> None:
    page = context.new_page()
    page.goto(f"{warm}/macd?range=Max")
    _wait_rendered(page)
    page.wait_for_selector(".js-plotly-plot .scatterlayer .trace path.point", timeout=30_000)
    # The purple dots are the price pane's first scatter trace (see pages/macd.py).
    dot = page.locator(".js-plotly-plot .scatterlayer .trace").first.locator("path.point").first
    box = dot.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_url("**/analyst_grades**", timeout=30_000)
    _wait_rendered(page)
    page.wait_for_function("() => location.search.includes('date=')", timeout=30_000)
    day = page.url.split("date=")[1][:10]
    assert "analyst grades" in page.locator("h1").first.inner_text()
    page.wait_for_selector('[data-testid="stAlert"]', timeout=30_000)
    assert day in page.locator('[data-testid="stAlert"]').first.inner_text()
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=str(SCREENSHOTS / "analyst_grades_from_macd_dot.png"))
    page.close()


def test_reference_page_in_a_fresh_tab(reference_server: str, context) -> None:
    for _ in range(FRESH_REFERENCE_RUNS):
        page = context.new_page()
        started = time.perf_counter()
        page.goto(reference_server)
        _wait_rendered(page)
        page.wait_for_selector(".js-plotly-plot .main-svg", timeout=30_000)
        REFERENCE_FRESH_TAB.append(time.perf_counter() - started)
        assert page.locator('[data-testid="stException"]').count() == 0
        assert page.locator("h1").first.inner_text() == "Reference"
        page.close()


def test_hostile_link_shows_a_notice_and_no_traceback(
    demo_lake_uri: str, browser, tmp_path: Path
) -> None:
    """In the real browser (served from the project folder, so its .streamlit/config.toml
    applies): an absurd date and a Markdown link in the URL give notices, no exception
    box, and no link of the attacker's."""
    from urllib.parse import urlencode

    env = dict(os.environ, LAKE_URI=demo_lake_uri)
    with streamlit_server(MAIN, env, tmp_path / "streamlit.log") as base:
        ctx = browser.new_context(viewport={"width": 1400, "height": 1200})
        page = ctx.new_page()
        for params in (
            {"date": "9999-12-31", "range": "Max"},
            {"date": "[click](http://evil.example)", "ticker": "[x](http://evil.example)"},
        ):
            page.goto(f"{base}/analyst_grades?{urlencode(params)}")
            _wait_rendered(page)
            alerts = page.locator('[data-testid="stAlert"]').all_inner_texts()
            assert any("Ignoring date in the link" in a for a in alerts), alerts
            assert page.locator('[data-testid="stException"]').count() == 0
            assert page.locator('a[href*="evil"]').count() == 0
        ctx.close()
