"""The real `tickerlake` command line fed hostile values: every failure is one plain line
on stderr, no traceback, and an exit code that tells usage (2) from data (1) from a
service outage (69) from a bug (70).

Each test states the figure it checks: the exit code, the number of stderr lines (1),
and the bytes written to stdout (0) — no half-printed output on a refused input.
"""

from __future__ import annotations

import enum
import subprocess
import sys
import typing
from pathlib import Path

import exchange_calendars as xcals
import numpy as np
import pandas as pd
import polars as pl
import pytest
import typer
from typer.testing import CliRunner

from lake import tables
from lake.errors import ServiceUnavailable, TickerlakeError, UsageError
from lake.schemas import ADJUSTED_BARS
from lake.settings import get_settings
from pipelines.cli import app
from pipelines.cli_errors import TickerlakeGroup, classify
from pipelines.services import free_loopback_port

ROOT = Path(__file__).resolve().parents[2]


def _cli(args: list[str], **env: str) -> typer.testing.Result:
    get_settings.cache_clear()  # the env below must be what the command reads
    return CliRunner().invoke(app, args, env={"COLUMNS": "200", **env})


def _one_error_line(result: typer.testing.Result, code: int, named: str) -> None:
    """The command ended with `code`, one `error:` line on stderr naming `named`, no output
    on stdout and no traceback anywhere."""
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == code, (result.exit_code, result.stderr, result.stdout)
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: "), lines
    assert named in lines[0], lines
    assert result.stdout == ""
    assert "Traceback" not in result.stderr + result.stdout


def _bars_csv(tmp_path: Path, days: int = 40) -> Path:
    dates = pl.date_range(pl.date(2021, 1, 4), pl.date(2021, 12, 31), "1d", eager=True)
    dates = dates.filter(dates.dt.weekday() <= 5)[:days]
    close = np.linspace(10.0, 20.0, days)
    path = tmp_path / "bars.csv"
    pl.DataFrame(
        {
            "date": dates,
            "open": close,
            "high": close * 1.01,
            "low": close * 0.99,
            "close": close,
            "volume": np.full(days, 1000.0),
        }
    ).write_csv(path)
    return path


# --- usage errors: exit 2 ------------------------------------------------------------


