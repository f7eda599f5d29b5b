"""The `tickerlake` command line.

Each command is a thin wrapper over a function in `pipelines/` or `lake/`. Whatever goes
wrong ends in one plain line on stderr (`error: what went wrong; what to do`, never a
traceback, never parsed as Rich markup) and an exit code a script can tell apart:

- 0: done.
- 1: data or quality failure: validation failed (batch quarantined), unknown ticker,
  missing lake table, a refused `--input` CSV.
- 2: usage error: unknown option, bad flag value or choice, bad or out-of-calendar date,
  reversed range, malformed indicator spec, bad environment setting.
- 69: a service is unreachable: Redis, the S3 endpoint, a provider API.
- 70: internal error (a bug): one line; `TICKERLAKE_DEBUG=1` shows the traceback.
- 130: interrupted (Ctrl-C).

Dates are YYYY-MM-DD; `load`, `backfill` and `reconcile` take days from 2000-01-03 (where
the trading calendar starts) up to today. Indicator periods are at most 5000 bars (see
`lake.indicators.spec`). The checks of `--input` CSV files are listed in
`pipelines.indicator_report`; the mapping of failures to codes is in `pipelines.cli_errors`.
"""

from __future__ import annotations

import re
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from lake.errors import UsageError, shown
from pipelines.cli_args import check_order, finite, parse_day, trading_day
from pipelines.cli_errors import TickerlakeGroup, report


class IntervalChoice(StrEnum):
    """Bar intervals of `tickerlake indicators` (Typer lists them in --help)."""

    day = "day"
    week = "week"
    month = "month"


class FormatChoice(StrEnum):
    """Output formats of `tickerlake indicators`."""

    csv = "csv"
    json = "json"
    table = "table"


