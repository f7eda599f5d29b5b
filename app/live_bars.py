"""Live candles read from Redis: per-second bars, and minute bars whose last one is still open.

Reads what the realtime worker writes (key scheme: `pipelines.realtime.keys`), through any
client (`redis.Redis` or `RedisCluster`); `app.live_data` caches them for the pages.

A TimeSeries compaction writes a bucket only once a later sample closes it, so the
compacted `:1m` series always lacks the current minute (and, until the next sample
arrives, the minute that just ended). `minute_bars` therefore joins the compacted
history to buckets aggregated on the fly (`TS.RANGE … AGGREGATION`, the same
first/max/min/last/sum/avg) from the raw per-second series after the last compacted
bucket. Reads for one symbol stay in its hash slot (one pipeline, cluster-safe).

Frames: time_ms (bucket or window start, UTC epoch ms), open, high, low, close (dollars),
volume (shares), vwap (dollars); minute frames add `live` (True for buckets not yet
compacted).
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl
import redis
from redis.cluster import RedisCluster

from pipelines.realtime.keys import COMPACTIONS, FIELDS, MINUTE_MS, series_key

BAR_SCHEMA = pl.Schema({"time_ms": pl.Int64, **{name: pl.Float64 for name in FIELDS}})


def _frame(columns: Sequence[list[list[int | float | str | bytes]]]) -> pl.DataFrame:
    """Build a bar frame from one TS.RANGE reply per field (lists of [time, value])."""
    parts = []
    for name, samples in zip(FIELDS, columns, strict=True):
        parts.append(
            pl.DataFrame(
                {"time_ms": [int(t) for t, _ in samples], name: [float(v) for _, v in samples]},
                schema={"time_ms": pl.Int64, name: pl.Float64},
            )
        )
    frame = parts[0]
    for part in parts[1:]:
        frame = frame.join(part, on="time_ms", how="inner")  # a bar needs every field
    return frame.sort("time_ms").cast(BAR_SCHEMA)


def second_bars(
    client: redis.Redis | RedisCluster, symbol: str, *, since_ms: int | str = "-"
) -> pl.DataFrame:
    """Return `symbol`'s raw per-second bars from `since_ms` (UTC ms) to now."""
    pipe = client.pipeline(transaction=False)
    for name in FIELDS:
        pipe.execute_command("TS.RANGE", series_key(symbol, name), since_ms, "+")
    return _frame(pipe.execute())


def aggregate_seconds(seconds: pl.DataFrame, *, bucket_ms: int = MINUTE_MS) -> pl.DataFrame:
    """Aggregate per-second bars into `bucket_ms` buckets with the compaction rules' functions.

    Pure: the reference for what `minute_bars` reads (first open, max high, min low,
    last close, summed volume, mean vwap).
    """
    functions = {
        "first": pl.Expr.first,
        "max": pl.Expr.max,
        "min": pl.Expr.min,
        "last": pl.Expr.last,
        "sum": pl.Expr.sum,
        "avg": pl.Expr.mean,
    }
    return (
        seconds.sort("time_ms")
        .with_columns(bucket=pl.col("time_ms") - pl.col("time_ms") % bucket_ms)
        .group_by("bucket", maintain_order=True)
        .agg(functions[COMPACTIONS[name]](pl.col(name)).alias(name) for name in FIELDS)
        .rename({"bucket": "time_ms"})
        .cast(BAR_SCHEMA)
    )


def join_live(history: pl.DataFrame, live: pl.DataFrame) -> pl.DataFrame:
    """Append the live buckets that come after the last compacted one; mark them `live`."""
    last = history["time_ms"].max() if history.height else None
    fresh = live if last is None else live.filter(pl.col("time_ms") > last)
    return pl.concat(
        [history.with_columns(live=pl.lit(False)), fresh.with_columns(live=pl.lit(True))]
    ).sort("time_ms")


def minute_bars(
    client: redis.Redis | RedisCluster, symbol: str, *, since_ms: int | str = "-"
) -> pl.DataFrame:
    """Return `symbol`'s one-minute bars from `since_ms`: compacted history joined to the
    still-open minute(s) aggregated from the raw series."""
    pipe = client.pipeline(transaction=False)
    for name in FIELDS:
        pipe.execute_command("TS.RANGE", series_key(symbol, name, "1m"), since_ms, "+")
    history = _frame(pipe.execute())
    live_from = (
        int(history.select(pl.col("time_ms").max()).item()) + MINUTE_MS
        if history.height
        else since_ms
    )
    pipe = client.pipeline(transaction=False)
    for name in FIELDS:
        pipe.execute_command(
            "TS.RANGE",
            series_key(symbol, name),
            live_from,
            "+",
            "AGGREGATION",
            COMPACTIONS[name],
            MINUTE_MS,
        )
    live = _frame(pipe.execute())
    return join_live(history, live)
