"""Lineage end to end, through `get_sources()`'s real wiring and real Delta lakes.

With one provider key set (Massive, against the local provider server), a load writes
no synthetic row anywhere and skips the datasets whose key is missing, with a note;
with no key, every row is synthetic. The demo refuses a lake holding other data
unless forced. Each test states its figure: synthetic rows, rows without a source.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from typer.testing import CliRunner

from lake import tables
from lake.errors import TickerlakeError
from lake.schemas import (
    ADJUSTED_BARS,
    DAILY_BARS,
    EARNINGS,
    GOLD_TABLES,
    GRADES,
    SILVER_TABLES,
    SOURCES,
    SYNTHETIC_MARKET,
    TableContract,
)
from lake.settings import Settings, get_settings
from pipelines import historical
from pipelines.cli import app
from pipelines.launcher import ensure_demo_lake
from tests.pipelines.sources.provider_server import MASSIVE_KEY, ProviderServer

pytestmark = pytest.mark.integration

# Inside the small market the provider server serves (tests/pipelines/conftest.py).
START, END = date(2024, 2, 1), date(2024, 2, 14)
KEYS = ("MASSIVE_API_KEY", "POLYGON_API_KEY", "FINNHUB_API_KEY", "FMP_API_KEY")


def _only_massive(monkeypatch: pytest.MonkeyPatch, server: ProviderServer) -> None:
    for variable in (*KEYS, "TICKERLAKE_SYNTHETIC"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("MASSIVE_API_KEY", MASSIVE_KEY)
    monkeypatch.setenv("MASSIVE_BASE_URL", server.base_url)
    # The local server has no plan limit; the free plan's 5/minute would stall the test.
    monkeypatch.setenv("MASSIVE_RATE_LIMIT", "unlimited")
    get_settings.cache_clear()


def _no_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in (*KEYS, "TICKERLAKE_SYNTHETIC", "MASSIVE_BASE_URL"):
        monkeypatch.delenv(variable, raising=False)
    get_settings.cache_clear()


def _sources_by_table() -> dict[str, pl.DataFrame]:
    """Per silver and gold table that exists: its rows counted by `source` (null kept)."""
    counts = {}
    for contract in (*SILVER_TABLES, *GOLD_TABLES):
        if tables.exists(contract):
            counts[contract.path] = (
                tables.read(contract, columns=["source"]).group_by("source").len().sort("source")
            )
    return counts


def _rows(counts: dict[str, pl.DataFrame], *, source: str | None) -> int:
    return sum(
        int(frame.filter(pl.col("source").eq_missing(source))["len"].sum())
        for frame in counts.values()
    )


def _total(counts: dict[str, pl.DataFrame]) -> int:
    return sum(int(frame["len"].sum()) for frame in counts.values())


def _has_rows(contract: TableContract, *, column: str = "source") -> bool:
    return tables.exists(contract) and tables.read(contract, columns=[column]).height > 0


def test_with_only_a_massive_key_no_synthetic_row_is_written_and_the_rest_is_skipped(
    any_lake_uri: str, provider_server: ProviderServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _only_massive(monkeypatch, provider_server)

    result = historical.backfill(START, END, maintain_after=False, lake_uri=any_lake_uri)

    counts = _sources_by_table()
    print(f"synthetic rows: {_rows(counts, source='synthetic')}")
    assert result["skipped_datasets"] == [
        "earnings: FINNHUB_API_KEY not set",
        "grades: FMP_API_KEY not set",
    ]
    assert result["rows"] > 0
    assert _rows(counts, source="synthetic") == 0  # synthetic rows: 0
    assert _rows(counts, source=None) == 0  # rows without a source: 0
    assert _rows(counts, source="massive") == _total(counts) > 0
    for path in ("silver/daily_bars", "silver/tickers", "gold/adjusted_bars", "gold/segments"):
        assert path in counts, path
    assert not _has_rows(EARNINGS) and not _has_rows(GRADES)
    # Bronze holds no synthetic batch either.
    for bronze in historical.bronze_contracts():
        if tables.exists(bronze):
            assert set(tables.read(bronze, columns=["_source"])["_source"]) <= {"massive"}


def test_a_skipped_dataset_is_noted_by_extract_and_load_silver(
    lake_uri: str, provider_server: ProviderServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _only_massive(monkeypatch, provider_server)

    batch_id = historical.extract("earnings", START, END, lake_uri=lake_uri)
    loaded = historical.load_silver("earnings", batch_id, lake_uri=lake_uri)

    assert loaded["skipped"] == "earnings: FINNHUB_API_KEY not set"
    assert loaded["rows"] == 0 and not loaded["committed"]
    assert not _has_rows(historical.bronze_contract("earnings"), column="_source")
    assert not _has_rows(EARNINGS)


def test_with_no_key_every_row_is_synthetic(lake_uri: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _no_keys(monkeypatch)
    demo = historical.build_demo(
        n_tickers=12, years=1, seed=5, reconciled_sessions=0, lake_uri=lake_uri
    )
    day = date.fromisoformat(demo["end"])

    # A later load, wired by get_sources() alone, extends the same synthetic market.
    reload = historical.load_day(day, lake_uri=lake_uri)

    counts = _sources_by_table()
    assert reload["skipped_datasets"] == []
    assert _rows(counts, source="synthetic") == _total(counts) > 0  # non-synthetic rows: 0
    for path in ("silver/daily_bars", "silver/earnings", "silver/grades", "gold/segments"):
        assert path in counts, path
    assert historical.other_data(lake_uri=lake_uri) is None


def test_explicit_synthetic_fills_only_the_missing_keys(
    lake_uri: str, provider_server: ProviderServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _only_massive(monkeypatch, provider_server)
    monkeypatch.setenv("TICKERLAKE_SYNTHETIC", "true")
    get_settings.cache_clear()
    # The lake's synthetic market (as a demo records it): the small one, not the default.
    config = provider_server.market.config
    tables.write(
        SYNTHETIC_MARKET,
        pl.DataFrame(
            {
                "seed": [config.seed],
                "n_tickers": [config.n_tickers],
                "start": [config.start],
                "end": [config.end],
            }
        ),
        mode="overwrite",
    )

    result = historical.backfill(START, END, maintain_after=False, lake_uri=lake_uri)

    counts = _sources_by_table()
    assert result["skipped_datasets"] == []
    assert counts["silver/daily_bars"]["source"].to_list() == ["massive"]
    assert counts["silver/earnings"]["source"].to_list() == ["synthetic"]
    assert _rows(counts, source=None) == 0
    assert set().union(*(set(frame["source"]) for frame in counts.values())) <= set(SOURCES)


def test_demo_refuses_a_lake_with_real_rows_and_force_proceeds(
    lake_uri: str, provider_server: ProviderServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _only_massive(monkeypatch, provider_server)
    historical.backfill(START, END, maintain_after=False, lake_uri=lake_uri)
    real = tables.read(DAILY_BARS)
    version = tables.version(DAILY_BARS)
    _no_keys(monkeypatch)

    with pytest.raises(TickerlakeError, match=r"rows from massive.*--force") as refused:
        historical.build_demo(
            n_tickers=8, years=1, seed=5, reconciled_sessions=0, lake_uri=lake_uri
        )
    cli = CliRunner().invoke(app, ["demo", "--tickers", "8", "--years", "1"])

    assert "\n" not in str(refused.value)  # one line
    assert cli.exit_code != 0
    assert "--force" in cli.output + str(cli.exception)
    assert tables.version(DAILY_BARS) == version  # nothing written
    assert not tables.exists(SYNTHETIC_MARKET)

    forced = CliRunner().invoke(app, ["demo", "--tickers", "8", "--years", "1", "--force"])

    assert forced.exit_code == 0, forced.output
    after = tables.read(DAILY_BARS)
    kept = after.filter(pl.col("source") == "massive").sort("ticker", "date")
    assert kept.equals(real.sort("ticker", "date"))  # real rows lost: 0
    assert after.filter(pl.col("source") == "synthetic").height > 0
    assert after["source"].null_count() == 0


def test_a_lake_holding_the_demo_takes_the_demo_again(
    lake_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_keys(monkeypatch)
    historical.build_demo(n_tickers=8, years=1, seed=5, reconciled_sessions=0, lake_uri=lake_uri)
    first = tables.read(DAILY_BARS).sort("ticker", "date")

    historical.build_demo(n_tickers=8, years=1, seed=5, reconciled_sessions=0, lake_uri=lake_uri)

    assert tables.read(DAILY_BARS).sort("ticker", "date").equals(first)
    assert set(first["source"]) == {"synthetic"}
    assert historical.other_data(lake_uri=lake_uri) is None


def test_make_run_refuses_to_build_the_demo_into_a_lake_with_real_rows(
    lake_uri: str, provider_server: ProviderServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _only_massive(monkeypatch, provider_server)
    # Silver holds real bars, but gold was never built: `make run` would build the demo.
    historical.load_silver(
        "daily_bars",
        historical.extract("daily_bars", START, END, lake_uri=lake_uri),
        lake_uri=lake_uri,
    )
    _no_keys(monkeypatch)
    said: list[str] = []

    with pytest.raises(TickerlakeError, match=r"silver/daily_bars has rows from massive"):
        ensure_demo_lake(Settings(_env_file=None), said.append)

    assert said == []
    assert not tables.exists(ADJUSTED_BARS)
    assert not tables.exists(SYNTHETIC_MARKET)


def _strip_lineage() -> None:
    """Rewrite every silver and gold table without `source`, as a lake built before
    lineage was recorded holds them."""
    from deltalake import write_deltalake

    from lake.storage import storage_options, table_uri

    for contract in (*SILVER_TABLES, *GOLD_TABLES):
        if tables.exists(contract):
            uri = table_uri(contract)
            write_deltalake(
                uri,
                tables.read(contract).drop("source").to_arrow(),
                mode="overwrite",
                schema_mode="overwrite",
                partition_by=list(contract.partition_by) or None,
                storage_options=storage_options(uri) or None,
            )
    tables.forget_handles()


def test_a_demo_lake_from_before_lineage_is_upgraded_to_synthetic(
    any_lake_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_keys(monkeypatch)
    demo = historical.build_demo(
        n_tickers=8, years=1, seed=5, reconciled_sessions=0, lake_uri=any_lake_uri
    )
    rows = _total(_sources_by_table())
    _strip_lineage()

    upgraded = historical.upgrade_lineage(lake_uri=any_lake_uri)
    # make run reuses it, and a later load and demo run on it.
    ensure_demo_lake(Settings(_env_file=None), lambda line: None)
    historical.load_day(date.fromisoformat(demo["end"]), lake_uri=any_lake_uri)

    counts = _sources_by_table()
    assert len(upgraded) == len(counts) >= 8
    assert _total(counts) == rows  # rows lost or added: 0
    assert _rows(counts, source="synthetic") == rows  # rows without a source: 0
    assert historical.other_data(lake_uri=any_lake_uri) is None
    assert historical.upgrade_lineage(lake_uri=any_lake_uri) == []  # once


def test_a_lake_with_real_batches_from_before_lineage_keeps_unknown_sources_unknown(
    lake_uri: str, provider_server: ProviderServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _only_massive(monkeypatch, provider_server)
    historical.backfill(START, END, maintain_after=False, lake_uri=lake_uri)
    before = tables.read(DAILY_BARS).height
    _strip_lineage()

    # The next load upgrades the tables, then MERGEs its new days beside the old rows.
    later = historical.backfill(
        date(2024, 2, 15), date(2024, 2, 21), maintain_after=False, lake_uri=lake_uri
    )

    bars = tables.read(DAILY_BARS)
    assert later["rows"] > 0
    assert bars.height == before + later["rows"]  # rows lost: 0
    assert bars.filter(pl.col("source").is_null()).height == before  # never guessed
    assert bars.filter(pl.col("source") == "massive")["date"].min() == date(2024, 2, 15)
    assert _rows(_sources_by_table(), source="synthetic") == 0
    assert "do not say their source" in (historical.other_data(lake_uri=lake_uri) or "")


def test_load_says_which_datasets_it_skipped_and_why(
    lake_uri: str, provider_server: ProviderServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _only_massive(monkeypatch, provider_server)

    result = CliRunner().invoke(app, ["load", "--date", "2024-02-15"])

    assert result.exit_code == 0, result.output
    assert "skipped earnings: FINNHUB_API_KEY not set" in result.output
    assert "skipped grades: FMP_API_KEY not set" in result.output
    assert set(tables.read(DAILY_BARS)["source"]) == {"massive"}