@pytest.mark.unit
@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["load", "--date", "[/]"], "--date '[/]' is not a date; write YYYY-MM-DD"),
        (["load", "--date", "[bold]x"], "--date '[bold]x' is not a date"),
        (["load", "--date", ""], "--date '' is not a date"),
        (["load", "--date", "２０２１-01-04"], "is not a date"),  # full-width digits
        (["load", "--date", "2021-02-30"], "--date '2021-02-30' is not a date"),
        (
            ["load", "--date", "1999-12-31"],
            "--date 1999-12-31 is before the trading calendar starts; use a date from 2000-01-03",
        ),
        (["load", "--date", "9999-12-31"], "--date 9999-12-31 has not happened yet"),
        (["load", "--date", "0001-01-01"], "before the trading calendar starts"),
        (
            ["backfill", "--start", "2021-03-01", "--end", "2021-02-01"],
            "--start 2021-03-01 is after --end 2021-02-01",
        ),
        (["backfill", "--start", "1990-01-01", "--end", "2021-02-01"], "--start 1990-01-01"),
        (["backfill", "--start", "2021-01-01", "--end", "9999-12-31"], "has not happened yet"),
        (
            ["backfill", "--start", "2021-01-01", "--end", "2021-02-01", "--chunk-days", "0"],
            "Invalid value for '--chunk-days'",
        ),
        (["reconcile", "--as-of", "9999-12-31"], "--as-of 9999-12-31 has not happened yet"),
        (["reconcile", "--sample", "-1"], "Invalid value for '--sample'"),
        (
            ["indicators", "X", "--interval", "fortnight"],
            "'fortnight' is not one of 'day', 'week', 'month'",
        ),
        (["indicators", "X", "--format", "[/]"], "'[/]' is not one of 'csv', 'json', 'table'"),
        (["indicators", "X", "--with", "sma:²"], "bad parameter '²' in 'sma:²'"),
        (["indicators", "X", "--with", "ema:100000000000"], "use whole numbers from 1 to 5000"),
        (["indicators", "X", "--with", "ema:" + "9" * 5000], "use whole numbers from 1 to 5000"),
        (["indicators", "X", "--with", "sma:5001"], "above the maximum of 5000 bars"),
        (["indicators", "X", "--with", "bbands:20:nan"], "bad deviation multiplier 'nan'"),
        (["indicators", "X", "--with", "bbands:20:1e308"], "bad deviation multiplier"),
        (["indicators", "X", "--with", "[bold]x"], "unknown indicator '[bold]x'"),
        (["indicators", "X", "--with", ""], "has an empty item"),
        (["indicators", "X", "--with", "sma:1," * 101 + "rsi"], "ask for at most 100"),
        (["indicators", "X", "--with", "x" * 50_000], "ask for at most 100 items"),
        (
            ["indicators", "X", "--start", "2021-03-01", "--end", "2021-01-01"],
            "--start 2021-03-01 is after --end 2021-01-01",
        ),
        (["indicators", "X", "--start", "[/]"], "--start '[/]' is not a date"),
        (["indicators", "[bold]x"], "TICKER '[bold]x' is not a ticker symbol"),
        (["indicators", ""], "TICKER '' is not a ticker symbol"),
        (["indicators"], "give either a TICKER or --input FILE.csv"),
        (["demo", "--tickers", "0"], "Invalid value for '--tickers'"),
        (["demo", "--tickers", "1" + "0" * 30], "Invalid value for '--tickers'"),
        (["demo", "--years", "1000"], "Invalid value for '--years'"),
        (["maintain", "--retention-hours", "-1"], "Invalid value for '--retention-hours'"),
        (
            ["maintain", "--retention-hours", "1" + "0" * 20],
            "Invalid value for '--retention-hours'",
        ),
        (["run", "--port", "99999"], "Invalid value for '--port'"),
        (["run", "--port", "0"], "Invalid value for '--port'"),
        (["airflow", "--port", "-1"], "Invalid value for '--port'"),
        (["realtime", "simulate", "--port", "99999"], "Invalid value for '--port'"),
        (["realtime", "simulate", "--rate", "-5"], "'-5' is not a finite number above 0"),
        (["realtime", "simulate", "--rate", "nan"], "'nan' is not a finite number above 0"),
        (["realtime", "simulate", "--rate", "inf"], "'inf' is not a finite number above 0"),
        (["realtime", "simulate", "--rate", "[/]"], "'[/]' is not a finite number"),
        (["realtime", "simulate", "--spike-pct", "0"], "Invalid value for '--spike-pct'"),
        (["realtime", "simulate", "--frame-events", "0"], "Invalid value for '--frame-events'"),
        (
            ["realtime", "worker", "--feed-url", "http://example.com"],
            "--feed-url (or FEED_URL) must start with ws:// or wss://",
        ),
        (["realtime", "worker", "--feed-url", "ws://127.0.0.1:99999"], "port outside 1..65535"),
        (["realtime", "worker", "--flush-ms", "0"], "Invalid value for '--flush-ms'"),
        (["realtime", "worker", "--buffer-limit", "0"], "Invalid value for '--buffer-limit'"),
        (["load", "--no-such-flag"], "No such option: --no-such-flag"),
        (["no-such-command"], "No such command 'no-such-command'"),
    ],
)
def test_a_bad_value_is_a_usage_error_on_one_plain_line(args: list[str], named: str) -> None:
    result = _cli(args)

    _one_error_line(result, 2, named)
    assert len(result.stderr) < 400  # a 50,000-character value is not echoed whole


@pytest.mark.unit
def test_a_usage_error_from_a_typer_check_names_the_help_command() -> None:
    result = _cli(["indicators", "X", "--interval", "hour"])

    _one_error_line(result, 2, "See 'tickerlake indicators --help'.")


