"""Bronze: each dataset's raw extracts as received, one append per batch.

`bronze/<dataset>` holds the provider's wire columns (`pipelines.datasets.Dataset.wire`)
plus `_batch_id`, `_source`, `_loaded_at` and `_dataset`. A dataset no source serves
(its provider's key is not set, see `pipelines.sources.get_sources`) is skipped with a
note, never faked.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, date, datetime

import polars as pl

from lake import tables
from lake.errors import TickerlakeError
from lake.schemas import TableContract, column_schema
from pipelines.datasets import DATASETS, Dataset, FetchRequest, get_dataset
from pipelines.historical.wiring import step_sources
from pipelines.progress import ProgressCallback
from pipelines.sources import Sources

# What `extract` returns for a dataset no source serves, followed by the reason; the
# DAG hands it to `load_silver` like a batch id, which then reports the skip.
SKIPPED_BATCH = "skipped: "
BRONZE_METADATA = column_schema(
    {
        "_batch_id": pl.String,
        "_source": pl.String,
        "_loaded_at": pl.Datetime("ms", "UTC"),
        "_dataset": pl.String,
    }
)

log = logging.getLogger(__name__)


def bronze_contract(dataset: str) -> TableContract:
    """Return the contract of `bronze/<dataset>`: the wire columns plus load metadata.

    Delta column names are case-insensitive, so a wire name that clashes with another
    in all but case (Polygon's `T` ticker next to its `t` timestamp) is stored with the
    suffix `_uc` (`T_uc`); `bronze_to_wire` undoes it.
    """
    wire = get_dataset(dataset).wire
    schema = {_bronze_name(name, wire): dtype for name, dtype in wire.items()}
    return TableContract(
        name=dataset,
        layer="bronze",
        key=("_batch_id",),
        schema=pl.Schema({**schema, **BRONZE_METADATA}),
    )


def bronze_contracts() -> tuple[TableContract, ...]:
    """Return the bronze contract of every dataset, in load order."""
    return tuple(bronze_contract(dataset.name) for dataset in DATASETS)


def bronze_to_wire(dataset: str, bronze: pl.DataFrame) -> pl.DataFrame:
    """Return bronze rows as the provider's wire frame (metadata dropped, names restored)."""
    wire = get_dataset(dataset).wire
    names = {_bronze_name(name, wire): name for name in wire.names()}
    return bronze.select([pl.col(stored).alias(wire_name) for stored, wire_name in names.items()])


def _bronze_name(name: str, wire: pl.Schema) -> str:
    lower = [other.lower() for other in wire.names() if other != name]
    return f"{name}_uc" if name.lower() in lower and name != name.lower() else name


def extract(
    dataset: str,
    start: date,
    end: date,
    *,
    lake_uri: str,
    sources: Sources | None = None,
    progress: ProgressCallback | None = None,
) -> str:
    """Fetch `dataset` for [start, end] and append it to `bronze/<dataset>` of the lake at
    `lake_uri`, as received.

    Returns the batch id that `load_silver` takes. `tickers` is a snapshot as of `end`;
    `grades` covers the largest `GRADED_TICKERS` tickers by market cap. When no source
    serves the dataset, nothing is fetched or written, a warning is logged and the
    returned id is `SKIPPED_BATCH` + the reason (e.g. `skipped: earnings: FINNHUB_API_KEY
    not set`), which `load_silver` reports as skipped.
    """
    entry = get_dataset(dataset)
    if end < start:
        raise TickerlakeError(f"start {start} is after end {end}: pass start <= end")
    sources = step_sources(sources, lake_uri=lake_uri)
    reason = skip_reason(dataset, sources)
    if reason is not None:
        log.warning("skipped %s", reason)
        return SKIPPED_BATCH + reason
    frame, source_name = _fetch(entry, start, end, sources, progress, lake_uri=lake_uri)
    batch_id = f"{dataset}-{start:%Y%m%d}-{end:%Y%m%d}-{uuid.uuid4().hex[:10]}"
    stored = frame.rename(
        {name: _bronze_name(name, entry.wire) for name in frame.columns if name in entry.wire}
    )
    tagged = stored.with_columns(
        pl.lit(batch_id).alias("_batch_id"),
        pl.lit(source_name).alias("_source"),
        pl.lit(datetime.now(UTC)).cast(pl.Datetime("ms", "UTC")).alias("_loaded_at"),
        pl.lit(dataset).alias("_dataset"),
    )
    if not tagged.is_empty():
        tables.write(bronze_contract(dataset), tagged, mode="append", lake_uri=lake_uri)
    return batch_id


def skip_reason(dataset: str, sources: Sources) -> str | None:
    """Return why `dataset` cannot be extracted from `sources` (`"<dataset>: <KEY> not
    set"`), or None when a source serves it."""
    missing = sources.missing(get_dataset(dataset).role)
    return None if missing is None else f"{dataset}: {missing}"


def read_batch(dataset: str, batch_id: str, *, lake_uri: str) -> pl.DataFrame:
    """Return the bronze rows of batch `batch_id` (the bronze contract's columns; empty
    for a skipped batch or a dataset never extracted)."""
    bronze = bronze_contract(dataset)
    if batch_id.startswith(SKIPPED_BATCH) or not tables.exists(bronze, lake_uri=lake_uri):
        return pl.DataFrame(schema=bronze.schema)
    return tables.read(bronze, filters=pl.col("_batch_id") == pl.lit(batch_id), lake_uri=lake_uri)


def batch_source(dataset: str, batch_id: str, *, lake_uri: str) -> str | None:
    """Return the `_source` bronze recorded for batch `batch_id` (None when unknown)."""
    bronze = bronze_contract(dataset)
    if not tables.exists(bronze, lake_uri=lake_uri):
        return None
    names = tables.read(
        bronze,
        filters=pl.col("_batch_id") == pl.lit(batch_id),
        columns=["_source"],
        lake_uri=lake_uri,
    )["_source"]
    return names[0] if names.len() else None


def _fetch(
    dataset: Dataset,
    start: date,
    end: date,
    sources: Sources,
    progress: ProgressCallback | None,
    *,
    lake_uri: str,
) -> tuple[pl.DataFrame, str]:
    """Return the dataset's wire frame and the name of the source that served it (the
    caller has checked `skip_reason`: the dataset's role has a source)."""
    source_name: str = getattr(sources, dataset.role).name
    if dataset.fetch_due is not None and not dataset.fetch_due(
        bronze_contract(dataset.name), source_name, lake_uri=lake_uri
    ):
        return pl.DataFrame(schema=dataset.wire), source_name
    report = None
    if progress is not None:
        label = f"fetch {dataset.name.replace('_', ' ')}"

        def report(done: int, total: int) -> None:
            progress(label, done, total)

    request = FetchRequest(start=start, end=end, lake_uri=lake_uri, progress=report)
    return dataset.fetch(sources, request), source_name
