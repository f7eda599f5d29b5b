"""Delta tables by contract: open, read, write, MERGE-upsert, optimize and vacuum.

Every function takes a `TableContract` (lake/schemas.py) and works the same on a local
folder and on `s3://` (see lake/storage.py). Reads go through a cache of open
`DeltaTable` handles: opening a table replays its log, which costs far more than the
read of one ticker itself, so a handle is kept per table URI and brought up to date
with `update_incremental()` (only the new log entries) at most every
`HANDLE_REFRESH_SECONDS`, and immediately after every write made by this process.

Concurrent writers: every commit goes through delta-rs's conflict checker against the
version its writer read (on S3 the version file is created with a conditional put, see
lake/storage.py). Maintenance commits against the snapshot it read and removes exactly
that snapshot's files, so a load committed meanwhile stays; a commit that does conflict
(e.g. two writers rewriting the same file) is retried from a fresh snapshot. A lake that
cannot be reached mid-write raises `LakeUnavailable` and leaves the table at its last
committed version.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, TypeVar

import polars as pl
from deltalake import CommitProperties, DeltaTable, WriterProperties, write_deltalake
from deltalake.exceptions import CommitFailedError, TableNotFoundError
from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from lake.errors import DataError, ServiceUnavailable, TickerlakeError
from lake.schemas import TableContract
from lake.storage import storage_options, table_uri

WriteMode = Literal["append", "overwrite"]
_T = TypeVar("_T")

# How stale a cached handle may be before a read checks the log for new versions.
HANDLE_REFRESH_SECONDS = 1.0
# Parquet row groups small enough that a one-ticker read (≈1,000 rows) decodes one or
# two of them: row-group statistics prune the rest of a file.
ROW_GROUP_ROWS = 16_384
# Files of a few hundred thousand rows (DESIGN.md): few enough to list fast, small
# enough that file statistics on (ticker, date) prune a one-ticker read to one file.
FILE_ROWS = 250_000
# Vacuum keeps the files of every version from the last 7 days (delta-rs's and Delta's
# default) unless forced: a reader or writer still working from an older snapshot
# finds its files.
MIN_RETENTION_HOURS = 168
# A commit that conflicts with a concurrent writer's is redone from a fresh snapshot
# this many times in all before the error reaches the user.
COMMIT_ATTEMPTS = 6
# Commit metadata of a sorted rewrite: the version whose rows it rewrote.
READ_VERSION_KEY = "tickerlake.readVersion"


class TableMissing(DataError):
    """The table has not been written yet."""


class LakeUnavailable(ServiceUnavailable):
    """The lake's storage could not be reached or refused the operation (a service outage,
    not bad input). Nothing was committed: the table reads at its last version."""


class CommitConflict(TickerlakeError):
    """Concurrent writers kept committing conflicting changes; nothing of this write was
    committed."""


@dataclass
class _Handle:
    table: DeltaTable
    checked_at: float


_handles: dict[str, _Handle] = {}
_handles_lock = threading.Lock()


def _writer_properties() -> WriterProperties:
    return WriterProperties(max_row_group_size=ROW_GROUP_ROWS, compression="ZSTD")


def exists(contract: TableContract, *, lake_uri: str | None = None) -> bool:
    """True when `contract`'s table has at least one committed version."""
    try:
        open_table(contract, lake_uri=lake_uri)
    except TableMissing:
        return False
    return True


def open_table(
    contract: TableContract, *, lake_uri: str | None = None, fresh: bool = False
) -> DeltaTable:
    """Return a cached open `DeltaTable` for `contract`, brought up to date.

    The handle is refreshed with the log's new entries when it was last checked more
    than `HANDLE_REFRESH_SECONDS` ago, or always with `fresh=True`. Raises
    `TableMissing` when the table does not exist.
    """
    uri = table_uri(contract, lake_uri=lake_uri)
    now = time.monotonic()
    with _handles_lock:
        handle = _handles.get(uri)
    if handle is None:
        try:
            with _storage_errors(contract, "open"):
                table = DeltaTable(uri, storage_options=storage_options(uri) or None)
        except TableNotFoundError as exc:
            raise TableMissing(
                f"The lake has no table {contract.path} at {uri}: build it with "
                "`tickerlake demo` (or `make run`), or load data with `tickerlake backfill`."
            ) from exc
        handle = _Handle(table=table, checked_at=now)
        with _handles_lock:
            _handles[uri] = handle
    elif fresh or now - handle.checked_at > HANDLE_REFRESH_SECONDS:
        with _storage_errors(contract, "refresh"):
            handle.table.update_incremental()
        handle.checked_at = now
    return handle.table


