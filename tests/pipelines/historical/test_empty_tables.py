"""After the first build (a demo, a first day, a first backfill), every contract table
exists with its contract's schema, empty if the load had nothing for it: a market with
no split in the range still leaves a `splits` table any engine can open."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from deltalake import DeltaTable

from lake import tables
from lake.schemas import SPLITS
from lake.storage import storage_options, table_uri
from pipelines import historical
from pipelines.sources import Sources, SyntheticMarketConfig
from pipelines.sources.synthetic import SyntheticMarket

pytestmark = pytest.mark.integration


def _small_market() -> Sources:
    market = SyntheticMarket(
        SyntheticMarketConfig(seed=3, n_tickers=5, start=date(2025, 1, 2), end=date(2025, 2, 28))
    )
    return Sources(bars=market, earnings=market, grades=market)


BUILDS = {
    "demo": lambda uri: historical.build_demo(
        lake_uri=uri, n_tickers=5, years=1, seed=3, reconciled_sessions=0
    ),
    "load_day": lambda uri: historical.load_day(
        date(2025, 1, 6), lake_uri=uri, sources=_small_market()
    ),
    "backfill": lambda uri: historical.backfill(
        date(2025, 1, 2),
        date(2025, 1, 31),
        lake_uri=uri,
        sources=_small_market(),
        maintain_after=False,
    ),
}


@pytest.mark.parametrize("build", sorted(BUILDS))
def test_every_contract_table_exists_after_the_first_build(lake_uri: str, build: str) -> None:
    BUILDS[build](lake_uri)
    tables.forget_handles()

    missing, wrong_schema = [], []
    for contract in historical.contract_tables():
        uri = table_uri(contract)
        if not DeltaTable.is_deltatable(uri, storage_options=storage_options(uri) or None):
            missing.append(contract.path)
            continue
        if tables.read(contract).schema != contract.schema:
            wrong_schema.append(contract.path)
        stored = [field.name for field in DeltaTable(uri).schema().fields]
        if stored != list(contract.schema.names()):
            wrong_schema.append(contract.path)
    print(f"{build}: contract tables missing: {len(missing)}, wrong schema: {len(wrong_schema)}")
    assert tables.read(SPLITS).is_empty()  # the market had no split: the table is empty
    assert missing == []
    assert wrong_schema == []
    assert tables.read(SPLITS).schema == pl.Schema(SPLITS.schema)
