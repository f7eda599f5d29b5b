"""The historical steps: extract → bronze, validate → silver, transform → gold, maintain.

Plain functions that run the same from Airflow, the CLI and tests. Every step takes the
lake's location as `lake_uri` (the CLI and the DAGs pass `settings.lake_uri`). Steps hand
data to each other through the lake (a bronze batch id, never a local file or a large
XCom) and return small JSON-able dicts. What each dataset needs comes from the registry
in `pipelines.datasets`.

- `bronze`: `extract` appends a dataset's range to `bronze/<dataset>` as received;
- `silver`: `load_silver` transforms one bronze batch, validates it (a failing batch is
  quarantined and raises `ValidationFailed`) and MERGEs it on the key;
- `gold`: `build_gold` derives split-adjusted bars, returns, segments and the marts;
- `maintenance`: `maintain` compacts, re-sorts and vacuums; `create_missing_tables`;
- `loads`: `load_day` and `backfill` chain the steps; `runs`: the load log;
- `demo`: `build_demo`; `lineage`: sources seen, the demo guard, the lineage upgrade;
- `wiring`: the sources a step reads when its caller names none.
"""

from expectations import ValidationFailed
from pipelines.datasets import DATASET_NAMES, DATASETS, Dataset, get_dataset
from pipelines.historical.bronze import (
    SKIPPED_BATCH,
    bronze_contract,
    bronze_contracts,
    bronze_to_wire,
    extract,
    skip_reason,
)
from pipelines.historical.demo import build_demo
from pipelines.historical.gold import build_gold
from pipelines.historical.lineage import (
    DEMO_SOURCE,
    other_data,
    refuse_other_data,
    upgrade_lineage,
)
from pipelines.historical.loads import backfill, is_trading_day, load_day
from pipelines.historical.maintenance import contract_tables, create_missing_tables, maintain
from pipelines.historical.silver import load_silver
from pipelines.historical.wiring import synthetic_config

__all__ = [
    "DATASETS",
    "DATASET_NAMES",
    "DEMO_SOURCE",
    "SKIPPED_BATCH",
    "Dataset",
    "ValidationFailed",
    "backfill",
    "bronze_contract",
    "bronze_contracts",
    "bronze_to_wire",
    "build_demo",
    "build_gold",
    "contract_tables",
    "create_missing_tables",
    "extract",
    "get_dataset",
    "is_trading_day",
    "load_day",
    "load_silver",
    "maintain",
    "other_data",
    "refuse_other_data",
    "skip_reason",
    "synthetic_config",
    "upgrade_lineage",
]
