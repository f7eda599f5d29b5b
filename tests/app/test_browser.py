"""Every page in headless Debian chromium (Playwright) against a real Streamlit server.

One server per module on a free loopback port, serving the small demo lake. Each page
is opened, must show its charts and no exception element, and is screenshotted under
`test-output/screenshots/`. The first render of each page on the warm server is
measured and printed (never asserted).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

import pytest

from pipelines.services import free_loopback_port
from tests.app.conftest import MAIN, PROJECT_ROOT

pytestmark = pytest.mark.browser

SCREENSHOTS = PROJECT_ROOT / "test-output" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
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
FIRST_RENDERS: dict[str, float] = {}  # seconds from navigation to the page's charts
# Seconds from a sidebar click to the page's charts, the way an analyst moves between
# dashboards: Streamlit's frontend and its Plotly bundle are already loaded in the tab
# (a fresh tab spends about 3 s on those here, even for a one-line Plotly page).
NAV_RENDERS: dict[str, float] = {}
# sidebar link -> page heading (lower case)
NAV_LINKS = {
    "Candlesticks": "candlesticks",
    "Moving averages": "moving averages",
    "MACD": "macd",
    "Bollinger Bands": "bollinger",
    "Market health": "market health",
    "Earnings (EPS)": "earnings",
    "Analyst grades": "analyst grades",
    "Data quality": "data quality",
    "Market at a glance": "market at a glance",
}


@pytest.fixture(scope="module")
def server(demo_lake_uri: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`streamlit run app/main.py` on a free loopback port, serving the demo lake."""
    port = free_loopback_port()
    log = (tmp_path_factory.mktemp("streamlit") / "streamlit.log").open("wb")
    env = dict(os.environ, LAKE_URI=demo_lake_uri)
    process = subprocess.Popen(
        [
            sys.executable, "-m", "streamlit", "run", str(MAIN),
            "--server.address", "127.0.0.1", "--server.port", str(port),
            "--server.headless", "true", "--browser.gatherUsageStats", "false",
        ],
        cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(f"{base}/_stcore/health", process)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()
    if FIRST_RENDERS:
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"\nFirst render per page on a warm server (s; load average {load}):")
        for page, seconds in FIRST_RENDERS.items():
            print(f"  {page or 'home':16s} {seconds:.2f}")
    if NAV_RENDERS:
        print("Render per page after a sidebar click, same tab, warm server (s):")
        for link, seconds in NAV_RENDERS.items():
            print(f"  {link:20s} {seconds:.2f}")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


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
    and the browser holds the app's static files, so each page's first render is measured
    on a warm server (its own data still read for the first time)."""
    page = context.new_page()
    page.goto(server)
    _wait_rendered(page)
    page.close()
    return server


def _wait_healthy(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "streamlit exited early"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} never answered")


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


@pytest.mark.parametrize("path", list(PAGES))
def test_page_in_the_browser(warm: str, context, path: str) -> None:
    title, charts = PAGES[path]
    page = context.new_page()
    started = time.perf_counter()
    page.goto(f"{warm}/{path}")
    _wait_rendered(page)
    if charts:
        page.wait_for_selector(".js-plotly-plot", timeout=30_000)
    FIRST_RENDERS[path] = time.perf_counter() - started
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


def test_moving_between_dashboards_in_one_tab(warm: str, context) -> None:
    page = context.new_page()
    page.goto(warm)
    _wait_rendered(page)
    page.wait_for_selector(".js-plotly-plot", timeout=30_000)
    for link, heading in NAV_LINKS.items():
        started = time.perf_counter()
        page.locator('[data-testid="stSidebarNav"] a', has_text=link).first.click()
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
        NAV_RENDERS[link] = time.perf_counter() - started
        assert page.locator('[data-testid="stException"]').count() == 0, link
        assert page.locator(".js-plotly-plot").count() >= 1, link
    page.close()
