"""`tickerlake indicators`, range invariance, and the lake read path."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import talib
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

from lake import tables
from lake.indicator_query import indicators_for, indicators_in_range
from lake.schemas import ADJUSTED_BARS
from pipelines.cli import app

SPEC = "sma:20,ema:50,wma:10,macd:12:26:9,bbands:20:2,rsi:14,atr:14,stoch:14:3:3,obv"
MAIN = Path(__file__).resolve().parents[2]


def _daily(ticker: str, days: int, seed: int, first: date = date(2021, 1, 4)) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    dates = [d for d in (first + timedelta(i) for i in range(days * 2)) if d.weekday() < 5][:days]
    close = 30 * np.exp(np.cumsum(rng.normal(0, 0.02, days)))
    return pl.DataFrame(
        {
            "ticker": ticker,
            "date": dates,
            "open": close * rng.uniform(0.99, 1.01, days),
            "high": close * 1.02,
            "low": close * 0.98,
            "close": close,
            "volume": rng.integers(1_000, 50_000, days).astype(float),
            "vwap": close,
        }
    )


def _csv(tmp_path: Path, frame: pl.DataFrame) -> Path:
    path = tmp_path / "bars.csv"
    frame.select("date", "open", "high", "low", "close", "volume").write_csv(path)
    return path


@pytest.mark.unit
@pytest.mark.parametrize("interval", ["day", "week", "month"])
def test_values_inside_a_range_do_not_depend_on_where_it_starts(interval: str) -> None:
    bars = pl.concat([_daily("AAA", 700, 1), _daily("BBB", 500, 2, first=date(2021, 6, 1))])
    start, end = date(2022, 6, 1), date(2023, 3, 31)

    ranged = indicators_in_range(bars, start, end, interval=interval, specs=SPEC)
    whole = indicators_in_range(bars, None, None, interval=interval, specs=SPEC)

    expected = whole.filter(pl.col("date").is_between(start, end))
    assert ranged.height > 0
    assert ranged["date"].min() >= start and ranged["date"].max() <= end
    # Same rows, same nulls. Daily values are bit-identical; weekly and monthly bars come
    # from the history up to `end`, and the engine's per-ticker centering then rounds the
    # last bits differently.
    if interval == "day":
        assert_frame_equal(ranged, expected)
        assert ranged.equals(expected)
    else:
        assert_frame_equal(ranged, expected, rel_tol=1e-11, abs_tol=0.0)
    for column in ranged.columns:
        assert ranged[column].is_null().equals(expected[column].is_null()), column


@pytest.mark.unit
def test_cli_csv_output_matches_talib(tmp_path: Path) -> None:
    bars = _daily("X", 300, 3)
    path = _csv(tmp_path, bars)

    result = CliRunner().invoke(
        app, ["indicators", "--input", str(path), "--with", SPEC, "--start", "2021-01-04"]
    )

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    header = lines[0].split(",")
    assert header[0] == "date"
    assert header[1:] == [
        "sma_20",
        "ema_50",
        "wma_10",
        "macd_12_26_9",
        "macd_signal_12_26_9",
        "macd_hist_12_26_9",
        "bb_mid_20_2",
        "bb_upper_20_2",
        "bb_lower_20_2",
        "bb_pctb_20_2",
        "bb_width_20_2",
        "rsi_14",
        "atr_14",
        "stoch_k_14_3_3",
        "stoch_d_14_3_3",
        "obv",
    ]
    assert len(lines) == 301
    printed = pl.read_csv(result.stdout.encode())
    ema = printed["ema_50"].to_numpy()
    expected = talib.EMA(bars["close"].to_numpy(), 50)
    assert np.array_equal(np.isnan(ema), np.isnan(expected))
    np.testing.assert_allclose(ema[49:], expected[49:], rtol=1e-9)
    assert lines[1].split(",")[1] == ""  # no SMA(20) on the first bar: an empty cell


@pytest.mark.unit
def test_cli_json_and_table_formats(tmp_path: Path) -> None:
    path = _csv(tmp_path, _daily("X", 60, 4))
    runner = CliRunner()

    as_json = runner.invoke(
        app,
        [
            "indicators",
            "--input",
            str(path),
            "--with",
            "rsi:14",
            "--format",
            "json",
            "--end",
            "2021-01-29",
        ],
    )
    as_table = runner.invoke(
        app,
        [
            "indicators",
            "--input",
            str(path),
            "--with",
            "sma:3",
            "--format",
            "table",
            "--interval",
            "week",
        ],
    )

    rows = json.loads(as_json.stdout)
    assert [row["date"] for row in rows][:2] == ["2021-01-04", "2021-01-05"]
    assert rows[-1]["date"] == "2021-01-29"
    assert rows[0]["rsi_14"] is None and isinstance(rows[-1]["rsi_14"], float)
    assert as_table.exit_code == 0
    assert "sma_3" in as_table.stdout and "2021-01-08" in as_table.stdout


def _run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "indicators", *args],
        capture_output=True,
        text=True,
        cwd=MAIN,
        timeout=120,
    )


@pytest.mark.unit
@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--with", "sma:twenty"], "bad parameter 'twenty'"),
        (["--start", "2021-03-01", "--end", "2021-02-01"], "is after --end 2021-02-01"),
        (["--start", "yesterday"], "--start 'yesterday' is not a date"),
    ],
)
def test_cli_bad_input_exits_2_with_one_line(tmp_path: Path, args: list[str], named: str) -> None:
    path = _csv(tmp_path, _daily("X", 30, 5))

    done = _run_cli("--input", str(path), *args)

    assert done.returncode == 2  # a usage error
    assert done.stdout == ""
    assert named in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.unit
@pytest.mark.parametrize(
    ("content", "named"),
    [
        ("date,open,high,low,close\n2021-01-04,1,1,1,1\n", "lacks column(s) volume"),
        ("date,open,high,low,close,volume\n2021-13-04,1,1,1,1,5\n", "line 2: date '2021-13-04'"),
        ("date,open,high,low,close,volume\n2021-01-04,1,1,1,abc,5\n", "line 2: close 'abc'"),
        (
            "date,open,high,low,close,volume\n2021-01-04,1,1,1,1,5\n2021-01-04,1,1,1,1,5\n",
            "line 2: date 2021-01-04 appears more than once (also line 3)",
        ),
    ],
)
def test_cli_malformed_csv_names_the_problem(tmp_path: Path, content: str, named: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)

    result = CliRunner().invoke(app, ["indicators", "--input", str(path)])

    assert result.exit_code == 1  # refused data
    assert named in result.stderr
    assert result.stdout == ""


@pytest.mark.integration
def test_indicators_for_reads_history_before_start_from_the_lake(lake_uri: str) -> None:
    bars = pl.concat([_daily("AAA", 400, 6), _daily("BBB", 400, 7)])
    tables.write(
        ADJUSTED_BARS,
        bars.with_columns(
            pl.lit(1, dtype=pl.Int64).alias("transactions"),
            pl.lit(1.0).alias("split_factor"),
            pl.lit("synthetic").alias("source"),
        ),
        mode="overwrite",
        lake_uri=lake_uri,
        sort_by=["ticker", "date"],
    )
    start, end = date(2022, 1, 3), date(2022, 3, 31)

    result = indicators_for("AAA", start, end, specs="ema:50,macd:12:26:9", lake_uri=lake_uri)

    whole = bars.filter(pl.col("ticker") == "AAA")
    expected_ema = talib.EMA(whole["close"].to_numpy(), 50)
    inside = whole.with_row_index().filter(pl.col("date").is_between(start, end))["index"]
    assert result["ticker"].unique().to_list() == ["AAA"]
    assert result["date"].to_list() == whole["date"].gather(inside).to_list()
    np.testing.assert_allclose(
        result["ema_50"].to_numpy(), expected_ema[inside.to_numpy()], rtol=1e-9
    )


@pytest.mark.integration
def test_cli_reads_a_ticker_from_the_lake_and_names_an_unknown_one(lake_uri: str) -> None:
    bars = _daily("AAA", 120, 8)
    tables.write(
        ADJUSTED_BARS,
        bars.with_columns(
            pl.lit(1, dtype=pl.Int64).alias("transactions"),
            pl.lit(1.0).alias("split_factor"),
            pl.lit("synthetic").alias("source"),
        ),
        mode="overwrite",
        lake_uri=lake_uri,
    )
    runner = CliRunner()

    found = runner.invoke(
        app,
        ["indicators", "aaa", "--start", "2021-03-01", "--end", "2021-03-05", "--with", "sma:5"],
    )
    missing = runner.invoke(app, ["indicators", "ZZZZ", "--start", "2021-03-01"])

    assert found.exit_code == 0, found.output
    assert found.stdout.splitlines()[0] == "date,sma_5"
    assert len(found.stdout.splitlines()) == 6
    assert missing.exit_code == 1
    assert "unknown ticker: ZZZZ" in missing.stderr
