"""`make run` and `make airflow`: start what the platform needs, print where it is, stop it
on Ctrl-C.

Everything started here is a child of this process (or, for Redis, recorded in the
data folder's run state), so one Ctrl-C or SIGTERM stops all of it. While it runs,
`run_platform` supervises: a process that dies (the embedded Redis, the simulator, the
worker, Streamlit) is started again after a backoff that doubles from 1 s to 30 s and
resets once the process has stayed up a minute; Redis comes back on the same address
with its append-only data, and the others reconnect to it by themselves.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Protocol

from lake.errors import TickerlakeError
from lake.settings import Settings, get_settings
from pipelines.airflow_env import (
    ADMIN_USER,
    PASSWORDS_FILE,
    airflow_environment,
    setup_commands,
)
from pipelines.services import (
    EmbeddedRedis,
    port_is_free,
    redact_url,
    redis_down,
    redis_status,
    start_embedded_redis,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
STREAMLIT_ENTRY = PROJECT_ROOT / "app" / "main.py"
Echo = Callable[[str], object]


@dataclass
class Child:
    """A process the launcher started and must stop."""

    name: str
    process: subprocess.Popen[bytes]


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def lake_has_data(settings: Settings) -> bool:
    """True when the lake holds the gold `adjusted_bars` table the dashboards read."""
    from deltalake import DeltaTable

    from lake.storage import storage_options

    uri = f"{settings.lake_uri.rstrip('/')}/gold/adjusted_bars"
    return DeltaTable.is_deltatable(uri, storage_options=storage_options(uri, settings))


def ensure_demo_lake(settings: Settings, echo: Echo) -> None:
    """Build the synthetic demo lake when the lake has no gold `adjusted_bars` (first
    `make run`). Raises `TickerlakeError` before writing anything when the lake holds
    other data (see `pipelines.historical.other_data`): `tickerlake demo --force` is
    the way to mix the demo in on purpose."""
    from pipelines.historical import build_demo, refuse_other_data, upgrade_lineage
    from pipelines.progress import rich_progress

    if lake_has_data(settings):
        upgrade_lineage(
            lake_uri=settings.lake_uri
        )  # a lake from before lineage gets its `source` column
        echo(f"Lake: {settings.lake_uri}")
        return
    refuse_other_data(lake_uri=settings.lake_uri)
    echo(f"Lake {settings.lake_uri} is empty: building the demo lake (synthetic market)")
    with rich_progress() as progress:
        build_demo(lake_uri=settings.lake_uri, progress=progress)


def wait_for_http(url: str, *, timeout_s: float, process: subprocess.Popen[bytes]) -> None:
    """Wait until `url` answers 200, or raise if `process` dies or time runs out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise TickerlakeError(f"the process serving {url} exited (code {process.returncode})")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise TickerlakeError(f"{url} did not answer within {timeout_s:.0f} s")


def streamlit_command(port: int) -> list[str]:
    """Return the command that serves the app on 127.0.0.1:`port`."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(STREAMLIT_ENTRY),
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        # Also in .streamlit/config.toml; repeated so a start from another folder hides them too.
        "--client.showErrorDetails",
        "none",
    ]


def realtime_commands() -> Sequence[tuple[str, list[str]]]:
    """Return the live path's processes (simulator, worker) when the realtime package has them."""
    try:
        from pipelines.realtime.launch import realtime_processes
    except ImportError:
        return ()
    return realtime_processes()


def start_child(name: str, command: list[str], **popen: object) -> Child:
    """Start `command` in its own process group, so stopping it reaches its subprocesses too."""
    return Child(name, subprocess.Popen(command, start_new_session=True, **popen))  # type: ignore[call-overload]


def stop_children(children: Sequence[Child], *, timeout_s: float = 10.0) -> None:
    """Terminate each child's process group (newest first), wait, and kill what lingers."""
    for child in reversed(children):
        _signal_group(child, signal.SIGTERM)
    for child in reversed(children):
        try:
            child.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            _signal_group(child, signal.SIGKILL)
            child.process.wait(timeout=timeout_s)
        _signal_group(child, signal.SIGKILL)  # whatever the leader left behind in its group


