"""Cluster routing: which node gets each packed command, and what to do when slots move.

On a Redis Cluster (detected at the first write: `INFO cluster`), each command goes to the
node owning its key's hash slot, one write per node, every reply read. When a reply says
the slots have moved (MOVED, ASK, TRYAGAIN, CLUSTERDOWN: resharding or failover), the
client re-learns the map and the caller sends the batch again. On a single server every
command goes down one connection.
"""

from __future__ import annotations

import redis
from redis.cluster import RedisCluster
from redis.crc import key_slot
from redis.exceptions import (
    AskError,
    ClusterDownError,
    MovedError,
    ResponseError,
    TryAgainError,
)
from redis.exceptions import ConnectionError as RedisConnectionError

from pipelines.realtime.transport import exchange

ANY_NODE = -1  # the "slot" of a keyless command (PUBLISH reaches every node of a cluster)
# Replies meaning the cluster is resharding, failing over or down: re-learn and re-send.
_CLUSTER_MOVING = (AskError, MovedError, ClusterDownError, TryAgainError)


def slot_of(key: str) -> int:
    """Return the hash slot of `key` (its `{hash tag}` when it has one)."""
    return key_slot(key.encode())


def is_cluster(client: redis.Redis | RedisCluster) -> bool:
    """True when the server runs in cluster mode (then commands are grouped per hash slot
    and routed to the node owning it)."""
    if isinstance(client, RedisCluster):
        return True
    try:
        return bool(client.info("cluster").get("cluster_enabled"))
    except ResponseError:  # INFO refused (an ACL, a proxy): no cluster we could route for anyway
        return False


def cluster_client(url: str) -> RedisCluster:
    """Return a cluster client for the cluster `url` names a node of (it finds the others)."""
    return RedisCluster.from_url(url, socket_connect_timeout=1.0, socket_timeout=5.0)


def send(
    client: redis.Redis | RedisCluster,
    commands: list[bytes],
    replies_expected: int,
    slots: list[int],
) -> list[object]:
    """Send packed commands and return the replies in order (a refused command's reply
    is its `ResponseError`, not raised).

    `replies_expected` is how many replies the server sends (fewer than the commands
    when some run under `CLIENT REPLY OFF`, which is never used on a cluster).
    `slots` holds each command's hash slot (`ANY_NODE` for keyless ones): on a cluster
    the commands go to the nodes owning their slots, in order per node. Raises redis-py's
    `ConnectionError` when slots have moved (after re-learning the map): send again.
    """
    if not commands:
        return []
    if not isinstance(client, RedisCluster):
        return exchange(client.connection_pool, commands, replies_expected)
    by_node: dict[str, list[int]] = {}
    pools: dict[str, redis.ConnectionPool] = {}
    default = client.get_default_node()
    for index, slot in enumerate(slots):
        node = default if slot == ANY_NODE else client.nodes_manager.get_node_from_slot(slot)
        by_node.setdefault(node.name, []).append(index)
        pools[node.name] = node.redis_connection.connection_pool
    replies: list[object] = [None] * len(commands)
    for name, indices in by_node.items():
        answers = exchange(pools[name], [commands[i] for i in indices], len(indices))
        for index, answer in zip(indices, answers, strict=True):
            replies[index] = answer
    if any(isinstance(reply, _CLUSTER_MOVING) for reply in replies):
        # Slots moved or a node is down (resharding, failover): learn the new map and
        # let the flush loop send the batch again (samples and hashes overwrite).
        client.nodes_manager.initialize()
        raise RedisConnectionError("the cluster is moving hash slots; re-sending the batch")
    return replies
