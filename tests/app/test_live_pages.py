"""The live pages (Streamlit AppTest) against a real stream: values change between two
refreshes; hostile links get a notice; Redis down (a closed port, none running, or a real
Redis stopped mid-test) is a message, and the pages come back when Redis does."""

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

from app.guard import REDIS_DOWN
from lake.errors import TickerlakeError
from pipelines.realtime import keys
from pipelines.services import free_loopback_port, start_redis

pytestmark = pytest.mark.integration

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PAGES = ["live_velocity.py", "live_candles.py", "live_moving_averages.py", "live_health.py"]
MAIN = PROJECT_ROOT / "app" / "main.py"
HUGE = "A" * 100_000
HOSTILE = ("[x](http://evil.example)", "<script>alert(1)</script>", "**bold**", HUGE, "nope!")


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
    simulator = subprocess.Popen(
        [*cli, "simulate", "--port", str(port), "--rate", "150", "--tickers", "30"],
        env=env,
        cwd=PROJECT_ROOT,
        stdout=(logs / "sim.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    worker = subprocess.Popen(
        [*cli, "worker", "--feed-url", f"ws://127.0.0.1:{port}"],
        env=env,
        cwd=PROJECT_ROOT,
        stdout=(logs / "worker.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        wait_until(
            lambda: (
                int(client.hget(keys.WORKER_STATS_KEY, "written") or 0) > 100
                and client.exists(keys.stats_key("messages_per_s"))
            )
        )
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


def open_through_main(page: str) -> AppTest:
    """The page as `make run` serves it: through app/main.py (and its error guard)."""
    app = AppTest.from_file(str(MAIN), default_timeout=60)
    app.run()
    app.switch_page(str(PROJECT_ROOT / "pages" / page))
    app.run()
    return app


def messages(app: AppTest) -> str:
    return " ".join(str(m.value) for m in [*app.error, *app.warning, *app.info])


@pytest.fixture
def no_lake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The live pages need no lake: LAKE_URI points at an empty folder."""
    monkeypatch.setenv("LAKE_URI", str(tmp_path / "no-lake"))
    monkeypatch.setenv("TICKERLAKE_DATA_DIR", str(tmp_path / "data"))


@pytest.mark.parametrize("param", ["cap", "ticker"])
@pytest.mark.parametrize("page", PAGES)
def test_hostile_links_on_live_pages_get_a_notice(
    page: str, param: str, live_stream: str, no_lake: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_URL", live_stream)
    app = open_through_main(page)
    for value in HOSTILE:
        app.query_params[param] = value
        app.run()
        assert not app.exception, app.exception
        shown = [
            str(e.value).lower()
            for kind in ("markdown", "caption", "title", "warning", "error", "info")
            for e in app.get(kind)
        ] + [str(m.label).lower() for m in app.metric]
        for danger in (value[:1000].lower(), "](http", "<script", "**bold**"):
            if danger in value.lower():
                assert not any(danger in text for text in shown), (page, param, danger[:40])
        uses = (param == "cap" and page != "live_health.py") or page in (
            "live_candles.py",
            "live_moving_averages.py",
        )
        if uses:
            assert any(f"`{param}`" in w.value for w in app.warning), (page, param, value[:40])


@pytest.mark.parametrize("outage", ["closed_port", "none_running"])
@pytest.mark.parametrize("page", PAGES)
def test_redis_down_is_a_message_on_live_pages(
    page: str, outage: str, no_lake: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if outage == "closed_port":  # REDIS_URL wrong, or the server stopped
        monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{free_loopback_port()}/0")
    else:  # no REDIS_URL and no embedded server running
        monkeypatch.delenv("REDIS_URL", raising=False)
    app = open_through_main(page)
    assert not app.exception, app.exception
    assert REDIS_DOWN in messages(app), messages(app)


def _start_stream(redis_url: str, logs: Path, feed_port: int) -> list[subprocess.Popen]:
    env = dict(os.environ, REDIS_URL=redis_url)
    env.pop("FEED_URL", None)
    cli = [sys.executable, "-m", "pipelines.cli", "realtime"]
    return [
        subprocess.Popen(
            command,
            env=env,
            cwd=PROJECT_ROOT,
            stdout=(logs / log).open("ab"),
            stderr=subprocess.STDOUT,
        )
        for command, log in (
            (
                [*cli, "simulate", "--port", str(feed_port), "--rate", "100", "--tickers", "10"],
                "sim.log",
            ),
            ([*cli, "worker", "--feed-url", f"ws://127.0.0.1:{feed_port}"], "worker.log"),
        )
    ]


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(timeout=30)


def test_live_pages_come_back_when_a_stopped_redis_restarts(
    tmp_path: Path, no_lake: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app import live_data

    server = start_redis(tmp_path / "redis")
    monkeypatch.setenv("REDIS_URL", server.url)
    stream = _start_stream(server.url, tmp_path, free_loopback_port())
    probe = redis.Redis.from_url(server.url, decode_responses=True)
    try:
        wait_until(lambda: int(probe.hget(keys.WORKER_STATS_KEY, "written") or 0) > 50)
        pages = {page: open_through_main(page) for page in ("live_velocity.py", "live_health.py")}
        for page, app in pages.items():
            assert not app.exception and metric_values(app), (page, messages(app))

        # Stop Redis mid-stream (the worker first, and our connections closed, so the
        # port is not held in TIME-WAIT by connections the server closed).
        _stop(stream)
        probe.close()
        live_data.client(server.url).connection_pool.disconnect()
        server.stop()
        for app in pages.values():

            def down(app: AppTest = app) -> bool:  # once the 1 s caches of the reads expire
                app.run()
                assert not app.exception, app.exception
                return REDIS_DOWN in messages(app)

            wait_until(down)

        server = _restart_redis(tmp_path / "redis", server.port)
        stream = _start_stream(server.url, tmp_path, free_loopback_port())
        for app in pages.values():

            def back(app: AppTest = app) -> bool:
                app.run()
                assert not app.exception, app.exception
                return REDIS_DOWN not in messages(app) and bool(metric_values(app))

            wait_until(back, timeout=60)
    finally:
        _stop(stream)
        server.stop()


def _restart_redis(workdir: Path, port: int):  # type: ignore[no-untyped-def]
    """Start the embedded Redis again on `port` (the address the pages and worker know)."""
    started: list = []

    def started_again() -> bool:
        try:
            started.append(start_redis(workdir, port=port))
        except TickerlakeError:  # the port may still be held for a moment
            return False
        return True

    wait_until(started_again, timeout=90)
    return started[0]