def _signal_group(child: Child, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.process.pid, signum)


class Process(Protocol):
    """What the supervisor watches: a started process (`subprocess.Popen` has both)."""

    pid: int

    def poll(self) -> int | None: ...


@dataclass
class Backoff:
    """Delays between restarts of one process: `initial_s`, doubling to at most `cap_s`,
    back to `initial_s` once a start has stayed up `stable_s` (all seconds)."""

    initial_s: float = 1.0
    cap_s: float = 30.0
    stable_s: float = 60.0
    failures: int = 0

    def next_delay(self, ran_for_s: float) -> float:
        """Return the wait (s) before the next start, after a run that lasted `ran_for_s`."""
        if ran_for_s >= self.stable_s:
            self.failures = 0
        delay = min(self.cap_s, self.initial_s * 2**self.failures)
        self.failures += 1
        return delay


@dataclass
class Supervised:
    """One process `Supervisor` keeps running: `start()` starts it, `stop(process)` ends it."""

    name: str
    start: Callable[[], Process]
    stop: Callable[[Process], None]
    backoff: Backoff = field(default_factory=Backoff)
    process: Process | None = None
    started_at: float = 0.0
    restart_at: float | None = None


def describe_exit(code: int | None) -> str:
    """Return how a process ended, in words: `code 1`, `killed by SIGKILL`."""
    if code is None:
        return "exit code unknown"
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-code).name}"
    return f"code {code}"


