"""The live pages in headless Debian chromium (Playwright): values change between refreshes.

Real processes on loopback: the embedded Redis (flushed first), the market simulator,
the realtime worker and `streamlit run app/main.py`, over a tiny demo lake (the
simulator's prices continue from its last closes; the app's sidebar reads it). Each
live page is opened by its URL path; its metrics and its first Plotly chart are read,
then read again until they differ (polled, with a generous limit), and the page is
screenshotted under `test-output/screenshots/live_<name>.png`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis

from pipelines.realtime import keys
from pipelines.services import free_loopback_port
from tests.app.browser_harness import (
    SCREENSHOTS,
    chromium,
    stop,
    streamlit_command,
    streamlit_healthy,
)
from tests.app.conftest import MAIN, PROJECT_ROOT
from tests.conftest import build_demo_lake

pytestmark = pytest.mark.browser

TICKERS = 12
# url path -> (title shown, screenshot name)
LIVE_PAGES = {
    "live_velocity": ("Live velocity", "velocity"),
    "live_candles": ("Live candles", "candles"),
    "live_moving_averages": ("Live moving averages", "moving_averages"),
    "live_health": ("Live pipeline health", "health"),
}
# The first chart's data, reduced to what a refresh moves: each trace's last points.
CHART_DATA_JS = """() => {
    const plot = document.querySelector('.js-plotly-plot');
    if (!plot || !plot.data) return null;
    return JSON.stringify(plot.data.map(t => [t.type, t.x, t.y, t.close]));
}"""
METRICS_JS = """() => Array.from(
    document.querySelectorAll('[data-testid="stMetric"]'), m => m.innerText
).join(' | ')"""


def eventually(
    read: Callable[[], Any], accept: Callable[[Any], bool], *, timeout: float = 30.0
) -> Any:
    """Poll `read()` until `accept(value)` holds and return that value; fail after `timeout` s."""
    deadline = time.monotonic() + timeout
    value = read()
    while not accept(value):
        if time.monotonic() > deadline:
            raise AssertionError(f"not met within {timeout} s (last value {value!r:.300})")
        time.sleep(0.25)
        value = read()
    return value


@pytest.fixture(scope="module")
def tiny_lake(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment of a 12-ticker, 1-year demo lake built by `build_demo`."""
    root = tmp_path_factory.mktemp("live_lake")
    uri, _ = build_demo_lake(root, n_tickers=TICKERS, years=1, seed=5)
    return {"LAKE_URI": uri, "TICKERLAKE_DATA_DIR": str(root / "data")}


@pytest.fixture(scope="module")
def live_app(
    redis_url: str, tiny_lake: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Simulator → worker → Redis, and Streamlit reading it; yields the app's base URL."""
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    client.flushdb()
    env = dict(os.environ, **tiny_lake, REDIS_URL=redis_url)
    env.pop("FEED_URL", None)
    logs = tmp_path_factory.mktemp("live_browser_logs")
    feed_port, app_port = free_loopback_port(), free_loopback_port()
    base = f"http://127.0.0.1:{app_port}"
    cli = [sys.executable, "-m", "pipelines.cli", "realtime"]
    commands = {
        "simulator": [
            *cli,
            "simulate",
            "--port",
            str(feed_port),
            "--rate",
            "200",
            "--tickers",
            str(TICKERS),
        ],
        "worker": [
            *cli,
            "worker",
            "--feed-url",
            f"ws://127.0.0.1:{feed_port}",
            "--redis-url",
            redis_url,
        ],
        "streamlit": streamlit_command(MAIN, app_port),
    }
    processes: list[subprocess.Popen] = []
    log_files = [(logs / f"{name}.log").open("wb") for name in commands]
    try:
        for command, log in zip(commands.values(), log_files, strict=True):
            processes.append(
                subprocess.Popen(
                    command, env=env, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT
                )
            )

        def all_alive() -> None:
            for name, process in zip(commands, processes, strict=True):
                assert process.poll() is None, f"{name} exited; see {logs / name}.log"

        def streaming() -> bool:
            all_alive()
            written = int(client.hget(keys.WORKER_STATS_KEY, "written") or 0)
            return written > 100 and bool(client.exists(keys.stats_key("messages_per_s")))

        def healthy() -> bool:
            all_alive()
            return streamlit_healthy(base)

        eventually(streaming, bool, timeout=60)
        eventually(healthy, bool, timeout=60)
        yield base
    finally:
        for process in reversed(processes):  # Streamlit first, then the worker, then the feed
            stop(process)
        for log in log_files:
            log.close()
        client.flushdb()  # the session's Redis is shared: leave no live state to later tests
        client.close()


@pytest.fixture(scope="module")
def context() -> Iterator[Any]:
    """One headless chromium context for the module (Debian's /usr/bin/chromium)."""
    with chromium() as browser:
        ctx = browser.new_context(viewport={"width": 1400, "height": 1100})
        yield ctx
        ctx.close()


@pytest.mark.parametrize("path", list(LIVE_PAGES))
def test_live_page_values_change_in_the_browser(live_app: str, context: Any, path: str) -> None:
    title, name = LIVE_PAGES[path]
    page = context.new_page()
    page.goto(f"{live_app}/{path}")
    page.wait_for_selector('[data-testid="stMetric"]', timeout=60_000)
    page.wait_for_selector(".js-plotly-plot", timeout=60_000)
    assert title in page.locator("h1").first.inner_text()

    def shown() -> tuple[str, str | None]:
        assert page.locator('[data-testid="stException"]').count() == 0
        return page.evaluate(METRICS_JS), page.evaluate(CHART_DATA_JS)

    metrics, chart = eventually(shown, lambda v: bool(v[0]) and v[1] is not None)
    # A refresh every second: within a generous limit both the metrics and the chart move.
    eventually(shown, lambda v: v[0] != metrics and v[1] is not None and v[1] != chart)
    assert page.locator('[data-testid="stException"]').count() == 0
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"live_{name}.png"), full_page=True)
    page.close()
