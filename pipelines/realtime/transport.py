"""Commands on the wire: packed by hiredis, sent in one write on one pooled connection, and
what the replies mean.

A redis-py pipeline spends about a microsecond of Python per argument, 18 per event, which
profiling showed to be the worker's largest cost; here commands are packed by hiredis (in
C) from arguments already turned to text. Replies that carry nothing to act on can be
switched off with `CLIENT REPLY OFF … ON` when the server allows it.

Replies are judged per sample: a refusal is named by `refusal_reason` (one of
`REFUSAL_REASONS`), a reply meaning the server cannot write now is `is_transient`, and
`DISCONNECTED` lists the errors meaning Redis is not reachable at all.
"""

from __future__ import annotations

import hiredis
import redis
from redis.exceptions import (
    ClusterDownError,
    OutOfMemoryError,
    ReadOnlyError,
    RedisClusterException,
    ResponseError,
)
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

# Why Redis refused a sample (the sink's per-reason counters, `refused_<reason>` in the stats).
NOT_A_SERIES = "not_a_series"  # the key holds another type, or the series could not be created
OLDER_THAN_RETENTION = "older_than_retention"
INVALID_TIMESTAMP = "invalid_timestamp"
INVALID_VALUE = "invalid_value"
OTHER_REFUSAL = "other"
REFUSAL_REASONS: tuple[str, ...] = (
    NOT_A_SERIES,
    OLDER_THAN_RETENTION,
    INVALID_TIMESTAMP,
    INVALID_VALUE,
    OTHER_REFUSAL,
)
# Error replies meaning "not now" rather than "not this": hold the batch and retry.
# (redis-py turns OOM and READONLY into these classes and strips the code from the text.)
_TRANSIENT_ERRORS = (OutOfMemoryError, ReadOnlyError, ClusterDownError)
_TRANSIENT_REPLIES = ("BUSY", "MISCONF", "NOREPLICAS")
# Redis (or the cluster's map of it) is not reachable right now: hold the batch, retry.
DISCONNECTED = (
    RedisConnectionError,
    RedisTimeoutError,
    ConnectionError,
    OSError,
    RedisClusterException,
)


class RedisNotWritable(RedisConnectionError):
    """Redis answered but cannot write now (out of memory, read-only, loading): hold, retry."""


def pack(args: tuple[object, ...]) -> bytes:
    """Pack one command in the Redis protocol (hiredis, in C)."""
    # hiredis's stub types `cmd` as a one-item `Tuple[...]` (it takes any length), and pack
    # rejects a wrong item type itself at run time.
    packed: bytes = hiredis.pack_command(args)  # type: ignore[arg-type]
    return packed


REPLY_OFF = pack(("CLIENT", "REPLY", "OFF"))
REPLY_ON = pack(("CLIENT", "REPLY", "ON"))


def can_silence_replies(client: redis.Redis | redis.RedisCluster) -> bool:
    """True when this server and user may run `CLIENT REPLY` (an ACL or a proxy may refuse it)."""
    try:
        return client.execute_command("CLIENT", "REPLY", "ON") in (b"OK", "OK", True)
    except ResponseError:
        return False


def exchange(
    pool: redis.ConnectionPool, commands: list[bytes], replies_expected: int
) -> list[object]:
    """Send packed commands in one write on one pooled connection; return the replies
    (a refused command's reply is its `ResponseError`, not raised).

    The same exchange on the wire as a redis-py pipeline, without its Python work per
    argument (about 1 µs each, 18 per event): the commands were packed by hiredis.
    `replies_expected` is fewer than the commands when some run under `CLIENT REPLY OFF`.
    """
    connection = pool.get_connection()
    try:
        connection.send_packed_command([b"".join(commands)], check_health=False)
        replies: list[object] = []
        for _ in range(replies_expected):
            try:
                replies.append(connection.read_response())
            except ResponseError as exc:
                replies.append(exc)
    except BaseException:
        connection.disconnect()  # a reply left unread would answer the next batch's command
        raise
    finally:
        pool.release(connection)
    return replies


def command_key(command: bytes) -> str:
    """The key of a packed command (its second argument), for a log line."""
    parts = command.split(b"\r\n")
    return parts[4].decode(errors="replace") if len(parts) > 4 else "?"


def is_missing_key(error: ResponseError) -> bool:
    """True for the error TS.MADD gives a sample whose series is not there
    (RedisTimeSeries says `TSDB: the key is not a TSDB key`, also when the key holds
    another type; some versions `does not exist`)."""
    text = str(error).lower()
    return "not a tsdb key" in text or "does not exist" in text or text.startswith("wrongtype")


def refusal_reason(error: ResponseError) -> str:
    """Name why Redis refused a sample: one of `REFUSAL_REASONS`."""
    text = str(error).lower()
    if is_missing_key(error):
        return NOT_A_SERIES
    if "older than retention" in text:
        return OLDER_THAN_RETENTION
    if "invalid timestamp" in text:
        return INVALID_TIMESTAMP
    if "invalid value" in text:
        return INVALID_VALUE
    return OTHER_REFUSAL


def is_transient(error: ResponseError) -> bool:
    """True for a reply meaning the server cannot write now (memory, replica, loading)."""
    return isinstance(error, _TRANSIENT_ERRORS) or str(error).startswith(_TRANSIENT_REPLIES)
