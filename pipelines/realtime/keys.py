"""The Redis key scheme of the live path: every key, stream, channel and label the worker
writes and the app reads, and the config the worker publishes.

The symbol is a hash tag in every per-symbol key, so all keys of one symbol live in one
cluster slot and each command touches one slot only:

- `ts:{SYM}:<field>` raw per-second series, field in open/high/low/close/volume/vwap,
  labels symbol, field, sector, cap_bucket, timeframe=1s; `DUPLICATE_POLICY LAST`.
- `ts:{SYM}:<field>:1m` one-minute compactions (open first, high max, low min,
  close last, volume sum, vwap avg), labels as above with timeframe=1m.
- `ts:{SYM}:alert` velocity at each alert (percent); `last:{SYM}` the last-value hash.
- `symbols:active` the set of symbols seen; channels `bars:SYM` and `bars` (all
  symbols, one message per flush holding every symbol's latest bar); `alerts`
  stream and channel.
- `ts:{stats}:<name>` the worker's own series, `stats:worker` its counters.
- `config:worker` the settings the running worker uses that the live pages draw
  (`PublishedWorkerConfig`).

Samples are stamped with the window start (UTC ms): a minute bucket holds the seconds
that started in it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pipelines.realtime.velocity import VelocityConfig

FIELDS: tuple[str, ...] = ("open", "high", "low", "close", "volume", "vwap")
# How each field's one-minute compaction aggregates its seconds (RedisTimeSeries names).
COMPACTIONS: dict[str, str] = {
    "open": "first",
    "high": "max",
    "low": "min",
    "close": "last",
    "volume": "sum",
    "vwap": "avg",
}
MINUTE_MS = 60_000
ACTIVE_SYMBOLS_KEY = "symbols:active"
ALL_BARS_CHANNEL = "bars"
ALERTS_STREAM = "alerts"
ALERTS_CHANNEL = "alerts"
ALERTS_STREAM_MAXLEN = 10_000
WORKER_STATS_KEY = "stats:worker"
WORKER_CONFIG_KEY = "config:worker"
STATS_SERIES: tuple[str, ...] = (
    "active_symbols",
    "messages_per_s",
    "flush_ms",
    "dropped",
    "malformed",
    "lag_ms",
    "skipped",
    "refused",
)
UNKNOWN_LABEL = "unknown"


def series_key(symbol: str, field: str, timeframe: str = "1s") -> str:
    """Return the TimeSeries key of `symbol`'s `field` (`1s` raw or `1m` compacted)."""
    base = f"ts:{{{symbol}}}:{field}"
    return base if timeframe == "1s" else f"{base}:{timeframe}"


def last_value_key(symbol: str) -> str:
    """Return the key of `symbol`'s last-value hash."""
    return f"last:{{{symbol}}}"


def alert_series_key(symbol: str) -> str:
    """Return the key of `symbol`'s alert series (velocity in percent at each alert)."""
    return f"ts:{{{symbol}}}:alert"


def symbol_channel(symbol: str) -> str:
    """Return the pub/sub channel of `symbol`'s updates."""
    return f"bars:{symbol}"


def stats_key(name: str) -> str:
    """Return the key of the worker's stats series `name`."""
    return f"ts:{{stats}}:{name}"


_LABEL_UNSAFE = re.compile(r"[\s,()\"']+")


def label_value(text: str) -> str:
    """Return `text` as a TimeSeries label value: TS.CREATE rejects commas and parentheses,
    and TS.MRANGE filters split on spaces, so runs of those become one underscore
    ("Finance, Insurance & Real Estate" → "Finance_Insurance_&_Real_Estate"). An empty value
    (TS.CREATE refuses it too) becomes `unknown`."""
    return _LABEL_UNSAFE.sub("_", text) or UNKNOWN_LABEL


def series_labels(
    symbol: str, sector: str, cap_bucket: str, field: str, timeframe: str
) -> tuple[str, ...]:
    """Return the `LABELS` arguments of one of `symbol`'s series: symbol, sector and cap
    bucket (as label values), field (or `alert`) and timeframe (`1s`, `1m` or `event`)."""
    return (
        "symbol",
        symbol,
        "sector",
        label_value(sector),
        "cap_bucket",
        label_value(cap_bucket),
        "field",
        field,
        "timeframe",
        timeframe,
    )


def stats_labels(name: str) -> tuple[str, ...]:
    """Return the `LABELS` arguments of the stats series `name`.

    `skipped:<reason>` names a per-reason series, labelled so that TS.MRANGE with
    `stat=skipped` returns one series per reason."""
    stat, _, reason = name.partition(":")
    return ("kind", "worker_stats", "stat", stat) + (("reason", reason) if reason else ())


@dataclass(frozen=True)
class PublishedWorkerConfig:
    """The settings of the running worker that the live pages draw, as kept in the
    `config:worker` hash: its velocity window (ms), alert threshold (percent) and re-arm
    fraction, and when it published them (`published_ms`, UTC ms).

    `published_ms` is None for `defaults()`: what a worker started without options would
    use, shown when no worker has published (labelled as such)."""

    velocity: VelocityConfig
    published_ms: int | None = None

    @classmethod
    def defaults(cls) -> PublishedWorkerConfig:
        """Return the defaults of a worker started without options (nothing published)."""
        return cls(VelocityConfig())

    @property
    def is_default(self) -> bool:
        """True when no worker published this (the defaults stand in)."""
        return self.published_ms is None

    def to_hash(self) -> dict[str, str]:
        """Return the hash fields to store under `WORKER_CONFIG_KEY` (numbers as text)."""
        velocity = self.velocity
        fields = {
            "velocity_window_ms": str(velocity.window_ms),
            "velocity_threshold_pct": repr(velocity.threshold_pct),
            "velocity_rearm_fraction": repr(velocity.rearm_fraction),
        }
        if self.published_ms is not None:
            fields["published_ms"] = str(self.published_ms)
        return fields

    @classmethod
    def from_hash(cls, fields: Mapping[Any, Any]) -> PublishedWorkerConfig | None:
        """Return the config read from the `WORKER_CONFIG_KEY` hash (as redis-py returns it:
        str, or bytes without `decode_responses`), or None when it is empty or does not
        parse (no worker published; another program's key)."""
        fields = {_text(name): _text(value) for name, value in fields.items()}
        try:
            velocity = VelocityConfig(
                window_ms=int(fields["velocity_window_ms"]),
                threshold_pct=float(fields["velocity_threshold_pct"]),
                rearm_fraction=float(fields["velocity_rearm_fraction"]),
            )
            published_ms = int(fields["published_ms"])
        except (KeyError, TypeError, ValueError):
            return None
        return cls(velocity, published_ms)


def _text(value: object) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)
