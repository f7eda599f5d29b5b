"""The reconciliation step end to end on a small demo lake: TA-Lib agreement, rows
appended per run, the history the Data Quality page reads, the CLI, and Massive's
indicator endpoints served by the local provider server."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from lake import queries, tables
from lake.indicators import DEFAULT_SPEC, parse_spec
from lake.reconciliation import talib_columns
from lake.schemas import INDICATOR_RECONCILIATION
from lake.settings import get_settings
from pipelines.cli import app
from pipelines.reconciliation import reconcile_indicators, sample_tickers
from pipelines.sources import Sources, SyntheticMarketConfig
from pipelines.sources.massive import MassiveClient
from pipelines.sources.synthetic import SyntheticMarket
from tests.conftest import build_demo_lake
from tests.pipelines.sources.provider_server import MASSIVE_KEY, ProviderServer

pytestmark = pytest.mark.integration

TALIB_INDICATORS = talib_columns(parse_spec(DEFAULT_SPEC))
MASSIVE_INDICATORS = [
    c for c in TALIB_INDICATORS if c.split("_")[0] in ("sma", "ema", "macd", "rsi")
]


@pytest.fixture(scope="module")
def demo_lake(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A 30-ticker, 1-year demo lake built once by the real pipeline, with no
    reconciliation run yet (the tests count the runs they make)."""
    root = tmp_path_factory.mktemp("reconcile_lake")
    uri, _ = build_demo_lake(root, n_tickers=30, years=1, seed=5, reconciled_sessions=0)
    return uri


