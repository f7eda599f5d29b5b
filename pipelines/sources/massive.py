"""Massive (formerly Polygon.io) REST client: grouped daily bars, tickers, splits, news.

Implements `BarsSource`. Every fetch returns the provider's records as received, one row
per record, typed by `pipelines.sources.wire`; the transforms turn them into contract
frames. The key goes in an `Authorization: Bearer` header, never in a URL.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import polars as pl

from lake.calendar import trading_days
from lake.errors import TickerlakeError
from lake.settings import Settings
from pipelines.sources import wire
from pipelines.sources.base import Progress
from pipelines.sources.rate_limit import UNLIMITED, RateLimiter, parse_rates
from pipelines.sources.rest import RestClient

log = logging.getLogger(__name__)

PAGE_LIMIT = 1000
# `/v1/indicators/*` values as received: `timestamp` (UTC ms of the bar's start), `value`,
# and for MACD `signal` and `histogram`.
INDICATOR_VALUES = pl.Schema(
    {"timestamp": pl.Int64, "value": pl.Float64, "signal": pl.Float64, "histogram": pl.Float64}
)


class MassiveClient:
    """Massive/Polygon REST (`https://api.massive.com`), key from `MASSIVE_API_KEY`."""

    name = "massive"

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = "https://api.massive.com",
        timeout_seconds: float = 30.0,
        attempts: int = 5,
        backoff_seconds: float = 1.0,
        rate_limit: str = UNLIMITED,
        max_workers: int = 4,
    ) -> None:
        if not api_key:
            raise TickerlakeError("MASSIVE_API_KEY is empty: set it to your Massive/Polygon key.")
        self.rest = RestClient(
            provider="Massive",
            key_variable="MASSIVE_API_KEY",
            base_url=base_url,
            headers={"Authorization": f"Bearer {api_key}"},
            timeout_seconds=timeout_seconds,
            attempts=attempts,
            backoff_seconds=backoff_seconds,
            limiter=RateLimiter(parse_rates(rate_limit, "massive")),
        )
        self.max_workers = max_workers

    @classmethod
    def from_settings(cls, settings: Settings) -> MassiveClient:
        """Return a client with the key, base URL and rate limit from `settings`."""
        if settings.massive_api_key is None:
            raise TickerlakeError("MASSIVE_API_KEY is not set: set it to use Massive/Polygon data.")
        return cls(
            settings.massive_api_key.get_secret_value(),
            base_url=settings.massive_base_url,
            rate_limit=settings.massive_rate_limit,
        )

    def __repr__(self) -> str:
        return f"MassiveClient(base_url={self.rest.base_url!r})"

    # --- bars ----------------------------------------------------------------------

    def grouped_day(self, day: date) -> pl.DataFrame:
        """Return one session's unadjusted bars for the whole US market (wire `GROUPED_DAILY`)."""
        body = self.rest.get(
            f"/v2/aggs/grouped/locale/us/market/stocks/{day.isoformat()}",
            {"adjusted": "false"},
        )
        return wire.wire_frame((body or {}).get("results") or [], wire.GROUPED_DAILY)

    def grouped_daily(
        self, start: date, end: date, *, progress: Progress | None = None
    ) -> pl.DataFrame:
        """Return unadjusted bars for every NYSE session in [start, end], one request per
        session; `progress(done, total)` after each."""
        days = trading_days(start, end)
        frames = []
        for done, day in enumerate(days, start=1):
            frames.append(self.grouped_day(day))
            if progress is not None:
                progress(done, len(days))
        return pl.concat(frames) if frames else pl.DataFrame(schema=wire.GROUPED_DAILY)

    # --- reference -----------------------------------------------------------------

    def ticker_list(self, as_of: date | None = None) -> list[dict]:
        """Return the active common stocks' list records (`/v3/reference/tickers`, all pages)."""
        params: dict[str, str | int] = {
            "market": "stocks",
            "active": "true",
            "limit": PAGE_LIMIT,
        }
        if as_of is not None:
            params["date"] = as_of.isoformat()
        return [
            record
            for page in self.rest.paginate("/v3/reference/tickers", params)
            for record in page
        ]

    def ticker_detail(self, ticker: str, as_of: date | None = None) -> dict | None:
        """Return one ticker's `/v3/reference/tickers/{ticker}` results, or None if unknown."""
        params = {} if as_of is None else {"date": as_of.isoformat()}
        body = self.rest.get(f"/v3/reference/tickers/{ticker}", params)
        return None if body is None else body.get("results")

    def ticker_details(
        self, as_of: date, *, tickers: Iterable[str] | None = None, progress: Progress | None = None
    ) -> pl.DataFrame:
        """Return the details (wire `TICKER_DETAILS`, with CIK and composite FIGI) of every
        active stock as of `as_of`, or of `tickers` when given. One request per ticker,
        `max_workers` at a time."""
        symbols = (
            [record["ticker"] for record in self.ticker_list(as_of)]
            if tickers is None
            else list(tickers)
        )
        eta = self.rest.limiter.seconds_for(len(symbols))
        if eta > 600:
            log.warning(
                "fetching %d ticker details takes at least %.1f h at MASSIVE_RATE_LIMIT; "
                "set it to `paid` if your plan allows more",
                len(symbols),
                eta / 3600,
            )
        records: list[dict] = []
        with ThreadPoolExecutor(max_workers=self.max_workers) as pool:
            for done, record in enumerate(
                pool.map(lambda symbol: self.ticker_detail(symbol, as_of), symbols), start=1
            ):
                if record is not None:
                    records.append(record)
                if progress is not None:
                    progress(done, len(symbols))
        return wire.wire_frame(records, wire.TICKER_DETAILS)

    def splits(self, start: date, end: date) -> pl.DataFrame:
        """Return the splits executed in [start, end] (wire `SPLITS`), all pages."""
        params = {
            "execution_date.gte": start.isoformat(),
            "execution_date.lte": end.isoformat(),
            "limit": PAGE_LIMIT,
            "order": "asc",
            "sort": "execution_date",
        }
        records = [r for page in self.rest.paginate("/v3/reference/splits", params) for r in page]
        return wire.wire_frame(records, wire.SPLITS)

    def news(self, start: date, end: date, *, ticker: str | None = None) -> pl.DataFrame:
        """Return articles published in [start, end] (whole days, UTC), one row per
        (article, ticker) (wire `NEWS`); only `ticker`'s when given."""
        params: dict[str, str | int] = {
            "published_utc.gte": f"{start.isoformat()}T00:00:00Z",
            "published_utc.lte": f"{end.isoformat()}T23:59:59Z",
            "limit": PAGE_LIMIT,
            "order": "asc",
            "sort": "published_utc",
        }
        if ticker is not None:
            params["ticker"] = ticker
        records = [
            {
                **article,
                "publisher.name": (article.get("publisher") or {}).get("name"),
                "tickers": t,
            }
            for page in self.rest.paginate("/v2/reference/news", params)
            for article in page
            for t in (article.get("tickers") or [])
        ]
        return wire.wire_frame(records, wire.NEWS)

    # --- technical indicators (computed by Massive on its own adjusted aggregates) ----

    def sma(
        self, ticker: str, window: int, *, as_of: date | None = None, limit: int = 250
    ) -> pl.DataFrame:
        """Return Massive's daily SMA(`window`) of adjusted closes for `ticker`, newest first
        (wire `INDICATOR_VALUES`), at most `limit` values up to `as_of`."""
        return self._indicator("sma", ticker, {"window": window}, as_of=as_of, limit=limit)

    def ema(
        self, ticker: str, window: int, *, as_of: date | None = None, limit: int = 250
    ) -> pl.DataFrame:
        """Return Massive's daily EMA(`window`) of adjusted closes (see `sma`)."""
        return self._indicator("ema", ticker, {"window": window}, as_of=as_of, limit=limit)

    def rsi(
        self, ticker: str, window: int = 14, *, as_of: date | None = None, limit: int = 250
    ) -> pl.DataFrame:
        """Return Massive's daily RSI(`window`) of adjusted closes (see `sma`)."""
        return self._indicator("rsi", ticker, {"window": window}, as_of=as_of, limit=limit)

    def macd(
        self,
        ticker: str,
        short_window: int = 12,
        long_window: int = 26,
        signal_window: int = 9,
        *,
        as_of: date | None = None,
        limit: int = 250,
    ) -> pl.DataFrame:
        """Return Massive's daily MACD of adjusted closes: `value` (the MACD line),
        `signal` and `histogram` per `timestamp` (see `sma`)."""
        params = {
            "short_window": short_window,
            "long_window": long_window,
            "signal_window": signal_window,
        }
        return self._indicator("macd", ticker, params, as_of=as_of, limit=limit)

    def _indicator(
        self,
        kind: str,
        ticker: str,
        params: dict[str, int],
        *,
        as_of: date | None,
        limit: int,
    ) -> pl.DataFrame:
        """GET `/v1/indicators/{kind}/{ticker}`, following `next_url` until `limit` values
        (newest first); an unknown ticker (404) gives no rows."""
        query: dict[str, str | int] = {
            "timespan": "day",
            "adjusted": "true",
            "series_type": "close",
            "order": "desc",
            "expand_underlying": "false",
            "limit": min(limit, 5000),  # Massive's page maximum
            **params,
        }
        if as_of is not None:
            query["timestamp.lte"] = as_of.isoformat()
        values: list[dict] = []
        for page in self.rest.paginate(f"/v1/indicators/{kind}/{ticker}", query):
            # Here `results` is an object: {"underlying": {...}, "values": [...]}.
            if isinstance(page, dict):
                values.extend(page.get("values") or [])
            if len(values) >= limit:
                break
        return wire.wire_frame(values[:limit], INDICATOR_VALUES)