app = typer.Typer(
    name="tickerlake",
    cls=TickerlakeGroup,
    help="Tickerlake: validated daily market history and a live intraday stream.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
services_app = typer.Typer(help="Embedded services (Redis with TimeSeries).", no_args_is_help=True)
realtime_app = typer.Typer(help="The live path: market simulator and worker.", no_args_is_help=True)
app.add_typer(services_app, name="services")
app.add_typer(realtime_app, name="realtime")

# markup off: text from users, files and services is printed as is ("[/]" included).
console = Console(markup=False, highlight=False)
err_console = Console(stderr=True, markup=False, highlight=False)


# --- services ---------------------------------------------------------------------


@services_app.command("install")
def services_install() -> None:
    """Fetch what the embedded Redis needs (Debian's libssl1.1) into the virtual environment."""
    from pipelines.services import install_redis_dependencies

    install_redis_dependencies(echo=console.print)


@services_app.command("up")
def services_up() -> None:
    """Start the embedded Redis with TimeSeries (or check the server REDIS_URL names)."""
    from pipelines.services import redact_url, redis_up

    status = redis_up()
    console.print(f"Redis with TimeSeries: {redact_url(status.url)} ({status.origin})")


@services_app.command("down")
def services_down() -> None:
    """Stop the embedded Redis if it runs."""
    from pipelines.services import redis_down

    console.print(redis_down())


@services_app.command("status")
def services_status() -> None:
    """Say whether Redis is reachable and has the TimeSeries module."""
    from pipelines.services import redact_url, redis_status

    status = redis_status()
    if status is None:
        console.print("Redis: not running (start it with `tickerlake services up`)")
        raise typer.Exit(1)
    console.print(f"Redis with TimeSeries: {redact_url(status.url)} ({status.origin})")


@services_app.command("url")
def services_url() -> None:
    """Print the full Redis URL, password included, for scripts:
    redis-cli -u "$(tickerlake services url)"."""
    from pipelines.services import resolve_redis_url

    print(resolve_redis_url())  # plain print: nothing but the URL on stdout, no wrapping


# --- realtime ---------------------------------------------------------------------


@realtime_app.command("simulate")
def realtime_simulate(
    port: int = typer.Option(
        8765, min=0, max=65535, help="WebSocket port on 127.0.0.1 (0 picks a free one)."
    ),
    rate: float = typer.Option(
        1000.0,
        parser=finite(above=0, most=1e7),
        help="Aggregate events per second, over all tickers (0 < rate <= 1e7).",
    ),
    tickers: int | None = typer.Option(
        None, min=1, max=100_000, help="How many tickers (default: the lake's, or 500 synthetic)."
    ),
    frame_events: int = typer.Option(
        500, min=1, max=100_000, help="Most events per WebSocket frame."
    ),
    api_key: str | None = typer.Option(
        None, envvar="SIMULATOR_API_KEY", help="Accept only this key (default: any)."
    ),
    spike_every: float | None = typer.Option(
        None, parser=finite(above=0), help="Inject a price spike every N seconds."
    ),
    spike_pct: float = typer.Option(
        2.0, parser=finite(above=0, most=1000), help="Size of an injected spike, percent."
    ),
    drop_every: float | None = typer.Option(
        None, parser=finite(above=0), help="Fault: drop each connection every N seconds."
    ),
    malformed_every: int | None = typer.Option(
        None, min=1, help="Fault: a malformed frame after every Nth frame."
    ),
    duplicate_every: int | None = typer.Option(
        None, min=1, help="Fault: a revised duplicate of every Nth frame."
    ),
    seed: int = typer.Option(1, min=0, help="Random seed of the price paths."),
) -> None:
    """Serve a market that speaks the Massive/Polygon stocks WebSocket protocol."""
    from pipelines.realtime.runtime import configure_logging
    from pipelines.realtime.simulator import SimulatorConfig, serve_simulator

    configure_logging()
    config = SimulatorConfig(
        port=port,
        rate=rate,
        frame_events=frame_events,
        api_key=api_key,
        seed=seed,
        spike_every_s=spike_every,
        spike_pct=spike_pct,
        drop_every_s=drop_every,
        malformed_every=malformed_every,
        duplicate_every=duplicate_every,
    )
    raise typer.Exit(serve_simulator(config, tickers=tickers))


@realtime_app.command("worker")
def realtime_worker(
    feed_url: str | None = typer.Option(
        None, envvar="FEED_URL", help="Feed URL (default: the local simulator)."
    ),
    symbols: str | None = typer.Option(None, help="Comma-separated symbols (default: all)."),
    redis_url: str | None = typer.Option(
        None, help="Redis URL (default: REDIS_URL or the embedded server)."
    ),
    flush_events: int = typer.Option(
        100, min=1, max=1_000_000_000, help="Flush after this many events…"
    ),
    flush_ms: float = typer.Option(
        100.0, parser=finite(above=0, most=3_600_000), help="…or after this many milliseconds."
    ),
    retention_hours: float = typer.Option(
        2.0, parser=finite(above=0, most=24 * 366), help="Retention of the per-second series."
    ),
    retention_1m_days: float = typer.Option(
        7.0, parser=finite(above=0, most=3660), help="Retention of the one-minute candles."
    ),
    buffer_limit: int = typer.Option(
        1_000_000, min=1, max=100_000_000, help="Events held while Redis is unreachable."
    ),
    replay_s: float = typer.Option(
        5.0,
        parser=finite(least=0, most=3_600),
        help=(
            "Events Redis acknowledged in the last this many seconds are sent again when it "
            "comes back as a new process (it may not have written them to disk yet)."
        ),
    ),
    window_s: float = typer.Option(
        5.0, parser=finite(above=0, most=86_400), help="Velocity window, seconds."
    ),
    threshold_pct: float = typer.Option(
        0.5, parser=finite(above=0, most=1000), help="Velocity alert threshold, percent."
    ),
) -> None:
    """Stream per-second aggregates from the feed into Redis TimeSeries until SIGTERM."""
    from lake.settings import get_settings
    from pipelines.cli_args import feed_url as checked_feed_url
    from pipelines.realtime.launch import SIMULATOR_KEY, default_feed_url
    from pipelines.realtime.runtime import configure_logging
    from pipelines.realtime.sink import SinkConfig
    from pipelines.realtime.velocity import VelocityConfig
    from pipelines.realtime.worker import WorkerConfig, serve_worker
    from pipelines.services import resolve_redis_url

    feed_url = checked_feed_url(feed_url)
    configure_logging()
    settings = get_settings()
    key = settings.massive_api_key
    local_feed = feed_url is None or feed_url.startswith(("ws://127.0.0.1", "ws://localhost"))
    if key is None and not local_feed:
        raise UsageError(
            "FEED_URL names a remote feed but MASSIVE_API_KEY is not set; set the key, "
            "or unset FEED_URL to use the local simulator"
        )
    config = WorkerConfig(
        feed_url=feed_url or default_feed_url(),
        api_key=key.get_secret_value() if key is not None else SIMULATOR_KEY,
        redis_url=redis_url or resolve_redis_url(settings),
        symbols=[s.strip().upper() for s in symbols.split(",") if s.strip()] if symbols else None,
        sink=SinkConfig(
            flush_events=flush_events,
            flush_interval_s=flush_ms / 1000,
            buffer_limit=buffer_limit,
            replay_window_s=replay_s,
            retention_ms=int(retention_hours * 3_600_000),
            retention_1m_ms=int(retention_1m_days * 86_400_000),
        ),
        velocity=VelocityConfig(window_ms=int(window_s * 1000), threshold_pct=threshold_pct),
    )
    raise typer.Exit(serve_worker(config))


# --- platform ---------------------------------------------------------------------


@app.command("run")
def run(
    port: int = typer.Option(8501, min=1, max=65535, help="Streamlit port on 127.0.0.1."),
) -> None:
    """Start everything (Redis, demo lake if empty, Streamlit) and stop it all on Ctrl-C."""
    from pipelines.launcher import run_platform

    raise typer.Exit(run_platform(streamlit_port=port, echo=console.print))


@app.command("airflow")
def airflow_standalone(
    port: int = typer.Option(8080, min=1, max=65535, help="Airflow UI port on 127.0.0.1."),
) -> None:
    """Run `airflow standalone` with the project's DAGs folder and home under the data folder."""
    from pipelines.launcher import run_airflow

    raise typer.Exit(run_airflow(port=port, echo=console.print))


# --- historical lake --------------------------------------------------------------


@app.command("demo")
def demo(
    tickers: int = typer.Option(
        2500, "--tickers", min=1, max=20_000, help="Synthetic universe size."
    ),
    years: int = typer.Option(
        4, "--years", min=1, max=25, help="Years of trading days (the calendar starts in 2000)."
    ),
    seed: int = typer.Option(7, "--seed", min=0, help="Seed of the synthetic market."),
    force: bool = typer.Option(
        False, "--force", help="Write the demo even into a lake that holds other data."
    ),
) -> None:
    """Build the demo lake from the synthetic market (extract → validate → silver → gold).

    Refuses a lake holding rows from any source other than the synthetic market unless
    --force; every row says its source (`source` column) either way."""
    from lake.settings import get_settings
    from pipelines.historical import build_demo
    from pipelines.progress import rich_progress

    lake_uri = get_settings().lake_uri
    with rich_progress() as progress:
        result = build_demo(
            lake_uri=lake_uri,
            n_tickers=tickers,
            years=years,
            seed=seed,
            progress=progress,
            force=force,
        )
    console.print(
        f"Demo lake built: {result['tickers']} tickers, {result['bars']:,} bars, "
        f"{result['start']} .. {result['end']} in {result['seconds']} s"
    )


@app.command("load")
def load(
    day: str = typer.Option(
        ..., "--date", help="Trading day to load, YYYY-MM-DD (2000-01-03 to today)."
    ),
) -> None:
    """Load one trading day end to end (all datasets, validation, gold)."""
    from lake.settings import get_settings
    from pipelines.historical import load_day

    result = load_day(trading_day(day, "--date"), lake_uri=get_settings().lake_uri)
    if "skipped" in result:
        console.print(f"{result['day']}: skipped ({result['skipped']})")
        return
    console.print(f"{result['start']}: {result['rows']:,} bars loaded")
    for note in result["skipped_datasets"]:
        console.print(f"skipped {note}", markup=False)


@app.command("backfill")
def backfill_command(
    start: str = typer.Option(..., "--start", help="First day, YYYY-MM-DD (from 2000-01-03)."),
    end: str = typer.Option(..., "--end", help="Last day, YYYY-MM-DD (at most today)."),
    chunk_days: int = typer.Option(
        60, "--chunk-days", min=1, max=3660, help="Calendar days per chunk."
    ),
) -> None:
    """Load a date range in resumable chunks (chunks already loaded are skipped)."""
    from lake.settings import get_settings
    from pipelines.historical import backfill
    from pipelines.progress import rich_progress

    first, last = trading_day(start, "--start"), trading_day(end, "--end")
    check_order(first, last, "--start", "--end")
    with rich_progress() as progress:
        result = backfill(
            first,
            last,
            lake_uri=get_settings().lake_uri,
            chunk_days=chunk_days,
            progress=progress,
        )
    console.print(
        f"Backfill: {result['loaded']} chunks loaded, {result['skipped']} already there, "
        f"{result['rows']:,} bars"
    )
    for note in result["skipped_datasets"]:
        console.print(f"skipped {note}", markup=False)


@app.command("maintain")
def maintain_command(
    retention_hours: int = typer.Option(
        168,
        "--retention-hours",
        min=0,
        max=87_600,
        help="Keep files of versions newer than this (at least 168 unless --force).",
    ),
    force: bool = typer.Option(
        False, "--force", help="Allow a retention under 168 h (nothing else may use the lake)."
    ),
) -> None:
    """Compact and re-cluster the lake's tables and vacuum old files (safe beside loads)."""
    from lake.settings import get_settings
    from pipelines.historical import maintain

    summary = maintain(
        lake_uri=get_settings().lake_uri, retention_hours=retention_hours, force=force
    )
    vacuumed = sum(entry.get("vacuumed", 0) for entry in summary.values())
    console.print(f"Maintained {len(summary)} tables; {vacuumed} old files vacuumed")


# --- indicators -------------------------------------------------------------------

_TICKER = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-]{0,19}")


