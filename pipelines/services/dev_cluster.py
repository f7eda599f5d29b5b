"""A Redis Cluster of embedded servers, for testing the realtime path against a cluster.

A production cluster is run and sized by its operators; `REDIS_URL` then names one of
its nodes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import redis

from lake.errors import TickerlakeError
from pipelines.services.embedded_redis import START_TIMEOUT_S, EmbeddedRedis, start_redis


@dataclass
class EmbeddedRedisCluster:
    """A Redis Cluster of embedded servers (primaries only) we started; `stop()` ends it."""

    nodes: list[EmbeddedRedis]

    @property
    def url(self) -> str:
        """A node's URL: cluster clients discover the other nodes from it."""
        return self.nodes[0].url

    def stop(self) -> None:
        """Stop every node."""
        for node in self.nodes:
            node.stop()


def start_redis_cluster(workdir: Path, *, nodes: int = 3) -> EmbeddedRedisCluster:
    """Start `nodes` embedded servers in cluster mode on 127.0.0.1, give each an equal
    share of the 16,384 hash slots, join them, and wait until the cluster is `ok`.

    For testing the realtime path against a cluster (a production cluster is run and
    sized by its operators; `REDIS_URL` then names one of its nodes).
    """
    started: list[EmbeddedRedis] = []
    try:
        for index in range(nodes):
            started.append(start_redis(workdir / f"node{index}", cluster=True))
        clients = [redis.Redis.from_url(node.url, socket_timeout=5) for node in started]
        bounds = [round(i * 16384 / nodes) for i in range(nodes + 1)]
        for client, low, high in zip(clients, bounds, bounds[1:], strict=False):
            client.execute_command("CLUSTER", "ADDSLOTSRANGE", low, high - 1)
        bus_port = clients[0].config_get("cluster-port")["cluster-port"]
        for client in clients[1:]:
            client.execute_command("CLUSTER", "MEET", "127.0.0.1", started[0].port, bus_port)
        deadline = time.monotonic() + START_TIMEOUT_S
        while not all(_cluster_ready(client, nodes) for client in clients):
            if time.monotonic() > deadline:
                raise TickerlakeError(f"the embedded Redis Cluster did not form; see {workdir}")
            time.sleep(0.1)
        for client in clients:
            client.close()
    except BaseException:
        for node in started:
            node.stop()
        raise
    return EmbeddedRedisCluster(started)


def _cluster_ready(client: redis.Redis, nodes: int) -> bool:
    info = client.cluster("info")
    state = info.get("cluster_state") if isinstance(info, dict) else None
    known = int(info.get("cluster_known_nodes", 0)) if isinstance(info, dict) else 0
    return state in (b"ok", "ok") and known == nodes
