"""The worker publishes the settings it runs with; the live velocity page draws them, and says
plainly when it shows the defaults because no worker has published."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import polars as pl
import pytest
import redis
import streamlit as st
from streamlit.testing.v1 import AppTest

from lake.settings import get_settings
from pipelines.realtime import keys
from pipelines.realtime.keys import PublishedWorkerConfig
from pipelines.realtime.simulator import MarketSimulator, SimulatorConfig
from pipelines.realtime.sink import SinkConfig
from pipelines.realtime.velocity import VelocityConfig
from pipelines.realtime.worker import RealtimeWorker, WorkerConfig
from tests.pipelines.realtime.conftest import eventually

PAGE = Path(__file__).resolve().parents[3] / "pages" / "live_velocity.py"
CUSTOM = VelocityConfig(window_ms=8_000, threshold_pct=1.7, rearm_fraction=0.4)


def test_published_config_round_trips_through_its_hash() -> None:
    config = PublishedWorkerConfig(CUSTOM, published_ms=1_767_225_600_000)

    assert PublishedWorkerConfig.from_hash(config.to_hash()) == config
    as_bytes = {k.encode(): v.encode() for k, v in config.to_hash().items()}
    assert PublishedWorkerConfig.from_hash(as_bytes) == config  # a client without decoding
    assert PublishedWorkerConfig.defaults().is_default
    assert PublishedWorkerConfig.defaults().velocity == VelocityConfig()


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"velocity_window_ms": "5000"},
        {
            "velocity_window_ms": "soon",
            "velocity_threshold_pct": "0.5",
            "velocity_rearm_fraction": "0.5",
            "published_ms": "1",
        },
    ],
)
def test_a_missing_or_garbled_config_hash_reads_as_none(fields: dict[str, str]) -> None:
    assert PublishedWorkerConfig.from_hash(fields) is None


def _page(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("REDIS_URL", redis_url)
    get_settings.cache_clear()
    st.cache_data.clear()  # the page's 1 s caches are per process: no answer from a test before
    app = AppTest.from_file(str(PAGE), default_timeout=60)
    app.run()
    assert not app.exception, app.exception
    return app


def _threshold_lines(app: AppTest) -> set[float]:
    """The y of the horizontal threshold lines in the page's velocity chart."""
    figure = json.loads(app.get("plotly_chart")[0].proto.spec)
    return {shape["y0"] for shape in figure["layout"].get("shapes", [])}


@pytest.mark.integration
def test_velocity_page_draws_the_running_workers_threshold(
    redis_url: str,
    redis_client: redis.Redis,
    universe: pl.DataFrame,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shown: list[AppTest] = []

    async def run() -> None:
        market = MarketSimulator(universe, SimulatorConfig(rate=200))
        await market.start()
        labels = {
            r[0]: (r[1], r[2])
            for r in universe.select("ticker", "sector", "cap_bucket").iter_rows()
        }
        worker = RealtimeWorker(
            WorkerConfig(
                feed_url=market.url,
                api_key="test",
                redis_url=redis_url,
                sink=SinkConfig(flush_events=50, flush_interval_s=0.05),
                velocity=CUSTOM,
            ),
            labels,
        )
        running = asyncio.create_task(worker.run())
        try:
            await eventually(lambda: worker.sink.counters.written >= 100)
            shown.append(await asyncio.to_thread(_page, redis_url, monkeypatch))
        finally:
            worker.stop()
            await asyncio.wait_for(running, 30)
            await market.stop()

    asyncio.run(run())

    stored = PublishedWorkerConfig.from_hash(redis_client.hgetall(keys.WORKER_CONFIG_KEY))
    assert stored is not None and stored.velocity == CUSTOM
    app = shown[0]
    captions = " ".join(str(c.value) for c in app.caption)
    assert "±1.7% within 8 s" in captions and "running worker" in captions, captions
    assert not any("defaults" in str(i.value) for i in app.info)
    assert _threshold_lines(app) == {1.7, -1.7}


@pytest.mark.integration
def test_velocity_page_says_it_shows_defaults_when_no_worker_published(
    redis_url: str, redis_client: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = _page(redis_url, monkeypatch)  # `redis_client` emptied the database

    notes = " ".join(str(i.value) for i in app.info)
    default = VelocityConfig()
    assert "No realtime worker has published" in notes, notes
    assert f"defaults: an alert at ±{default.threshold_pct:g}% within" in notes, notes
