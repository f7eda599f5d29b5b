"""`tickerlake run` (what `make run` starts): serves the app, and Ctrl-C leaves nothing behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from pipelines.services import free_loopback_port

pytestmark = pytest.mark.integration

TICKERLAKE = Path(sys.executable).parent / "tickerlake"


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


def test_run_serves_and_ctrl_c_stops_everything(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "LAKE_URI", "AWS_ENDPOINT_URL"}}
    # A relative data folder, as in a fresh clone; a tiny lake so no demo build is needed.
    env.update(TICKERLAKE_DATA_DIR="data", LAKE_URI="lake")
    build = subprocess.run(
        [str(TICKERLAKE), "demo", "--tickers", "12", "--years", "1"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr[-2000:]
    port = free_loopback_port()
    launcher = subprocess.Popen(
        [str(TICKERLAKE), "run", "--port", str(port)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )  # fmt: skip
    health = f"http://127.0.0.1:{port}/_stcore/health"
    try:
        _wait_for(lambda: _healthy(health) or launcher.poll() is not None, timeout_s=120, what="health")
        assert launcher.poll() is None, launcher.stdout.read() if launcher.stdout else ""
        family = psutil.Process(launcher.pid).children(recursive=True)
        pid_file = tmp_path / "data" / "run" / "redis.pid"
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
    assert "Traceback" not in output
    _wait_for(lambda: not any(psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE for p in started), timeout_s=20, what="children to exit")
    assert not pid_file.exists()
    assert not _healthy(health)
