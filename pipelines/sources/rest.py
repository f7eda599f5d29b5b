"""The HTTP edge every real source client shares: timeouts, the plan's rate limit,
retries that honour `Retry-After`, clear errors, `next_url` pagination, and secrets kept
out of URLs in logs and messages.

A provider's key travels as a header where the provider documents one (Massive:
`Authorization: Bearer`, Finnhub: `X-Finnhub-Token`) or as a query parameter where it
does not (FMP: `apikey`); either way it never appears in a log line or an error message,
and it never goes to another host: redirects are followed only within the provider's
own origin (scheme, host and port), and a redirect elsewhere is an error.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import orjson
from tenacity import (
    RetryCallState,
    RetryError,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)
from tenacity.stop import stop_base
from tenacity.wait import wait_base

from lake.errors import ServiceUnavailable, TickerlakeError
from pipelines.sources.rate_limit import RateLimiter

log = logging.getLogger(__name__)

_SECRET_PARAMS = re.compile(r"(?i)\b(apikey|api_key|token)=[^&\s\"']*")
# Statuses whose `Retry-After` says when the provider will serve again (RFC 9110 §10.2.3).
_RETRY_AFTER_STATUSES = (429, 503)
_REDIRECT_STATUSES = (301, 302, 303, 307, 308)
_DELAY_SECONDS = re.compile(r"^[0-9]+(\.[0-9]+)?$")


def redact(text: str) -> str:
    """Return `text` with the values of key-carrying query parameters replaced by `***`."""
    return _SECRET_PARAMS.sub(lambda match: f"{match.group(1)}=***", text)


class _RedactSecrets(logging.Filter):
    """Scrub API keys from httpx's request log lines (it logs full URLs at INFO)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact(record.getMessage()), ()
        return True


_httpx_log = logging.getLogger("httpx")
if not any(isinstance(f, _RedactSecrets) for f in _httpx_log.filters):
    _httpx_log.addFilter(_RedactSecrets())


class ProviderUnavailable(ServiceUnavailable):
    """A provider did not serve in time (retries or the deadline ran out, or it asks for a
    longer wait than we make): a service outage, not bad input. Nothing was written."""


class _Retryable(Exception):
    """A response worth retrying (429 or 5xx), with the provider's `Retry-After` in seconds."""

    def __init__(self, status: int, path: str, retry_after: float | None) -> None:
        super().__init__(f"HTTP {status} on {path}")
        self.status = status
        self.retry_after = retry_after


class _Truncated(Exception):
    """A 2xx body that is not complete JSON (a connection cut short, a proxy's page)."""


def _should_retry(error: BaseException) -> bool:
    # httpx.TransportError covers refused connections, timeouts and a body shorter than
    # its Content-Length (RemoteProtocolError).
    return isinstance(error, _Retryable | _Truncated | httpx.TransportError)


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Return the wait a `Retry-After` header value asks for, in seconds (>= 0), from its
    delay-seconds or HTTP-date form; None when absent or unreadable. `now` is UTC."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if _DELAY_SECONDS.match(text):
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # an HTTP-date is GMT by definition
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class _WaitRetryAfterOrBackoff(wait_base):
    """The provider's `Retry-After` when it sent one, else exponential backoff with
    jitter; never more than `cap` seconds. After a 429/503 every request of the client
    waits too (the limiter's hold), not just the one retrying."""

    def __init__(self, backoff: wait_base, cap: float, limiter: RateLimiter) -> None:
        self.backoff, self.cap, self.limiter = backoff, cap, limiter

    def __call__(self, retry_state: RetryCallState) -> float:
        error = retry_state.outcome.exception() if retry_state.outcome else None
        hinted = error.retry_after if isinstance(error, _Retryable) else None
        seconds = min(self.cap, hinted if hinted is not None else self.backoff(retry_state))
        if isinstance(error, _Retryable) and error.status in _RETRY_AFTER_STATUSES:
            self.limiter.hold(seconds)
        return seconds


