"""The standalone environment and the sources hook."""

from __future__ import annotations

from pathlib import Path

import pytest

from lake.errors import TickerlakeError
from lake.settings import Settings
from pipelines.airflow_env import (
    DAGS_FOLDER,
    SOURCES_VARIABLE,
    airflow_environment,
    sources_from_environment,
)
from pipelines.alerts import task_failure_alert

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("open_access", "all_admins"), [(False, "False"), (True, "True")])
def test_standalone_environment(tmp_path: Path, open_access: bool, all_admins: str) -> None:
    settings = Settings(TICKERLAKE_DATA_DIR=tmp_path / "data")

    env = airflow_environment(settings, port=8793, open_access=open_access)

    home = tmp_path / "data" / "airflow"
    assert env["AIRFLOW_HOME"] == str(home)
    assert env["AIRFLOW__CORE__DAGS_FOLDER"] == str(DAGS_FOLDER)
    assert (DAGS_FOLDER / "market_daily.py").exists()
    assert not (DAGS_FOLDER / "__init__.py").exists()
    assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "False"
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == f"sqlite:///{home / 'airflow.db'}"
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://127.0.0.1:8793/execution/"
    assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"] == "admin:admin"
    assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS"] == all_admins
    assert all(isinstance(value, str) for value in env.values())


def test_sources_hook(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SOURCES_VARIABLE, raising=False)
    assert sources_from_environment() is None

    monkeypatch.setenv(SOURCES_VARIABLE, "tests.airflow.sources:small_market")
    sources = sources_from_environment()
    assert sources is not None
    assert sources.bars.name == "synthetic"

    monkeypatch.setenv(SOURCES_VARIABLE, "tests.airflow.sources:no_such_factory")
    with pytest.raises(TickerlakeError, match=SOURCES_VARIABLE):
        sources_from_environment()


def test_alert_without_or_with_an_unreachable_webhook_does_not_raise(
    monkeypatch: pytest.MonkeyPatch, free_port: int
) -> None:
    context = {"exception": ValueError("boom"), "run_id": "manual__1"}
    monkeypatch.delenv("ALERT_WEBHOOK_URL", raising=False)
    task_failure_alert(context)

    monkeypatch.setenv("ALERT_WEBHOOK_URL", f"http://127.0.0.1:{free_port}/nobody-listens")
    from lake.settings import get_settings

    get_settings.cache_clear()
    task_failure_alert(context)  # logged, not raised: the task's own failure stays the story