@pytest.fixture
def lake(demo_lake: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A private copy of the demo lake (runs append to it); LAKE_URI points at it."""
    uri = str(tmp_path / "lake")
    shutil.copytree(demo_lake, uri)
    monkeypatch.setenv("LAKE_URI", uri)
    monkeypatch.delenv("MASSIVE_API_KEY", raising=False)
    monkeypatch.delenv("POLYGON_API_KEY", raising=False)
    get_settings.cache_clear()
    return uri


@pytest.fixture
def provider(lake: str) -> Iterator[ProviderServer]:
    """The local Massive stand-in, computing indicators from the lake's adjusted bars."""
    market = SyntheticMarket(SyntheticMarketConfig(seed=5, n_tickers=5))
    server = ProviderServer(market=market, as_of=queries.last_load_date())
    server.indicator_bars = queries.adjusted_bars(None, columns=["close"])
    httpd = server.start()
    yield server
    httpd.shutdown()
    httpd.server_close()


def _massive_sources(server: ProviderServer) -> Sources:
    client = MassiveClient(MASSIVE_KEY, base_url=server.base_url, backoff_seconds=0.01)
    return Sources(bars=client, earnings=server.market, grades=server.market)


def _by_indicator(result: dict, reference: str) -> dict[str, dict]:
    return {r["indicator"]: r for r in result["indicators"] if r["reference"] == reference}


def test_talib_agrees_on_every_default_indicator(lake: str) -> None:
    result = reconcile_indicators(lake_uri=lake, sample_size=8)

    talib = _by_indicator(result, "talib")
    assert result["references"] == ["talib"]
    assert result["as_of"] == queries.last_load_date().isoformat()
    assert len(result["tickers"]) == 8
    assert sorted(talib) == sorted(TALIB_INDICATORS)
    for indicator, row in talib.items():
        assert row["tickers"] == 8, indicator
        assert row["compared"] > 0, indicator
        assert row["agreed"] == row["compared"], indicator
        assert row["agreement_pct"] == 100.0, indicator
        assert row["max_rel_diff"] < 1e-9, indicator
    assert result["rows"] == 8 * len(TALIB_INDICATORS)


def test_each_run_appends_its_rows_and_the_page_reads_the_latest(lake: str) -> None:
    first = reconcile_indicators(lake_uri=lake, sample_size=4)
    second = reconcile_indicators(lake_uri=lake, sample_size=4)

    stored = tables.read(INDICATOR_RECONCILIATION)
    history = queries.reconciliation_history()
    assert first["run_id"] != second["run_id"]
    assert first["tickers"] == second["tickers"]  # the sample is seeded by the date
    assert stored.height == first["rows"] + second["rows"]
    assert sorted(stored["run_id"].unique().to_list()) == sorted(
        [first["run_id"], second["run_id"]]
    )
    assert stored.select("run_id", "ticker", "indicator", "reference").is_duplicated().sum() == 0
    assert history["date"].unique().to_list() == [queries.last_load_date()]
    assert history["run_id"].unique().to_list() == [second["run_id"]]
    assert sorted(history["indicator"].to_list()) == sorted(TALIB_INDICATORS)
    assert history["agreement_pct"].to_list() == [100.0] * len(TALIB_INDICATORS)
    # What the Data Quality page draws: one line per indicator over dates.
    assert history.pivot("indicator", index="date", values="agreement_pct").height == 1


def test_an_earlier_as_of_is_its_own_point_in_the_history(lake: str) -> None:
    last = queries.last_load_date()
    earlier = queries.adjusted_bars(None, columns=["close"])["date"].unique().sort()[-20]

    reconcile_indicators(lake_uri=lake, sample_size=3, as_of=earlier)
    reconcile_indicators(lake_uri=lake, sample_size=3)

    history = queries.reconciliation_history()
    stored = tables.read(INDICATOR_RECONCILIATION)
    assert history["date"].unique().sort().to_list() == [earlier, last]
    assert stored["as_of"].unique().sort().to_list() == [earlier, last]


def test_the_sample_is_deterministic_per_date_and_seed(lake: str) -> None:
    day = queries.last_load_date()

    assert sample_tickers(6, day, lake_uri=lake) == sample_tickers(6, day, lake_uri=lake)
    assert sample_tickers(6, day, seed=1, lake_uri=lake) == sample_tickers(
        6, day, seed=1, lake_uri=lake
    )
    assert sample_tickers(6, day, seed=1, lake_uri=lake) != sample_tickers(
        6, day, seed=2, lake_uri=lake
    )
    assert sample_tickers(6, day, lake_uri=lake) == sorted(sample_tickers(6, day, lake_uri=lake))
    assert len(sample_tickers(100, day, lake_uri=lake)) == 30


def test_no_bars_by_the_date_is_a_clear_error(lake: str) -> None:
    from lake.errors import TickerlakeError

    with pytest.raises(TickerlakeError, match="no adjusted bars on or before 1990-01-02"):
        reconcile_indicators(lake_uri=lake, as_of=date(1990, 1, 2))


def test_cli_prints_agreement_per_indicator(lake: str) -> None:
    result = CliRunner().invoke(app, ["reconcile", "--sample", "3"], env={"COLUMNS": "200"})

    assert result.exit_code == 0, result.output
    assert "Indicator reconciliation" in result.output
    for indicator in ("sma_200", "macd_signal_12_26_9", "bb_upper_20_2", "rsi_14"):
        line = next(line for line in result.output.splitlines() if f" {indicator} " in line)
        assert "talib" in line and "100.00%" in line
    assert tables.read(INDICATOR_RECONCILIATION)["ticker"].n_unique() == 3


def test_massive_values_computed_from_the_same_bars_agree(
    provider: ProviderServer, lake: str
) -> None:
    result = reconcile_indicators(
        lake_uri=lake, sample_size=6, sources=_massive_sources(provider), massive_sample_size=2
    )

    massive = _by_indicator(result, "massive")
    assert result["references"] == ["massive", "talib"]
    assert sorted(massive) == sorted(MASSIVE_INDICATORS)
    for indicator, row in massive.items():
        assert row["tickers"] == 2, indicator
        assert row["compared"] > 0, indicator
        assert row["agreement_pct"] == 100.0, indicator
    requests = provider.seen("/v1/indicators/")
    first = next(r for r in requests if r.path == f"/v1/indicators/macd/{result['tickers'][0]}")
    assert first.query | {"limit": "250"} == {
        "timespan": "day",
        "adjusted": "true",
        "series_type": "close",
        "order": "desc",
        "expand_underlying": "false",
        "limit": "250",
        "short_window": "12",
        "long_window": "26",
        "signal_window": "9",
        "timestamp.lte": result["as_of"],
    }
    assert any("cursor" in r.query for r in requests)  # pages followed through next_url
    history = queries.reconciliation_history()
    assert "sma_20 (massive)" in history["indicator"].to_list()
    assert history.filter(pl.col("reference") == "massive")["agreement_pct"].min() == 100.0


def test_a_massive_value_off_is_counted_as_a_disagreement(
    provider: ProviderServer, lake: str
) -> None:
    sources = _massive_sources(provider)
    ticker = sample_tickers(6, queries.last_load_date(), lake_uri=lake)[0]
    provider.skew_indicator(ticker, "sma", 1.001)  # its newest SMA value, every window

    result = reconcile_indicators(
        lake_uri=lake, sample_size=6, sources=sources, massive_sample_size=2
    )

    massive = _by_indicator(result, "massive")
    rows = tables.read(
        INDICATOR_RECONCILIATION,
        filters=[pl.col("reference") == "massive", pl.col("ticker") == ticker],
    )
    for indicator in ("sma_10", "sma_20", "sma_50", "sma_100", "sma_200"):
        assert massive[indicator]["agreed"] == massive[indicator]["compared"] - 1, indicator
        row = rows.filter(pl.col("indicator") == indicator).row(0, named=True)
        assert row["agreed"] == row["compared"] - 1
        assert row["max_rel_diff"] == pytest.approx(0.001 / 1.001, rel=1e-6)  # of the reference
    assert all(
        massive[i]["agreement_pct"] == 100.0 for i in MASSIVE_INDICATORS if not i.startswith("sma")
    )
    assert _by_indicator(result, "talib")["sma_20"]["agreement_pct"] == 100.0


def test_the_data_quality_page_draws_the_agreement(provider: ProviderServer, lake: str) -> None:
    from streamlit.testing.v1 import AppTest

    from tests.app.conftest import MAIN, PAGES

    reconcile_indicators(
        lake_uri=lake, sample_size=3, sources=_massive_sources(provider), massive_sample_size=1
    )
    at = AppTest.from_file(str(MAIN), default_timeout=120)
    at.run()
    at.switch_page(str(PAGES / "data_quality.py"))
    at.run()

    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert not any("No reconciliation results" in m.value for m in at.info)
    # One line per indicator family and reference (the page groups sma_10…sma_200).
    chart = next(c.proto.spec for c in at.get("plotly_chart") if "SMA (MASSIVE)" in c.proto.spec)
    assert "Agreement with the reference" in chart
