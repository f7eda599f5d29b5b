"""Layout for fast one-ticker reads: the sorted rewrite, and file pruning by ticker."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from lake import tables
from lake.schemas import ADJUSTED_BARS

pytestmark = pytest.mark.integration


def _bars(tickers: list[str], days: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    rows = [(t, date(2024, 1, 1) + timedelta(days=d)) for t in tickers for d in range(days)]
    close = rng.uniform(10, 100, len(rows))
    return pl.DataFrame(
        {
            "ticker": [r[0] for r in rows],
            "date": [r[1] for r in rows],
            "open": close,
            "high": close * 1.01,
            "low": close * 0.99,
            "close": close,
            "volume": rng.uniform(1e3, 1e6, len(rows)),
            "vwap": close,
            "transactions": rng.integers(1, 1000, len(rows)),
            "split_factor": 1.0,
            "source": "synthetic",
        }
    ).sample(fraction=1.0, shuffle=True, seed=seed)


def test_sorted_rewrite_narrows_files_and_pruned_reads_match(any_lake_uri: str) -> None:
    tickers = [f"T{i:03d}" for i in range(60)]
    # Three shuffled appends: every file holds every ticker, as after daily loads.
    for seed, days in enumerate((200, 200, 100)):
        frame = _bars(tickers, days, seed)
        if seed:
            frame = frame.with_columns(pl.col("date") + timedelta(days=400 * seed))
        tables.write(ADJUSTED_BARS, frame, mode="append")
    before = tables.read(ADJUSTED_BARS).sort("ticker", "date")
    version = tables.version(ADJUSTED_BARS)

    result = tables.optimize(ADJUSTED_BARS, sort_by=("ticker", "date"))

    assert result["sort_by"] == ["ticker", "date"]
    assert tables.version(ADJUSTED_BARS) == version + 1
    after = tables.read(ADJUSTED_BARS)
    assert_frame_equal(after.sort("ticker", "date"), before)  # same rows, nothing lost
    assert after["ticker"].is_sorted()  # one sorted run: rows are not interleaved
    # A second, later file with other tickers: file statistics now separate the two.
    tables.write(
        ADJUSTED_BARS,
        _bars([f"U{i:03d}" for i in range(20)], 50, 9),
        mode="append",
        sort_by=("ticker", "date"),
    )
    whole = tables.read(ADJUSTED_BARS)
    table = tables.open_table(ADJUSTED_BARS)
    assert len(table.file_uris()) == 2
    for ticker in ("T000", "T059", "U007"):
        files = tables._files_holding(table, [ticker])
        assert files is not None and len(files) == 1
        pruned = tables.read(ADJUSTED_BARS, filters=pl.col("ticker") == ticker, tickers=[ticker])
        expected = whole.filter(pl.col("ticker") == ticker).sort("date")
        assert pruned.height > 0
        assert_frame_equal(pruned.sort("date"), expected)
    assert len(tables._files_holding(table, ["T000", "U007"]) or []) == 2
    missing = tables.read(ADJUSTED_BARS, filters=pl.col("ticker") == "ZZZ", tickers=["ZZZ"])
    assert missing.is_empty() and missing.columns == before.columns