@pytest.mark.unit
def test_help_lists_the_choices_of_every_option_that_has_them() -> None:
    """Walk every command: an option with fixed choices shows them all in its --help."""
    root = typer.main.get_command(app)
    checked = 0

    def walk(command: object, path: list[str]) -> None:
        nonlocal checked
        for sub_name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*path, sub_name])
        for param in getattr(command, "params", []):
            annotation = param.type_descriptor.annotation
            choices = []
            if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
                choices = [member.value for member in annotation]
            elif typing.get_origin(annotation) is typing.Literal:
                choices = list(typing.get_args(annotation))
            if choices:
                shown = _cli([*path, "--help"]).stdout
                assert "|".join(str(c) for c in choices) in shown, (path, param.name)
                checked += 1

    walk(root, [])
    assert checked >= 2  # --interval and --format at least


@pytest.mark.unit
def test_the_periods_cap_is_documented_in_help() -> None:
    assert "up to 5000 bars" in _cli(["indicators", "--help"]).stdout


# --- settings: exit 2, one line naming the variable ------------------------------------


@pytest.mark.unit
@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        (
            "TICKERLAKE_REDIS_PORT",
            "abc",
            "TICKERLAKE_REDIS_PORT='abc': input should be a valid integer",
        ),
        ("TICKERLAKE_REDIS_PORT", "70000", "TICKERLAKE_REDIS_PORT='70000'"),
        ("LAKE_URI", "gs://bucket/lake", "LAKE_URI='gs://bucket/lake': unsupported scheme gs://"),
        ("LAKE_URI", "s3:/bucket", "LAKE_URI='s3:/bucket': not an S3 location"),
        ("LAKE_URI", "s3://", "not an S3 location"),
        ("LAKE_URI", "http://example.com/lake", "unsupported scheme http://"),
        ("FEED_URL", "http://example.com", "FEED_URL='http://example.com': must start with ws://"),
    ],
)
def test_a_bad_setting_is_one_line_naming_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, named: str
) -> None:
    monkeypatch.chdir(tmp_path)

    result = _cli(["indicators", "AAPL"], **{variable: value})

    _one_error_line(result, 2, named)
    assert "validation error" not in result.stderr  # no pydantic report
    assert list(tmp_path.iterdir()) == []  # nothing was taken for a local folder


@pytest.mark.unit
def test_a_bad_redis_url_never_shows_its_password() -> None:
    result = _cli(["services", "status"], REDIS_URL="http://user:hunter2@example.com:6379")

    _one_error_line(result, 2, "REDIS_URL: must start with redis://")
    assert "hunter2" not in result.stderr


# --- data errors: exit 1 -------------------------------------------------------------


@pytest.mark.integration
def test_an_unknown_ticker_is_a_data_error(lake_uri: str) -> None:
    days = 60
    dates = pl.date_range(pl.date(2021, 1, 4), pl.date(2021, 6, 30), "1d", eager=True)[:days]
    bars = pl.DataFrame(
        {
            "ticker": "AAA",
            "date": dates,
            "open": 10.0,
            "high": 11.0,
            "low": 9.0,
            "close": 10.0,
            "volume": 1000.0,
            "vwap": 10.0,
            "transactions": 1,
            "split_factor": 1.0,
            "source": "synthetic",
        }
    ).with_columns(pl.col("transactions").cast(pl.Int64))
    tables.write(ADJUSTED_BARS, bars, mode="overwrite", lake_uri=lake_uri)

    known = _cli(["indicators", "aaa", "--with", "sma:5"])
    unknown = _cli(["indicators", "ZZZZ"])

    assert known.exit_code == 0 and known.stdout.splitlines()[0] == "date,sma_5"
    _one_error_line(unknown, 1, "unknown ticker: ZZZZ")


@pytest.mark.integration
def test_a_missing_lake_table_is_a_data_error(lake_uri: str) -> None:
    result = _cli(["indicators", "AAPL"])

    _one_error_line(result, 1, "The lake has no gold/adjusted_bars table")


@pytest.mark.integration
def test_a_missing_table_on_s3_is_a_data_error_not_an_outage(s3_lake_uri: str) -> None:
    result = _cli(["indicators", "AAPL"])

    _one_error_line(result, 1, "The lake has no gold/adjusted_bars table")


# --- service outages: exit 69 --------------------------------------------------------


