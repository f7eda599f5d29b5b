"""Silver: one bronze batch transformed to its dataset's contract, validated, MERGEd.

Every row's `source` is the batch's bronze `_source`. A batch that fails validation
(`expectations.validate_or_quarantine`) goes to quarantine and raises
`ValidationFailed`, so nothing of it reaches silver; a passing batch is MERGEd on the
contract's key (loading it twice commits nothing new).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import polars as pl

from expectations import ValidationContext, validate_or_quarantine
from expectations.lake_context import lake_context
from lake import tables
from lake.schemas import SPLITS
from pipelines.datasets import Dataset, get_dataset
from pipelines.historical.bronze import SKIPPED_BATCH, batch_source, bronze_to_wire, read_batch
from pipelines.historical.lineage import DEMO_SOURCE, upgrade_lineage
from pipelines.sources.base import UNTRADED_SHARE_BY_SOURCE

log = logging.getLogger(__name__)


def load_silver(
    dataset: str, batch_id: str, *, lake_uri: str, splits_batch_id: str | None = None
) -> dict[str, Any]:
    """Transform bronze batch `batch_id`, validate it and MERGE it into its silver table
    in the lake at `lake_uri`.

    Every row's `source` is the one bronze recorded for the batch. A skipped batch
    (`extract` returned `SKIPPED_BATCH` + reason) loads nothing and returns
    `{"dataset", "batch_id", "rows": 0, "committed": False, "skipped": reason}`.

    For a dataset `validated_with_load_splits` (daily bars), `splits_batch_id` names the
    splits batch extracted for the same range: its splits join the validation context,
    so a price jump on a split day that silver does not know yet is not flagged as a
    move without a split. Returns `{"dataset", "batch_id", "rows", "inserted",
    "updated", "unchanged", "version", "committed"}`. Raises `ValidationFailed` (after
    quarantining the batch) when it fails its expectations; silver is then left
    untouched.
    """
    entry = get_dataset(dataset)
    if batch_id.startswith(SKIPPED_BATCH):
        reason = batch_id.removeprefix(SKIPPED_BATCH)
        log.warning("skipped %s", reason)
        return {
            "dataset": dataset,
            "batch_id": batch_id,
            "rows": 0,
            "committed": False,
            "skipped": reason,
        }
    frame = silver_batch(dataset, batch_id, lake_uri=lake_uri)
    if frame.is_empty():
        return {"dataset": dataset, "batch_id": batch_id, "rows": 0, "committed": False}
    upgrade_lineage(lake_uri=lake_uri)
    context = _validation_context(entry, frame, batch_id, splits_batch_id, lake_uri=lake_uri)
    validate_or_quarantine(
        entry.contract, frame, batch_id=batch_id, context=context, lake_uri=lake_uri
    )
    result = tables.merge_upsert(entry.contract, frame, lake_uri=lake_uri)
    return {"dataset": dataset, "batch_id": batch_id, "rows": frame.height, **result.as_dict()}


def silver_batch(dataset: str, batch_id: str, *, lake_uri: str) -> pl.DataFrame:
    """Return bronze batch `batch_id` transformed to its silver contract (maybe empty)."""
    raw = read_batch(dataset, batch_id, lake_uri=lake_uri)
    # One batch comes from one source (see `extract`); an empty batch stamps no row.
    source = raw["_source"][0] if raw.height else DEMO_SOURCE
    return get_dataset(dataset).transform(bronze_to_wire(dataset, raw), source=source)


def _validation_context(
    dataset: Dataset,
    frame: pl.DataFrame,
    batch_id: str,
    splits_batch_id: str | None,
    *,
    lake_uri: str,
) -> ValidationContext:
    """The gate's context: from silver (calendar, expected tickers, previous closes,
    splits), plus what the dataset's rules add (the source's untraded share, this load's
    own splits)."""
    context = lake_context(dataset.contract, frame, lake_uri=lake_uri)
    if dataset.untraded_sessions:
        source = batch_source(dataset.name, batch_id, lake_uri=lake_uri)
        context = replace(context, max_untraded_share=UNTRADED_SHARE_BY_SOURCE.get(source or ""))
    if dataset.validated_with_load_splits and splits_batch_id is not None:
        fresh = silver_batch(SPLITS.name, splits_batch_id, lake_uri=lake_uri)
        context = replace(
            context,
            splits=pl.concat([context.splits, fresh.select(context.splits.columns)]).unique(),
        )
    return context
