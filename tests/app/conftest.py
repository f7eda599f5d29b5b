"""A small demo lake (40 tickers, 1 year) built once through `build_demo` (with its
indicator reconciliation runs over the last sessions), shared by the app's tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lake.settings import get_settings
from tests.conftest import MEASURED, build_demo_lake

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MAIN = PROJECT_ROOT / "app" / "main.py"
PAGES = PROJECT_ROOT / "pages"


@pytest.fixture(scope="session")
def demo_lake_uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A demo lake built by the real pipeline (`pipelines.historical.build_demo`)."""
    root = tmp_path_factory.mktemp("app_lake")
    uri, _ = build_demo_lake(root, n_tickers=40, years=1, seed=11, reconciled_sessions=3)
    return uri


@pytest.fixture(scope="session")
def default_demo_lake_uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The default demo lake (what `tickerlake demo` and `make run` build: 2,500 tickers,
    4 years), for the browser test's speed figures."""
    uri, result = build_demo_lake(tmp_path_factory.mktemp("default_demo_lake"))
    MEASURED.setdefault("default demo lake", []).append(
        f"built in {result['seconds']} s: {result['tickers']:,} tickers, {result['bars']:,} bars, "
        f"{result['start']} .. {result['end']}"
    )
    return uri


@pytest.fixture
def app_lake(demo_lake_uri: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """LAKE_URI set to the demo lake for one test."""
    monkeypatch.setenv("LAKE_URI", demo_lake_uri)
    get_settings.cache_clear()
    yield demo_lake_uri
    get_settings.cache_clear()
