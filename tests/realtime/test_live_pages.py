"""The live pages (Streamlit AppTest) against a real stream: values change between two refreshes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from streamlit.testing.v1 import AppTest

from pipelines.realtime import sink as keys
from pipelines.services import free_loopback_port

pytestmark = pytest.mark.integration

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PAGES = ["live_velocity.py", "live_candles.py", "live_moving_averages.py", "live_health.py"]


def wait_until(condition, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.1)


@pytest.fixture(scope="module")
def live_stream(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A simulator and a worker (real processes) streaming 30 tickers into the test Redis."""
    port = free_loopback_port()
    env = dict(os.environ, LAKE_URI=str(tmp_path_factory.mktemp("no-lake")), REDIS_URL=redis_url)
    env.pop("FEED_URL", None)
    cli = [sys.executable, "-m", "pipelines.cli", "realtime"]
    logs = tmp_path_factory.mktemp("live-logs")
    simulator = subprocess.Popen([*cli, "simulate", "--port", str(port), "--rate", "150", "--tickers", "30"],
                                 env=env, cwd=PROJECT_ROOT, stdout=(logs / "sim.log").open("wb"),
                                 stderr=subprocess.STDOUT)  # fmt: skip
    worker = subprocess.Popen([*cli, "worker", "--feed-url", f"ws://127.0.0.1:{port}"],
                              env=env, cwd=PROJECT_ROOT, stdout=(logs / "worker.log").open("wb"),
                              stderr=subprocess.STDOUT)  # fmt: skip
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        wait_until(lambda: int(client.hget(keys.WORKER_STATS_KEY, "written") or 0) > 100
                   and client.exists(keys.stats_key("messages_per_s")))  # fmt: skip
        yield redis_url
    finally:
        for process in (worker, simulator):
            process.terminate()
        for process in (worker, simulator):
            process.wait(timeout=30)
        client.close()


def metric_values(app: AppTest) -> tuple[str, ...]:
    return tuple(str(m.value) for m in app.metric)


@pytest.mark.parametrize("page", PAGES)
def test_live_page_values_change_between_refreshes(
    page: str, live_stream: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_URL", live_stream)
    app = AppTest.from_file(str(PROJECT_ROOT / "pages" / page), default_timeout=60)
    app.run()
    assert not app.exception, app.exception
    first = metric_values(app)
    assert first, "the page shows no metrics"
    changed: list[tuple[str, ...]] = []

    def refreshed() -> bool:
        app.run()
        assert not app.exception, app.exception
        changed.append(metric_values(app))
        return changed[-1] != first

    wait_until(refreshed)
    assert len(changed[-1]) == len(first)
