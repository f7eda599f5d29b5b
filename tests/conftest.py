"""Shared test harness: real services on loopback, one per test run.

- `redis_url`: the embedded Redis with the TimeSeries module (the same code that
  `tickerlake services up` runs), on a free port, stopped at the end of the run.
- `s3_endpoint`: a real S3 HTTP endpoint (moto in server mode) on a free port, with
  the AWS variables set for the whole run; `s3_lake_uri` gives each test a fresh
  bucket prefix on it.
- `lake_uri`: a fresh local lake folder per test.

Each test also gets its settings re-read from the environment, so a test that sets
LAKE_URI (via these fixtures or monkeypatch) sees its own lake.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import redis

from lake.settings import get_settings
from pipelines.services import (
    EmbeddedRedis,
    free_loopback_port,
    install_redis_dependencies,
    start_redis,
)

TEST_BUCKET = "tickerlake-test"


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    """Re-read settings before and after every test (tests change the environment)."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def embedded_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    """A real Redis with the TimeSeries module for the whole test run."""
    install_redis_dependencies()
    server = start_redis(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_url(embedded_redis: EmbeddedRedis) -> str:
    """URL of the test run's embedded Redis (database 0)."""
    return embedded_redis.url


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    """A client (str responses) on the embedded Redis, with the database flushed before the test."""
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    client.flushdb()
    yield client
    client.close()


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A moto S3 server on loopback with a test bucket; AWS_* variables point at it.

    It runs as its own process: delta-rs holds the GIL while it lists S3, so an
    in-process (threaded) server would deadlock against it.
    """
    port = free_loopback_port()
    endpoint = f"http://127.0.0.1:{port}"
    log = (tmp_path_factory.mktemp("moto") / "moto.log").open("wb")
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).close()
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise RuntimeError(f"moto server did not start; see {log.name}") from None
            time.sleep(0.1)
    saved = {k: os.environ.get(k) for k in _AWS_ENV}
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_ALLOW_HTTP": "true",
        }
    )
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(
        Bucket=TEST_BUCKET
    )
    yield endpoint
    server.terminate()
    server.wait(timeout=10)
    log.close()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


_AWS_ENV = (
    "AWS_ENDPOINT_URL",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_ALLOW_HTTP",
)


@pytest.fixture
def s3_lake_uri(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh `s3://` lake prefix on the loopback endpoint; LAKE_URI is set to it."""
    uri = f"s3://{TEST_BUCKET}/lake-{uuid.uuid4().hex[:12]}"
    monkeypatch.setenv("LAKE_URI", uri)
    get_settings.cache_clear()
    return uri


@pytest.fixture
def lake_uri(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh local lake folder; LAKE_URI (and the data folder) point at it."""
    uri = str(tmp_path / "lake")
    monkeypatch.setenv("LAKE_URI", uri)
    monkeypatch.setenv("TICKERLAKE_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    return uri


@pytest.fixture(params=["local", "s3"])
def any_lake_uri(request: pytest.FixtureRequest) -> str:
    """The same test on a local folder and on the S3 endpoint."""
    fixture = "lake_uri" if request.param == "local" else "s3_lake_uri"
    return request.getfixturevalue(fixture)


@pytest.fixture
def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    return free_loopback_port()


# --- demo lakes ------------------------------------------------------------------------


def build_demo_lake(root: Path, **options: Any) -> tuple[str, dict[str, Any]]:
    """Build a demo lake under `root` through the real pipeline (`build_demo(**options)`),
    with LAKE_URI and TICKERLAKE_DATA_DIR pointing there only while it builds; return its
    URI and `build_demo`'s summary."""
    from lake import tables
    from pipelines.historical import build_demo

    uri = str(root / "lake")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("LAKE_URI", uri)
        env.setenv("TICKERLAKE_DATA_DIR", str(root / "data"))
        get_settings.cache_clear()
        result = build_demo(lake_uri=uri, **options)
    get_settings.cache_clear()
    tables.forget_handles()
    return uri, result


# --- measured figures ------------------------------------------------------------------
# Tests that measure something (never asserted) add lines here; they are printed in the
# terminal summary, which pytest shows whatever the capture mode.
MEASURED: dict[str, list[str]] = {}


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for title, lines in MEASURED.items():
        terminalreporter.section(title, sep="-")
        for line in lines:
            terminalreporter.write_line(line)
