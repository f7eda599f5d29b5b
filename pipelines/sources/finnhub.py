"""Finnhub REST client: the earnings calendar (estimates, actuals, hour) and EPS surprises.

Implements `EarningsSource`. The key goes in the `X-Finnhub-Token` header.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from lake.errors import TickerlakeError
from lake.settings import Settings
from pipelines.sources import wire
from pipelines.sources.base import Progress
from pipelines.sources.rate_limit import UNLIMITED, RateLimiter, parse_rates
from pipelines.sources.rest import RestClient


class FinnhubClient:
    """Finnhub REST (`https://finnhub.io/api/v1`), key from `FINNHUB_API_KEY`."""

    name = "finnhub"

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = "https://finnhub.io/api/v1",
        timeout_seconds: float = 30.0,
        attempts: int = 5,
        backoff_seconds: float = 1.0,
        rate_limit: str = UNLIMITED,
        window_days: int = 7,
    ) -> None:
        if not api_key:
            raise TickerlakeError("FINNHUB_API_KEY is empty: set it to your Finnhub key.")
        self.rest = RestClient(
            provider="Finnhub",
            key_variable="FINNHUB_API_KEY",
            base_url=base_url,
            headers={"X-Finnhub-Token": api_key},
            timeout_seconds=timeout_seconds,
            attempts=attempts,
            backoff_seconds=backoff_seconds,
            limiter=RateLimiter(parse_rates(rate_limit, "finnhub")),
        )
        # The calendar caps how many rows one answer carries, so long ranges go in windows.
        self.window_days = window_days

    @classmethod
    def from_settings(cls, settings: Settings) -> FinnhubClient:
        """Return a client with the key, base URL and rate limit from `settings`."""
        if settings.finnhub_api_key is None:
            raise TickerlakeError("FINNHUB_API_KEY is not set: set it to use Finnhub earnings.")
        return cls(
            settings.finnhub_api_key.get_secret_value(),
            base_url=settings.finnhub_base_url,
            rate_limit=settings.finnhub_rate_limit,
        )

    def __repr__(self) -> str:
        return f"FinnhubClient(base_url={self.rest.base_url!r})"

    def earnings_calendar(
        self,
        start: date,
        end: date,
        *,
        symbol: str | None = None,
        progress: Progress | None = None,
    ) -> pl.DataFrame:
        """Return reports dated in [start, end] (wire `EARNINGS_CALENDAR`; EPS may be null),
        fetched `window_days` at a time; `progress(done, total)` after each window."""
        windows: list[tuple[date, date]] = []
        cursor = start
        while cursor <= end:
            windows.append((cursor, min(end, cursor + timedelta(days=self.window_days - 1))))
            cursor += timedelta(days=self.window_days)
        records: list[dict] = []
        for done, (first, last) in enumerate(windows, start=1):
            params = {"from": first.isoformat(), "to": last.isoformat()}
            if symbol is not None:
                params["symbol"] = symbol
            body = self.rest.get("/calendar/earnings", params) or {}
            records.extend(body.get("earningsCalendar") or [])
            if progress is not None:
                progress(done, len(windows))
        frame = wire.wire_frame(records, wire.EARNINGS_CALENDAR)
        return frame.unique(["symbol", "date"], keep="last", maintain_order=True)

    def earnings_surprises(self, symbol: str, *, limit: int | None = None) -> pl.DataFrame:
        """Return `symbol`'s reported EPS against estimates per fiscal period
        (`/stock/earnings`, wire `EARNINGS_SURPRISES`), newest first."""
        params: dict[str, str | int] = {"symbol": symbol}
        if limit is not None:
            params["limit"] = limit
        body = self.rest.get("/stock/earnings", params) or []
        return wire.wire_frame(body, wire.EARNINGS_SURPRISES)