class _StopBeforeWaitingLonger(stop_base):
    """Stop when the next wait would take the time slept between tries past `seconds`
    (time spent queued behind the rate limit is not counted: that is the plan, not a fault)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def __call__(self, retry_state: RetryCallState) -> bool:
        return retry_state.idle_for + retry_state.upcoming_sleep > self.seconds


@dataclass
class RestClient:
    """A small JSON-over-HTTPS client for one provider.

    `provider` names the service in messages, `key_variable` the environment variable
    a user sets to fix an auth error; `headers` / `params` carry the key. `limiter`
    paces every request of this client (all threads together). A request is tried at
    most `attempts` times; one wait between tries is at most `max_wait_seconds`, all of
    them together at most `deadline_seconds`.
    """

    provider: str
    key_variable: str
    base_url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, str] = field(default_factory=dict)
    timeout_seconds: float = 30.0
    attempts: int = 5
    backoff_seconds: float = 1.0  # first wait; doubles per attempt, plus up to as much jitter
    max_wait_seconds: float = 60.0
    deadline_seconds: float = 300.0
    max_redirects: int = 5
    limiter: RateLimiter = field(default_factory=RateLimiter)
    _client: httpx.Client | None = field(default=None, init=False, repr=False)
    _client_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __repr__(self) -> str:  # never show headers or params: they hold the key
        return f"RestClient(provider={self.provider!r}, base_url={self.base_url!r})"

    @property
    def client(self) -> httpx.Client:
        with self._client_lock:
            if self._client is None:
                self._client = httpx.Client(
                    base_url=self.base_url.rstrip("/"),
                    headers=dict(self.headers),
                    timeout=httpx.Timeout(
                        self.timeout_seconds, connect=min(10.0, self.timeout_seconds)
                    ),
                    # Redirects are followed by hand, same origin only (see `_get_once`).
                    follow_redirects=False,
                )
            return self._client

    def close(self) -> None:
        """Close the connection pool."""
        if self._client is not None:
            self._client.close()
            self._client = None

    @property
    def _setting_prefix(self) -> str:
        return self.key_variable.removesuffix("_API_KEY")

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """Return the decoded JSON of GET `path` (relative to the base URL, may carry a query).

        Retries 429, 5xx, connection errors and truncated bodies, waiting what the
        provider's `Retry-After` asks (capped at `max_wait_seconds`) or backing off
        exponentially with jitter. Raises `TickerlakeError` on 401/403 (naming the key
        variable), on other 4xx and on a redirect to another host; `ProviderUnavailable`
        when the attempts or the deadline run out, or the provider asks to wait longer
        than `max_wait_seconds`. Returns None for 404.
        """
        # httpx replaces (not merges) a URL's query when given params, so merge here: a
        # `next_url` page carries its cursor in the query and needs the key added again.
        parts = urlsplit(path)
        query = {**dict(parse_qsl(parts.query)), **(params or {}), **self.params}
        path = parts.path
        retrying = Retrying(
            retry=retry_if_exception(_should_retry),
            wait=_WaitRetryAfterOrBackoff(
                wait_exponential_jitter(
                    initial=self.backoff_seconds,
                    max=self.max_wait_seconds,
                    jitter=self.backoff_seconds,
                ),
                self.max_wait_seconds,
                self.limiter,
            ),
            stop=stop_after_attempt(self.attempts)
            | _StopBeforeWaitingLonger(self.deadline_seconds),
            reraise=False,
        )
        try:
            for attempt in retrying:
                with attempt:
                    return self._get_once(path, query)
        except RetryError as exhausted:
            cause = exhausted.last_attempt.exception()
            tries = exhausted.last_attempt.attempt_number
            if isinstance(cause, _Retryable) and cause.status == 429:
                raise ProviderUnavailable(
                    f"{self.provider} kept refusing with HTTP 429 (too many requests) on "
                    f"{_path_only(path)} after {tries} attempts: the plan's quota may be spent. "
                    f"Try again later, or set {self._setting_prefix}_RATE_LIMIT to your plan."
                ) from None
            raise ProviderUnavailable(
                f"{self.provider} is not answering ({_describe(cause)} on {_path_only(path)}) "
                f"after {tries} attempts; try again later."
            ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _get_once(self, path: str, query: Mapping[str, Any]) -> Any:
        url: str = path
        for _ in range(self.max_redirects + 1):
            slot = self.limiter.acquire()
            try:
                response = self.client.get(url, params=query)
            finally:
                self.limiter.release(slot)
            if response.status_code not in _REDIRECT_STATUSES:
                return self._decode(response, path)
            url, query = self._same_origin_redirect(response, path)
        raise TickerlakeError(
            f"{self.provider} redirected {_path_only(path)} more than {self.max_redirects} "
            f"times; check {self._setting_prefix}_BASE_URL."
        )

    def _same_origin_redirect(
        self, response: httpx.Response, path: str
    ) -> tuple[str, dict[str, str]]:
        """Return the URL (query apart) and query to follow `response`'s redirect with,
        when it stays on the provider's origin; raise otherwise (the key would go along)."""
        location = response.headers.get("location")
        target = response.request.url.join(location) if location else None
        origin = httpx.URL(self.base_url)
        if target is None or (target.scheme, target.host, target.port) != (
            origin.scheme,
            origin.host,
            origin.port,
        ):
            where = "nowhere" if target is None else f"{target.scheme}://{target.netloc.decode()}"
            raise TickerlakeError(
                f"{self.provider} redirected {_path_only(path)} to another host ({where}); "
                f"Tickerlake does not send the {self.key_variable} key there. If the provider "
                f"has moved, set {self._setting_prefix}_BASE_URL to its new address."
            )
        query = {**dict(parse_qsl(target.query.decode())), **self.params}
        return str(target.copy_with(query=None)), query

    def _decode(self, response: httpx.Response, path: str) -> Any:
        status = response.status_code
        where = _path_only(path)
        if status in (401, 403):
            raise TickerlakeError(
                f"{self.provider} rejected the API key (HTTP {status} on {where}): "
                f"set {self.key_variable} to a valid key, or unset it to use the synthetic market."
            )
        if status == 429 or status >= 500:
            retry_after = (
                retry_after_seconds(response.headers.get("retry-after"))
                if status in _RETRY_AFTER_STATUSES
                else None
            )
            if retry_after is not None and retry_after > self.max_wait_seconds:
                raise ProviderUnavailable(
                    f"{self.provider} asks to wait {retry_after:.0f} s before the next request "
                    f"(HTTP {status} on {where}), longer than Tickerlake waits "
                    f"({self.max_wait_seconds:.0f} s): your plan's quota may be spent. Try "
                    f"again later, or set {self._setting_prefix}_RATE_LIMIT to your plan."
                )
            log.warning("%s: HTTP %d on %s, retrying", self.provider, status, where)
            raise _Retryable(status, where, retry_after)
        if status == 404:
            return None
        if status >= 300:
            raise TickerlakeError(
                f"{self.provider} refused the request (HTTP {status} on {where}): "
                f"{redact(response.text[:200])}"
            )
        try:
            return orjson.loads(response.content)
        except orjson.JSONDecodeError:
            log.warning("%s: incomplete JSON on %s, retrying", self.provider, where)
            raise _Truncated(where) from None

    def paginate(
        self, path: str, params: Mapping[str, Any] | None = None, *, results_key: str = "results"
    ) -> Iterator[list[dict]]:
        """Yield each page's `results` list, following the body's `next_url` until it is absent.

        `next_url` carries no key, so the client's auth is added again on every page; only
        its path and query are used, against our own base URL, so the key never goes to
        another host.
        """
        body = self.get(path, params)
        while body is not None:
            yield body.get(results_key) or []
            next_url = body.get("next_url")
            if not next_url:
                return
            parts = urlsplit(next_url)
            body = self.get(parts.path + (f"?{parts.query}" if parts.query else ""))


def _path_only(path: str) -> str:
    return urlsplit(path).path or path


def _describe(error: BaseException | None) -> str:
    if isinstance(error, _Retryable):
        return f"HTTP {error.status}"
    if isinstance(error, _Truncated):
        return "a truncated response, not complete JSON"
    if error is None:
        return "no answer"
    return type(error).__name__
