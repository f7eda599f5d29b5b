"""The HTTP edge every real source client shares: timeouts, retries with backoff, clear auth
errors, `next_url` pagination, and secrets kept out of URLs in logs and messages.

A provider's key travels as a header where the provider documents one (Massive:
`Authorization: Bearer`, Finnhub: `X-Finnhub-Token`) or as a query parameter where it
does not (FMP: `apikey`); either way it never appears in a log line or an error message.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import orjson
from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from lake.errors import TickerlakeError

log = logging.getLogger(__name__)

_SECRET_PARAMS = re.compile(r"(?i)\b(apikey|api_key|token)=[^&\s\"']*")


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


class _Retryable(Exception):
    """A response worth retrying (429 or 5xx)."""

    def __init__(self, status: int, path: str) -> None:
        super().__init__(f"HTTP {status} on {path}")
        self.status = status


def _should_retry(error: BaseException) -> bool:
    return isinstance(error, _Retryable | httpx.TransportError)


@dataclass
class RestClient:
    """A small JSON-over-HTTPS client for one provider.

    `provider` names the service in messages, `key_variable` the environment variable
    a user sets to fix an auth error; `headers` / `params` carry the key.
    """

    provider: str
    key_variable: str
    base_url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, str] = field(default_factory=dict)
    timeout_seconds: float = 30.0
    attempts: int = 5
    backoff_seconds: float = 1.0  # first wait; doubles per attempt, capped at 60 s
    _client: httpx.Client | None = field(default=None, init=False, repr=False)

    def __repr__(self) -> str:  # never show headers or params: they hold the key
        return f"RestClient(provider={self.provider!r}, base_url={self.base_url!r})"

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(
                base_url=self.base_url.rstrip("/"),
                headers=dict(self.headers),
                timeout=httpx.Timeout(
                    self.timeout_seconds, connect=min(10.0, self.timeout_seconds)
                ),
                follow_redirects=True,
            )
        return self._client

    def close(self) -> None:
        """Close the connection pool."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """Return the decoded JSON of GET `path` (relative to the base URL, may carry a query).

        Retries 429, 5xx and connection errors with exponential backoff; raises
        `TickerlakeError` on 401/403 (naming the key variable), on other 4xx, and when
        the retries run out. Returns None for 404.
        """
        # httpx replaces (not merges) a URL's query when given params, so merge here: a
        # `next_url` page carries its cursor in the query and needs the key added again.
        parts = urlsplit(path)
        query = {**dict(parse_qsl(parts.query)), **(params or {}), **self.params}
        path = parts.path
        retrying = Retrying(
            retry=retry_if_exception(_should_retry),
            wait=wait_exponential(multiplier=self.backoff_seconds, max=60),
            stop=stop_after_attempt(self.attempts),
            reraise=False,
        )
        try:
            for attempt in retrying:
                with attempt:
                    return self._get_once(path, query)
        except RetryError as exhausted:
            cause = exhausted.last_attempt.exception()
            raise TickerlakeError(
                f"{self.provider} is not answering ({_describe(cause)} on {_path_only(path)}) "
                f"after {self.attempts} attempts; try again later."
            ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _get_once(self, path: str, query: Mapping[str, Any]) -> Any:
        response = self.client.get(path, params=query)
        status = response.status_code
        if status in (401, 403):
            raise TickerlakeError(
                f"{self.provider} rejected the API key (HTTP {status} on {_path_only(path)}): "
                f"set {self.key_variable} to a valid key, or unset it to use the synthetic market."
            )
        if status == 429 or status >= 500:
            log.warning("%s: HTTP %d on %s, retrying", self.provider, status, _path_only(path))
            raise _Retryable(status, _path_only(path))
        if status == 404:
            return None
        if status >= 400:
            raise TickerlakeError(
                f"{self.provider} refused the request (HTTP {status} on {_path_only(path)}): "
                f"{redact(response.text[:200])}"
            )
        return orjson.loads(response.content)

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
    if error is None:
        return "no answer"
    return type(error).__name__
