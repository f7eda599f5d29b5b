"""Cached Redis reads for the live pages (one client per session server, 1 s caches).

Everything here reads what the realtime worker writes, by the key scheme of
`pipelines.realtime.keys`; frames use UTC epoch ms and dollars. Pages reach live data
through this module only.
"""

from __future__ import annotations

import time
from typing import cast

import polars as pl
import redis
import streamlit as st
from redis.cluster import RedisCluster

from app import live_bars
from app.guard import RedisUnavailable
from lake.errors import TickerlakeError
from pipelines import services
from pipelines.realtime import keys
from pipelines.realtime.keys import PublishedWorkerConfig

LAST_SCHEMA = pl.Schema(
    {
        "symbol": pl.String,
        "sector": pl.String,
        "cap_bucket": pl.String,
        "close": pl.Float64,
        "open": pl.Float64,
        "high": pl.Float64,
        "low": pl.Float64,
        "volume": pl.Float64,
        "velocity_pct": pl.Float64,
        "end_ms": pl.Int64,
    }
)


@st.cache_resource
def client(url: str) -> redis.Redis | RedisCluster:
    """Return a Redis client for `url` (str replies; a cluster client when the server runs
    in cluster mode), shared by every session."""
    return services.redis_client(
        url, decode_responses=True, socket_connect_timeout=2, socket_timeout=5
    )


def redis_url() -> str:
    """Return the Redis URL the worker writes to (REDIS_URL or the embedded server).

    Raises `RedisUnavailable` when neither is there (the page then waits for it)."""
    try:
        return services.resolve_redis_url()
    except TickerlakeError as exc:
        raise RedisUnavailable(str(exc)) from exc


@st.cache_data(ttl=1, max_entries=4, show_spinner=False)
def last_values(url: str) -> pl.DataFrame:
    """Return every active symbol's last bar, velocity (percent), sector and cap bucket."""
    redis_client = client(url)
    # The client decodes replies (decode_responses=True): members are str, never bytes.
    symbols = sorted(cast(set[str], redis_client.smembers(keys.ACTIVE_SYMBOLS_KEY)))
    pipe = redis_client.pipeline(transaction=False)
    for symbol in symbols:
        pipe.hgetall(keys.last_value_key(symbol))
    rows = [row for row in pipe.execute() if row.get("close") is not None]
    if not rows:
        return pl.DataFrame(schema=LAST_SCHEMA)
    return pl.DataFrame([{name: row.get(name) for name in LAST_SCHEMA} for row in rows]).cast(
        LAST_SCHEMA
    )


@st.cache_data(ttl=1, max_entries=4, show_spinner=False)
def alerts(url: str, count: int = 50) -> pl.DataFrame:
    """Return the latest `count` velocity alerts, newest first."""
    entries = client(url).xrevrange(keys.ALERTS_STREAM, count=count)
    schema = pl.Schema(
        {
            "time_ms": pl.Int64,
            "symbol": pl.String,
            "velocity_pct": pl.Float64,
            "price": pl.Float64,
            "reference_price": pl.Float64,
        }
    )
    # The reply is a list (the client's types also allow None); an entry's fields are None
    # only for a deleted entry, which is no alert.
    rows = [
        {name: fields.get(name) for name in schema}
        for _, fields in entries or []
        if fields is not None
    ]
    frame = pl.DataFrame(rows, schema={name: pl.String for name in schema}).cast(schema)
    return frame.with_columns(time=pl.from_epoch("time_ms", time_unit="ms"))


@st.cache_data(ttl=1, max_entries=32, show_spinner=False)
def second_bars(url: str, symbol: str, minutes: int) -> pl.DataFrame:
    """Return `symbol`'s per-second bars of the last `minutes` minutes."""
    since = int(time.time() * 1000) - minutes * 60_000
    return live_bars.second_bars(client(url), symbol, since_ms=since)


@st.cache_data(ttl=1, max_entries=32, show_spinner=False)
def minute_bars(url: str, symbol: str, minutes: int) -> pl.DataFrame:
    """Return `symbol`'s one-minute bars of the last `minutes` minutes, the open one included."""
    since = int(time.time() * 1000) - minutes * 60_000
    return live_bars.minute_bars(client(url), symbol, since_ms=since - since % 60_000)


@st.cache_data(ttl=1, max_entries=4, show_spinner=False)
def health(url: str, minutes: int = 10) -> tuple[pl.DataFrame, dict[str, str]]:
    """Return the worker's stats series of the last `minutes` (one column per stat) and counters."""
    redis_client = client(url)
    since = int(time.time() * 1000) - minutes * 60_000
    pipe = redis_client.pipeline(transaction=False)
    for name in keys.STATS_SERIES:
        pipe.execute_command("TS.RANGE", keys.stats_key(name), since, "+")
    pipe.hgetall(keys.WORKER_STATS_KEY)
    *series, counters = pipe.execute(raise_on_error=False)
    frame = pl.DataFrame(schema={"time_ms": pl.Int64})
    for name, samples in zip(keys.STATS_SERIES, series, strict=True):
        if not isinstance(samples, list):
            continue  # not written yet
        part = pl.DataFrame(
            {"time_ms": [int(t) for t, _ in samples], name: [float(v) for _, v in samples]},
            schema={"time_ms": pl.Int64, name: pl.Float64},
        )
        frame = (
            part if frame.width == 1 else frame.join(part, on="time_ms", how="full", coalesce=True)
        )
    if frame.width > 1:
        frame = frame.sort("time_ms").with_columns(time=pl.from_epoch("time_ms", time_unit="ms"))
    return frame, counters if isinstance(counters, dict) else {}


@st.cache_data(ttl=1, max_entries=4, show_spinner=False)
def worker_config(url: str) -> PublishedWorkerConfig:
    """Return the settings the running worker published (velocity window and threshold), or
    the defaults of a worker started without options, marked `is_default`, when none has
    published (or its hash does not parse)."""
    published = PublishedWorkerConfig.from_hash(client(url).hgetall(keys.WORKER_CONFIG_KEY))
    return PublishedWorkerConfig.defaults() if published is None else published