def forget_handles() -> None:
    """Drop every cached table handle (e.g. after a lake was deleted and rebuilt)."""
    with _handles_lock:
        _handles.clear()


def version(contract: TableContract, *, lake_uri: str | None = None) -> int:
    """Return the table's latest committed version number."""
    return open_table(contract, lake_uri=lake_uri, fresh=True).version()


def history(contract: TableContract, *, lake_uri: str | None = None) -> list[dict[str, Any]]:
    """Return the table's commit history, newest first (delta-rs `history()` entries)."""
    return open_table(contract, lake_uri=lake_uri, fresh=True).history()


def scan(
    contract: TableContract,
    *,
    lake_uri: str | None = None,
    version: int | None = None,
    tickers: Sequence[str] | None = None,
) -> pl.LazyFrame:
    """Return a lazy scan of the table through its cached handle.

    Filters applied to the scan are pushed down: Delta file statistics and partitions
    prune files, Parquet row-group statistics prune inside them. With `tickers`, only
    the files whose ticker range holds one of them are scanned at all (the caller still
    filters rows): Polars' Delta scan opens every file's footer, which costs more than
    reading one ticker's rows.
    """
    table = open_table(contract, lake_uri=lake_uri)
    if version is not None and version != table.version():
        table = DeltaTable(
            table.table_uri,
            version=version,
            storage_options=storage_options(table.table_uri) or None,
        )
    files = (
        _files_holding(table, tickers)
        if tickers is not None and not contract.partition_by
        else None
    )
    if files:
        frame = pl.scan_parquet(files, storage_options=_polars_options(table.table_uri))
    else:
        frame = pl.scan_delta(table, storage_options=_polars_options(table.table_uri))
    # Delta stores timestamps in microseconds: give back the contract's dtypes.
    present = frame.collect_schema()
    return frame.cast(
        {
            name: dtype
            for name, dtype in contract.schema.items()
            if present.get(name) not in (None, dtype)
        }
    )


# Per table URI: (version, [(file URI, min ticker, max ticker)]) of its latest read.
_file_ranges: dict[str, tuple[int, list[tuple[str, str | None, str | None]]]] = {}


def _files_holding(table: DeltaTable, tickers: Sequence[str]) -> list[str] | None:
    """Return the URIs of the table's files whose [min, max] ticker holds one of `tickers`.

    None when the table's files carry no ticker statistics (the caller scans normally).
    """
    cached = _file_ranges.get(table.table_uri)
    if cached is not None and cached[0] == table.version():
        ranges = cached[1]
    else:
        actions = pl.DataFrame(table.get_add_actions(flatten=True))
        if "min.ticker" not in actions.columns:
            return None
        root = table.table_uri.rstrip("/")
        ranges = [
            (f"{root}/{path}", low, high)
            for path, low, high in actions.select("path", "min.ticker", "max.ticker").iter_rows()
        ]
        _file_ranges[table.table_uri] = (table.version(), ranges)
    wanted = sorted(set(tickers))
    return [
        uri
        for uri, low, high in ranges
        if low is None or high is None or any(low <= t <= high for t in wanted)
    ]


def read(
    contract: TableContract,
    *,
    filters: pl.Expr | Sequence[pl.Expr] | None = None,
    columns: Sequence[str] | None = None,
    lake_uri: str | None = None,
    version: int | None = None,
    tickers: Sequence[str] | None = None,
) -> pl.DataFrame:
    """Return the table's rows matching every filter, with only `columns` (default: all).

    `tickers` prunes files before the scan (see `scan`); pass a matching filter too.
    Raises `TableMissing` when the table does not exist.
    """
    frame = scan(contract, lake_uri=lake_uri, version=version, tickers=tickers)
    if filters is not None:
        exprs = [filters] if isinstance(filters, pl.Expr) else list(filters)
        if exprs:
            frame = frame.filter(*exprs)
    if columns is not None:
        frame = frame.select(columns)
    return frame.collect()


