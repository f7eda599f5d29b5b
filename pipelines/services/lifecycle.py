"""The long-running embedded server of `tickerlake services up|down|status`, and the Redis URL
every part uses.

The embedded server is a service, not a scratch pad: a fixed port
(`TICKERLAKE_REDIS_PORT`, default 6390, clear of a system Redis on 6379), append-only
persistence under `<data>/redis/` (fsync every second), and a generated password in
`<data>/redis/password` (mode 0600) that every client's URL carries. Its pid and port
are kept in `<data>/run/redis.json`. When `REDIS_URL` is set, nothing is started and
that server is used.
"""

from __future__ import annotations

import json
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from lake.errors import TickerlakeError
from lake.settings import Settings, get_settings
from pipelines.services.client import check_timeseries
from pipelines.services.embedded_redis import (
    EmbeddedRedis,
    embedded_url,
    redis_password,
    start_redis,
)


@dataclass(frozen=True)
class RedisStatus:
    """Where Redis answers and who runs it (`embedded` by us, or `external` via REDIS_URL)."""

    url: str
    origin: str
    pid: int | None = None


def _state_path(settings: Settings) -> Path:
    # Holds the pid and port, never the password (that stays in its 0600 file).
    return settings.data_dir / "run" / "redis.json"


def _read_state(settings: Settings) -> dict[str, object] | None:
    path = _state_path(settings)
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def _state_int(value: object) -> int:
    """Read a number the state file holds (JSON gives an int; an older file may hold text)."""
    if isinstance(value, int | float | str):
        return int(value)
    raise TypeError(f"not a number in the Redis state file: {value!r}")


def _process_alive(pid: int) -> bool:
    try:  # reap it first if it is our own exited child (a zombie still answers kill 0)
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def redis_workdir(settings: Settings) -> Path:
    """The embedded server's folder: config, log, password file and append-only files."""
    return settings.data_dir / "redis"


def _embedded_port(state: dict[str, object]) -> int:
    if "port" in state:
        return _state_int(state["port"])
    return int(urlsplit(str(state["url"])).port or 0)  # a state file of an older version


def redis_status(settings: Settings | None = None) -> RedisStatus | None:
    """Return where Redis answers now, or None when the embedded server is not running.

    With REDIS_URL set, checks that server (raises `TickerlakeError` if unreachable or
    without TimeSeries). `RedisStatus.url` carries the password: print `redact_url(url)`.
    """
    settings = settings or get_settings()
    if settings.redis_url:
        check_timeseries(settings.redis_url)
        return RedisStatus(url=settings.redis_url, origin="external, REDIS_URL")
    state = _read_state(settings)
    if state is None:
        return None
    pid = _state_int(state["pid"])
    if not _process_alive(pid):
        _state_path(settings).unlink(missing_ok=True)
        return None
    url = embedded_url(_embedded_port(state), redis_password(redis_workdir(settings)))
    check_timeseries(url)
    return RedisStatus(url=url, origin="embedded", pid=pid)


def start_embedded_redis(settings: Settings, *, port: int | None = None) -> EmbeddedRedis:
    """Start the long-running embedded server and record it in the data folder's run state.

    On `port` (default: `TICKERLAKE_REDIS_PORT`, 6390), with its password and its
    append-only files under `<data>/redis/`, so a restart comes back on the same address
    with the data it had. Detached: it outlives the calling process.
    """
    workdir = redis_workdir(settings)
    server = start_redis(
        workdir,
        port=settings.redis_port if port is None else port,
        detach=True,
        password=redis_password(workdir),
        persist=True,
    )
    state_path = _state_path(settings)
    state_path.parent.mkdir(parents=True, exist_ok=True)
    state_path.write_text(json.dumps({"pid": server.process.pid, "port": server.port}))
    (state_path.parent / "redis.pid").write_text(f"{server.process.pid}\n")
    return server


def redis_up(settings: Settings | None = None) -> RedisStatus:
    """Start the embedded Redis unless it (or the REDIS_URL server) already answers."""
    settings = settings or get_settings()
    status = redis_status(settings)
    if status is not None:
        return status
    server = start_embedded_redis(settings)
    return RedisStatus(url=server.url, origin="embedded", pid=server.process.pid)


def redis_down(settings: Settings | None = None) -> str:
    """Stop the embedded Redis; return what happened, in words."""
    settings = settings or get_settings()
    if settings.redis_url:
        return "REDIS_URL names an external server; nothing to stop"
    state = _read_state(settings)
    run_dir = _state_path(settings).parent
    if state is None:
        return "the embedded Redis is not running"
    pid = _state_int(state["pid"])
    if _process_alive(pid):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while _process_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _process_alive(pid):
            os.kill(pid, signal.SIGKILL)
    _state_path(settings).unlink(missing_ok=True)
    (run_dir / "redis.pid").unlink(missing_ok=True)
    return f"stopped the embedded Redis (pid {pid})"


def resolve_redis_url(settings: Settings | None = None) -> str:
    """Return the Redis URL every part should use, password included: REDIS_URL, else the
    running embedded server's."""
    settings = settings or get_settings()
    if settings.redis_url:
        return settings.redis_url
    state = _read_state(settings)
    if state is None or not _process_alive(_state_int(state["pid"])):
        raise TickerlakeError(
            "Redis is not running; start it with `tickerlake services up` (or `make run`), "
            "or set REDIS_URL"
        )
    return embedded_url(_embedded_port(state), redis_password(redis_workdir(settings)))
