"""Delta tables by contract: round trips, MERGE idempotence, layout maintenance, S3 safety."""

from __future__ import annotations

import threading
from datetime import date

import polars as pl
import pytest
from deltalake import write_deltalake

from lake import tables
from lake.errors import TickerlakeError
from lake.schemas import DAILY_BARS, SPLITS
from lake.storage import storage_options, table_uri
from tests.lake.frames import bars, weekdays

pytestmark = pytest.mark.integration


def test_write_and_read_round_trip_with_filters_and_columns(any_lake_uri: str) -> None:
    frame = bars(["AAA", "BBB", "CCC"], weekdays(date(2023, 12, 27), 6))

    version = tables.write(DAILY_BARS, frame, mode="append")
    one = tables.read(
        DAILY_BARS, filters=pl.col("ticker") == "BBB", columns=["ticker", "date", "close"]
    )
    everything = tables.read(DAILY_BARS)

    assert version == 0
    assert one.columns == ["ticker", "date", "close"]
    assert one.sort("date").equals(frame.filter(pl.col("ticker") == "BBB").select(one.columns))
    assert everything.sort("ticker", "date").equals(frame.sort("ticker", "date"))
    assert sorted(everything["year"].unique().to_list()) == [2023, 2024]


def test_merging_the_same_day_twice_changes_nothing(any_lake_uri: str) -> None:
    days = weekdays(date(2024, 3, 4), 5)
    tables.merge_upsert(DAILY_BARS, bars(["AAA", "BBB"], days[:4]))
    day = bars(["AAA", "BBB"], days)
    day = day.filter(pl.col("date") == days[4])

    first = tables.merge_upsert(DAILY_BARS, day)
    after_first = tables.read(DAILY_BARS).sort("ticker", "date")
    second = tables.merge_upsert(DAILY_BARS, day)
    after_second = tables.read(DAILY_BARS).sort("ticker", "date")

    assert (first.inserted, first.updated, first.committed) == (2, 0, True)
    assert (second.inserted, second.updated, second.unchanged, second.committed) == (0, 0, 2, False)
    assert second.version == first.version == tables.version(DAILY_BARS)
    assert after_second.equals(after_first)
    assert after_second.height == 10
    assert after_second.select("ticker", "date").is_duplicated().sum() == 0


def test_merge_updates_changed_rows_and_inserts_new_keys(any_lake_uri: str) -> None:
    days = weekdays(date(2024, 3, 4), 3)
    original = bars(["AAA", "BBB"], days)
    tables.merge_upsert(DAILY_BARS, original)
    corrected = original.filter(pl.col("ticker") == "AAA").with_columns(pl.col("close") * 2)
    extra = bars(["CCC"], days[:1])

    result = tables.merge_upsert(DAILY_BARS, pl.concat([corrected, extra]))
    table = tables.read(DAILY_BARS)

    assert (result.inserted, result.updated, result.committed) == (1, 3, True)
    assert result.version == 1
    assert table.height == 7
    assert table.filter(pl.col("ticker") == "AAA")["close"].sort().to_list() == pytest.approx(
        corrected["close"].sort().to_list()
    )


def test_history_records_one_commit_per_changing_load(lake_uri: str) -> None:
    # Local only: delta-rs's history() holds the GIL while listing, which deadlocks
    # against the in-process moto server of the test harness.
    days = weekdays(date(2024, 3, 4), 2)
    tables.merge_upsert(DAILY_BARS, bars(["AAA"], days[:1]))
    tables.merge_upsert(DAILY_BARS, bars(["AAA"], days))
    tables.merge_upsert(DAILY_BARS, bars(["AAA"], days))

    operations = [entry["operation"] for entry in tables.history(DAILY_BARS)]

    assert operations == ["MERGE", "WRITE"]


def test_optimize_compacts_appended_files_and_vacuum_removes_them(lake_uri: str) -> None:
    days = weekdays(date(2024, 1, 2), 8)
    for day in days:
        tables.merge_upsert(DAILY_BARS, bars(["AAA", "BBB", "CCC"], [day]))
    before = tables.read(DAILY_BARS).sort("ticker", "date")
    files_before = tables.file_count(DAILY_BARS)

    metrics = tables.optimize(DAILY_BARS, zorder_by=["ticker"])
    deleted = tables.vacuum(DAILY_BARS, retention_hours=0, force=True)

    assert files_before == 8
    assert tables.file_count(DAILY_BARS) == 1
    assert metrics["numFilesRemoved"] == 8
    assert len(deleted) == 8
    assert tables.read(DAILY_BARS).sort("ticker", "date").equals(before)


def test_missing_table_says_how_to_build_the_lake(any_lake_uri: str) -> None:
    with pytest.raises(TickerlakeError, match="tickerlake demo"):
        tables.read(SPLITS)
    assert not tables.exists(SPLITS)


def test_concurrent_writers_on_s3_all_commit(s3_lake_uri: str) -> None:
    tables.write(SPLITS, _split("SEED", 0), mode="append")
    uri = table_uri(SPLITS)
    errors: list[BaseException] = []

    def append(index: int) -> None:
        try:
            write_deltalake(
                uri,
                _split(f"T{index}", index).to_arrow(),
                mode="append",
                storage_options=storage_options(uri),
            )
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    writers = [threading.Thread(target=append, args=(i,)) for i in range(1, 7)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()

    assert errors == []
    assert tables.version(SPLITS) == 6  # refreshes the cached handle: the writes were not ours
    assert tables.read(SPLITS)["ticker"].sort().to_list() == [
        "SEED",
        *[f"T{i}" for i in range(1, 7)],
    ]
    assert storage_options(uri)["aws_conditional_put"] == "etag"


def _split(ticker: str, day: int) -> pl.DataFrame:
    return SPLITS.conform(
        pl.DataFrame(
            {
                "ticker": [ticker],
                "execution_date": [date(2024, 1, 1 + day)],
                "split_from": [1.0],
                "split_to": [2.0],
                "source": ["massive"],
            }
        )
    )