def write(
    contract: TableContract,
    frame: pl.DataFrame,
    *,
    mode: WriteMode,
    lake_uri: str | None = None,
    predicate: str | None = None,
    sort_by: Sequence[str] | None = None,
) -> int:
    """Append `frame` to the table or overwrite it (all of it, or the rows matching a
    SQL `predicate`); create the table when missing. Returns the new version.

    The frame is conformed to the contract first; with `sort_by` it is sorted so that
    files hold contiguous key ranges (what makes one-ticker reads prune).
    """
    data = contract.conform(frame)
    if sort_by:
        data = data.sort(list(sort_by))
    uri = table_uri(contract, lake_uri=lake_uri)
    table = data.to_arrow()
    partition_by = list(contract.partition_by) or None
    options = storage_options(uri) or None
    file_bytes = _target_file_bytes(data)
    # Two calls because delta-rs takes a predicate (and a schema change) only with overwrite.
    with _storage_errors(contract, "write"):
        if mode == "overwrite":
            write_deltalake(
                uri,
                table,
                mode="overwrite",
                partition_by=partition_by,
                predicate=predicate,
                storage_options=options,
                writer_properties=_writer_properties(),
                target_file_size=file_bytes,
                schema_mode="overwrite" if predicate is None else None,
            )
        else:
            write_deltalake(
                uri,
                table,
                mode="append",
                partition_by=partition_by,
                storage_options=options,
                writer_properties=_writer_properties(),
                target_file_size=file_bytes,
            )
    return open_table(contract, lake_uri=lake_uri, fresh=True).version()


def create_empty(contract: TableContract, *, lake_uri: str | None = None) -> bool:
    """Create `contract`'s table with its schema and no rows when it does not exist yet,
    so every engine reading the lake finds it. Returns True when it was created."""
    if exists(contract, lake_uri=lake_uri):
        return False
    uri = table_uri(contract, lake_uri=lake_uri)
    with _storage_errors(contract, "create"):
        DeltaTable.create(
            uri,
            schema=pl.DataFrame(schema=contract.schema).to_arrow().schema,
            mode="ignore",  # a concurrent creator won: its table is the same
            partition_by=list(contract.partition_by) or None,
            storage_options=storage_options(uri) or None,
        )
    open_table(contract, lake_uri=lake_uri, fresh=True)
    return True


@dataclass(frozen=True)
class MergeResult:
    """What a MERGE did: rows inserted and updated, and the table version after it."""

    inserted: int
    updated: int
    unchanged: int
    version: int
    committed: bool

    def as_dict(self) -> dict[str, int | bool]:
        """Return the counts as a JSON-able dict."""
        return {
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "version": self.version,
            "committed": self.committed,
        }


def merge_upsert(
    contract: TableContract, frame: pl.DataFrame, *, lake_uri: str | None = None
) -> MergeResult:
    """MERGE `frame` into the table on the contract's key: new keys are inserted,
    changed rows updated, identical rows left alone. Creates the table when missing.

    Rows equal to what the table holds are dropped before the MERGE, so loading the
    same data twice commits nothing the second time (same rows, same version).
    Duplicate keys inside `frame` keep the last occurrence. A MERGE that conflicts with a
    concurrent commit (maintenance rewrote the files it read) is redone from the new
    version, so it never lands twice; raises `CommitConflict` after `COMMIT_ATTEMPTS`.
    """
    data = contract.conform(frame).unique(
        subset=list(contract.key), keep="last", maintain_order=True
    )
    return _with_commit_retries(
        contract, "MERGE", lambda: _merge_once(contract, data, lake_uri=lake_uri)
    )


def _merge_once(
    contract: TableContract, data: pl.DataFrame, *, lake_uri: str | None
) -> MergeResult:
    key = list(contract.key)
    if not exists(contract, lake_uri=lake_uri):
        if data.is_empty():
            return MergeResult(0, 0, 0, -1, committed=False)
        new_version = write(contract, data, mode="append", lake_uri=lake_uri, sort_by=key)
        return MergeResult(data.height, 0, 0, new_version, committed=True)
    table = open_table(contract, lake_uri=lake_uri, fresh=True)
    if data.is_empty():
        return MergeResult(0, 0, 0, table.version(), committed=False)

    bounds = _key_bounds(contract, data)
    current = scan(contract, lake_uri=lake_uri).filter(*bounds).collect()
    changed = _changed_rows(contract, data, current)
    if changed.is_empty():
        return MergeResult(0, 0, data.height, table.version(), committed=False)
    existing_keys = changed.join(current.select(key), on=key, how="semi", nulls_equal=True).height

    predicate = " AND ".join([f"t.{name} = s.{name}" for name in key] + _sql_bounds(contract, data))
    with _storage_errors(contract, "MERGE"):
        (
            table.merge(
                changed.to_arrow(),
                predicate=predicate,
                source_alias="s",
                target_alias="t",
                writer_properties=_writer_properties(),
            )
            .when_matched_update_all()
            .when_not_matched_insert_all()
            .execute()
        )
    new_version = open_table(contract, lake_uri=lake_uri, fresh=True).version()
    return MergeResult(
        inserted=changed.height - existing_keys,
        updated=existing_keys,
        unchanged=data.height - changed.height,
        version=new_version,
        committed=True,
    )


