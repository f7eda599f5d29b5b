"""An embedded Redis with the TimeSeries module: one server process on loopback.

`start_redis` runs the Redis Stack server (see `install`) with `LD_LIBRARY_PATH`
pointing at Debian's libssl1.1 and waits until it answers. Its settings go through a
config file of mode 0600, never the command line, where `ps` would show the password.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import redis

from lake.errors import TickerlakeError
from pipelines.services.client import check_timeseries
from pipelines.services.install import redis_environment, redis_stack_paths
from pipelines.services.ports import free_loopback_port, port_is_free

START_TIMEOUT_S = 15.0
LOAD_TIMEOUT_S = 600.0  # replaying a large append-only file on restart takes a while
PASSWORD_FILE = "password"
CONFIG_FILE = "redis.conf"


@dataclass
class EmbeddedRedis:
    """A Redis-with-TimeSeries process we started; `stop()` ends it.

    `url` carries the password when the server has one: hand it to clients, and show
    `redact_url(url)` to people.
    """

    url: str
    port: int
    process: subprocess.Popen[bytes]
    workdir: Path

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop the server (SIGTERM, then SIGKILL if it lingers)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=timeout_s)


def start_redis(
    workdir: Path,
    *,
    port: int = 0,
    detach: bool = False,
    cluster: bool = False,
    password: str | None = None,
    persist: bool = False,
) -> EmbeddedRedis:
    """Start the embedded Redis with TimeSeries on 127.0.0.1 and wait until it answers.

    `port=0` picks a free port. `workdir` receives the config file (mode 0600), the log
    and, with `persist=True`, the append-only files (`appendonlydir/`, fsync every
    second), which a later start on the same `workdir` loads back. `password` becomes
    `requirepass` (in the config file, never on the command line) and part of the
    returned `url`. `detach=True` puts the server in its own session so it outlives the
    calling process (for `tickerlake services up`). `cluster=True` starts it in cluster
    mode, holding no slots yet (see `start_redis_cluster`).
    """
    paths = redis_stack_paths()
    env = redis_environment()
    if port == 0:
        port = free_loopback_port()
    elif not port_is_free(port):
        raise TickerlakeError(
            f"port {port} on 127.0.0.1 is taken; free it or set TICKERLAKE_REDIS_PORT "
            "to another port (0 picks a free one)"
        )
    workdir = workdir.resolve()  # redis-server chdirs to `dir` before opening the log
    workdir.mkdir(parents=True, exist_ok=True, mode=0o700)
    log_path = workdir / "redis.log"
    config: list[tuple[str, ...]] = [
        ("bind", "127.0.0.1"),
        ("port", str(port)),
        ("protected-mode", "yes"),
        ("save", ""),  # no RDB snapshots: the append-only file is the persistence
        ("appendonly", "yes" if persist else "no"),
        ("appendfsync", "everysec"),  # a crash loses at most about one second of writes
        ("dir", str(workdir)),
        ("logfile", str(log_path)),
        ("loadmodule", str(paths.timeseries_module)),
    ]
    if password is not None:
        config.append(("requirepass", password))
    if cluster:
        config += [
            ("cluster-enabled", "yes"),
            ("cluster-config-file", str(workdir / "nodes.conf")),
            ("cluster-port", str(free_loopback_port())),  # the default, port + 10000, may be taken
        ]
    config_path = workdir / CONFIG_FILE
    _write_private(config_path, "".join(_config_line(entry) for entry in config))
    process = subprocess.Popen(
        [str(paths.server), str(config_path)],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=detach,
    )
    url = embedded_url(port, password)
    server = EmbeddedRedis(url=url, port=port, process=process, workdir=workdir)
    try:
        _wait_until_ready(server, log_path)
        check_timeseries(url)
    except BaseException:
        server.stop()
        raise
    return server


def _wait_until_ready(server: EmbeddedRedis, log_path: Path) -> None:
    """Wait until the server answers PING: up to START_TIMEOUT_S to answer at all, and up to
    LOAD_TIMEOUT_S while it replays its append-only file."""
    client = redis.Redis.from_url(server.url, socket_connect_timeout=1, socket_timeout=5)
    started = time.monotonic()
    try:
        while True:
            if server.process.poll() is not None:
                raise TickerlakeError(
                    f"the embedded Redis exited at start (code {server.process.returncode}); "
                    f"see {log_path}"
                )
            try:
                client.ping()
                return
            except redis.exceptions.BusyLoadingError:
                if time.monotonic() - started > LOAD_TIMEOUT_S:
                    raise TickerlakeError(
                        f"the embedded Redis was still loading its data after "
                        f"{LOAD_TIMEOUT_S:.0f} s; see {log_path}"
                    ) from None
            except redis.exceptions.ConnectionError:
                if time.monotonic() - started > START_TIMEOUT_S:
                    raise TickerlakeError(
                        f"the embedded Redis did not answer within {START_TIMEOUT_S:.0f} s; "
                        f"see {log_path}"
                    ) from None
            time.sleep(0.05)
    finally:
        client.close()


def embedded_url(port: int, password: str | None = None) -> str:
    """Return the URL of the embedded server on 127.0.0.1:`port` (database 0), with the
    password when it has one (as Redis's `default` user: redis-cli reads an empty user
    name as a user called "")."""
    auth = f"default:{password}@" if password else ""
    return f"redis://{auth}127.0.0.1:{port}/0"


def _config_line(entry: tuple[str, ...]) -> str:
    """One redis.conf line; every argument double-quoted (redis unescapes \\ and \")."""
    name, *values = entry
    quoted = ('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values)
    return " ".join((name, *quoted)) + "\n"


def _write_private(path: Path, text: str) -> None:
    """Write `path` atomically, readable by its owner only (mode 0600) from the first byte:
    the file is created with that mode, never chmod-ed after the fact."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def redis_password(workdir: Path) -> str:
    """Return the embedded server's password, kept in `workdir/password` (mode 0600).

    The first call generates it (`secrets.token_urlsafe(32)`: 43 URL-safe characters,
    so it goes into a URL as is); later calls, from any process, read the same one.
    """
    path = workdir / PASSWORD_FILE
    if not path.exists():
        workdir.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(f".{PASSWORD_FILE}.{os.getpid()}.tmp")
        _write_private(tmp, secrets.token_urlsafe(32) + "\n")
        try:
            os.link(tmp, path)  # never replaces: when two processes race, the first one wins
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)  # a copy or restore loosened it: no one else may read it
    password = path.read_text().strip()
    if not password:
        raise TickerlakeError(f"the Redis password file {path} is empty; delete it to generate one")
    return password
