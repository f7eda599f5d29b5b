"""The `tickerlake` command line.

Each command is a thin wrapper over a function in `pipelines/` or `lake/`. Any
`TickerlakeError` is printed as one red line (what went wrong, what to do) and the
command exits 1: a user never sees a traceback for a problem they can fix.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from lake.errors import TickerlakeError

app = typer.Typer(
    name="tickerlake",
    help="Tickerlake: validated daily market history and a live intraday stream.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
services_app = typer.Typer(help="Embedded services (Redis with TimeSeries).", no_args_is_help=True)
realtime_app = typer.Typer(help="The live path: market simulator and worker.", no_args_is_help=True)
app.add_typer(services_app, name="services")
app.add_typer(realtime_app, name="realtime")

console = Console()
err_console = Console(stderr=True)


# --- services ---------------------------------------------------------------------


@services_app.command("install")
def services_install() -> None:
    """Fetch what the embedded Redis needs (Debian's libssl1.1) into the virtual environment."""
    from pipelines.services import install_redis_dependencies

    install_redis_dependencies(echo=console.print)


@services_app.command("up")
def services_up() -> None:
    """Start the embedded Redis with TimeSeries (or check the server REDIS_URL names)."""
    from pipelines.services import redis_up

    status = redis_up()
    console.print(f"Redis with TimeSeries: {status.url} ({status.origin})")


@services_app.command("down")
def services_down() -> None:
    """Stop the embedded Redis if it runs."""
    from pipelines.services import redis_down

    console.print(redis_down())


@services_app.command("status")
def services_status() -> None:
    """Say whether Redis is reachable and has the TimeSeries module."""
    from pipelines.services import redis_status

    status = redis_status()
    if status is None:
        console.print("Redis: not running (start it with `tickerlake services up`)")
        raise typer.Exit(1)
    console.print(f"Redis with TimeSeries: {status.url} ({status.origin})")


# --- platform ---------------------------------------------------------------------


@app.command("run")
def run(
    port: int = typer.Option(8501, help="Streamlit port on 127.0.0.1."),
) -> None:
    """Start everything (Redis, demo lake if empty, Streamlit) and stop it all on Ctrl-C."""
    from pipelines.launcher import run_platform

    raise typer.Exit(run_platform(streamlit_port=port, echo=console.print))


@app.command("airflow")
def airflow_standalone(
    port: int = typer.Option(8080, help="Airflow UI port on 127.0.0.1."),
) -> None:
    """Run `airflow standalone` with the project's DAGs folder and home under the data folder."""
    from pipelines.launcher import run_airflow

    raise typer.Exit(run_airflow(port=port, echo=console.print))


def main() -> None:
    """Entry point of the `tickerlake` script."""
    try:
        app()
    except TickerlakeError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
