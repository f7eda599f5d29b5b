"""Writers never lose each other's commits: maintenance commits against the snapshot it
read, on a local folder and on the S3 endpoint. The interleaving is forced: the sorted
rewrite reads its snapshot, a load commits, then the rewrite commits."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from lake import tables
from lake.errors import TickerlakeError
from lake.schemas import DAILY_BARS
from tests.lake.frames import bars, weekdays

pytestmark = pytest.mark.integration

TICKERS = ["AAA", "BBB", "CCC"]
SORT = ("ticker", "date")


def _lost_and_duplicated(expected: pl.DataFrame) -> tuple[int, int]:
    held = tables.read(DAILY_BARS, columns=["ticker", "date"])
    lost = expected.select("ticker", "date").join(held, on=["ticker", "date"], how="anti").height
    duplicated = held.height - held.unique().height
    return lost, duplicated


def test_a_rewrite_from_an_older_snapshot_keeps_the_day_a_load_committed(
    any_lake_uri: str,
) -> None:
    days = weekdays(date(2024, 1, 2), 6)
    for day in days[:5]:
        tables.merge_upsert(DAILY_BARS, bars(TICKERS, [day]))
    stale = tables.snapshot(DAILY_BARS)  # maintenance reads version N ...
    load = tables.merge_upsert(DAILY_BARS, bars(TICKERS, days[5:]))  # ... a load commits N+1
    rewrite = tables.rewrite_sorted(DAILY_BARS, stale, SORT)  # ... the rewrite commits N+2

    lost, duplicated = _lost_and_duplicated(bars(TICKERS, days))
    print(f"rows lost: {lost}, duplicates: {duplicated}")
    assert load.inserted == 3
    assert rewrite["read_version"] == load.version - 1  # the race really happened
    assert tables.version(DAILY_BARS) == load.version + 1
    assert (lost, duplicated) == (0, 0)
    assert tables.read(DAILY_BARS).height == 6 * 3
    assert rewrite["numFilesRemoved"] == 5  # exactly the files it read


def test_a_rewrite_racing_an_update_commits_nothing_and_optimize_redoes_it(
    lake_uri: str,
) -> None:
    days = weekdays(date(2024, 1, 2), 4)
    for day in days:
        tables.merge_upsert(DAILY_BARS, bars(TICKERS, [day]))
    stale = tables.snapshot(DAILY_BARS)
    updated = tables.merge_upsert(DAILY_BARS, bars(TICKERS, days[:1], close=99.0))

    from deltalake.exceptions import CommitFailedError

    with pytest.raises(CommitFailedError):
        tables.rewrite_sorted(DAILY_BARS, stale, SORT)
    assert tables.version(DAILY_BARS) == updated.version  # nothing committed
    result = tables.optimize(DAILY_BARS, sort_by=SORT)

    lost, duplicated = _lost_and_duplicated(bars(TICKERS, days))
    assert updated.updated == 3
    assert result["read_version"] == updated.version
    assert (lost, duplicated) == (0, 0)
    first_day = tables.read(DAILY_BARS, filters=pl.col("date") == days[0])
    assert first_day.sort("ticker")["close"].to_list() == [99.0, 198.0, 297.0]  # update kept
    assert tables.file_count(DAILY_BARS) == 1


def test_vacuum_keeps_seven_days_unless_forced(lake_uri: str) -> None:
    days = weekdays(date(2024, 1, 2), 3)
    for day in days:
        tables.merge_upsert(DAILY_BARS, bars(TICKERS, [day]))
    tables.optimize(DAILY_BARS)

    with pytest.raises(TickerlakeError, match=r"168 hours.*--force"):
        tables.vacuum(DAILY_BARS, retention_hours=0)
    kept = tables.vacuum(DAILY_BARS)  # 7 days: the files compaction removed just now stay
    old = tables.read(DAILY_BARS, version=2)
    forced = tables.vacuum(DAILY_BARS, retention_hours=0, force=True)

    assert kept == []
    assert old.height == 9  # time travel to before the compaction still reads
    assert len(forced) == 3
    assert tables.read(DAILY_BARS).height == 9


def test_every_contract_table_can_be_created_empty_with_its_schema(any_lake_uri: str) -> None:
    created = tables.create_empty(DAILY_BARS)
    again = tables.create_empty(DAILY_BARS)

    assert (created, again) == (True, False)
    assert tables.read(DAILY_BARS).schema == DAILY_BARS.schema
    assert tables.read(DAILY_BARS).is_empty()
    result = tables.merge_upsert(DAILY_BARS, bars(TICKERS, weekdays(date(2024, 1, 2), 2)))
    assert (result.inserted, tables.read(DAILY_BARS).height) == (6, 6)