def optimize(
    contract: TableContract,
    *,
    sort_by: Sequence[str] | None = None,
    zorder_by: Sequence[str] | None = None,
    lake_uri: str | None = None,
) -> dict[str, Any]:
    """Compact small files; with `sort_by`, rewrite the table sorted by those columns;
    with `zorder_by`, re-cluster along a Z-order curve. Returns what was done (delta-rs's
    metrics, or the files added and removed by the sorted rewrite). A no-op when the
    table is missing.

    Sorting by (ticker, date) is what makes a one-ticker read cheap: every file, and
    every row group inside it, then holds a narrow ticker range, so file and row-group
    statistics prune all but one or two row groups. delta-rs's Z-order on a single
    string column narrows the files but leaves rows interleaved inside them (a ticker
    spread over a dozen row groups: about 3x slower to read).

    Safe beside loads: every variant commits against the version it read and removes
    only that version's files, so rows a load commits meanwhile stay (in their own new
    file until the next run). A load that rewrote a file this run also read (an update
    of existing rows) makes the commit conflict; it is redone from the new version.
    """
    if not exists(contract, lake_uri=lake_uri):
        return {"skipped": "missing"}
    uri = table_uri(contract, lake_uri=lake_uri)
    if sort_by:
        result = _with_commit_retries(
            contract,
            "sorted rewrite",
            lambda: rewrite_sorted(contract, _snapshot(contract, uri), list(sort_by)),
        )
    else:
        result = _with_commit_retries(
            contract, "optimize", lambda: _compact(contract, uri, list(zorder_by or []))
        )
    open_table(contract, lake_uri=lake_uri, fresh=True)
    return result


def snapshot(contract: TableContract, *, lake_uri: str | None = None) -> DeltaTable:
    """Return a new handle on the table's latest version, not shared with the read cache
    (what a maintenance commit is checked against). Raises `TableMissing`."""
    uri = table_uri(contract, lake_uri=lake_uri)
    try:
        return _snapshot(contract, uri)
    except TableNotFoundError as exc:
        raise TableMissing(f"The lake has no table {contract.path} at {uri}") from exc


def _snapshot(contract: TableContract, uri: str) -> DeltaTable:
    # A private handle, never the shared cached one: another thread's write refreshes
    # the cached handle, which would move the snapshot this commit is checked against.
    with _storage_errors(contract, "open"):
        return DeltaTable(uri, storage_options=storage_options(uri) or None)


def rewrite_sorted(
    contract: TableContract, snapshot: DeltaTable, sort_by: Sequence[str]
) -> dict[str, Any]:
    """Rewrite the rows of `snapshot` (a handle at version N) sorted by `sort_by`, as one
    commit checked against N. Returns the files added and removed and N.

    An overwrite through a handle opened at version N removes exactly N's files (not the
    latest version's): rows a concurrent append or insert-only MERGE committed after N
    stay. A concurrent commit that removed one of N's files (an update of existing rows)
    makes delta-rs raise `CommitFailedError` and nothing is committed; `optimize` then
    redoes the rewrite from a fresh snapshot.
    """
    sort_by = list(sort_by)
    files = snapshot.file_uris()
    if not files:
        return {"sort_by": sort_by, "numFilesAdded": 0, "numFilesRemoved": 0}
    with _storage_errors(contract, "sorted rewrite"):
        data = pl.from_arrow(snapshot.to_pyarrow_table())
        assert isinstance(data, pl.DataFrame)
        data = data.sort(sort_by)
        read_version = snapshot.version()
        write_deltalake(
            snapshot,
            data.to_arrow(),
            mode="overwrite",
            partition_by=list(contract.partition_by) or None,
            writer_properties=_writer_properties(),
            target_file_size=_target_file_bytes(data),
            # Recorded in the commit, so the history shows what the rewrite was checked
            # against (a load may have committed in between: its rows stay).
            commit_properties=CommitProperties(
                custom_metadata={READ_VERSION_KEY: str(read_version)}
            ),
        )
    return {
        "sort_by": sort_by,
        "read_version": read_version,
        "numFilesAdded": len(set(snapshot.file_uris()) - set(files)),
        "numFilesRemoved": len(files),
    }


