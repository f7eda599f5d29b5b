"""Clients of a Redis with TimeSeries: the factory (single server or cluster), the check that
it answers and has the module, and its URL made fit to show."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import redis
from redis.cluster import RedisCluster

from lake.errors import TickerlakeError


def check_timeseries(url: str) -> None:
    """Raise `TickerlakeError` unless the Redis at `url` answers and has the TimeSeries module."""
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    try:
        modules = client.module_list()
    except redis.exceptions.AuthenticationError as exc:
        raise TickerlakeError(
            f"Redis at {redact_url(url)} refused the password; fix REDIS_URL "
            "(or `tickerlake services url` for the embedded server's)"
        ) from exc
    except redis.exceptions.BusyLoadingError as exc:
        raise TickerlakeError(
            f"Redis at {redact_url(url)} is loading its data; try again in a moment"
        ) from exc
    except redis.exceptions.ConnectionError as exc:
        raise TickerlakeError(
            f"cannot reach Redis at {redact_url(url)}; start it or fix REDIS_URL "
            "(unset it to use the embedded server)"
        ) from exc
    except redis.exceptions.ResponseError as exc:
        raise TickerlakeError(f"Redis at {redact_url(url)} refused MODULE LIST ({exc})") from exc
    finally:
        client.close()
    names = {_decode(m.get(b"name", m.get("name", b""))).lower() for m in modules}
    if "timeseries" not in names:
        raise TickerlakeError(
            f"Redis at {redact_url(url)} has no TimeSeries module; use Redis 8, Redis Stack, "
            "or unset REDIS_URL to use the embedded server"
        )


def redis_client(url: str, **options: Any) -> redis.Redis | RedisCluster:
    """Return a client for the Redis at `url`: a `RedisCluster` when that server runs in
    cluster mode (it then finds the other nodes itself), else a `redis.Redis`.

    `options` (timeouts, `decode_responses`, ...) go to the client. Raises redis-py's
    `ConnectionError` when the server does not answer.
    """
    probe = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    try:
        clustered = bool(probe.info("cluster").get("cluster_enabled"))
    finally:
        probe.close()
    if clustered:
        return RedisCluster.from_url(url, **options)
    return redis.Redis.from_url(url, **options)


def _decode(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def redact_url(url: str) -> str:
    """Return `url` fit to show: its password (in the user part or a `password=` query
    parameter) replaced by `***`. Anything that does not parse as a URL is hidden whole."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if parts.password is not None:
            user = parts.username or ""
            host = netloc.rsplit("@", 1)[1]
            netloc = f"{user}:***@{host}"
        query = parts.query
        if query:
            pairs = parse_qsl(query, keep_blank_values=True)
            query = urlencode(
                [(k, "***" if k.lower() == "password" else v) for k, v in pairs], safe="*"
            )
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    except ValueError:
        return "<a URL that does not parse>"
