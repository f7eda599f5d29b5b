"""One Airflow home for the whole test run: a temporary folder with a SQLite metadata
database migrated once, our `airflow/` as the DAGs folder, no example DAGs.

Airflow reads its configuration when first imported, so the variables are set here
before any test imports it (test modules import Airflow inside their functions only).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelines.airflow_env import DAGS_FOLDER, setup_commands


@pytest.fixture(scope="session")
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A migrated Airflow home; AIRFLOW_* variables point at it for the whole run."""
    home = tmp_path_factory.mktemp("airflow-home")
    variables = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
    }
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    airflow_bin = Path(sys.executable).parent / "airflow"
    for command in setup_commands(airflow_bin):  # migrate, then the lake_writers pool
        subprocess.run(command, env=os.environ, check=True, capture_output=True)
    yield home
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="session")
def dag_bag(airflow_home: Path):  # -> airflow.dag_processing.dagbag.DagBag
    """Our DAGs folder parsed once."""
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS_FOLDER))


@pytest.fixture(scope="session")
def run_bag(airflow_home: Path):  # -> airflow.dag_processing.dagbag.DagBag
    """A separate parse of the DAGs for dag.test() runs (those tweak their copies)."""
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS_FOLDER))