def _compact(contract: TableContract, uri: str, zorder_by: list[str]) -> dict[str, Any]:
    snapshot = _snapshot(contract, uri)
    target = _target_file_bytes_for_rows(contract, FILE_ROWS)
    with _storage_errors(contract, "optimize"):
        if zorder_by:
            metrics = snapshot.optimize.z_order(
                zorder_by, target_size=target, writer_properties=_writer_properties()
            )
        else:
            metrics = snapshot.optimize.compact(
                target_size=target, writer_properties=_writer_properties()
            )
    return {"zorder_by": zorder_by, **metrics}


def vacuum(
    contract: TableContract,
    *,
    retention_hours: int = MIN_RETENTION_HOURS,
    force: bool = False,
    lake_uri: str | None = None,
) -> list[str]:
    """Delete files no longer referenced by versions newer than `retention_hours`.

    Returns the deleted file paths; a no-op when the table is missing. Retention below
    `MIN_RETENTION_HOURS` (7 days) raises `TickerlakeError` unless `force=True`: a
    reader, a time-travel query or a load working from an older snapshot would lose
    its files. Only files that a commit removed are deleted (delta-rs's lite mode), never
    files a writer is still adding.
    """
    if retention_hours < MIN_RETENTION_HOURS and not force:
        raise TickerlakeError(
            f"vacuum keeps at least {MIN_RETENTION_HOURS} hours (7 days) of old versions; "
            f"{retention_hours} h needs --force (only when nothing else reads or writes the "
            "lake)"
        )
    if not exists(contract, lake_uri=lake_uri):
        return []
    table = _snapshot(contract, table_uri(contract, lake_uri=lake_uri))
    with _storage_errors(contract, "vacuum"):
        deleted = table.vacuum(
            retention_hours=retention_hours,
            dry_run=False,
            enforce_retention_duration=not force,
        )
    open_table(contract, lake_uri=lake_uri, fresh=True)
    return deleted


def file_stats(contract: TableContract, *, lake_uri: str | None = None) -> pl.DataFrame:
    """Return one row per data file of the latest version: `path`, `num_records`,
    `size_bytes` and the Delta statistics `min.<column>`, `max.<column>`,
    `null_count.<column>` (reading them costs no data-file IO)."""
    table = open_table(contract, lake_uri=lake_uri)
    return pl.DataFrame(table.get_add_actions(flatten=True))


def file_count(contract: TableContract, *, lake_uri: str | None = None) -> int:
    """Return the number of data files in the table's latest version."""
    return len(open_table(contract, lake_uri=lake_uri, fresh=True).file_uris())


# --- internals ---------------------------------------------------------------------


@contextmanager
def _storage_errors(contract: TableContract, action: str) -> Iterator[None]:
    """Turn the storage layer's IO errors into `LakeUnavailable`, one line naming the
    table; commit conflicts and missing tables pass through to their handlers."""
    try:
        yield
    except OSError as exc:  # delta-rs raises object-store failures as OSError
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        # A failed read changed nothing; a failed write says what the table still holds.
        outcome = (
            "nothing was read"
            if action in ("open", "refresh")
            else "nothing was committed, the table reads at its last version"
        )
        raise LakeUnavailable(
            f"{action} on {contract.path} failed: the lake's storage is unreachable "
            f"({first_line.strip()}); {outcome}. Check that the lake (LAKE_URI, "
            "AWS_ENDPOINT_URL) is reachable and run the command again."
        ) from exc


