"""The validation log, read back: what the Data quality page shows.

`quality/validation_results` (`VALIDATION_RESULTS`) gets one row per validated batch
from `expectations.quarantine.record_result`; these readers only read it.
"""

from __future__ import annotations

import polars as pl

from lake import tables
from lake.schemas import VALIDATION_RESULTS


def validation_results(*, lake_uri: str | None = None) -> pl.DataFrame:
    """Return every recorded validation, newest first (VALIDATION_RESULTS columns);
    empty when nothing has been validated yet."""
    try:
        frame = tables.read(VALIDATION_RESULTS, lake_uri=lake_uri)
    except tables.TableMissing:
        return pl.DataFrame(schema=VALIDATION_RESULTS.schema)
    return frame.sort("validated_at", descending=True)


def latest_results(*, lake_uri: str | None = None) -> pl.DataFrame:
    """Return the latest validation per table (VALIDATION_RESULTS columns), by table name."""
    return (
        validation_results(lake_uri=lake_uri)
        .unique("table", keep="first", maintain_order=True)
        .sort("table")
    )


def quarantined_batches(*, lake_uri: str | None = None) -> pl.DataFrame:
    """Return the quarantined batches, newest first (VALIDATION_RESULTS columns)."""
    return validation_results(lake_uri=lake_uri).filter(pl.col("quarantine_uri").is_not_null())