class Supervisor:
    """Starts each `Supervised` process, restarts it with backoff when it dies, stops all.

    `check()` is one pass of the loop (the caller sleeps between passes); it logs one
    line per death and per failed start, through `echo`.
    """

    def __init__(
        self,
        services: Sequence[Supervised],
        echo: Echo,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.services = list(services)
        self.echo = echo
        self.clock = clock

    def check(self) -> None:
        """Notice deaths and schedule restarts; start what is due."""
        now = self.clock()
        for service in self.services:
            if service.process is not None:
                code = service.process.poll()
                if code is None:
                    continue
                delay = service.backoff.next_delay(now - service.started_at)
                service.process, service.restart_at = None, now + delay
                self.echo(
                    f"{service.name} exited ({describe_exit(code)}); "
                    f"restarting in {delay:g} s (restart {service.backoff.failures})"
                )
            elif service.restart_at is not None and now >= service.restart_at:
                self._restart(service)

    def _restart(self, service: Supervised) -> None:
        service.started_at = self.clock()
        try:
            service.process = service.start()
        except (TickerlakeError, OSError) as exc:
            delay = service.backoff.next_delay(0.0)
            service.restart_at = self.clock() + delay
            self.echo(f"{service.name} did not start ({exc}); next attempt in {delay:g} s")
            return
        service.restart_at = None
        self.echo(f"{service.name} restarted (pid {service.process.pid})")

    def stop_all(self) -> None:
        """Stop every running process, newest first."""
        for service in reversed(self.services):
            if service.process is not None:
                service.stop(service.process)
                service.process = None


def _stop_child_process(process: Process) -> None:
    stop_children([Child("child", process)])  # type: ignore[arg-type]


def _child_starter(name: str, command: list[str], **popen: object) -> Callable[[], Process]:
    return lambda: start_child(name, command, **popen).process


def redis_service(settings: Settings, server: EmbeddedRedis) -> Supervised:
    """Supervise the embedded Redis `server`: a restart uses its port, password and data."""
    port = server.port

    def start() -> Process:
        restarted = start_embedded_redis(settings, port=port)
        return restarted.process

    return Supervised(
        "redis", start, _stop_child_process, process=server.process, started_at=time.monotonic()
    )


def run_platform(*, streamlit_port: int = 8501, echo: Echo = print) -> int:
    """Start Redis, the demo lake if needed, the live path and Streamlit; supervise them
    (restart with backoff what dies) until Ctrl-C or SIGTERM, then stop them all.

    Returns the exit code, 0 after a clean stop.
    """
    settings = get_settings()
    if not port_is_free(streamlit_port):
        raise TickerlakeError(
            f"port {streamlit_port} on 127.0.0.1 is taken; stop what uses it "
            "or run `tickerlake run --port N`"
        )
    # Ctrl-C and SIGTERM both end the platform, even when started with SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    started_redis: EmbeddedRedis | None = None
    supervisor = Supervisor([], echo)
    services = supervisor.services
    try:
        status = redis_status(settings)
        if status is None:
            started_redis = start_embedded_redis(settings)
            url, origin = started_redis.url, "embedded, supervised"
            services.append(redis_service(settings, started_redis))
        elif status.origin == "embedded":  # `tickerlake services up` started it: it outlives us
            url, origin = status.url, "embedded, from `services up`: not supervised by `run`"
        else:  # REDIS_URL: someone else's server, not ours to restart
            url, origin = status.url, status.origin
        echo(f"Redis with TimeSeries: {redact_url(url)} ({origin})")
        ensure_demo_lake(settings, echo)
        env = dict(os.environ, REDIS_URL=url)
        commands = [*realtime_commands(), ("streamlit", streamlit_command(streamlit_port))]
        fresh = [
            Supervised(
                name, _child_starter(name, command, env=env, cwd=PROJECT_ROOT), _stop_child_process
            )
            for name, command in commands
        ]
        services.extend(fresh)
        for service in fresh:
            service.process = service.start()
            service.started_at = time.monotonic()
        base = f"http://127.0.0.1:{streamlit_port}"
        wait_for_http(f"{base}/_stcore/health", timeout_s=60, process=services[-1].process)  # type: ignore[arg-type]
        echo(f"Tickerlake app:  {base}")
        echo(f"Health check:    {base}/_stcore/health")
        echo("Airflow UI:      `make airflow` (separate terminal)")
        echo(
            "Supervising: "
            + ", ".join(service.name for service in services)
            + " (restarted with backoff if they die)"
        )
        echo("Press Ctrl-C to stop everything.")
        while True:
            supervisor.check()
            time.sleep(0.2)
    except KeyboardInterrupt:
        echo("Stopping…")
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut cleanup short
        supervisor.stop_all()
        if started_redis is not None:
            redis_down(settings)
        signal.signal(signal.SIGINT, signal.default_int_handler)


def airflow_password(home: Path) -> str | None:
    """Return the admin password `airflow standalone` generated, once it has written it."""
    path = home / PASSWORDS_FILE
    try:
        return json.loads(path.read_text()).get(ADMIN_USER)
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def run_airflow(*, port: int = 8080, echo: Echo = print) -> int:
    """Run `airflow standalone` until Ctrl-C; print the UI URL and the login."""
    settings = get_settings()
    if not port_is_free(port):
        raise TickerlakeError(
            f"port {port} on 127.0.0.1 is taken; "
            "stop what uses it or run `tickerlake airflow --port N`"
        )
    env = dict(os.environ, **airflow_environment(settings, port=port))
    # standalone starts its components as `airflow …` subprocesses, found on PATH.
    env["PATH"] = os.pathsep.join((str(Path(sys.executable).parent), env.get("PATH", "")))
    home = Path(env["AIRFLOW_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    airflow_bin = Path(sys.executable).parent / "airflow"
    echo(f"Starting Airflow (home {home}); the first start migrates its database, about a minute")
    for command in setup_commands(Path(sys.executable).parent / "airflow"):  # db, writers pool
        subprocess.run(command, env=env, check=True, capture_output=True)
    log = (home / "standalone.log").open("ab")
    child = start_child(
        "airflow", [str(airflow_bin), "standalone"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    process = child.process
    try:
        wait_for_http(
            f"http://127.0.0.1:{port}/api/v2/monitor/health", timeout_s=300, process=process
        )
        echo(f"Airflow UI: http://127.0.0.1:{port}")
        echo(
            f"Login:      {ADMIN_USER} / {airflow_password(home) or f'see {home / PASSWORDS_FILE}'}"
        )
        echo(f"Log:        {home / 'standalone.log'}")
        echo("Press Ctrl-C to stop Airflow.")
        process.wait()
        return process.returncode or 0
    except KeyboardInterrupt:
        echo("Stopping Airflow…")
        return 0
    finally:
        stop_children([child], timeout_s=30)
        log.close()