@app.command("indicators")
def indicators(
    ticker: str | None = typer.Argument(None, help="Ticker in the lake (or use --input)."),
    start: str | None = typer.Option(None, "--start", help="First date, YYYY-MM-DD."),
    end: str | None = typer.Option(None, "--end", help="Last date, YYYY-MM-DD."),
    interval: Annotated[
        IntervalChoice, typer.Option("--interval", help="Bar interval.")
    ] = IntervalChoice.day,
    spec: str | None = typer.Option(
        None,
        "--with",
        help="Indicators, e.g. sma:20,ema:50,macd:12:26:9,bbands:20:2,rsi:14 "
        "(periods up to 5000 bars, at most 100 items).",
    ),
    fmt: Annotated[
        FormatChoice, typer.Option("--format", help="Output format.")
    ] = FormatChoice.csv,
    input_path: Annotated[
        Path | None,
        typer.Option(
            "--input", help="CSV with date,open,high,low,close,volume instead of a ticker."
        ),
    ] = None,
) -> None:
    """Print indicators per bar (date first; empty where TA-Lib has no value yet).

    An --input CSV is checked first: bad rows are refused with their line number (exit 1),
    unsorted dates and extra columns only warned about on stderr."""
    from lake.indicators.spec import DEFAULT_SPEC
    from pipelines.indicator_report import indicator_report, render_table, render_text

    first = None if start is None else parse_day(start, "--start")
    last = None if end is None else parse_day(end, "--end")
    check_order(first, last, "--start", "--end")
    if ticker is not None and not _TICKER.fullmatch(ticker.strip()):
        raise UsageError(
            f"TICKER {shown(ticker)} is not a ticker symbol; use letters, digits, '.', '-' "
            "(at most 20), e.g. AAPL or BRK.B"
        )
    frame = indicator_report(
        ticker=ticker,
        input_path=input_path,
        start=first,
        end=last,
        interval=interval.value,
        spec=DEFAULT_SPEC if spec is None else spec,
        warn=lambda message: report(message, label="warning:"),
    )
    if fmt is FormatChoice.table:
        console.print(render_table(frame))
    else:
        sys.stdout.write(render_text(frame, "csv" if fmt is FormatChoice.csv else "json"))