@pytest.mark.integration
def test_an_unreachable_s3_endpoint_is_a_service_outage() -> None:
    endpoint = f"http://127.0.0.1:{free_loopback_port()}"  # nothing listens there

    result = _cli(
        ["indicators", "AAPL"],
        LAKE_URI="s3://tickerlake-test/lake",
        AWS_ENDPOINT_URL=endpoint,
        AWS_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="a",
        AWS_SECRET_ACCESS_KEY="b",
        AWS_ALLOW_HTTP="true",
    )

    _one_error_line(result, 69, "the lake's storage is unreachable")
    assert "nothing was read" in result.stderr and "is reachable" in result.stderr


@pytest.mark.integration
def test_an_unreachable_redis_is_a_service_outage() -> None:
    url = f"redis://:hunter2@127.0.0.1:{free_loopback_port()}/0"  # nothing listens there

    result = _cli(["services", "status"], REDIS_URL=url)

    _one_error_line(result, 69, "cannot reach Redis")
    assert "hunter2" not in result.stderr


# --- anything else: exit 70, still one line -------------------------------------------


def _failing_app() -> typer.Typer:
    failing = typer.Typer(cls=TickerlakeGroup, add_completion=False)

    @failing.command()
    def boom() -> None:
        raise RuntimeError("an unexpected [/] failure\nsecond line")

    @failing.command()
    def other() -> None:  # a second command keeps `boom` a subcommand
        """Nothing."""

    return failing


@pytest.mark.unit
def test_an_unexpected_exception_is_one_internal_error_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TICKERLAKE_DEBUG", raising=False)

    result = CliRunner().invoke(_failing_app(), ["boom"])

    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 70
    assert lines == [
        "internal error: RuntimeError: an unexpected [/] failure (run with TICKERLAKE_DEBUG=1 "
        "for the traceback, and report it)"
    ]


@pytest.mark.unit
def test_tickerlake_debug_lets_the_traceback_through(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TICKERLAKE_DEBUG", "1")

    result = CliRunner().invoke(_failing_app(), ["boom"])

    assert isinstance(result.exception, RuntimeError)
    assert result.exit_code == 1  # CliRunner's code for an exception that escaped


@pytest.mark.unit
def test_classify_maps_each_kind_to_its_exit_code() -> None:
    calendar = xcals.get_calendar("XNYS", start="2000-01-03", end="2001-12-31")
    with pytest.raises(ValueError) as out_of_bounds:
        calendar.is_session(pd.Timestamp("1990-01-02"))

    assert classify(UsageError("bad flag"))[0] == 2
    assert classify(TickerlakeError("validation failed"))[0] == 1
    assert classify(ServiceUnavailable("provider down"))[0] == 69
    assert classify(ConnectionRefusedError(111, "Connection refused"))[0] == 69
    code, message = classify(out_of_bounds.value)
    assert code == 2 and "use dates from 2000-01-03" in message
    assert classify(KeyError("x"))[0] == 70


# --- the installed entry point ---------------------------------------------------------


@pytest.mark.unit
@pytest.mark.parametrize(
    ("args", "code", "expected"),
    [
        (["load", "--date", "[/]"], 2, "error: --date '[/]' is not a date; write YYYY-MM-DD"),
        (
            ["indicators", "X", "--with", "ema:100000000000"],
            2,
            "error: bad parameter '100000000000' in 'ema:100000000000'; use whole numbers from 1 "
            "to 5000, e.g. ema:20",
        ),
    ],
)
def test_python_m_pipelines_cli_prints_the_line_and_no_traceback(
    args: list[str], code: int, expected: str
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )

    assert done.returncode == code
    assert done.stderr == expected + "\n"
    assert done.stdout == ""


@pytest.mark.unit
def test_a_provider_that_does_not_answer_is_a_service_outage() -> None:
    from pipelines.sources.massive import MassiveClient

    client = MassiveClient(
        "test-key", base_url=f"http://127.0.0.1:{free_loopback_port()}", backoff_seconds=0.01
    )  # nothing listens there
    with pytest.raises(TickerlakeError) as raised:
        client.ticker_detail("AAPL")

    code, message = classify(raised.value)
    assert code == 69
    assert "is not answering" in message and "test-key" not in message
