"""Lineage across the lake: which sources a table's rows came from, the guard that keeps
the synthetic demo out of a lake of other data, and the upgrade of tables written before
lineage was recorded."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from lake import tables
from lake.errors import TickerlakeError
from lake.lineage import table_sources
from lake.schemas import GOLD_TABLES, SILVER_TABLES, SOURCE_COLUMN
from lake.storage import lake_root
from pipelines.historical.bronze import bronze_contracts

if TYPE_CHECKING:
    from deltalake import DeltaTable

DEMO_SOURCE = "synthetic"

log = logging.getLogger(__name__)


def refuse_other_data(*, lake_uri: str) -> None:
    """Raise `TickerlakeError` (one line: what was found, how to proceed) when the lake at
    `lake_uri` holds data other than the synthetic demo (see `other_data`)."""
    found = other_data(lake_uri=lake_uri)
    if found is not None:
        raise TickerlakeError(
            f"the lake at {lake_root(lake_uri)} holds data that is not the synthetic demo "
            f"({found}); the demo would mix synthetic rows into it. Point LAKE_URI at an "
            "empty folder, or run `tickerlake demo --force` to write the demo anyway"
        )


def other_data(*, lake_uri: str) -> str | None:
    """Say what in the lake at `lake_uri` is not the synthetic demo, or return None when
    nothing is.

    "Other data" is any row of a bronze, silver or gold table whose source is not
    `synthetic` (bronze `_source`, silver and gold `source`); a row without one (a
    table written before lineage was recorded) counts as other. Decided from the Delta
    files' min/max/null-count statistics, so no data file is read. An empty lake, or
    one that holds only a demo, is not other data. Returns e.g.
    `"silver/daily_bars has rows from massive"`.
    """
    bronze = [(contract, "_source") for contract in bronze_contracts()]
    lineage = [(contract, SOURCE_COLUMN) for contract in (*SILVER_TABLES, *GOLD_TABLES)]
    for contract, column in (*lineage, *bronze):
        names = table_sources(contract, column=column, lake_uri=lake_uri)
        if None in names:
            return f"{contract.path} has rows that do not say their source"
        others = sorted(name for name in names - {DEMO_SOURCE} if name is not None)
        if others:
            return f"{contract.path} has rows from {', '.join(others)}"
    return None


def upgrade_lineage(*, lake_uri: str) -> list[str]:
    """Add the `source` column to silver and gold tables written before lineage was
    recorded; returns the paths of the tables upgraded (empty when none needed it).

    Their rows get `synthetic` when every bronze batch the lake ever loaded came from
    the synthetic market (silver is only ever written from bronze, so nothing else can
    be in it), and stay null (unknown) otherwise: a row is never labelled real or
    synthetic on a guess. Costs one metadata read per table when nothing is to do.
    """
    from deltalake.schema import Field, PrimitiveType

    upgraded = []
    for contract in (*SILVER_TABLES, *GOLD_TABLES):
        if not tables.exists(contract, lake_uri=lake_uri):
            continue
        # The cached handle answers the common case (nothing to do) without IO.
        if _has_lineage(tables.open_table(contract, lake_uri=lake_uri)):
            continue
        table = tables.open_table(contract, lake_uri=lake_uri, fresh=True)
        if _has_lineage(table):
            continue
        table.alter.add_columns([Field(SOURCE_COLUMN, PrimitiveType("string"), nullable=True)])
        if _bronze_all_synthetic(lake_uri=lake_uri):
            tables.open_table(contract, lake_uri=lake_uri, fresh=True).update(
                updates={SOURCE_COLUMN: f"'{DEMO_SOURCE}'"}, predicate=f"{SOURCE_COLUMN} IS NULL"
            )
        tables.open_table(contract, lake_uri=lake_uri, fresh=True)
        log.warning("added the source column to %s", contract.path)
        upgraded.append(contract.path)
    return upgraded


def _has_lineage(table: DeltaTable) -> bool:
    return SOURCE_COLUMN in {field.name for field in table.schema().fields}


def _bronze_all_synthetic(*, lake_uri: str) -> bool:
    seen: set[str | None] = set()
    for contract in bronze_contracts():
        seen |= table_sources(contract, column="_source", lake_uri=lake_uri)
    return seen == {DEMO_SOURCE}