@app.command("reconcile")
def reconcile(
    sample: int = typer.Option(
        20, "--sample", min=1, max=10_000, help="Number of tickers to check."
    ),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Last bar date, YYYY-MM-DD (default: the last loaded day)."
    ),
    seed: int | None = typer.Option(None, "--seed", min=0, help="Sample seed (default: the date)."),
) -> None:
    """Recompute indicators for a sample of tickers and record their agreement with TA-Lib
    (and with Massive's indicator endpoints when MASSIVE_API_KEY is set)."""
    from rich.table import Table

    from lake.settings import get_settings
    from pipelines.reconciliation import reconcile_indicators

    result = reconcile_indicators(
        lake_uri=get_settings().lake_uri,
        sample_size=sample,
        as_of=None if as_of is None else trading_day(as_of, "--as-of"),
        seed=seed,
    )
    table = Table(
        title=f"Indicator reconciliation {result['as_of']} ({len(result['tickers'])} tickers, "
        f"run {result['run_id']})"
    )
    for name in ("reference", "indicator", "compared", "agreed", "agreement", "max rel diff"):
        table.add_column(name, justify="left" if name in ("reference", "indicator") else "right")
    for row in result["indicators"]:
        pct, diff = row["agreement_pct"], row["max_rel_diff"]
        table.add_row(
            row["reference"],
            row["indicator"],
            f"{row['compared']:,}",
            f"{row['agreed']:,}",
            "n/a" if pct is None else f"{pct:.2f}%",
            "n/a" if diff is None else f"{diff:.1e}",
        )
    console.print(table)


def main() -> None:
    """Entry point of the `tickerlake` script. Errors and exit codes: see the module
    docstring (`TickerlakeGroup` turns every failure into one line)."""
    app(prog_name="tickerlake")


if __name__ == "__main__":
    main()
