"""How Airflow runs Tickerlake: the environment for `airflow standalone` (`make airflow`)
and the one hook DAG tasks use to pick their sources.

`airflow standalone` (Airflow 3.3) runs the scheduler, DAG processor, triggerer and the
API server (UI on http://127.0.0.1:<port>) with a SQLite database and the
SequentialExecutor-like LocalExecutor, all under AIRFLOW_HOME. Login goes through the
simple auth manager (Airflow 3's default): users come from
`AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS` (`name:role`), and on first start Airflow
generates their passwords into `$AIRFLOW_HOME/simple_auth_manager_passwords.json.generated`
(also printed in the standalone log). With `open_access=True`,
`SIMPLE_AUTH_MANAGER_ALL_ADMINS` switches login off and everyone is admin: fine on
loopback, never on a shared host.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from lake.errors import TickerlakeError
from lake.settings import Settings

if TYPE_CHECKING:
    from pipelines.sources import Sources

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DAGS_FOLDER = PROJECT_ROOT / "airflow"
ADMIN_USER = "admin"
PASSWORDS_FILE = "simple_auth_manager_passwords.json.generated"

# Every task that writes silver, gold, the quality logs or runs maintenance takes the one
# slot of this pool, whichever DAG it belongs to: the daily load, a backfill and the weekly
# maintenance never write at the same time. (Commits are conflict-checked anyway, see
# lake/tables.py; the pool saves the redo.) Extracts stay outside: they only append new
# bronze batches, which conflict with nothing, and their provider calls run in parallel.
# `setup_commands` creates the pool (`airflow pools set`) before Airflow starts.
WRITERS_POOL = "lake_writers"
WRITERS_POOL_SLOTS = 1

SOURCES_VARIABLE = "TICKERLAKE_SOURCES"
"""`module:function` of a zero-argument factory returning `pipelines.sources.Sources`.

Unset (the normal case): DAG tasks let `pipelines.historical` wire the sources
(`get_sources()`: real clients where keys are set, else the lake's synthetic market).
Set: every task of a run reads from the factory's sources, e.g. a small synthetic
universe in tests or a recorded replay."""


def airflow_environment(
    settings: Settings, *, port: int = 8080, open_access: bool = False
) -> dict[str, str]:
    """Return the variables to add to the environment of `airflow standalone`.

    AIRFLOW_HOME is `<data_dir>/airflow` (SQLite metadata `airflow.db`, logs, the
    generated passwords file), the DAGs folder is the project's `airflow/`, example
    DAGs are off, the API server (UI) listens on 127.0.0.1:`port` and tasks reach its
    execution API there. Login: user `admin` whose password Airflow generates into
    `<AIRFLOW_HOME>/simple_auth_manager_passwords.json.generated`; `open_access=True`
    disables login instead. The project root goes on PYTHONPATH so tasks import
    `pipelines` even without the editable install, and the virtualenv's bin folder
    leads PATH (standalone spawns its components as `airflow …`).
    """
    home = (settings.data_dir / "airflow").expanduser().resolve()
    python_path = [str(PROJECT_ROOT)]
    if os.environ.get("PYTHONPATH"):
        python_path.append(os.environ["PYTHONPATH"])
    # `airflow standalone` starts its components as `airflow ...` from PATH: the
    # virtualenv's bin folder must come first even when the venv is not activated.
    path = [str(Path(sys.executable).parent)]
    if os.environ.get("PATH"):
        path.append(os.environ["PATH"])
    return {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        # Tasks report to the API server's execution API; it must follow the port.
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__CORE__AUTH_MANAGER": (
            "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
        ),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN_USER}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": str(open_access),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / PASSWORDS_FILE),
        # New DAGs start unpaused so market_daily runs after the next close.
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "PYTHONPATH": os.pathsep.join(python_path),
        "PATH": os.pathsep.join(path),
    }


def setup_commands(airflow_bin: Path) -> list[list[str]]:
    """Return the commands to run (with the `airflow_environment` variables) before
    `airflow standalone` or `dag.test()`: migrate the metadata database, then create the
    `lake_writers` pool every lake-writing task runs in. A task naming a pool that does
    not exist stays queued forever, so the pool must exist before the first run.
    Both are idempotent."""
    airflow = str(airflow_bin)
    return [
        [airflow, "db", "migrate"],
        [
            airflow,
            "pools",
            "set",
            WRITERS_POOL,
            str(WRITERS_POOL_SLOTS),
            "Tasks that write the Tickerlake lake: one at a time",
        ],
    ]


def sources_from_environment() -> Sources | None:
    """Return the sources named by TICKERLAKE_SOURCES (`module:function`), or None when
    it is unset (the pipeline's own wiring applies)."""
    spec = os.environ.get(SOURCES_VARIABLE, "").strip()
    if not spec:
        return None
    module_name, _, function_name = spec.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), function_name)
    except (ImportError, AttributeError, ValueError) as exc:
        raise TickerlakeError(
            f"{SOURCES_VARIABLE}={spec!r} does not name an importable `module:function`: "
            f"{exc}. Fix or unset {SOURCES_VARIABLE}."
        ) from exc
    return factory()
