"""The historical steps end to end on small demo lakes, locally and on the S3 endpoint."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from expectations import ValidationFailed
from lake import queries, tables
from lake.calendar import trading_days
from lake.quality import latest_results
from lake.schemas import (
    ADJUSTED_BARS,
    DAILY_BARS,
    DAILY_RETURNS,
    INDICATOR_RECONCILIATION,
    LOAD_LOG,
    SEGMENTS,
    TICKERS,
    VALIDATION_RESULTS,
)
from pipelines import historical
from pipelines.sources import Sources, SyntheticMarketConfig
from pipelines.sources.massive import MassiveClient
from pipelines.sources.synthetic import SyntheticMarket
from tests.pipelines.sources.provider_server import MASSIVE_KEY, ProviderServer

pytestmark = pytest.mark.integration


def _next_trading_day(after: date) -> date:
    return trading_days(after + timedelta(days=1), after + timedelta(days=10))[0]


def _snapshot() -> dict[str, tuple[int, pl.DataFrame]]:
    return {
        contract.path: (
            tables.version(contract),
            tables.read(contract).sort(list(contract.key)),
        )
        for contract in (DAILY_BARS, ADJUSTED_BARS, DAILY_RETURNS, SEGMENTS)
    }


def test_demo_then_a_new_day_loaded_twice_changes_nothing_the_second_time(
    any_lake_uri: str,
) -> None:
    demo = historical.build_demo(n_tickers=25, years=1, seed=11, lake_uri=any_lake_uri)
    end = date.fromisoformat(demo["end"])
    day = _next_trading_day(end)
    # The demo ran the daily reconciliation for its last five sessions.
    reconciled = queries.reconciliation_history()["date"].unique().sort().to_list()
    assert reconciled == trading_days(end - timedelta(days=14), end)[-5:]

    first = historical.load_day(day, lake_uri=any_lake_uri)
    before = _snapshot()
    second = historical.load_day(day, lake_uri=any_lake_uri)
    after = _snapshot()

    assert demo["bars"] == 25 * len(trading_days(date.fromisoformat(demo["start"]), end))
    assert first["rows"] == 25
    assert first["silver"]["daily_bars"]["inserted"] == 25
    assert second["silver"]["daily_bars"]["committed"] is False
    for path, (version, rows) in before.items():
        assert after[path][0] == version, path
        assert after[path][1].equals(rows), path
    bars = tables.read(DAILY_BARS)
    assert bars.select("ticker", "date").is_duplicated().sum() == 0
    assert queries.last_load_date() == day
    history = queries.adjusted_bars(bars["ticker"][0])
    assert history["date"].to_list()[-1] == day
    assert history.height == len(trading_days(date.fromisoformat(demo["start"]), day))

    # Each load appended its validation results and load-log rows in new small files;
    # maintenance compacts those logs too, and keeps every row.
    logs = (VALIDATION_RESULTS, INDICATOR_RECONCILIATION, LOAD_LOG)
    rows = {contract.path: tables.read(contract).height for contract in logs}
    assert len(tables.open_table(VALIDATION_RESULTS, fresh=True).file_uris()) > 1
    historical.maintain(retention_hours=0, force=True, lake_uri=any_lake_uri)
    for contract in logs:
        assert len(tables.open_table(contract, fresh=True).file_uris()) == 1, contract.path
        assert tables.read(contract).height == rows[contract.path], contract.path


def test_holiday_is_skipped_without_touching_the_lake(lake_uri: str) -> None:
    result = historical.load_day(date(2025, 12, 25), lake_uri=lake_uri)

    assert result == {"day": "2025-12-25", "skipped": "not an NYSE trading day"}
    assert not historical.is_trading_day(date(2025, 12, 25))
    assert historical.is_trading_day(date(2025, 12, 24))
    assert not tables.exists(DAILY_BARS)


def test_backfill_loads_chunks_and_resumes_by_skipping_loaded_ones(lake_uri: str) -> None:
    market = SyntheticMarket(
        SyntheticMarketConfig(seed=5, n_tickers=12, start=date(2025, 1, 2), end=date(2025, 3, 31))
    )
    sources = Sources(bars=market, earnings=market, grades=market)
    seen: list[tuple[str, int, int]] = []

    first = historical.backfill(
        date(2025, 1, 2),
        date(2025, 2, 28),
        chunk_days=20,
        sources=sources,
        progress=lambda step, done, total: seen.append((step, done, total)),
        lake_uri=lake_uri,
    )
    rows = tables.read(DAILY_BARS).height
    again = historical.backfill(
        date(2025, 1, 2), date(2025, 2, 28), chunk_days=20, sources=sources, lake_uri=lake_uri
    )

    expected_rows = 12 * len(trading_days(date(2025, 1, 2), date(2025, 2, 28)))
    assert (first["chunks"], first["loaded"], first["skipped"]) == (3, 3, 0)
    assert first["rows"] == rows == expected_rows
    assert (again["loaded"], again["skipped"]) == (0, 3)
    assert tables.read(DAILY_BARS).height == rows
    assert tables.read(ADJUSTED_BARS).height == rows
    assert seen[-1] == ("backfill chunks", 3, 3)


def test_a_bad_batch_is_quarantined_and_never_reaches_silver(lake_uri: str) -> None:
    market = SyntheticMarket(
        SyntheticMarketConfig(seed=3, n_tickers=10, start=date(2025, 6, 2), end=date(2025, 6, 30))
    )
    sources = Sources(bars=market, earnings=market, grades=market)
    historical.load_silver(
        "daily_bars",
        historical.extract(
            "daily_bars", date(2025, 6, 2), date(2025, 6, 13), sources=sources, lake_uri=lake_uri
        ),
        lake_uri=lake_uri,
    )
    good_version = tables.version(DAILY_BARS)
    wire = market.grouped_daily(date(2025, 6, 16), date(2025, 6, 16))
    corrupted = wire.with_columns(
        pl.when(pl.int_range(pl.len()) < 3).then(-pl.col("c")).otherwise(pl.col("c")).alias("c")
    )
    batch_id = "daily_bars-corrupted-test"
    bronze = historical.bronze_contract("daily_bars")
    tables.write(
        bronze,
        corrupted.rename({"T": "T_uc"}).with_columns(
            pl.lit(batch_id).alias("_batch_id"),
            pl.lit("test").alias("_source"),
            pl.lit(None, dtype=pl.Datetime("ms", "UTC")).alias("_loaded_at"),
            pl.lit("daily_bars").alias("_dataset"),
        ),
        mode="append",
    )

    with pytest.raises(ValidationFailed, match="close"):
        historical.load_silver("daily_bars", batch_id, lake_uri=lake_uri)

    assert tables.version(DAILY_BARS) == good_version
    assert tables.read(DAILY_BARS)["date"].max() == date(2025, 6, 13)


def test_bronze_keeps_the_wire_columns_and_load_metadata(lake_uri: str) -> None:
    market = SyntheticMarket(
        SyntheticMarketConfig(seed=3, n_tickers=5, start=date(2025, 6, 2), end=date(2025, 6, 30))
    )
    sources = Sources(bars=market, earnings=market, grades=market)

    batch_id = historical.extract(
        "daily_bars", date(2025, 6, 2), date(2025, 6, 6), sources=sources, lake_uri=lake_uri
    )
    bronze = tables.read(historical.bronze_contract("daily_bars"))
    wire = historical.bronze_to_wire("daily_bars", bronze)

    assert bronze["_batch_id"].unique().to_list() == [batch_id]
    assert bronze["_source"].unique().to_list() == ["synthetic"]
    assert bronze["_dataset"].unique().to_list() == ["daily_bars"]
    assert wire.columns == ["T", "o", "h", "l", "c", "v", "vw", "n", "t"]
    assert wire.sort("T", "t").equals(
        market.grouped_daily(date(2025, 6, 2), date(2025, 6, 6)).sort("T", "t")
    )
    assert not tables.exists(TICKERS)


def test_a_source_omitting_untraded_tickers_loads_and_a_truncated_day_does_not(
    lake_uri: str,
) -> None:
    """Massive's grouped daily has no bar for a ticker without trades that day: the load
    goes on (a recorded warning); a session missing a large share of tickers does not."""
    demo = historical.build_demo(
        n_tickers=25, years=1, seed=11, reconciled_sessions=0, lake_uri=lake_uri
    )
    market = SyntheticMarket(historical.synthetic_config(lake_uri=lake_uri))
    quiet_day = _next_trading_day(date.fromisoformat(demo["end"]))
    server = ProviderServer(market=market, as_of=quiet_day)
    httpd = server.start()
    try:
        client = MassiveClient(MASSIVE_KEY, base_url=server.base_url, backoff_seconds=0.01)
        sources = Sources(bars=client, earnings=market, grades=market)
        tickers = sorted(tables.read(TICKERS)["ticker"])
        server.untraded = {tickers[3]}

        historical.load_day(quiet_day, sources=sources, lake_uri=lake_uri)

        loaded = tables.read(DAILY_BARS, filters=pl.col("date") == quiet_day)
        assert set(loaded["ticker"]) == set(tickers) - {tickers[3]}
        latest = latest_results().filter(pl.col("table") == "daily_bars").row(0, named=True)
        assert latest["success"] and latest["warnings"] >= 1
        assert (
            "expect_column_distinct_values_to_contain_set(ticker)" in latest["warning_expectations"]
        )

        truncated_day = _next_trading_day(quiet_day)
        server.as_of = truncated_day
        server.untraded = set(tickers[:10])
        with pytest.raises(ValidationFailed, match="sessions_covered"):
            historical.load_day(truncated_day, sources=sources, lake_uri=lake_uri)
        assert tables.read(DAILY_BARS, filters=pl.col("date") == truncated_day).is_empty()
    finally:
        httpd.shutdown()
        httpd.server_close()
