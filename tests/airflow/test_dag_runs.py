"""Real `dag.test()` runs against a temporary lake on the small synthetic market:
a trading day loads, a holiday skips, a corrupted batch quarantines and fails the run
(and the failure alert reaches the webhook), a backfill resumes."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pendulum
import polars as pl
import pytest

from expectations import read_quarantined
from lake import tables
from lake.quality import latest_results, quarantined_batches
from lake.schemas import ADJUSTED_BARS, DAILY_BARS, EARNINGS, GRADES, LOAD_LOG
from lake.settings import get_settings
from pipelines.airflow_env import SOURCES_VARIABLE

pytestmark = pytest.mark.integration

TRADING_DAY = date(2025, 12, 23)
HOLIDAY = date(2025, 12, 25)


def _after_close(day: date) -> pendulum.DateTime:
    return pendulum.datetime(day.year, day.month, day.day, 21, 30, tz="UTC")


def _run(run_bag, dag_id: str, **kwargs: Any) -> tuple[str, dict[str, str | None]]:
    """Run a DAG with dag.test(); return the run state and every task's state.

    Retries are switched off on this copy of the DAG: dag.test() would otherwise wait
    out each retry delay (minutes) before a failure shows.
    """
    dag = run_bag.dags[dag_id]
    for task in dag.tasks:
        task.retries = 0
    run = dag.test(**kwargs)
    states = {ti.task_id: ti.state for ti in run.get_task_instances()}
    return run.state, states


@pytest.fixture
def small_market(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SOURCES_VARIABLE, "tests.airflow.sources:small_market")


@pytest.fixture
def webhook(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """A local HTTP server standing in for a chat webhook; ALERT_WEBHOOK_URL points at it."""
    received: list[dict[str, Any]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(orjson.loads(body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("ALERT_WEBHOOK_URL", f"http://127.0.0.1:{server.server_port}/hooks/alert")
    get_settings.cache_clear()
    yield received
    server.shutdown()
    server.server_close()


def test_a_trading_day_loads(
    airflow_home: Path, run_bag, lake_uri: str, small_market: None
) -> None:
    state, tasks = _run(run_bag, "market_daily", logical_date=_after_close(TRADING_DAY))

    assert state == "success"
    assert tasks["trading_day"] == "success"
    assert all(tasks[f"load_{name}"] == "success" for name in ("tickers", "daily_bars", "splits"))
    assert tasks["build_gold"] == "success"
    bars = tables.read(DAILY_BARS)
    assert bars["date"].unique().to_list() == [TRADING_DAY]
    assert bars.height == 30
    assert tables.read(ADJUSTED_BARS, filters=pl.col("date") == TRADING_DAY).height == 30
    results = latest_results()
    assert results.filter(pl.col("table") == "daily_bars")["success"].to_list() == [True]
    assert quarantined_batches().is_empty()


def test_a_day_without_an_earnings_or_grades_source_loads_the_rest(
    airflow_home: Path, run_bag, lake_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SOURCES_VARIABLE, "tests.airflow.sources:bars_only_market")

    state, tasks = _run(run_bag, "market_daily", logical_date=_after_close(TRADING_DAY))

    assert state == "success"
    assert set(tasks.values()) == {"success"}
    assert tables.read(DAILY_BARS).height == 30
    assert set(tables.read(ADJUSTED_BARS)["source"]) == {"synthetic"}
    for skipped in (EARNINGS, GRADES):  # skipped, not faked: no row
        assert not tables.exists(skipped) or tables.read(skipped).is_empty()


def test_a_holiday_skips_everything(
    airflow_home: Path, run_bag, lake_uri: str, small_market: None
) -> None:
    state, tasks = _run(run_bag, "market_daily", logical_date=_after_close(HOLIDAY))

    assert state == "success"
    assert set(tasks.values()) == {"skipped"}
    assert len(tasks) > 10
    assert not tables.exists(DAILY_BARS)


def test_a_corrupted_batch_is_quarantined_and_fails_the_run(
    airflow_home: Path,
    run_bag,
    lake_uri: str,
    monkeypatch: pytest.MonkeyPatch,
    webhook: list[dict[str, Any]],
) -> None:
    monkeypatch.setenv(SOURCES_VARIABLE, "tests.airflow.sources:corrupted_market")

    state, tasks = _run(run_bag, "market_daily", logical_date=_after_close(TRADING_DAY))

    assert state == "failed"
    assert tasks["load_tickers"] == "success"
    assert tasks["load_daily_bars"] == "failed"
    assert tasks["build_gold"] == "upstream_failed"
    assert not tables.exists(DAILY_BARS)  # nothing of the batch reached silver
    batch = quarantined_batches().row(0, named=True)
    assert batch["table"] == "daily_bars"
    quarantined = read_quarantined("daily_bars", batch["batch_id"])
    assert quarantined["data"].height == 30
    assert "Unsuccessful Expectations" in quarantined["html"]
    alerts = [a for a in webhook if a["task_id"] == "load_daily_bars"]
    assert len(alerts) == 1
    assert alerts[0]["dag_id"] == "market_daily"
    assert "expect_column_values_to_be_between(close)" in alerts[0]["error"]


def test_backfill_loads_in_chunks_and_resumes(
    airflow_home: Path,
    run_bag,
    lake_uri: str,
    small_market: None,
) -> None:
    conf = {"start": "2025-11-03", "end": "2025-11-21", "chunk_days": 7}

    first_state, first_tasks = _run(run_bag, "market_backfill", run_conf=conf)
    loaded = tables.read(DAILY_BARS)
    chunks_loaded = tables.read(LOAD_LOG).height
    second_state, _ = _run(run_bag, "market_backfill", run_conf=conf)

    assert first_state == "success"
    assert first_tasks["maintain"] == "success"
    assert sorted(loaded["date"].unique().to_list())[0] == date(2025, 11, 3)
    assert loaded["date"].n_unique() == 15
    assert loaded.height == 15 * 30
    assert second_state == "success"
    assert chunks_loaded == 3
    assert tables.read(LOAD_LOG).height == chunks_loaded  # every chunk skipped the second time
    assert tables.read(DAILY_BARS).height == loaded.height


def test_weekly_maintenance_compacts_and_keeps_every_row(
    airflow_home: Path, run_bag, lake_uri: str, small_market: None
) -> None:
    days = [date(2025, 12, 22), TRADING_DAY]
    for day in days:
        assert _run(run_bag, "market_daily", logical_date=_after_close(day))[0] == "success"
    before = tables.read(DAILY_BARS).sort("ticker", "date")
    files_before = tables.file_count(DAILY_BARS)

    state, tasks = _run(
        run_bag, "market_maintenance", logical_date=pendulum.datetime(2025, 12, 27, 6, tz="UTC")
    )

    after = tables.read(DAILY_BARS).sort("ticker", "date")
    print(f"rows lost: {before.height - after.height}, files: {files_before} -> 1")
    assert (state, tasks) == ("success", {"maintain": "success"})
    assert files_before == 2
    assert tables.file_count(DAILY_BARS) == 1
    assert after.equals(before)
    assert tables.history(DAILY_BARS)[0].get(tables.READ_VERSION_KEY) is not None
