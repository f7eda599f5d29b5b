"""Financial Modeling Prep REST client: analyst grade actions (`/stable/grades`).

Implements `GradesSource`. FMP documents the key as the `apikey` query parameter; the
shared REST edge keeps it out of logs and error messages.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import polars as pl

from lake.errors import TickerlakeError
from lake.settings import Settings
from pipelines.sources import wire
from pipelines.sources.base import Progress
from pipelines.sources.rate_limit import UNLIMITED, RateLimiter, parse_rates
from pipelines.sources.rest import RestClient


class FmpClient:
    """FMP REST (`https://financialmodelingprep.com`), key from `FMP_API_KEY`."""

    name = "fmp"

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = "https://financialmodelingprep.com",
        timeout_seconds: float = 30.0,
        attempts: int = 5,
        backoff_seconds: float = 1.0,
        rate_limit: str = UNLIMITED,
    ) -> None:
        if not api_key:
            raise TickerlakeError(
                "FMP_API_KEY is empty: set it to your Financial Modeling Prep key."
            )
        self.rest = RestClient(
            provider="FMP",
            key_variable="FMP_API_KEY",
            base_url=base_url,
            params={"apikey": api_key},
            timeout_seconds=timeout_seconds,
            attempts=attempts,
            backoff_seconds=backoff_seconds,
            limiter=RateLimiter(parse_rates(rate_limit, "fmp")),
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> FmpClient:
        """Return a client with the key, base URL and rate limit from `settings`."""
        if settings.fmp_api_key is None:
            raise TickerlakeError("FMP_API_KEY is not set: set it to use FMP analyst grades.")
        return cls(
            settings.fmp_api_key.get_secret_value(),
            base_url=settings.fmp_base_url,
            rate_limit=settings.fmp_rate_limit,
        )

    def __repr__(self) -> str:
        return f"FmpClient(base_url={self.rest.base_url!r})"

    def grades(
        self,
        symbols: Sequence[str],
        start: date,
        end: date,
        *,
        progress: Progress | None = None,
    ) -> pl.DataFrame:
        """Return grade actions on `symbols` dated in [start, end] (wire `GRADES`), one request
        per symbol; `progress(done, total)` after each."""
        records: list[dict] = []
        for done, symbol in enumerate(symbols, start=1):
            body = self.rest.get("/stable/grades", {"symbol": symbol}) or []
            records.extend(body)
            if progress is not None:
                progress(done, len(symbols))
        frame = wire.wire_frame(records, wire.GRADES)
        day = pl.col("date").str.slice(0, 10)
        return frame.filter(day >= start.isoformat(), day <= end.isoformat())
