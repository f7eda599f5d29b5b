"""The worker and the live pages' reads against a real Redis Cluster: three embedded
servers with TimeSeries in cluster mode on loopback, the slots split between them."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from redis.cluster import RedisCluster

from app import live_bars
from pipelines.realtime import keys
from pipelines.realtime.simulator import MarketSimulator, SimulatorConfig
from pipelines.realtime.worker import RealtimeWorker
from pipelines.services import redis_client
from pipelines.services.dev_cluster import start_redis_cluster
from tests.pipelines.realtime.conftest import eventually
from tests.pipelines.realtime.test_worker import scenario

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def cluster_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    cluster = start_redis_cluster(Path(tmp_path_factory.mktemp("redis_cluster")))
    try:
        yield cluster.url
    finally:
        cluster.stop()


def test_the_worker_writes_every_symbol_to_the_node_owning_it(
    cluster_url: str, universe: pl.DataFrame
) -> None:
    client = redis_client(cluster_url, decode_responses=True)
    assert isinstance(client, RedisCluster)
    # The twenty symbols' slots fall on every node: the batches really are split.
    owners = {
        client.nodes_manager.get_node_from_slot(client.keyslot(keys.series_key(s, "close"))).name
        for s in universe["ticker"]
    }
    assert len(owners) == 3

    async def body(market: MarketSimulator, worker: RealtimeWorker) -> None:
        await eventually(lambda: worker.sink.counters.written >= 400)
        market.inject_spike("SYN0005", 1.5)
        await eventually(lambda: worker.sink.counters.alerts >= 1)
        market.pause()
        await eventually(
            lambda: (
                worker.sink.pending == 0 and worker.counters.received == market.stats.events_sent
            )
        )
        await eventually(lambda: client.exists(keys.stats_key("messages_per_s")))

    worker = asyncio.run(scenario(cluster_url, universe, body, simulator=SimulatorConfig(rate=200)))

    symbols = client.smembers(keys.ACTIVE_SYMBOLS_KEY)
    assert symbols == set(universe["ticker"])
    written = 0
    for symbol in symbols:
        bars = live_bars.second_bars(client, symbol)  # the live pages' read, through the cluster
        written += bars.height
        last = client.hgetall(keys.last_value_key(symbol))
        assert int(last["start_ms"]) == bars["time_ms"][-1]
        info = client.ts().info(keys.series_key(symbol, "close"))
        assert keys.series_key(symbol, "close", "1m") in str(info.rules)  # same-slot rule
    assert written == worker.sink.counters.written == worker.counters.received
    assert worker.sink.counters.dropped == 0
    assert [e[1]["symbol"] for e in client.xrange(keys.ALERTS_STREAM)] == ["SYN0005"]
    assert int(client.hgetall(keys.WORKER_STATS_KEY)["written"]) == worker.sink.counters.written
    client.close()

    # What the live pages read, through their own (cluster) client.
    from app import live_data

    last = live_data.last_values(cluster_url)
    assert sorted(last["symbol"]) == sorted(symbols) and last["close"].null_count() == 0
    assert live_data.alerts(cluster_url)["symbol"].to_list() == ["SYN0005"]
    stats, counters = live_data.health(cluster_url)
    assert stats.height > 0 and int(counters["written"]) == worker.sink.counters.written


def test_a_node_going_down_holds_the_events_and_the_worker_keeps_running(
    tmp_path: Path, universe: pl.DataFrame
) -> None:
    cluster = start_redis_cluster(tmp_path / "cluster")
    try:

        async def body(market: MarketSimulator, worker: RealtimeWorker) -> None:
            await eventually(lambda: worker.sink.counters.written >= 200)
            cluster.nodes[2].stop()
            await eventually(lambda: worker.sink.counters.failed_flushes >= 3)
            assert not worker.sink.counters.redis_up
            received = worker.counters.received
            await eventually(lambda: worker.counters.received > received + 100)
            assert worker.sink.pending > 0  # held for when the node is back

        scenario_worker = asyncio.run(
            scenario(cluster.url, universe, body, simulator=SimulatorConfig(rate=200))
        )
        assert scenario_worker.sink.counters.dropped == 0
    finally:
        cluster.stop()
