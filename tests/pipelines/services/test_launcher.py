"""`tickerlake run` (what `make run` starts): serves the app, supervises what it started
(a process that dies is restarted with backoff, Redis on the same address with its data),
and Ctrl-C leaves nothing behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
import redis

from pipelines.launcher import Backoff, Supervised, Supervisor, describe_exit
from pipelines.realtime.keys import ACTIVE_SYMBOLS_KEY, WORKER_STATS_KEY, series_key
from pipelines.services import check_timeseries, free_loopback_port
from tests.conftest import MEASURED

pytestmark = pytest.mark.integration

TICKERLAKE = Path(sys.executable).parent / "tickerlake"
TICKERS = 12


def _wait_for(predicate, *, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def tiny_lake_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A folder holding a 12-ticker, 1-year demo lake (`lake/`), and the environment of a
    fresh clone run there: relative data folder, own ports (the defaults may be in use)."""
    root = tmp_path_factory.mktemp("run")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"REDIS_URL", "LAKE_URI", "AWS_ENDPOINT_URL", "FEED_URL"}
    }
    env.update(TICKERLAKE_DATA_DIR="data", LAKE_URI="lake")
    build = subprocess.run(
        [str(TICKERLAKE), "demo", "--tickers", str(TICKERS), "--years", "1"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    return root, env


def _fresh_ports(env: dict[str, str]) -> dict[str, str]:
    return dict(
        env,
        TICKERLAKE_REDIS_PORT=str(free_loopback_port()),
        TICKERLAKE_SIMULATOR_PORT=str(free_loopback_port()),
        TICKERLAKE_SIMULATOR_TICKERS=str(TICKERS),
        TICKERLAKE_SIMULATOR_RATE="200",
    )


def test_run_serves_and_ctrl_c_stops_everything(tiny_lake_dir: tuple[Path, dict[str, str]]) -> None:
    root, env = tiny_lake_dir
    env = _fresh_ports(env)
    port = free_loopback_port()
    launcher = subprocess.Popen(
        [str(TICKERLAKE), "run", "--port", str(port)],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    health = f"http://127.0.0.1:{port}/_stcore/health"
    try:
        _wait_for(
            lambda: _healthy(health) or launcher.poll() is not None, timeout_s=120, what="health"
        )
        assert launcher.poll() is None, launcher.stdout.read() if launcher.stdout else ""
        family = psutil.Process(launcher.pid).children(recursive=True)
        pid_file = root / "data" / "run" / "redis.pid"
        redis_pid = int(pid_file.read_text())
        started = {p.pid for p in family} | {redis_pid}
        assert any("streamlit" in " ".join(p.cmdline()) for p in family)

        launcher.send_signal(signal.SIGINT)
        launcher.wait(timeout=60)
    finally:
        if launcher.poll() is None:
            os.killpg(launcher.pid, signal.SIGKILL)
    output = launcher.stdout.read() if launcher.stdout else ""
    assert launcher.returncode == 0, output
    assert f"http://127.0.0.1:{port}" in output
    assert f"redis://default:***@127.0.0.1:{env['TICKERLAKE_REDIS_PORT']}/0" in output
    assert (root / "data" / "redis" / "password").read_text().strip() not in output
    assert "Traceback" not in output
    _wait_for(
        lambda: (
            not any(
                psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE
                for p in started
            )
        ),
        timeout_s=20,
        what="children to exit",
    )
    assert not pid_file.exists()
    assert not _healthy(health)


# --- supervision, with the real processes ----------------------------------------------


@dataclass
class Platform:
    """A running `tickerlake run`: its process, folder, app health URL, log and Redis URL."""

    launcher: subprocess.Popen[bytes]
    root: Path
    health: str
    log: Path
    redis_url: str

    def children(self, word: str) -> list[psutil.Process]:
        """The launcher's live descendants whose command line contains `word`."""
        found = []
        for process in psutil.Process(self.launcher.pid).children(recursive=True):
            try:
                if word in " ".join(process.cmdline()) and process.status() != psutil.STATUS_ZOMBIE:
                    found.append(process)
            except psutil.NoSuchProcess:
                pass
        return found

    def output(self) -> str:
        return self.log.read_text()


@pytest.fixture(scope="module")
def platform(tiny_lake_dir: tuple[Path, dict[str, str]]) -> Iterator[Platform]:
    """`tickerlake run` on the tiny lake, the worker already writing; stopped with Ctrl-C."""
    root, env = tiny_lake_dir
    env = _fresh_ports(env)
    port = free_loopback_port()
    log = root / "supervised-run.log"
    with log.open("wb") as sink:
        launcher = subprocess.Popen(
            [str(TICKERLAKE), "run", "--port", str(port)],
            cwd=root,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    health = f"http://127.0.0.1:{port}/_stcore/health"
    try:
        _wait_for(
            lambda: _healthy(health) or launcher.poll() is not None, timeout_s=120, what="health"
        )
        assert launcher.poll() is None, log.read_text()
        password = (root / "data" / "redis" / "password").read_text().strip()
        url = f"redis://default:{password}@127.0.0.1:{env['TICKERLAKE_REDIS_PORT']}/0"
        client = redis.Redis.from_url(url, decode_responses=True)
        _wait_for(
            lambda: client.scard(ACTIVE_SYMBOLS_KEY) > 0,
            timeout_s=60,
            what="the worker's first write",
        )
        client.close()
        yield Platform(launcher, root, health, log, url)
    finally:
        if launcher.poll() is None:
            launcher.send_signal(signal.SIGINT)
            try:
                launcher.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(launcher.pid, signal.SIGKILL)
                launcher.wait(timeout=10)


def _close_series(client: redis.Redis) -> list[str]:
    return [series_key(symbol, "close") for symbol in sorted(client.smembers(ACTIVE_SYMBOLS_KEY))]


def _timestamps(client: redis.Redis, keys: list[str]) -> dict[str, set[int]]:
    pipe = client.pipeline(transaction=False)
    for key in keys:
        pipe.execute_command("TS.RANGE", key, "-", "+")
    return {
        key: {int(ts) for ts, _ in samples}
        for key, samples in zip(keys, pipe.execute(), strict=True)
    }


def _last_timestamp(url: str, key: str) -> int:
    """The series' newest sample (ms), or -1 while Redis or the series is not there."""
    try:
        with redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2) as client:
            newest = client.execute_command("TS.GET", key)
    except redis.exceptions.RedisError:
        return -1
    return int(newest[0]) if newest else -1


def _missing_seconds(stamps: set[int], around: int) -> int:
    """Whole seconds with no sample from 5 s before `around` (ms; or the series' first
    sample, if later) to 10 s after it: the events a fault cost this series."""
    seconds = {ts // 1_000 for ts in stamps}
    start = max(around - 5_000, min(stamps)) // 1_000
    return sum(
        1 for second in range(start, (around + 10_000) // 1_000 + 1) if second not in seconds
    )


@dataclass(frozen=True)
class Drained:
    """The worker's counters once it has written everything it received, and the
    per-second windows Redis then holds (close samples over all symbols)."""

    received: int
    dropped: int
    replayed: int
    duplicates: int
    windows: int


def _drained(platform: Platform) -> Drained:
    """Pause the simulator (SIGSTOP), wait until two stats reports of the worker in a row
    say it received nothing more and holds nothing unwritten, count the windows in Redis,
    and let the simulator go on."""
    [simulator] = platform.children("realtime simulate")
    client = redis.Redis.from_url(platform.redis_url, decode_responses=True)
    simulator.suspend()
    try:
        previous: dict[str, str] = {}

        def settled() -> bool:
            nonlocal previous
            stats = client.hgetall(WORKER_STATS_KEY)
            calm = (
                stats.get("queued") == "0"
                and stats.get("received") == stats.get("written")
                and previous.get("received") == stats.get("received")
                and previous.get("updated_ms") != stats.get("updated_ms")
            )
            previous = stats
            return calm

        _wait_for(settled, timeout_s=60, what="the worker to write all it received")
        windows = sum(len(stamps) for stamps in _timestamps(client, _close_series(client)).values())
    finally:
        simulator.resume()
        client.close()
    return Drained(
        int(previous["received"]),
        int(previous["dropped"]),
        int(previous["replayed"]),
        int(previous["duplicates"]),
        windows,
    )


def test_redis_killed_comes_back_on_its_address_with_its_data(platform: Platform) -> None:
    """kill -9 the embedded Redis under `tickerlake run`. Figures checked: samples lost = 0
    of every per-second close sample fsynced before the kill (WAITAOF), over all symbols;
    events lost = 0 beyond the dropped counter (the windows the worker received from just
    before the kill to well after it, less the windows Redis gained: what Redis had
    acknowledged but not yet written to disk is sent again by the sink's replay window);
    the address is the same URL; the worker's newest sample moves past where it stood when
    Redis came back. Measured (printed): seconds to come back, events re-sent, and
    symbol-seconds without a sample around the kill (the simulator skips time when it
    falls behind, so these are not losses)."""
    pid_file = platform.root / "data" / "run" / "redis.pid"
    old_pid = int(pid_file.read_text())
    client = redis.Redis.from_url(platform.redis_url, decode_responses=True)
    keys = _close_series(client)
    start = _drained(platform)
    before = _timestamps(client, keys)
    client.set("fsync:marker", "1")
    assert client.execute_command("WAITAOF", 1, 0, 0)[0] == 1  # all read above is on disk
    client.close()
    fsynced = sum(len(v) for v in before.values())
    assert fsynced > 0
    last_before = max(max(v) for v in before.values() if v)

    os.kill(old_pid, signal.SIGKILL)
    killed_at = time.monotonic()
    _wait_for(
        lambda: pid_file.exists() and int(pid_file.read_text()) != old_pid,
        timeout_s=60,
        what="a new Redis",
    )
    _wait_for(
        lambda: _last_timestamp(platform.redis_url, keys[0]) >= 0,
        timeout_s=60,
        what="Redis to answer",
    )
    back_after_s = time.monotonic() - killed_at
    check_timeseries(platform.redis_url)  # the very same URL, password and port

    client = redis.Redis.from_url(platform.redis_url, decode_responses=True)
    after = _timestamps(client, keys)
    lost = sum(len(before[key] - after[key]) for key in keys)
    assert lost == 0
    at_restart = _last_timestamp(platform.redis_url, keys[0])
    _wait_for(
        lambda: _last_timestamp(platform.redis_url, keys[0]) > at_restart,
        timeout_s=60,
        what="the worker to write again",
    )
    _wait_for(
        lambda: _last_timestamp(platform.redis_url, keys[0]) > last_before + 11_000,
        timeout_s=60,
        what="ten seconds past the kill",
    )
    now = _timestamps(client, keys)
    client.close()
    end = _drained(platform)
    received = end.received - start.received
    events_lost = received - (end.windows - start.windows)
    dropped = end.dropped - start.dropped
    missing = sum(_missing_seconds(now[key], last_before) for key in keys)
    assert end.duplicates == 0  # every window the simulator sends is distinct
    assert events_lost == dropped == 0
    assert platform.launcher.poll() is None
    assert _healthy(platform.health)
    assert "redis exited (killed by SIGKILL); restarting in 1 s" in platform.output()
    MEASURED.setdefault("Supervised Redis kill -9", []).append(
        f"{fsynced} fsynced samples over {len(keys)} series, {lost} lost; back on the same "
        f"address after {back_after_s:.1f} s; {received} windows received across the kill, "
        f"{events_lost} lost, {dropped} dropped, {end.replayed - start.replayed} re-sent; "
        f"{missing} symbol-seconds without a sample in the 15 s around the kill"
    )


def test_worker_killed_is_restarted_and_the_app_stays_up(platform: Platform) -> None:
    """kill -9 the realtime worker. Figures checked: a new worker writes (the newest sample
    moves on), the app answers its health check at every poll meanwhile, and Streamlit,
    the simulator and Redis are the same processes. Measured (printed): symbol-seconds of
    samples missing while the worker was down (the feed does not replay them)."""
    [worker] = platform.children("realtime worker")
    [app] = platform.children("streamlit")
    [simulator] = platform.children("realtime simulate")
    [server] = platform.children("redis-server")
    client = redis.Redis.from_url(platform.redis_url, decode_responses=True)
    keys = _close_series(client)
    last_before = _last_timestamp(platform.redis_url, keys[0])

    worker.kill()
    unhealthy = 0

    def restarted() -> bool:
        nonlocal unhealthy
        unhealthy += not _healthy(platform.health)
        return any(p.pid != worker.pid for p in platform.children("realtime worker"))

    _wait_for(restarted, timeout_s=60, what="a new worker")
    at_restart = _last_timestamp(platform.redis_url, keys[0])
    _wait_for(
        lambda: _last_timestamp(platform.redis_url, keys[0]) > at_restart,
        timeout_s=60,
        what="the new worker to write",
    )
    _wait_for(
        lambda: _last_timestamp(platform.redis_url, keys[0]) > last_before + 11_000,
        timeout_s=60,
        what="ten seconds past the kill",
    )
    now = _timestamps(client, keys)
    client.close()
    assert unhealthy == 0
    assert _healthy(platform.health)
    assert [p.pid for p in platform.children("streamlit")] == [app.pid]
    assert [p.pid for p in platform.children("realtime simulate")] == [simulator.pid]
    assert [p.pid for p in platform.children("redis-server")] == [server.pid]
    assert "realtime worker exited (killed by SIGKILL); restarting in 1 s" in platform.output()
    missing = sum(_missing_seconds(now[key], last_before) for key in keys)
    MEASURED.setdefault("Supervised worker kill -9", []).append(
        f"worker restarted, app healthy at every poll; {missing} symbol-seconds missing "
        f"over {len(keys)} series in the 15 s around the kill"
    )


def test_supervised_run_never_prints_the_redis_password(platform: Platform) -> None:
    password = (platform.root / "data" / "redis" / "password").read_text().strip()
    output = platform.output()
    assert "redis://default:***@" in output
    assert password not in output
    assert "Traceback" not in output


# --- the supervisor's rules, on real short-lived processes -----------------------------


def test_backoff_doubles_to_the_cap_and_resets_after_a_stable_run() -> None:
    backoff = Backoff(initial_s=1, cap_s=30, stable_s=60)
    assert [backoff.next_delay(0.5) for _ in range(7)] == [1, 2, 4, 8, 16, 30, 30]
    assert backoff.next_delay(60) == 1  # it had stayed up a minute: start over
    assert backoff.next_delay(3) == 2


def test_supervisor_restarts_a_dying_process_with_growing_delays() -> None:
    now = [0.0]
    lines: list[str] = []
    command = [sys.executable, "-c", "import sys; sys.exit(3)"]
    starts: list[subprocess.Popen[bytes]] = []

    def start() -> subprocess.Popen[bytes]:
        starts.append(subprocess.Popen(command))
        return starts[-1]

    service = Supervised("crasher", start, lambda process: None)
    service.process = start()
    supervisor = Supervisor([service], lines.append, clock=lambda: now[0])
    for expected_delay in (1, 2, 4):
        starts[-1].wait(timeout=30)
        supervisor.check()  # notices the exit
        assert lines[-1].startswith(f"crasher exited (code 3); restarting in {expected_delay} s")
        count = len(starts)
        now[0] += expected_delay - 0.1
        supervisor.check()
        assert len(starts) == count  # not yet
        now[0] += 0.1
        supervisor.check()
        assert len(starts) == count + 1 and lines[-1].startswith("crasher restarted (pid ")
    starts[-1].wait(timeout=30)


def test_describe_exit() -> None:
    assert describe_exit(-9) == "killed by SIGKILL"
    assert describe_exit(1) == "code 1"
