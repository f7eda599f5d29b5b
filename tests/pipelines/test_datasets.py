"""The dataset registry is complete: every entry has its contract, suite, transform and
DAG tasks, and every silver contract has an entry."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from expectations.suites import build_suite
from lake import schemas
from lake.errors import TickerlakeError
from pipelines.datasets import DATASET_NAMES, DATASETS, Dataset, FetchRequest, get_dataset
from pipelines.sources import Sources, SyntheticMarketConfig
from pipelines.sources.synthetic import SyntheticMarket

pytestmark = pytest.mark.unit

MARKET = SyntheticMarketConfig(seed=9, n_tickers=40, start=date(2024, 1, 2), end=date(2024, 3, 28))


@pytest.fixture(scope="module")
def synthetic() -> Sources:
    market = SyntheticMarket(MARKET)
    return Sources(bars=market, earnings=market, grades=market)


def _ids(dataset: Dataset) -> str:
    return dataset.name


def test_every_silver_contract_has_exactly_one_dataset() -> None:
    assert sorted(DATASET_NAMES) == sorted(c.name for c in schemas.SILVER_TABLES)
    assert len(set(DATASET_NAMES)) == len(DATASETS)


@pytest.mark.parametrize("dataset", DATASETS, ids=_ids)
def test_the_contract_lives_in_lake_schemas(dataset: Dataset) -> None:
    assert dataset.contract.layer == "silver"
    assert getattr(schemas, dataset.name.upper()) is dataset.contract
    assert set(dataset.contract.key) <= set(dataset.contract.schema.names())
    if dataset.sorted_by is not None:
        assert set(dataset.sorted_by) <= set(dataset.contract.schema.names())


@pytest.mark.parametrize("dataset", DATASETS, ids=_ids)
def test_each_dataset_has_an_expectation_suite(dataset: Dataset) -> None:
    suite = build_suite(dataset.contract)

    assert suite.name == dataset.name
    assert len(suite.expectations) > 0


@pytest.mark.parametrize("dataset", DATASETS, ids=_ids)
def test_the_transform_of_a_synthetic_fetch_matches_the_contract(
    dataset: Dataset, synthetic: Sources, tmp_path: Path
) -> None:
    request = FetchRequest(start=MARKET.start, end=MARKET.end, lake_uri=str(tmp_path))

    raw = dataset.fetch(synthetic, request)
    frame = dataset.transform(raw, source="synthetic")

    assert raw.schema == dataset.wire
    assert raw.height > 0
    assert frame.schema == dataset.contract.schema
    assert frame["source"].unique().to_list() == ["synthetic"]


def test_exactly_one_dataset_counts_the_rows_of_a_load() -> None:
    assert [d.name for d in DATASETS if d.counts_load_rows] == ["daily_bars"]


def test_an_unknown_dataset_names_the_known_ones() -> None:
    with pytest.raises(TickerlakeError, match="daily_bars"):
        get_dataset("dividendz")


def test_every_dataset_has_its_silver_asset_for_the_dags() -> None:
    pytest.importorskip("airflow.sdk")
    from pipelines.dag_defaults import SILVER_ASSETS

    assert list(SILVER_ASSETS) == list(DATASET_NAMES)
    assert [a.name for a in SILVER_ASSETS.values()] == [f"silver.{n}" for n in DATASET_NAMES]


def test_the_readme_lake_table_names_every_dataset() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    silver = next(line for line in readme.splitlines() if line.startswith("| silver |"))

    assert [name for name in DATASET_NAMES if f"`{name}`" not in silver] == []
