"""The live path's processes for `make run`: the simulator (unless FEED_URL names a real
feed) and the worker, as (name, argv) pairs the launcher starts beside Streamlit."""

from __future__ import annotations

import os
import sys

from pipelines.services import free_loopback_port, port_is_free

SIMULATOR_PORT = 8765
SIMULATOR_KEY = "simulator"  # the local simulator accepts any non-empty key
DEFAULT_RATE = 2_000.0
DEFAULT_TICKERS = 500


def default_feed_url() -> str:
    """Return the local simulator's URL (port from TICKERLAKE_SIMULATOR_PORT, else 8765)."""
    port = int(os.environ.get("TICKERLAKE_SIMULATOR_PORT", SIMULATOR_PORT))
    return f"ws://127.0.0.1:{port}"


def realtime_processes() -> list[tuple[str, list[str]]]:
    """Return the commands that run the live path: simulator (when no FEED_URL) and worker.

    The simulator's port is fixed in both commands, so a restarted simulator comes back
    where the worker reconnects.
    """
    cli = [sys.executable, "-m", "pipelines.cli", "realtime"]
    if os.environ.get("FEED_URL"):
        return [("realtime worker", [*cli, "worker"])]
    wanted = int(os.environ.get("TICKERLAKE_SIMULATOR_PORT", SIMULATOR_PORT))
    port = wanted if port_is_free(wanted) else free_loopback_port()
    feed_url = f"ws://127.0.0.1:{port}"
    rate = os.environ.get("TICKERLAKE_SIMULATOR_RATE", str(DEFAULT_RATE))
    tickers = os.environ.get("TICKERLAKE_SIMULATOR_TICKERS", str(DEFAULT_TICKERS))
    return [
        (
            "market simulator",
            [
                *cli,
                "simulate",
                "--port",
                str(port),
                "--rate",
                rate,
                "--tickers",
                tickers,
                "--spike-every",
                "30",
            ],
        ),
        ("realtime worker", [*cli, "worker", "--feed-url", feed_url]),
    ]
