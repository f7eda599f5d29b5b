"""The S3 endpoint goes away mid-commit: the write raises one clear `LakeUnavailable`,
the table still reads at its last version, and the retry commits once.

A dedicated moto server sits behind a TCP proxy (tests/faults/s3_cutter.py) that drops
every connection exactly at the commit request (`before`: the commit never arrives) or
right after it (`after`: the commit landed, its answer is lost)."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import boto3
import pytest

from lake import tables
from lake.errors import ServiceUnavailable
from lake.schemas import DAILY_BARS
from lake.settings import get_settings
from pipelines.services import free_loopback_port
from tests.lake.frames import bars, weekdays

pytestmark = pytest.mark.integration

BUCKET = "tickerlake-cut"
TICKERS = ["AAA", "BBB", "CCC"]


class Cutter:
    """The proxy process: `command("arm before")` etc., answers read from its stdout."""

    def __init__(self, listen_port: int, target_port: int) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.faults.s3_cutter", str(listen_port), str(target_port)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parents[2],
        )
        assert self.answer() == "ready"

    def answer(self) -> str:
        assert self.process.stdout is not None
        return self.process.stdout.readline().strip()

    def command(self, line: str) -> str:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        return self.answer()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def cut_lake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cutter]:
    """A lake on its own moto server, reached only through the cutter proxy."""
    moto_port, proxy_port = free_loopback_port(), free_loopback_port()
    moto = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(moto_port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{moto_port}/moto-api/", timeout=1).close()
            break
        except OSError:
            assert moto.poll() is None and time.monotonic() < deadline, "moto did not start"
            time.sleep(0.1)
    boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{moto_port}",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ).create_bucket(Bucket=BUCKET)
    cutter = Cutter(proxy_port, moto_port)
    for name, value in {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{proxy_port}",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_ALLOW_HTTP": "true",
        "LAKE_URI": f"s3://{BUCKET}/lake",
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    tables.forget_handles()
    yield cutter
    tables.forget_handles()
    cutter.stop()
    moto.terminate()
    moto.wait(timeout=10)


@pytest.mark.parametrize("cut", ["before", "after"])
def test_a_commit_cut_off_leaves_the_last_version_and_the_retry_commits_once(
    cut_lake: Cutter, cut: str
) -> None:
    days = weekdays(date(2024, 1, 2), 3)
    tables.merge_upsert(DAILY_BARS, bars(TICKERS, days[:2]))
    last_version = tables.version(DAILY_BARS)
    new_day = bars(TICKERS, days[2:])

    assert cut_lake.command(f"arm {cut}") == f"armed {cut}"
    with pytest.raises(tables.LakeUnavailable, match=r"silver/daily_bars.*run the command again"):
        tables.merge_upsert(DAILY_BARS, new_day)
    assert cut_lake.answer() == "tripped"
    assert cut_lake.command("heal") == "healed"
    tables.forget_handles()
    landed = tables.version(DAILY_BARS) - last_version  # 1 when the commit reached S3
    retry = tables.merge_upsert(DAILY_BARS, new_day)

    held = tables.read(DAILY_BARS, columns=["ticker", "date"])
    duplicates = held.height - held.unique().height
    lost = 9 - held.unique().height
    print(f"cut {cut}: commit landed: {landed}, rows lost: {lost}, duplicates: {duplicates}")
    assert landed == (1 if cut == "after" else 0)
    assert retry.committed is (cut == "before")  # the retry commits exactly once in all
    assert tables.version(DAILY_BARS) == last_version + 1
    assert (lost, duplicates) == (0, 0)
    assert issubclass(tables.LakeUnavailable, ServiceUnavailable)