def _with_commit_retries(contract: TableContract, action: str, attempt: Callable[[], _T]) -> _T:
    """Run `attempt` (which opens its own snapshot) again while its commit conflicts with
    a concurrent writer's, up to `COMMIT_ATTEMPTS` times with a short random backoff."""
    retrying = Retrying(
        retry=retry_if_exception_type(CommitFailedError),
        stop=stop_after_attempt(COMMIT_ATTEMPTS),
        wait=wait_random_exponential(multiplier=0.05, max=2),
    )
    try:
        return retrying(attempt)
    except RetryError as exc:
        raise CommitConflict(
            f"{action} on {contract.path} conflicted with concurrent writers "
            f"{COMMIT_ATTEMPTS} times; nothing of it was committed. Run it again when "
            "the other writers are done."
        ) from exc


def _polars_options(uri: str) -> dict[str, str] | None:
    options = storage_options(uri)
    if not options:
        return None
    # object_store's own key names, lower case, which polars passes through as-is.
    return {name.lower(): value for name, value in options.items()}


def _target_file_bytes(data: pl.DataFrame) -> int:
    # Aim at FILE_ROWS rows per file. delta-rs rolls files on its own byte count,
    # measured at about 0.2 x the frame's in-memory size for these tables.
    if data.is_empty():
        return 64 * 1024 * 1024
    per_row = max(data.estimated_size() / data.height * 0.2, 8)
    return int(per_row * FILE_ROWS)


def _target_file_bytes_for_rows(contract: TableContract, rows: int) -> int:
    # optimize() counts bytes differently from write(): measured on adjusted_bars,
    # about 0.75 x (8 bytes per numeric column + 6 per short string) per row.
    per_row = sum(6 if dtype == pl.String else 8 for dtype in contract.schema.values())
    return int(per_row * rows * 0.75)


# Floats recomputed from the same rows can differ in the last bits (parallel sums in
# a different order); such a row is unchanged, not an update.
FLOAT_RELATIVE_TOLERANCE = 1e-12


def _changed_rows(
    contract: TableContract, data: pl.DataFrame, current: pl.DataFrame
) -> pl.DataFrame:
    """Rows of `data` that are new or differ from `current` (floats within tolerance)."""
    key = list(contract.key)
    values = [name for name in data.columns if name not in key]
    joined = data.join(current, on=key, how="left", suffix="__current", nulls_equal=True)
    marker = values[0] if values else None
    same = []
    for name in values:
        mine, theirs = pl.col(name), pl.col(f"{name}__current")
        if data.schema[name].is_float():
            close = (mine - theirs).abs() <= FLOAT_RELATIVE_TOLERANCE * pl.max_horizontal(
                mine.abs(), theirs.abs()
            )
            same.append((mine.is_null() & theirs.is_null()) | close.fill_null(False))
        else:
            same.append(mine.eq_missing(theirs))
    if marker is None:
        new_keys = data.join(current, on=key, how="anti", nulls_equal=True)
        return new_keys
    unchanged = pl.all_horizontal(same)
    present = joined.join(current.select(key), on=key, how="semi", nulls_equal=True)
    missing = data.join(current, on=key, how="anti", nulls_equal=True)
    differing = present.filter(~unchanged).select(data.columns)
    return pl.concat([missing, differing])


def _key_bounds(contract: TableContract, data: pl.DataFrame) -> list[pl.Expr]:
    """Filters that cover every key of `data` (min/max per key column, partition values),
    so reading the current rows for a MERGE touches only the files that can match."""
    exprs: list[pl.Expr] = []
    for name in contract.key:
        low, high = data[name].min(), data[name].max()
        if low is not None and high is not None:
            exprs.append(pl.col(name).is_between(pl.lit(low), pl.lit(high)))
    for name in contract.partition_by:
        exprs.append(pl.col(name).is_in(data[name].unique().implode()))
    return exprs


def _sql_literal(value: object) -> str:
    if isinstance(value, date):
        return f"'{value.isoformat()}'"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return str(value)


def _sql_bounds(contract: TableContract, data: pl.DataFrame) -> list[str]:
    """The same bounds as SQL on the MERGE target, so delta-rs prunes target files."""
    clauses: list[str] = []
    for name in contract.key:
        low, high = data[name].min(), data[name].max()
        if low is not None and high is not None:
            clauses.append(f"t.{name} >= {_sql_literal(low)} AND t.{name} <= {_sql_literal(high)}")
    for name in contract.partition_by:
        values = ", ".join(_sql_literal(v) for v in sorted(data[name].unique().to_list()))
        clauses.append(f"t.{name} IN ({values})")
    return clauses
