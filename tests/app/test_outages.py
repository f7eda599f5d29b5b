"""Every page with the lake damaged or its S3 endpoint stopped (Streamlit AppTest, real
Delta tables, a real S3 endpoint on loopback): a message saying what to do, never a
traceback. And the project's `.streamlit/config.toml` hides the details of any
exception no page foresaw."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from app.guard import LAKE_UNREADABLE
from lake import tables
from lake.settings import get_settings
from pipelines.services import free_loopback_port
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
BUCKET = "outage-test"


def _page(page: str) -> AppTest:
    at = AppTest.from_file(str(MAIN), default_timeout=120)
    at.run()
    if page != "home":
        at.switch_page(str(PAGES / f"{page}.py"))
        at.run()
    return at


def _messages(at: AppTest) -> str:
    return " ".join(str(m.value) for m in [*at.error, *at.warning, *at.info])


def _forget_cached_reads() -> None:
    """What a cache expiry does: the next render reads the lake again."""
    st.cache_data.clear()
    st.cache_resource.clear()
    tables.forget_handles()


@pytest.fixture
def damaged_lake(
    demo_lake_uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request
) -> str:
    """A copy of the demo lake with one kind of damage; LAKE_URI points at it."""
    lake = tmp_path / "lake"
    shutil.copytree(demo_lake_uri, lake)
    damage = request.param
    if damage == "garbled_log":  # every table's newest commit overwritten with garbage
        for log in lake.rglob("_delta_log"):
            newest = max(log.glob("*.json"))
            newest.write_text("{not json at all")
    else:  # "lost_data_files": every data file of every table deleted, the logs intact
        for data_file in lake.rglob("*.parquet"):
            if "_delta_log" not in data_file.parts:
                data_file.unlink()
    monkeypatch.setenv("LAKE_URI", str(lake))
    get_settings.cache_clear()
    tables.forget_handles()
    return damage


@pytest.mark.parametrize("damaged_lake", ["garbled_log", "lost_data_files"], indirect=True)
@pytest.mark.parametrize("page", ALL_PAGES)
def test_a_damaged_lake_is_a_message_on_every_page(damaged_lake: str, page: str) -> None:
    at = _page(page)
    assert not at.exception, [e.value for e in at.exception]
    assert LAKE_UNREADABLE in _messages(at), _messages(at)
    assert not at.get("plotly_chart"), "nothing is drawn from a damaged lake"


@pytest.fixture
def stoppable_s3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[subprocess.Popen]:
    """A moto S3 server of this test's own (so it can be stopped), with the AWS variables
    and LAKE_URI pointing at it."""
    port = free_loopback_port()
    endpoint = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=(tmp_path / "moto.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).close()
            break
        except OSError:
            assert server.poll() is None and time.monotonic() < deadline, "moto did not start"
            time.sleep(0.1)
    env = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_ALLOW_HTTP": "true",
        "LAKE_URI": f"s3://{BUCKET}/lake",
        "TICKERLAKE_DATA_DIR": str(tmp_path / "data"),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket=BUCKET)
    try:
        yield server
    finally:
        if server.poll() is None:
            server.terminate()
            server.wait(timeout=10)
        _forget_cached_reads()


def test_a_stopped_s3_endpoint_is_a_message_on_every_page(stoppable_s3: subprocess.Popen) -> None:
    from pipelines.historical import build_demo

    build_demo(lake_uri=f"s3://{BUCKET}/lake", n_tickers=6, years=1, seed=5, reconciled_sessions=1)
    _forget_cached_reads()
    before = _page("candlesticks")
    assert not before.exception, [e.value for e in before.exception]
    assert before.get("plotly_chart"), "the S3 lake renders while its endpoint is up"

    stoppable_s3.terminate()
    stoppable_s3.wait(timeout=10)
    for page in ALL_PAGES:
        _forget_cached_reads()
        at = _page(page)
        assert not at.exception, (page, [e.value for e in at.exception])
        assert LAKE_UNREADABLE in _messages(at), (page, _messages(at))
        assert "127.0.0.1" not in _messages(at), "the endpoint's error text is not shown"


def test_an_unforeseen_exception_shows_no_details(tmp_path: Path) -> None:
    """The project's config (read from the working directory, as `make run` starts the
    server there) turns off the exception's type, message and traceback in the page."""
    assert Path.cwd() == Path(MAIN).parents[1], "run the tests from the project folder"
    script = tmp_path / "boom.py"
    script.write_text("raise ValueError('secret-token [x](http://evil.example)')\n")
    at = AppTest.from_file(str(script)).run()
    assert at.exception, "the exception is still reported, without its details"
    shown = at.exception[0]
    assert "secret-token" not in shown.value and "evil" not in shown.value
    assert not shown.stack_trace
    assert os.environ.get("STREAMLIT_CLIENT_SHOW_ERROR_DETAILS") is None
