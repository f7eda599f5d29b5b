"""`tickerlake services`: the embedded Redis lifecycle, and one clear line for each broken piece."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import redis

from lake.errors import TickerlakeError
from pipelines.services import (
    check_timeseries,
    free_loopback_port,
    port_is_free,
    redact_url,
    start_redis,
)
from pipelines.services.embedded_redis import redis_password
from pipelines.services.install import redis_environment, redis_stack_paths

pytestmark = pytest.mark.integration

TICKERLAKE = Path(sys.executable).parent / "tickerlake"


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(TICKERLAKE), *args], env=env, capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env["TICKERLAKE_DATA_DIR"] = str(tmp_path / "data")
    # A port of its own: the default (6390) may be held by a real `make run` on this machine.
    env["TICKERLAKE_REDIS_PORT"] = str(free_loopback_port())
    return env


def test_services_up_status_down(cli_env: dict[str, str], tmp_path: Path) -> None:
    port = cli_env["TICKERLAKE_REDIS_PORT"]
    up = _cli(["services", "up"], cli_env)
    try:
        assert up.returncode == 0, up.stderr
        password = (tmp_path / "data" / "redis" / "password").read_text().strip()
        assert len(password) >= 40
        shown = f"redis://default:***@127.0.0.1:{port}/0"
        assert f"TimeSeries: {shown} (embedded)" in up.stdout
        url = _cli(["services", "url"], cli_env)
        assert url.returncode == 0, url.stderr
        assert (
            url.stdout == f"redis://default:{password}@127.0.0.1:{port}/0\n"
        )  # the URL, nothing else
        check_timeseries(url.stdout.strip())
        pid = int((tmp_path / "data" / "run" / "redis.pid").read_text())
        assert (tmp_path / "data" / "redis" / "redis.log").exists()
        assert (tmp_path / "data" / "redis" / "appendonlydir").is_dir()  # persistence is on

        # What the docs tell scripts to do works as written.
        paths = redis_stack_paths()
        pong = subprocess.run(
            [str(paths.cli), "--no-auth-warning", "-u", url.stdout.strip(), "ping"],
            env=redis_environment(),
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert pong.stdout.strip() == "PONG", pong.stderr

        again = _cli(["services", "up"], cli_env)  # idempotent: reports the running server
        assert again.returncode == 0 and shown in again.stdout

        status = _cli(["services", "status"], cli_env)
        assert status.returncode == 0 and shown in status.stdout
        for result in (up, again, status):
            assert password not in result.stdout + result.stderr
        assert password not in json.dumps(psutil.Process(pid).cmdline())  # `ps` never shows it
        assert password not in (tmp_path / "data" / "run" / "redis.json").read_text()
    finally:
        down = _cli(["services", "down"], cli_env)
    assert down.returncode == 0 and f"pid {pid}" in down.stdout
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    after = _cli(["services", "status"], cli_env)
    assert after.returncode == 1 and "not running" in after.stdout
    no_url = _cli(["services", "url"], cli_env)
    assert no_url.returncode == 1 and no_url.stdout == ""  # a script gets no half-URL
    assert "not running" in no_url.stderr and "Traceback" not in no_url.stderr


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
        [
            str(paths.server),
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--dir",
            str(tmp_path),
        ],
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


def test_password_file_is_private_from_its_first_byte(tmp_path: Path) -> None:
    old_umask = os.umask(0)  # the loosest umask: a file made then chmod-ed would show 0666 first
    try:
        password = redis_password(tmp_path / "redis")
    finally:
        os.umask(old_umask)
    path = tmp_path / "redis" / "password"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert redis_password(tmp_path / "redis") == password  # generated once, then read back
    assert [p.name for p in path.parent.iterdir()] == ["password"]  # no temporary left behind

    path.chmod(0o644)  # loosened by a copy or a restore: tightened again on the next read
    assert redis_password(tmp_path / "redis") == password
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_password_is_required_and_never_on_the_command_line(tmp_path: Path) -> None:
    workdir = tmp_path / "redis"
    password = redis_password(workdir)
    server = start_redis(workdir, password=password, persist=True)
    try:
        assert stat.S_IMODE((workdir / "redis.conf").stat().st_mode) == 0o600
        assert password not in json.dumps(psutil.Process(server.process.pid).cmdline())
        with pytest.raises(redis.exceptions.AuthenticationError):
            redis.Redis(port=server.port).ping()
        with pytest.raises(TickerlakeError, match="refused the password") as refused:
            check_timeseries(f"redis://:wrong-{password}@127.0.0.1:{server.port}/0")
        assert password not in str(refused.value)
        check_timeseries(server.url)  # the URL it hands out carries the password
    finally:
        server.stop()


def test_redact_url_hides_every_password() -> None:
    assert redact_url("redis://:s3cret@host:6390/0") == "redis://:***@host:6390/0"
    assert redact_url("rediss://user:s3cret@host:6390/0") == "rediss://user:***@host:6390/0"
    assert (
        redact_url("redis://host:6390/0?password=s3cret&db=1")
        == "redis://host:6390/0?password=***&db=1"
    )
    assert redact_url("redis://host:6390/0") == "redis://host:6390/0"
    assert "s3cret" not in redact_url("redis://:s3cret@[::1")  # malformed: hidden whole


def _all_series(client: redis.Redis) -> dict[str, list[list[object]]]:
    """Every TimeSeries key (per-second and one-minute) with all its samples."""
    keys = [k for k in client.keys("ts:*") if client.type(k) == "TSDB-TYPE"]
    return {key: client.execute_command("TS.RANGE", key, "-", "+") for key in sorted(keys)}


def test_live_series_and_minute_candles_survive_sigkill(tmp_path: Path) -> None:
    """Figure checked: samples lost = 0 of every sample acknowledged as fsynced (WAITAOF)
    before the kill, per-second series and one-minute candles alike. Writes newer than the
    last fsync (at most about 1 s with appendfsync everysec) are what a crash may lose."""
    from tests.conftest import MEASURED
    from tests.pipelines.realtime.test_sink import bar as second_bar
    from tests.pipelines.realtime.test_sink import write_batch

    workdir = tmp_path / "redis"
    password = redis_password(workdir)
    server = start_redis(workdir, password=password, persist=True)
    try:
        t0 = 1_700_000_040_000 // 60_000 * 60_000
        seconds = 150  # two closed one-minute candles and a third still open
        items = [
            (second_bar(sym, t0 + i * 1_000, 10.0 + i / 100), 0.0)
            for sym in ("AAA", "BBB")
            for i in range(seconds)
        ]
        write_batch(server.url, items)
        client = redis.Redis.from_url(server.url, decode_responses=True)
        client.set("fsync:marker", "1")
        assert client.execute_command("WAITAOF", 1, 0, 0)[0] == 1  # everything above is on disk
        before = _all_series(client)
        client.close()
        samples = sum(len(v) for v in before.values())
        bars = {k: v for k, v in before.items() if k.startswith(("ts:{AAA}", "ts:{BBB}"))}
        candles = {k: v for k, v in bars.items() if k.endswith(":1m")}
        assert len(candles) == 2 * 6 and all(len(v) == 2 for v in candles.values())
        assert sum(len(v) for v in bars.values()) == 2 * 6 * (seconds + 2)  # 6 fields each

        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=10)
        server = start_redis(workdir, port=server.port, password=password, persist=True)
        client = redis.Redis.from_url(server.url, decode_responses=True)
        after = _all_series(client)
        client.close()
    finally:
        server.stop()
    lost = samples - sum(len(after.get(k, [])) for k in before)
    assert after == before
    assert lost == 0
    MEASURED.setdefault("Embedded Redis SIGKILL (fsynced data)", []).append(
        f"{samples} samples ({sum(len(v) for v in candles.values())} one-minute candles) "
        f"fsynced before kill -9, {lost} lost after restart on the same port"
    )


def test_a_port_in_time_wait_is_free(free_port: int) -> None:
    """`make run` stopped and started again within a minute: the old connections sit in
    TIME-WAIT, nothing listens, and the port must count as free."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers do
    listener.bind(("127.0.0.1", free_port))
    listener.listen()
    client = socket.create_connection(("127.0.0.1", free_port))
    accepted, _ = listener.accept()
    accepted.close()  # the server side closes first, so it is the side left in TIME-WAIT
    assert client.recv(1) == b""  # the FIN arrived
    client.close()
    listener.close()
    assert _in_time_wait(free_port), "the test did not produce a TIME-WAIT connection"
    with socket.socket() as naive, pytest.raises(OSError):  # the old probe's view: "taken"
        naive.bind(("127.0.0.1", free_port))
    assert port_is_free(free_port)
    with socket.socket() as server:  # and a real server can indeed bind it
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", free_port))
        server.listen()
        assert not port_is_free(free_port)  # a listener still makes it taken


def _in_time_wait(port: int) -> bool:
    return any(
        c.status == psutil.CONN_TIME_WAIT and c.laddr and c.laddr.port == port
        for c in psutil.net_connections(kind="tcp4")
    )
