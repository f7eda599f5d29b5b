"""`tickerlake services`: the embedded Redis lifecycle, and one clear line for each broken piece."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from lake.errors import TickerlakeError
from pipelines.services import (
    check_timeseries,
    free_loopback_port,
    redis_environment,
    redis_stack_paths,
    start_redis,
)

pytestmark = pytest.mark.integration

TICKERLAKE = Path(sys.executable).parent / "tickerlake"


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(TICKERLAKE), *args], env=env, capture_output=True, text=True, timeout=60)


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env["TICKERLAKE_DATA_DIR"] = str(tmp_path / "data")
    return env


def test_services_up_status_down(cli_env: dict[str, str], tmp_path: Path) -> None:
    up = _cli(["services", "up"], cli_env)
    try:
        assert up.returncode == 0, up.stderr
        assert "embedded" in up.stdout
        url = up.stdout.split("TimeSeries: ")[1].split()[0]
        check_timeseries(url)
        pid = int((tmp_path / "data" / "run" / "redis.pid").read_text())
        assert (tmp_path / "data" / "redis" / "redis.log").exists()

        again = _cli(["services", "up"], cli_env)  # idempotent: reports the running server
        assert again.returncode == 0 and url in again.stdout

        status = _cli(["services", "status"], cli_env)
        assert status.returncode == 0 and url in status.stdout
    finally:
        down = _cli(["services", "down"], cli_env)
    assert down.returncode == 0 and f"pid {pid}" in down.stdout
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    after = _cli(["services", "status"], cli_env)
    assert after.returncode == 1 and "not running" in after.stdout


def test_taken_port_is_one_clear_error(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(TickerlakeError, match=f"port {port} .* is taken"):
            start_redis(tmp_path, port=port)


def test_taken_port_from_the_cli(cli_env: dict[str, str]) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        cli_env["TICKERLAKE_REDIS_PORT"] = str(holder.getsockname()[1])
        result = _cli(["services", "up"], cli_env)
    assert result.returncode == 1
    assert "is taken" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert len(result.stderr.strip().splitlines()) == 1


def test_unreachable_redis_url_is_one_clear_error(cli_env: dict[str, str]) -> None:
    cli_env["REDIS_URL"] = f"redis://:hunter2@127.0.0.1:{free_loopback_port()}/0"
    result = _cli(["services", "status"], cli_env)
    assert result.returncode == 69  # EX_UNAVAILABLE: a service outage (pipelines/cli_errors.py)
    assert "cannot reach Redis" in result.stderr and "REDIS_URL" in result.stderr
    assert "hunter2" not in result.stderr  # the password never shows
    assert "Traceback" not in result.stderr + result.stdout


def test_redis_without_timeseries_is_named_plainly(tmp_path: Path) -> None:
    paths = redis_stack_paths()
    port = free_loopback_port()
    server = subprocess.Popen(
        [str(paths.server), "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--dir", str(tmp_path)],
        env=redis_environment(),
        stdout=subprocess.DEVNULL,
    )
    try:
        client = redis.Redis(port=port)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.exceptions.ConnectionError:
                assert time.monotonic() < deadline, "plain redis-server did not start"
                time.sleep(0.05)
        with pytest.raises(TickerlakeError, match="no TimeSeries module"):
            check_timeseries(f"redis://127.0.0.1:{port}/0")
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_started_server_stops_cleanly(tmp_path: Path) -> None:
    server = start_redis(tmp_path)
    check_timeseries(server.url)
    server.stop()
    assert server.process.poll() is not None
    with pytest.raises(TickerlakeError, match="cannot reach Redis"):
        check_timeseries(server.url)
