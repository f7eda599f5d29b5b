"""The browser tests' harness: a Streamlit server on a free loopback port, run from the
project folder (so its `.streamlit/config.toml` applies), and Debian's chromium driven by
Playwright. Used by `test_browser.py` (the historical pages) and `test_live_browser.py`
(the live pages)."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pipelines.services import free_loopback_port
from tests.app.conftest import PROJECT_ROOT

SCREENSHOTS = PROJECT_ROOT / "test-output" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def streamlit_command(script: Path, port: int) -> list[str]:
    """The command line of `streamlit run script`, headless, on 127.0.0.1:`port`."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(script),
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]


def stop(process: subprocess.Popen) -> None:
    """Terminate `process` and reap it; kill it when it does not stop in time."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def streamlit_healthy(base: str) -> bool:
    """Whether the Streamlit server at `base` answers its health check."""
    try:
        with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def wait_healthy(base: str, process: subprocess.Popen, *, timeout: float = 60.0) -> None:
    """Poll the health check of the server `process` runs at `base`; fail when it exits or
    does not answer within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "streamlit exited early"
        if streamlit_healthy(base):
            return
        time.sleep(0.2)
    raise AssertionError(f"{base}/_stcore/health never answered")


@contextmanager
def streamlit_server(script: Path, env: dict[str, str], log_path: Path) -> Iterator[str]:
    """`streamlit run script` on a free loopback port with environment `env`, its output in
    `log_path`; yields its base URL once healthy and stops it on exit."""
    port = free_loopback_port()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            streamlit_command(script, port),
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_healthy(base, process)
            yield base
        finally:
            stop(process)


@contextmanager
def chromium() -> Iterator[Any]:  # -> playwright.sync_api.Browser
    """Debian's headless chromium under Playwright, closed on exit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()
