"""One guard for every page: each error a page can meet becomes a short message saying
what to do, never a traceback.

`page_errors()` wraps a page's whole run (`app/main.py` runs every page inside it);
`tile_errors` wraps the body of a live page's `st.fragment`, so an outage there shows a
message and the next refresh tries again by itself. Messages are fixed text or our own
`TickerlakeError` text escaped as plain text: an exception's own text may hold markup
from a URL, a path or a secret, so it goes to the server log only.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

import polars as pl
import redis
import streamlit as st
from deltalake.exceptions import DeltaError
from redis.exceptions import RedisClusterException

from app.text import plain
from lake.errors import ServiceUnavailable, TickerlakeError
from lake.tables import LakeUnavailable

P = ParamSpec("P")
T = TypeVar("T")
log = logging.getLogger(__name__)
MESSAGE_CHARS = 600
_WATCH_TICKS = "_guard_redis_watch_ticks"  # a TickerlakeError message is a sentence or two

REDIS_DOWN = (
    "The live data store (Redis) does not answer. Start the platform with `make run` "
    "(or `tickerlake services up` and `tickerlake realtime worker`), or check REDIS_URL. "
    "This page reconnects by itself when Redis is back."
)
LAKE_UNREADABLE = (
    "The lake cannot be read right now. If LAKE_URI points at S3, check that the endpoint "
    "is up and the credentials are valid; if a table is damaged, restore it or rebuild the "
    "demo lake with `tickerlake demo`. Reload the page to try again."
)
UNEXPECTED = (
    "This page hit an unexpected error (the details are in the server's log). "
    "Reload the page or pick other filters."
)


ICONS = {
    "redis": ":material/cloud_off:",
    "lake": ":material/database:",
    "unexpected": ":material/error:",
}


class RedisUnavailable(ServiceUnavailable):
    """No Redis to read the live data from (none running, or none configured)."""


# Errors of a Redis that is down, unreachable or refusing us (AuthenticationError and
# BusyLoadingError are ConnectionErrors).
REDIS_ERRORS: tuple[type[BaseException], ...] = (
    redis.ConnectionError,
    redis.TimeoutError,
    RedisClusterException,
    RedisUnavailable,
)
# Errors of a lake that cannot be read: a stopped S3 endpoint or a damaged Delta log
# (delta-rs raises OSError or DeltaError), or a data file that cannot be decoded.
LAKE_ERRORS: tuple[type[BaseException], ...] = (
    LakeUnavailable,
    OSError,
    DeltaError,
    pl.exceptions.PolarsError,
)


def message_for(exc: BaseException) -> tuple[str, str]:
    """Return (kind, text) to show for `exc`: kind is `redis`, `lake`, `user` or
    `unexpected`; text is safe to render as Markdown."""
    if isinstance(exc, REDIS_ERRORS):
        return "redis", REDIS_DOWN
    if isinstance(exc, LAKE_ERRORS):
        return "lake", LAKE_UNREADABLE
    if isinstance(exc, TickerlakeError):
        text = str(exc)
        return "user", plain(text[:1].upper() + text[1:], limit=MESSAGE_CHARS)
    return "unexpected", UNEXPECTED


def show(exc: BaseException) -> str:
    """Show the message for `exc` on the page (logging what is not the user's to fix);
    return its kind (see `message_for`)."""
    log_unless_users(exc)
    kind, text = message_for(exc)
    if kind == "user":
        st.warning(text, icon=":material/info:")
    else:
        st.error(text, icon=ICONS[kind])
    return kind


def log_unless_users(exc: BaseException) -> None:
    """Log `exc` for the operator unless it is a `TickerlakeError` (the user's to fix):
    a one-line note for an outage, the traceback for anything unexpected."""
    kind, _ = message_for(exc)
    if kind in ("redis", "lake"):
        log.warning("%s unavailable: %s", kind, type(exc).__name__)
    elif kind == "unexpected":
        log.error("unexpected error on a page", exc_info=exc)


@contextmanager
def page_errors() -> Iterator[None]:
    """Run a page's body, turning any error into its message (Streamlit's own stop and
    rerun signals pass through). A Redis outage also starts a one-second watch that
    reruns the page once Redis answers again."""
    try:
        yield
    except Exception as exc:  # every error gets a message, none a traceback
        if show(exc) == "redis":
            _rerun_when_redis_answers()


def tile_errors(tile: Callable[P, None]) -> Callable[P, None]:
    """Decorate a fragment's body: an error shows its message inside the fragment, whose
    next scheduled run tries again (so a Redis outage heals by itself)."""

    @functools.wraps(tile)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            tile(*args, **kwargs)
        except Exception as exc:  # see page_errors
            show(exc)

    return guarded


def _redis_answers() -> bool:
    # pipelines.services, not app.live_data: live_data imports this module.
    from pipelines import services

    try:
        probe = redis.Redis.from_url(services.resolve_redis_url(), socket_connect_timeout=1)
        try:
            return bool(probe.ping())
        finally:
            probe.close()
    except Exception:  # any failure means "not yet"
        return False


def _rerun_when_redis_answers() -> None:
    from app.live_filters import REFRESH_S

    # Only a scheduled tick reruns the page, never the run that drew the message: an
    # error that persists while Redis answers pings then costs a rerun per tick, not a loop.
    st.session_state[_WATCH_TICKS] = 0

    @st.fragment(run_every=REFRESH_S)
    def watch() -> None:
        st.session_state[_WATCH_TICKS] = st.session_state.get(_WATCH_TICKS, 0) + 1
        if st.session_state[_WATCH_TICKS] > 1 and _redis_answers():
            st.rerun()  # the whole page, now that its data can be read
        st.caption("Waiting for Redis…")

    watch()
