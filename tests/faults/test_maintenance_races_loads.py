"""`tickerlake maintain` beside `tickerlake load`: maintenance runs in a loop in its own
process while this one loads new trading days into a demo lake, on a local folder and on
the S3 endpoint. Every loaded day must keep every row: rows lost 0, duplicates 0."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from lake import tables
from lake.calendar import trading_days
from lake.schemas import ADJUSTED_BARS, DAILY_BARS
from pipelines import historical

pytestmark = pytest.mark.integration

N_TICKERS = 5
MAX_DAYS = 8


def _interleaved_rewrites() -> int:
    """Sorted rewrites of daily_bars that committed on top of a version they had not read
    (a load committed between the rewrite's read and its commit)."""
    count = 0
    for entry in tables.history(DAILY_BARS):
        read = entry.get(tables.READ_VERSION_KEY)
        if read is not None:
            count += int(entry["version"] - int(read) > 1)
    return count


def test_maintenance_beside_loads_loses_no_row(any_lake_uri: str, tmp_path: Path) -> None:
    demo = historical.build_demo(
        n_tickers=N_TICKERS, years=1, seed=3, reconciled_sessions=0, lake_uri=any_lake_uri
    )
    end = date.fromisoformat(demo["end"])
    new_days = trading_days(end + timedelta(days=1), end + timedelta(days=30))[:MAX_DAYS]
    stop = tmp_path / "stop"
    maintenance = subprocess.Popen(
        [sys.executable, "-m", "tests.faults.maintain_loop", str(stop)],
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert maintenance.stdout is not None
    loaded: list[date] = []
    try:
        assert maintenance.stdout.readline().startswith("maintained")  # it is running
        # Load until a rewrite has committed over a load's commit (the race happened),
        # at least three days, at most MAX_DAYS.
        for day in new_days:
            historical.load_day(day, lake_uri=any_lake_uri)
            loaded.append(day)
            if len(loaded) >= 3 and _interleaved_rewrites() > 0:
                break
    finally:
        stop.touch()
        maintenance.wait(timeout=600)
    runs = 1 + maintenance.stdout.read().count("maintained")
    historical.maintain(lake_uri=any_lake_uri)  # one more run after the last load

    expected = N_TICKERS * len(trading_days(date.fromisoformat(demo["start"]), loaded[-1]))
    held = tables.read(DAILY_BARS, columns=["ticker", "date"])
    per_day = held.filter(pl.col("date").is_in(loaded)).group_by("date").len()
    lost = expected - held.unique().height
    duplicates = held.height - held.unique().height
    interleaved = _interleaved_rewrites()
    print(
        f"days loaded beside maintenance: {len(loaded)}, maintenance runs: {runs}, "
        f"interleaved rewrites: {interleaved}, rows lost: {lost}, duplicates: {duplicates}"
    )
    assert maintenance.returncode == 0
    assert interleaved > 0  # the race was real: a rewrite read a version older than a load's
    assert (lost, duplicates) == (0, 0)
    assert sorted(per_day["len"].to_list()) == [N_TICKERS] * len(loaded)
    gold = tables.read(ADJUSTED_BARS, columns=["ticker", "date"])
    assert gold.height == gold.unique().height == expected
